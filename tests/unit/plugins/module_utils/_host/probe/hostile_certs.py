# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Certificates an attacker could serve, built with cryptography and re-signed after a DER edit.

cryptography cannot encode an OBJECT IDENTIFIER with a sub-identifier of thousands of digits, so a
certificate is built with a placeholder extension, its TBS is re-encoded with the placeholder's OID
swapped for the long one, and the result is signed again with the issuer's key: a valid signature that
OpenSSL verifies, carrying what the probe's DER reader must survive. Also used by the system tests.
"""

from __future__ import annotations

import datetime
import ipaddress

PLACEHOLDER_OID = "1.3.6.1.4.1.55555.1"


def tlv(tag, body):
    """One DER TLV with a definite, minimal length."""
    if len(body) < 0x80:
        header = bytes([tag, len(body)])
    else:
        size = (len(body).bit_length() + 7) // 8
        header = bytes([tag, 0x80 | size]) + len(body).to_bytes(size, "big")
    return header + body


def _arc(value):
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def oid_tlv(arcs):
    """The DER of an OBJECT IDENTIFIER with integer ``arcs`` (first two combined as X.690 says)."""
    return tlv(0x06, _arc(arcs[0] * 40 + arcs[1]) + b"".join(_arc(a) for a in arcs[2:]))


def long_oid_tlv(digits):
    """1.3.6.1.4.1.55555.<a sub-identifier of ``digits`` decimal digits>."""
    return oid_tlv([1, 3, 6, 1, 4, 1, 55555, (10 ** digits - 1) // 9 * 7])   # 77...7, without int(str) and its digit limit


def _nodes(data):
    """A generic TLV tree: [(tag, [children]) for constructed, (tag, bytes) for primitive]."""
    nodes, pos = [], 0
    while pos < len(data):
        tag, first = data[pos], data[pos + 1]
        if first < 0x80:
            length, header = first, 2
        else:
            count = first & 0x7F
            length, header = int.from_bytes(data[pos + 2:pos + 2 + count], "big"), 2 + count
        body = data[pos + header:pos + header + length]
        nodes.append((tag, _nodes(body) if tag & 0x20 else body, data[pos:pos + header + length]))
        pos += header + length
    return nodes


def _encode(nodes, old, new):
    out = b""
    for tag, content, whole in nodes:
        if whole == old:
            out += new
        elif isinstance(content, list):
            out += tlv(tag, _encode(content, old, new))
        else:
            out += whole
    return out


def general_names(names):
    """cryptography GeneralNames for host names and IP addresses (subjectAltName of a server certificate)."""
    from cryptography import x509
    alt = []
    for name in names:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt.append(x509.DNSName(name))
    return alt


class Authority:
    """A CA (ECDSA P-256) that issues server certificates; ``swap_oid`` (OID DER) goes into its own certificate."""

    def __init__(self, common_name, organization="Example Corp Proxy", swap_oid=None):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
        self.x509, self.hashes, self.serialization, self.ec = x509, hashes, serialization, ec
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
                               x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.datetime.now(datetime.timezone.utc)
        builder = (x509.CertificateBuilder().subject_name(self.name).issuer_name(self.name)
                   .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                                crl_sign=True, encipher_only=False, decipher_only=False), critical=True))
        self.der = self._finish(builder, swap_oid)

    @property
    def pem(self):
        import ssl
        return ssl.DER_cert_to_PEM_cert(self.der)

    def _finish(self, builder, swap_oid):
        """The DER of ``builder`` signed by this CA, with the placeholder extension's OID swapped for ``swap_oid``."""
        x509 = self.x509
        if swap_oid is not None:
            builder = builder.add_extension(
                x509.UnrecognizedExtension(x509.ObjectIdentifier(PLACEHOLDER_OID), b"\x05\x00"), critical=False)
        der = builder.sign(self.key, self.hashes.SHA256()).public_bytes(self.serialization.Encoding.DER)
        if swap_oid is not None:
            der = self.resign(der, oid_tlv([int(a) for a in PLACEHOLDER_OID.split(".")]), swap_oid)
        return der

    def issue(self, *names, swap_oid=None):
        """(leaf DER, key PEM) for ``names``; ``swap_oid`` (OID DER) replaces the placeholder extension's OID."""
        x509 = self.x509
        key = self.ec.generate_private_key(self.ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        subject = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, names[0])])
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(self.name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
                   .add_extension(x509.SubjectAlternativeName(general_names(names)), critical=False)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
        der = self._finish(builder, swap_oid)
        enc = self.serialization
        return der, key.private_bytes(enc.Encoding.PEM, enc.PrivateFormat.PKCS8, enc.NoEncryption()).decode("ascii")

    def resign(self, der, old, new):
        """``der`` with the TLV ``old`` inside its TBS replaced by ``new``, signed again by this CA."""
        (_tag, (tbs, algorithm, _signature), _whole), = _nodes(der)
        new_tbs = tlv(0x30, _encode(tbs[1], old, new))
        assert new_tbs != tbs[2], "the TLV to replace is not in the certificate"
        signature = self.key.sign(new_tbs, self.ec.ECDSA(self.hashes.SHA256()))
        return tlv(0x30, new_tbs + algorithm[2] + tlv(0x03, b"\x00" + signature))
