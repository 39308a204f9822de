# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A small, strict DER reader for X.509 certificates, standard library only.

``endpoint_probe`` runs on managed Macs whose Python has only the standard library, so this module
reads what the probe reports about a certificate (names, dates, fingerprint, CA flag) without
``cryptography`` and without private ``_ssl`` functions. It does not verify anything: signatures and
chains are checked by the ``ssl`` module against the trust anchors (``anchors.py``).

Strict means: every length is checked against the bytes that are there, indefinite and non-minimal
lengths are refused, each field must carry the tag X.509 gives it, and nothing may follow the
certificate. Bad input raises :class:`DERError` (a ``ValueError``) naming the field and byte offset.
Two things real certificates get wrong and that do not change the meaning are accepted: an explicitly
encoded ``critical FALSE`` and PrintableString values with characters outside the PrintableString set.

Bounded means: the certificate is read by one walk over at most :data:`MAX_CERTIFICATE_BYTES`, and every
field it decodes has a limit far above what real certificates use (lengths, OBJECT IDENTIFIER size and
sub-identifier size, INTEGER size, string size, nesting depth, elements read). Network bytes reach this
reader from any server, so an oversized field is refused with :class:`DERError` before it costs CPU
(a sub-identifier of thousands of digits would otherwise raise Python's own int-to-text ``ValueError``
or, where that limit is off, cost seconds).

