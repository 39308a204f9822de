# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Signed profiles: CMS/PKCS#7 SignedData with the content attached.

Signing needs the ``cryptography`` library (``CRYPTOGRAPHY_IMPORT_ERROR`` is set without it). Reading the
embedded content back (to decide whether a signed file must be re-signed) is a small DER walk with no
dependency; it does not verify the signature (``openssl smime -verify`` does that in the tests).
"""

from __future__ import annotations

import traceback

CRYPTOGRAPHY_IMPORT_ERROR = None
try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs7
except ImportError:
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()

_OID_SIGNED_DATA = bytes.fromhex("2a864886f70d010702")  # 1.2.840.113549.1.7.2
_OID_DATA = bytes.fromhex("2a864886f70d010701")  # 1.2.840.113549.1.7.1


class CMSError(ValueError):
    """Not a SignedData structure this module understands."""


def _read(data, pos):
    """Read one DER TLV at pos: returns (tag, value_start, value_end)."""
    if pos + 2 > len(data):
        raise CMSError("truncated DER at offset %d" % pos)
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length == 0x80:
        raise CMSError("indefinite-length encoding is not supported")
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise CMSError("bad DER length at offset %d" % pos)
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise CMSError("DER value runs past the end of the data")
    return tag, pos, pos + length


def _expect(data, pos, tag, what):
    got, start, end = _read(data, pos)
    if got != tag:
        raise CMSError("expected %s (tag 0x%02x) at offset %d, found tag 0x%02x" % (what, tag, pos, got))
    return start, end


def looks_signed(data):
    """True when the bytes look like DER (a SEQUENCE), not an XML plist."""
    return len(data) > 2 and data[0] == 0x30


def signed_content(data):
    """The attached content (the unsigned profile bytes) of a DER SignedData."""
    start, end = _expect(data, 0, 0x30, "ContentInfo")
    oid_start, oid_end = _expect(data, start, 0x06, "contentType")
    if data[oid_start:oid_end] != _OID_SIGNED_DATA:
        raise CMSError("ContentInfo is not SignedData")
    explicit_start, _unused = _expect(data, oid_end, 0xA0, "[0] content")
    sd_start, _unused = _expect(data, explicit_start, 0x30, "SignedData")
    _tag, _s, pos = _read(data, sd_start)  # version
    _tag, _s, pos = _read(data, pos)  # digestAlgorithms
    eci_start, _eci_end = _expect(data, pos, 0x30, "encapContentInfo")
    type_start, type_end = _expect(data, eci_start, 0x06, "eContentType")
    if data[type_start:type_end] != _OID_DATA:
        raise CMSError("encapsulated content is not id-data")
    econ_start, _unused = _expect(data, type_end, 0xA0, "[0] eContent (detached signature?)")
    tag, value_start, value_end = _read(data, econ_start)
    if tag == 0x04:
        return bytes(data[value_start:value_end])
    if tag == 0x24:  # constructed OCTET STRING: concatenate the primitive chunks
        chunks = []
        pos = value_start
        while pos < value_end:
            start, end = _expect(data, pos, 0x04, "OCTET STRING chunk")
            chunks.append(bytes(data[start:end]))
            pos = end
        return b"".join(chunks)
    raise CMSError("eContent is not an OCTET STRING")


def load_signer(cert_pem, key_pem, chain_pems=(), passphrase=None):
    """Load the signer certificate, its key and the chain (PEM bytes). Needs cryptography."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    key = serialization.load_pem_private_key(key_pem, password=passphrase.encode("utf-8") if passphrase else None)
    chain = []
    for pem in chain_pems:
        chain.extend(x509.load_pem_x509_certificates(pem))
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if cert.public_key().public_bytes(*spki) != key.public_key().public_bytes(*spki):
        raise ValueError("the signing key does not belong to the signing certificate")
    return cert, key, chain


def certificates_der(cert, chain):
    return sorted(c.public_bytes(Encoding.DER) for c in [cert] + list(chain))


def embedded_certificates_der(data):
    """DER of every certificate in a SignedData (sorted), or None when it cannot be read. Needs cryptography."""
    try:
        return sorted(c.public_bytes(Encoding.DER) for c in pkcs7.load_der_pkcs7_certificates(data))
    except ValueError:
        return None


def sign(content, cert, key, chain):
    """Attached SignedData (DER, SHA-256) over the exact content bytes, with the chain. Needs cryptography."""
    builder = pkcs7.PKCS7SignatureBuilder().set_data(content).add_signer(cert, key, hashes.SHA256())
    for extra in chain:
        builder = builder.add_certificate(extra)
    # Binary: sign the bytes as they are (no LF -> CRLF canonicalisation); no DetachedSignature: content attached.
    return builder.sign(Encoding.DER, [pkcs7.PKCS7Options.Binary])