Text taken from a certificate (names, alternative names) goes through :func:`visible_text`: control,
format (bidi overrides) and separator characters come back as visible escapes such as ``\u202e``.
"""

from __future__ import annotations

import binascii
import datetime
import hashlib
import ipaddress
import re
import ssl
import unicodedata

__all__ = ("DERError", "read_certificate", "read_names", "pem_to_ders", "rfc4514_string", "visible_text")

# Bounds on what one certificate may hold (far above real certificates; see the module docstring).
MAX_CERTIFICATE_BYTES = 128 * 1024
MAX_DEPTH = 16              # the deepest path read, a SAN dirName attribute value, is 12 levels down
MAX_ELEMENTS = 20000        # TLVs read from one certificate
MAX_OID_BYTES = 64          # 2.25.<UUID> needs 20; the longest registered arcs need far fewer
MAX_OID_ARC_BYTES = 19      # one sub-identifier: 133 bits, a 128-bit UUID arc fits
MAX_INTEGER_BYTES = 64      # RFC 5280 serials are at most 20 octets
MAX_STRING_BYTES = 16384    # one attribute value or alternative name


class DERError(ValueError):
    """The input is not a DER-encoded X.509 certificate this reader understands."""


# Characters that change how the text around them is shown, or that are not visible: controls (Cc),
# format characters such as bidi overrides and zero-width joiners (Cf), surrogates and private use
# (Cs, Co), line and paragraph separators (Zl, Zp) and every space other than U+0020 (Zs).
_HIDDEN_CATEGORIES = frozenset(("Cc", "Cf", "Cs", "Co", "Zl", "Zp", "Zs"))


def _escape_char(char):
    code = ord(char)
    if code < 0x100:
        return "\\x%02x" % code
    if code < 0x10000:
        return "\\u%04x" % code
    return "\\U%08x" % code


def visible_text(text, keep=""):
    """``text`` with every hidden or direction-changing character written as an escape (``\\u202e``).

    The one place names taken from certificates, and any text of a result shown to a person, are
    neutralised; the probe's results and the readiness report show them only through it. Characters in
    ``keep`` (the report keeps line breaks and tabs of its own messages) stay. ``None`` stays ``None``.
    """
    if text is None:
        return None
    text = str(text)
    if text.isascii() and text.isprintable():
        return text
    return "".join(_escape_char(char) if char != " " and char not in keep and unicodedata.category(char) in _HIDDEN_CATEGORIES
                   else char for char in text)


_BOOLEAN = 0x01
_INTEGER = 0x02
_BIT_STRING = 0x03
_OCTET_STRING = 0x04
_OID = 0x06
_UTF8_STRING = 0x0C
_NUMERIC_STRING = 0x12
_PRINTABLE_STRING = 0x13
_TELETEX_STRING = 0x14
_IA5_STRING = 0x16
_UTC_TIME = 0x17
_GENERALIZED_TIME = 0x18
_VISIBLE_STRING = 0x1A
_UNIVERSAL_STRING = 0x1C
_BMP_STRING = 0x1E
_SEQUENCE = 0x30
_SET = 0x31
_VERSION = 0xA0          # [0] EXPLICIT Version
_ISSUER_UID = 0x81       # [1] IMPLICIT UniqueIdentifier
_SUBJECT_UID = 0x82      # [2] IMPLICIT UniqueIdentifier
_EXTENSIONS = 0xA3       # [3] EXPLICIT Extensions

_TAG_NAMES = {
    _BOOLEAN: "BOOLEAN", _INTEGER: "INTEGER", _BIT_STRING: "BIT STRING", _OCTET_STRING: "OCTET STRING",
    0x05: "NULL", _OID: "OBJECT IDENTIFIER", _UTF8_STRING: "UTF8String", _NUMERIC_STRING: "NumericString",
    _PRINTABLE_STRING: "PrintableString", _TELETEX_STRING: "TeletexString", _IA5_STRING: "IA5String",
    _UTC_TIME: "UTCTime", _GENERALIZED_TIME: "GeneralizedTime", _VISIBLE_STRING: "VisibleString",
    _UNIVERSAL_STRING: "UniversalString", _BMP_STRING: "BMPString", _SEQUENCE: "SEQUENCE", _SET: "SET",
    _VERSION: "[0] version", _EXTENSIONS: "[3] extensions",
}

# Attribute types: the short names used in subject_attributes/issuer_attributes (OpenSSL's spelling).
NAME_OIDS = {
    "2.5.4.3": "CN",
    "2.5.4.4": "SN",
    "2.5.4.5": "serialNumber",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.9": "STREET",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.12": "title",
    "2.5.4.15": "businessCategory",
    "2.5.4.17": "postalCode",
    "2.5.4.42": "GN",
    "2.5.4.97": "organizationIdentifier",
    "0.9.2342.19200300.100.1.1": "UID",
    "0.9.2342.19200300.100.1.25": "DC",
    "1.2.840.113549.1.9.1": "emailAddress",
    "1.3.6.1.4.1.311.60.2.1.1": "jurisdictionL",
    "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionST",
    "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionC",
}
# RFC 4514 section 3 keywords; every other type is written as a dotted OID (as cryptography does).
RFC4514_KEYWORDS = ("CN", "L", "ST", "O", "OU", "C", "STREET", "DC", "UID")

OID_BASIC_CONSTRAINTS = "2.5.29.19"
OID_SUBJECT_ALT_NAME = "2.5.29.17"

_UTC_TIME_RE = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})Z")
_GENERALIZED_TIME_RE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})Z")
_PEM_BLOCK_RE = re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.DOTALL)


def _tag_name(tag):
    if tag is None:
        return "a value"
    return _TAG_NAMES.get(tag, "tag 0x%02x" % tag)


class _Reader:
    """Reads consecutive TLVs from data[pos:end]; ``where`` names the enclosing field for messages."""

    def __init__(self, data, pos, end, where, depth=0, counter=None):
        self.data = data
        self.pos = pos
        self.end = end
        self.where = where
        self.depth = depth
        self.counter = [0] if counter is None else counter   # TLVs read from this certificate, shared

    def at_end(self):
        return self.pos >= self.end

    def peek(self):
        """The next tag, or None at the end."""
        return None if self.pos >= self.end else self.data[self.pos]

    def read(self, field, tag):
        """Reads one TLV that must carry ``tag``; returns a reader over its contents."""
        data, pos, end = self.data, self.pos, self.end
        where = "%s.%s" % (self.where, field) if self.where else field
        if pos >= end:
            raise DERError("%s: missing (%s expected at byte %d, no bytes left)" % (where, _tag_name(tag), pos))
        found = data[pos]
        if found & 0x1F == 0x1F:
            raise DERError("%s: high-tag-number form at byte %d is not used by X.509" % (where, pos))
        if pos + 1 >= end:
            raise DERError("%s: truncated at byte %d (length missing)" % (where, pos + 1))
        first = data[pos + 1]
        if first < 0x80:
            length, header = first, 2
        elif first == 0x80:
            raise DERError("%s: indefinite length at byte %d is not allowed in DER" % (where, pos + 1))
        else:
            count = first & 0x7F
            if count > 4:
                raise DERError("%s: length of %d bytes at byte %d is too large" % (where, count, pos + 1))
            if pos + 2 + count > end:
                raise DERError("%s: truncated at byte %d (length needs %d bytes)" % (where, pos + 1, count))
            octets = data[pos + 2:pos + 2 + count]
            length, header = int.from_bytes(octets, "big"), 2 + count
            if octets[0] == 0 or length < 0x80:
                raise DERError("%s: length at byte %d is not minimally encoded (not DER)" % (where, pos + 1))
        start = pos + header
        stop = start + length
        if stop > end:
            raise DERError("%s: truncated: %s at byte %d claims %d bytes, only %d remain"
                           % (where, _tag_name(found), pos, length, end - start))
        if tag is not None and found != tag:
            raise DERError("%s: expected %s at byte %d, found %s" % (where, _tag_name(tag), pos, _tag_name(found)))
        if self.depth >= MAX_DEPTH:
            raise DERError("%s: nested deeper than %d levels at byte %d" % (where, MAX_DEPTH, pos))
        self.counter[0] += 1
        if self.counter[0] > MAX_ELEMENTS:
            raise DERError("%s: more than %d elements in one certificate (at byte %d)" % (where, MAX_ELEMENTS, pos))
        self.pos = stop
        return _Reader(data, start, stop, where, self.depth + 1, self.counter)

    def read_any(self, field):
        """Reads one TLV of any tag; returns (tag, reader over its contents, whole TLV bytes)."""
        begin = self.pos
        tag = self.peek()
        inner = self.read(field, None)
        if inner.end - begin > MAX_STRING_BYTES:
            raise DERError("%s: %s of %d bytes is longer than the %d bytes this reader accepts"
                           % (inner.where, _tag_name(tag), inner.end - begin, MAX_STRING_BYTES))
        return tag, inner, bytes(self.data[begin:inner.end])

    def content(self, limit=None):
        """The remaining bytes; ``limit`` (bytes, with a name for the message) refuses more than that."""
        if limit is not None and self.end - self.pos > limit[0]:
            raise DERError("%s: %s of %d bytes is longer than the %d bytes this reader accepts"
                           % (self.where, limit[1], self.end - self.pos, limit[0]))
        return bytes(self.data[self.pos:self.end])

    def finish(self):
        if self.pos != self.end:
            raise DERError("%s: %d unexpected bytes at byte %d" % (self.where or "input", self.end - self.pos, self.pos))


def _oid(reader):
    body = reader.content((MAX_OID_BYTES, "OBJECT IDENTIFIER"))
    if not body:
        raise DERError("%s: empty OBJECT IDENTIFIER" % reader.where)
    if body[-1] & 0x80:
        raise DERError("%s: OBJECT IDENTIFIER ends inside a sub-identifier" % reader.where)
    arcs, value, fresh, octets = [], 0, True, 0
    for octet in body:
        if fresh and octet == 0x80:
            raise DERError("%s: OBJECT IDENTIFIER sub-identifier is not minimally encoded" % reader.where)
        octets += 1
        if octets > MAX_OID_ARC_BYTES:
            raise DERError("%s: OBJECT IDENTIFIER sub-identifier %d is longer than %d bytes"
                           % (reader.where, len(arcs) + 1, MAX_OID_ARC_BYTES))
        value = (value << 7) | (octet & 0x7F)
        fresh = not octet & 0x80
        if fresh:
            arcs.append(value)
            value, octets = 0, 0
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(arc) for arc in head + arcs[1:])


def _integer(reader):
    body = reader.content((MAX_INTEGER_BYTES, "INTEGER"))
    if not body:
        raise DERError("%s: empty INTEGER" % reader.where)
    if len(body) > 1 and ((body[0] == 0 and body[1] < 0x80) or (body[0] == 0xFF and body[1] >= 0x80)):
        raise DERError("%s: INTEGER is not minimally encoded (not DER)" % reader.where)
    return int.from_bytes(body, "big", signed=True)


def _boolean(reader):
    body = reader.content((1, "BOOLEAN"))
    if body == b"\xff":
        return True
    if body == b"\x00":
        return False
    raise DERError("%s: BOOLEAN must be one byte 0x00 or 0xff in DER" % reader.where)


def _ascii(reader, kind):
    try:
        return reader.content((MAX_STRING_BYTES, kind)).decode("ascii")
    except UnicodeDecodeError:
        raise DERError("%s: %s holds non-ASCII bytes" % (reader.where, kind)) from None


def _time(tag, reader):
    text = _ascii(reader, _tag_name(tag))
    match = (_UTC_TIME_RE if tag == _UTC_TIME else _GENERALIZED_TIME_RE).fullmatch(text)
    if not match:
        raise DERError("%s: %s %r is not YY(YY)MMDDHHMMSSZ as RFC 5280 requires" % (reader.where, _tag_name(tag), text))
    parts = [int(part) for part in match.groups()]
    if tag == _UTC_TIME:
        parts[0] += 1900 if parts[0] >= 50 else 2000   # RFC 5280 4.1.2.5.1
    try:
        moment = datetime.datetime(*parts)
    except ValueError as exc:
        raise DERError("%s: %s %r is not a valid date: %s" % (reader.where, _tag_name(tag), text, exc)) from None
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


def _string(tag, reader):
    """The text of a directory string, or None for a type this reader does not decode."""
    body = reader.content((MAX_STRING_BYTES, _tag_name(tag)))
    try:
        if tag == _UTF8_STRING:
            return body.decode("utf-8")
        if tag in (_PRINTABLE_STRING, _IA5_STRING, _NUMERIC_STRING, _VISIBLE_STRING):
            return body.decode("ascii")
        if tag == _TELETEX_STRING:
            return body.decode("latin-1")
        if tag == _BMP_STRING:
            if len(body) % 2:
                raise DERError("%s: BMPString has an odd number of bytes" % reader.where)
            return body.decode("utf-16-be")
        if tag == _UNIVERSAL_STRING:
            if len(body) % 4:
                raise DERError("%s: UniversalString length is not a multiple of 4" % reader.where)
            return body.decode("utf-32-be")
    except UnicodeDecodeError as exc:
        raise DERError("%s: %s cannot be decoded: %s" % (reader.where, _tag_name(tag), exc)) from None
    return None


class _Value(str):
    """An attribute value this reader does not decode, kept as RFC 4514 ``#`` + hex of its DER encoding."""


def _name(reader):
    """[[(oid, value), ...] per RDN] in certificate order; value is str or _Value."""
    rdns = []
    while not reader.at_end():
        rdn = reader.read("rdn[%d]" % len(rdns), _SET)
        if rdn.at_end():
            raise DERError("%s: empty relative distinguished name" % rdn.where)
        attributes = []
        while not rdn.at_end():
            pair = rdn.read("attribute[%d]" % len(attributes), _SEQUENCE)
            oid = _oid(pair.read("type", _OID))
            tag, inner, whole = pair.read_any("value")
            pair.finish()
            text = _string(tag, inner)
            attributes.append((oid, _Value("#" + binascii.hexlify(whole).decode("ascii")) if text is None else text))
        rdns.append(attributes)
    return rdns


def _escape(value):
    """RFC 4514 section 2.4 escaping, as cryptography's ``Name.rfc4514_string()`` writes it."""
    if isinstance(value, _Value):
        return str(value)
    if not value:
        return ""
    for char in ("\\", '"', "+", ",", ";", "<", ">"):
        value = value.replace(char, "\\" + char)
    value = value.replace("\0", "\\00")
    if value[0] in ("#", " "):
        value = "\\" + value
    if value[-1] == " ":
        value = value[:-1] + "\\ "
    return value


def rfc4514_string(rdns):
    """``CN=…,O=…,C=…``: most specific RDN first, multi-valued RDNs joined with ``+``."""
    parts = []
    for rdn in reversed(rdns):
        parts.append("+".join("%s=%s" % (NAME_OIDS[oid] if NAME_OIDS.get(oid) in RFC4514_KEYWORDS else oid, _escape(value))
                              for oid, value in rdn))
    return visible_text(",".join(parts))


def _attributes(rdns):
    return [(NAME_OIDS.get(oid, oid), visible_text(value)) for rdn in rdns for oid, value in rdn]


def _values(rdns, short):
    return [visible_text(value) for rdn in rdns for oid, value in rdn if NAME_OIDS.get(oid) == short]


def _basic_constraints(reader):
    """(cA, pathLenConstraint or None) from the extnValue of basicConstraints."""
    body = reader.read("basicConstraints", _SEQUENCE)
    reader.finish()
    is_ca, path_length = False, None
    if body.peek() == _BOOLEAN:
        is_ca = _boolean(body.read("cA", _BOOLEAN))
    if body.peek() == _INTEGER:
        path_length = _integer(body.read("pathLenConstraint", _INTEGER))
    body.finish()
    return is_ca, path_length


def _subject_alt_names(reader):
    """[(kind, value)] from the extnValue of subjectAltName: DNS, IP, email, URI, dirName, or other:N (hex)."""
    names = reader.read("subjectAltName", _SEQUENCE)
    reader.finish()
    found = []
    while not names.at_end():
        tag, inner, whole = names.read_any("generalName[%d]" % len(found))
        number = tag & 0x1F
        if tag in (0x81, 0x82, 0x86):   # rfc822Name, dNSName, uniformResourceIdentifier: IA5String
            found.append(({0x81: "email", 0x82: "DNS", 0x86: "URI"}[tag], visible_text(_ascii(inner, "IA5String"))))
        elif tag == 0x87:               # iPAddress
            found.append(("IP", _ip_text(inner)))
        elif tag == 0xA4:               # directoryName: [4] EXPLICIT Name
            found.append(("dirName", rfc4514_string(_name(inner.read("name", _SEQUENCE)))))
            inner.finish()
        else:
            found.append(("other:%d" % number, binascii.hexlify(whole).decode("ascii")))
    return found


def _ip_text(reader):
    """An address (4 or 16 bytes), or address/prefix for the address-and-mask form (8 or 32 bytes)."""
    packed = reader.content((32, "iPAddress"))
    if len(packed) in (4, 16):
        return str(ipaddress.ip_address(packed))
    if len(packed) in (8, 32):
        half = len(packed) // 2
        bits = bin(int.from_bytes(packed[half:], "big"))[2:].zfill(half * 8)
        if "01" not in bits:
            return "%s/%d" % (ipaddress.ip_address(packed[:half]), bits.count("1"))
    raise DERError("%s: iPAddress must hold 4 or 16 bytes (or 8 or 32 with a contiguous mask), not %d" % (reader.where, len(packed)))


def _extensions(reader):
    """{oid: (critical, reader over extnValue)} in order; a repeated extension is an error (RFC 5280 4.2)."""
    seq = reader.read("extensions", _SEQUENCE)
    reader.finish()
    found = {}
    while not seq.at_end():
        ext = seq.read("extension[%d]" % len(found), _SEQUENCE)
        oid = _oid(ext.read("extnID", _OID))
        critical = False
        if ext.peek() == _BOOLEAN:
            critical = _boolean(ext.read("critical", _BOOLEAN))
        value = ext.read("extnValue(%s)" % oid, _OCTET_STRING)
        ext.finish()
        if oid in found:
            raise DERError("%s: extension %s appears twice" % (ext.where, oid))
        found[oid] = (critical, value)
    return found


def _certificate_bytes(der_bytes):
    if isinstance(der_bytes, (bytearray, memoryview)):
        der_bytes = bytes(der_bytes)
    if not isinstance(der_bytes, bytes):
        raise DERError("a certificate must be DER bytes, not %s" % type(der_bytes).__name__)
    if len(der_bytes) > MAX_CERTIFICATE_BYTES:
        raise DERError("a certificate of %d bytes is larger than the %d bytes this reader accepts"
                       % (len(der_bytes), MAX_CERTIFICATE_BYTES))
    return der_bytes


def _tbs_names(tbs):
    """(version, serial, issuer RDNs, [notBefore, notAfter], subject RDNs): the TBS fields up to the subject."""
    version = 1
    if tbs.peek() == _VERSION:
        explicit = tbs.read("version", _VERSION)
        version = _integer(explicit.read("value", _INTEGER)) + 1
        explicit.finish()
        if version not in (1, 2, 3):
            raise DERError("%s: unknown certificate version %d" % (explicit.where, version))
    serial = _integer(tbs.read("serialNumber", _INTEGER))
    tbs.read("signature", _SEQUENCE)
    issuer = _name(tbs.read("issuer", _SEQUENCE))
    validity = tbs.read("validity", _SEQUENCE)
    times = []
    for field in ("notBefore", "notAfter"):
        tag = validity.peek()
        if tag not in (_UTC_TIME, _GENERALIZED_TIME):
            tag = _UTC_TIME   # lets read() report the missing or wrong field
        times.append(_time(tag, validity.read(field, tag)))
    validity.finish()
    subject = _name(tbs.read("subject", _SEQUENCE))
    return version, serial, issuer, times, subject


def read_names(der_bytes):
    """Subject and issuer of a certificate whose later fields (key, extensions) may be unreadable.

    Evidence for a certificate that :func:`read_certificate` refuses: reads only the TBS fields up to
    the subject, with the same bounds. Returns ``subject``, ``issuer`` (RFC 4514) and ``issuer_names``
    (issuer CN values, then O values). Raises :class:`DERError`.
    """
    der_bytes = _certificate_bytes(der_bytes)
    top = _Reader(der_bytes, 0, len(der_bytes), "")
    tbs = top.read("certificate", _SEQUENCE).read("tbsCertificate", _SEQUENCE)
    _version, _serial, issuer, _times, subject = _tbs_names(tbs)
    return {"subject": rfc4514_string(subject), "issuer": rfc4514_string(issuer),
            "issuer_names": _values(issuer, "CN") + _values(issuer, "O")}


def read_certificate(der_bytes):
    """What the probe reports about one DER-encoded X.509 certificate.

    Returns a dict: ``subject``, ``issuer`` (RFC 4514 strings, most specific first),
    ``subject_attributes``, ``issuer_attributes`` ([(short name or dotted OID, value)] in certificate
    order), ``issuer_names`` (issuer CN values, then O values), ``not_before``, ``not_after``
    (``YYYY-MM-DDTHH:MM:SSZ``), ``sha256`` (lower hex of the DER), ``serial_number`` (int),
    ``version`` (1-3), ``is_ca`` (basicConstraints cA, else False), ``path_length`` (or None),
    ``extension_oids`` (dotted, in order), ``critical_extension_oids`` and ``subject_alt_names``
    ([(kind, value)], kind DNS, IP, email, URI, dirName or other:N). Raises :class:`DERError`.
    """
    der_bytes = _certificate_bytes(der_bytes)
    top = _Reader(der_bytes, 0, len(der_bytes), "")
    cert = top.read("certificate", _SEQUENCE)
    top.finish()
    tbs = cert.read("tbsCertificate", _SEQUENCE)
    cert.read("signatureAlgorithm", _SEQUENCE)
    signature = cert.read("signatureValue", _BIT_STRING)
    cert.finish()
    if signature.at_end() or signature.data[signature.pos] > 7:
        raise DERError("%s: BIT STRING has no valid unused-bits octet" % signature.where)
    version, serial, issuer, times, subject = _tbs_names(tbs)
    tbs.read("subjectPublicKeyInfo", _SEQUENCE)
    for tag, field in ((_ISSUER_UID, "issuerUniqueID"), (_SUBJECT_UID, "subjectUniqueID")):
        if tbs.peek() == tag:
            tbs.read(field, tag)
    extensions = {}
    if tbs.peek() == _EXTENSIONS:
        extensions = _extensions(tbs.read("extensions", _EXTENSIONS))
    tbs.finish()

    is_ca, path_length = False, None
    if OID_BASIC_CONSTRAINTS in extensions:
        is_ca, path_length = _basic_constraints(extensions[OID_BASIC_CONSTRAINTS][1])
    alt_names = []
    if OID_SUBJECT_ALT_NAME in extensions:
        alt_names = _subject_alt_names(extensions[OID_SUBJECT_ALT_NAME][1])
    return {
        "subject": rfc4514_string(subject),
        "issuer": rfc4514_string(issuer),
        "subject_attributes": _attributes(subject),
        "issuer_attributes": _attributes(issuer),
        "issuer_names": _values(issuer, "CN") + _values(issuer, "O"),
        "not_before": times[0],
        "not_after": times[1],
        "sha256": hashlib.sha256(der_bytes).hexdigest(),
        "serial_number": serial,
        "version": version,
        "is_ca": is_ca,
        "path_length": path_length,
        "extension_oids": list(extensions),
        "critical_extension_oids": [oid for oid, (critical, dummy) in extensions.items() if critical],
        "subject_alt_names": alt_names,
    }


def pem_to_ders(text):
    """DER bytes of every ``CERTIFICATE`` block in PEM text (str or bytes), in order."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("ascii")
        except UnicodeDecodeError:
            raise DERError("PEM text holds non-ASCII bytes") from None
    if not isinstance(text, str):
        raise DERError("PEM text must be str or bytes, not %s" % type(text).__name__)
    ders = []
    for number, match in enumerate(_PEM_BLOCK_RE.finditer(text)):
        try:
            der = ssl.PEM_cert_to_DER_cert(match.group(0).replace("\r\n", "\n"))
        except (ValueError, binascii.Error) as exc:
            raise DERError("PEM certificate block %d is not valid base64: %s" % (number + 1, exc)) from None
        if not der:
            raise DERError("PEM certificate block %d is empty" % (number + 1))
        ders.append(der)
    if not ders:
        raise DERError("no -----BEGIN CERTIFICATE----- block found in the PEM text")
    return ders
