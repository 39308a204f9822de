# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The shipped trust anchors, Apple's pin rules and the stdlib DER reader (checked against cryptography)."""

from __future__ import annotations

import datetime
import hashlib
import importlib.util
import os
import random
import ssl
from pathlib import Path

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe import anchors, der
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.anchors import ANCHORS, PIN_RULES, anchor_pem, pin_policy, pin_rule
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.der import DERError, pem_to_ders, read_certificate

x509 = pytest.importorskip("cryptography.x509")
trustme = pytest.importorskip("trustme")
from cryptography.hazmat.primitives import hashes  # noqa: E402  pylint: disable=wrong-import-position
from cryptography.hazmat.primitives.asymmetric import ec, padding  # noqa: E402  pylint: disable=wrong-import-position
from cryptography.hazmat.primitives.serialization import Encoding  # noqa: E402  pylint: disable=wrong-import-position
from cryptography.x509.name import _ASN1Type  # noqa: E402  pylint: disable=wrong-import-position
from cryptography.x509.oid import NameOID  # noqa: E402  pylint: disable=wrong-import-position

COLLECTION_ROOT = Path(__file__).resolve().parents[6]

# The table test: what the collection ships, written out by hand. A change to ANCHORS must change this
# table too (see "Adding a successor anchor" in docs/docsite/rst/trust_anchors.rst).
SHIPPED = (
    ("apple-root-ca.pem", "b0b1730ecbc7ff4505142c49f1295e6eda6bcaed7e2c68c5be91b5a11001f024", "2035-02-09", True),
    ("apple-root-ca-g2.pem", "c2b9b042dd57830e7d117dac55ac8ae19407d38e41d88f3215bc3a890444a050", "2039-04-30", True),
    ("apple-root-ca-g3.pem", "63343abfb89a6a03ebb57e9b3f5fa7be7c4f5c756f3017b3a8c488c3653e9179", "2039-04-30", True),
    ("digicert-global-root-g2.pem", "cb3ccbb76031e5e0138f8dd39a23f9de47ffc35e43c1144cea27d46a5ab1cb5f", "2038-01-15", False),
    ("digicert-global-root-g3.pem", "31ad6648f8104138c738f39ea4320133393e3a18cc02296ef97c2ac9ef6731d0", "2038-01-15", False),
    ("digicert-high-assurance-ev-root-ca.pem", "7431e5f4c3c1ce4690774f0b61e05440883ba9a01ed00ba6abd7806ed3b118cf", "2031-11-10", False),
    ("aaa-certificate-services.pem", "d7a7a0fb5d7e2731d771e9484ebcdef71d5f0c3e0a2948782bc83ee0ea699ef4", "2028-12-31", False),
    ("usertrust-rsa-certification-authority.pem", "e793c9b02fd8aa13e21c31228accb08119643b749c898964b1746d46c3d4cbd2", "2038-01-18", False),
    ("comodo-ecc-certification-authority.pem", "1793927a0614549789adce2f8f34f7f0b66d0f3ae3a3b84d21ec15dbba4fadc7", "2038-01-18", False),
)

SUCCESSOR_HELP = ("add the successor root as described in docs/docsite/rst/trust_anchors.rst (section 'Adding a successor "
                  "anchor'): put its PEM file in shared/trust-anchors/, run python hacking/trust_anchors.py, and update SHIPPED "
                  "in this test")


def _der(anchor):
    ders = pem_to_ders(anchor["pem"])
    assert len(ders) == 1
    return ders[0]


def _ancestor_environ(name):
    """``name`` from the environment of an ancestor process (Linux /proc), or None.

    ``ansible-test units`` hands pytest a fixed environment, so MACFLEET_REPO_ROOT exported by
    hacking/test-all.sh reaches only the processes above it.
    """
    pid = os.getpid()
    for dummy in range(12):
        try:
            with open("/proc/%d/environ" % pid, "rb") as handle:
                for item in handle.read().split(b"\0"):
                    key, sep, value = item.partition(b"=")
                    if sep and key.decode("utf-8", "replace") == name:
                        return value.decode("utf-8", "replace")
            with open("/proc/%d/stat" % pid, "rb") as handle:
                pid = int(handle.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return None
        if pid <= 1:
            return None
    return None


def _shared_anchors_dir():
    """``shared/trust-anchors`` beside the repository: MACFLEET_REPO_ROOT, then the folders above this file."""
    starts = []
    for root in (os.environ.get("MACFLEET_REPO_ROOT"), _ancestor_environ("MACFLEET_REPO_ROOT")):
        if root:
            starts.append(Path(root).resolve())
    starts.append(Path(__file__).resolve())
    for start in starts:
        for folder in [start] + list(start.parents):
            candidate = folder / "shared" / "trust-anchors"
            if candidate.is_dir():
                return candidate
    return None


# ---------------------------------------------------------------- the shipped anchors


def test_shipped_table():
    assert [(a["file"], a["sha256"], a["not_after"], a["apple"]) for a in ANCHORS] == list(SHIPPED)
    assert set(ANCHORS[0]) == {"file", "name", "sha256", "not_after", "apple", "pem"}


@pytest.mark.parametrize("anchor", ANCHORS, ids=[a["file"] for a in ANCHORS])
def test_anchor_matches_its_certificate(anchor):
    pem = anchor["pem"]
    assert pem.startswith("-----BEGIN CERTIFICATE-----\n") and pem.endswith("-----END CERTIFICATE-----\n")
    assert pem.count("-----BEGIN") == 1
    data = _der(anchor)
    assert anchor["sha256"] == hashlib.sha256(data).hexdigest()
    mine = read_certificate(data)
    assert mine["sha256"] == anchor["sha256"]
    assert [value for key, value in mine["subject_attributes"] if key == "CN"] == [anchor["name"]]
    assert mine["not_after"][:10] == anchor["not_after"]
    assert mine["is_ca"] is True
    assert mine["subject"] == mine["issuer"]
    assert anchor["apple"] == (("O", "Apple Inc.") in mine["subject_attributes"])

    theirs = x509.load_der_x509_certificate(data)
    _same_as_cryptography(mine, theirs, data)
    _verify_self_signature(theirs)


def _verify_self_signature(cert):
    """A genuine self-signed root: its signature verifies with its own key (SHA-1 roots by hand)."""
    try:
        cert.verify_directly_issued_by(cert)
    except ValueError as exc:   # cryptography refuses SHA-1 signatures here; three shipped roots use them
        assert "Unsupported signature algorithm" in str(exc)
        assert isinstance(cert.signature_hash_algorithm, hashes.SHA1)
        cert.public_key().verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)


def test_anchor_pem():
    assert anchor_pem() == "".join(a["pem"] for a in ANCHORS)
    apple = anchor_pem(apple_only=True)
    assert [hashlib.sha256(d).hexdigest() for d in pem_to_ders(apple)] == [a["sha256"] for a in ANCHORS if a["apple"]]
    assert len(pem_to_ders(apple)) == 3


def test_anchors_load_into_stdlib_ssl():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=anchor_pem())
    loaded = context.get_ca_certs()
    assert len(loaded) == 9
    assert set(ssl.DER_cert_to_PEM_cert(d) for d in pem_to_ders(anchor_pem())) \
        == set(ssl.DER_cert_to_PEM_cert(d) for d in context.get_ca_certs(binary_form=True))
    apple = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    apple.load_verify_locations(cadata=anchor_pem(apple_only=True))
    assert sorted(dict(x[0] for x in c["subject"])["commonName"] for c in apple.get_ca_certs()) \
        == ["Apple Root CA", "Apple Root CA - G2", "Apple Root CA - G3"]


@pytest.mark.parametrize("anchor", ANCHORS, ids=[a["file"] for a in ANCHORS])
def test_each_anchor_loads_alone(anchor):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=anchor["pem"])
    assert context.get_ca_certs(binary_form=True) == [_der(anchor)]


# ---------------------------------------------------------------- expiry guard


def _one_year_before(day):
    try:
        return day.replace(year=day.year - 1)
    except ValueError:   # 29 February
        return day.replace(year=day.year - 1, day=28)


def expiring_anchors(today):
    """Anchors whose not-after date is less than a year (365 days, 366 across 29 February) after ``today``."""
    return [a for a in ANCHORS if today >= _one_year_before(datetime.date(*map(int, a["not_after"].split("-"))))]


def expiry_message(today):
    soon = expiring_anchors(today)
    if not soon:
        return None
    return "trust anchors expire within a year of %s: %s; %s" % (
        today.isoformat(), ", ".join("%s (%s) on %s" % (a["name"], a["file"], a["not_after"]) for a in soon), SUCCESSOR_HELP)


def test_expiry_guard():
    """Fails on the real date a year before a shipped anchor expires (AAA Certificate Services: from 2027-12-31)."""
    message = expiry_message(datetime.date.today())
    assert message is None, message


@pytest.mark.parametrize("today, names", [
    (datetime.date(2026, 11, 29), []),
    (datetime.date(2027, 12, 30), []),
    (datetime.date(2027, 12, 31), ["AAA Certificate Services"]),
    (datetime.date(2028, 1, 1), ["AAA Certificate Services"]),
    (datetime.date(2030, 11, 9), ["AAA Certificate Services"]),
    (datetime.date(2030, 11, 10), ["DigiCert High Assurance EV Root CA", "AAA Certificate Services"]),
])
def test_expiry_guard_fires(today, names):
    assert [a["name"] for a in expiring_anchors(today)] == names
    message = expiry_message(today)
    if names:
        assert "AAA Certificate Services (aaa-certificate-services.pem) on 2028-12-31" in message
        assert "docs/docsite/rst/trust_anchors.rst" in message and "hacking/trust_anchors.py" in message
    else:
        assert message is None


# ---------------------------------------------------------------- pin rules


@pytest.mark.parametrize("host", [
    "gdmf.apple.com", "courier.push.apple.com", "init.push.apple.com", "courier2.push.apple.com",
    "1-courier.push.apple.com", "47-courier.push.apple.com", "gs.apple.com", "humb.apple.com", "tbsc.apple.com",
    "axm-adm-mdm.apple.com", "axm-adm-scep.apple.com", "axm-adm-enroll.apple.com", "gsa.apple.com",
    "GDMF.Apple.COM", "gs.apple.com.", "12-Courier.Push.Apple.Com.",
])
def test_pin_rule_apple_only(host):
    assert pin_rule(host) == "apple"
    assert pin_policy(host)[2] == "apple"


@pytest.mark.parametrize("host", [
    "swscan.apple.com", "swcdn.apple.com", "www.apple.com", "evilgs.apple.com", "gs.apple.com.evil.net",
    "mesu.apple.com", "api.push.apple.com", "courier.push.apple.com.evil.net", "x-courier.push.apple.com",
    "-courier.push.apple.com", "1-courier2.push.apple.com", "1-courier.push.apple.com\n", "gs.apple.com..",
    "push.apple.com", "apple.com", "", ".", "gs.apple.com ", "1\u0661-courier.push.apple.com",
])
def test_pin_rule_any(host):
    assert pin_rule(host) == "any"
    assert pin_policy(host) is None


def test_pin_rules_table():
    assert all(len(rule) == 3 and rule[2] == "apple" for rule in PIN_RULES)
    patterns = [rule[0] for rule in PIN_RULES]
    assert len(patterns) == len(set(patterns)) == 12
    for pattern, dummy, rule in PIN_RULES:
        assert pin_rule(pattern.replace("N-", "3-")) == rule
    assert pin_policy("1-courier.push.apple.com")[0] == "N-courier.push.apple.com"
    with pytest.raises(TypeError):
        pin_rule(None)


# ---------------------------------------------------------------- der.py against cryptography


def _san(general_name):
    if isinstance(general_name, x509.DNSName):
        return ("DNS", general_name.value)
    if isinstance(general_name, x509.IPAddress):
        return ("IP", str(general_name.value))
    if isinstance(general_name, x509.RFC822Name):
        return ("email", general_name.value)
    if isinstance(general_name, x509.UniformResourceIdentifier):
        return ("URI", general_name.value)
    if isinstance(general_name, x509.DirectoryName):
        return ("dirName", general_name.value.rfc4514_string())
    raise AssertionError(general_name)


def _same_as_cryptography(mine, theirs, data):
    assert mine["subject"] == theirs.subject.rfc4514_string()
    assert mine["issuer"] == theirs.issuer.rfc4514_string()
    # Attribute values are shown through visible_text (a NUL comes back as the text \x00).
    assert mine["subject_attributes"] == [(der.NAME_OIDS.get(a.oid.dotted_string, a.oid.dotted_string), der.visible_text(a.value))
                                          for a in theirs.subject]
    assert mine["issuer_attributes"] == [(der.NAME_OIDS.get(a.oid.dotted_string, a.oid.dotted_string), der.visible_text(a.value))
                                         for a in theirs.issuer]
    assert mine["issuer_names"] == ([a.value for a in theirs.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)]
                                    + [a.value for a in theirs.issuer.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)])
    assert mine["not_before"] == theirs.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert mine["not_after"] == theirs.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert mine["sha256"] == theirs.fingerprint(hashes.SHA256()).hex() == hashlib.sha256(data).hexdigest()
    assert mine["serial_number"] == theirs.serial_number
    assert mine["version"] == theirs.version.value + 1
    assert mine["extension_oids"] == [e.oid.dotted_string for e in theirs.extensions]
    assert mine["critical_extension_oids"] == [e.oid.dotted_string for e in theirs.extensions if e.critical]
    try:
        constraints = theirs.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        assert (mine["is_ca"], mine["path_length"]) == (False, None)
    else:
        assert (mine["is_ca"], mine["path_length"]) == (constraints.ca, constraints.path_length)
    try:
        names = theirs.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        assert mine["subject_alt_names"] == []
    else:
        assert mine["subject_alt_names"] == [_san(n) for n in names]


@pytest.fixture(scope="module")
def trustme_chain():
    root = trustme.CA(organization_name="Example, Inc. + Friends", organization_unit_name="#1 Testing CA ")
    intermediate = root.create_child_ca()
    leaf = intermediate.issue_cert(
        "swscan.example.org", "*.cdn.example.org", "xn--xampl-9rat.org", "192.0.2.10", "2001:db8::1", "10.0.0.0/8",
        "admin@example.org", common_name="swscan.example.org", organization_name="Apple Inc.")
    return root, intermediate, leaf


def test_trustme_chain_against_cryptography(trustme_chain):
    root, intermediate, leaf = trustme_chain
    pems = {"root": root.cert_pem.bytes(), "intermediate": intermediate.cert_pem.bytes(), "leaf": leaf.cert_chain_pems[0].bytes()}
    read = {}
    for role, pem in pems.items():
        data = pem_to_ders(pem)[0]
        read[role] = read_certificate(data)
        _same_as_cryptography(read[role], x509.load_der_x509_certificate(data), data)
    assert read["root"]["is_ca"] and read["intermediate"]["is_ca"] and not read["leaf"]["is_ca"]
    assert read["leaf"]["issuer"] == read["intermediate"]["subject"] != read["root"]["subject"]
    assert read["intermediate"]["issuer"] == read["root"]["subject"]
    assert read["root"]["subject"] == "OU=\\#1 Testing CA\\ ,O=Example\\, Inc. \\+ Friends"
    assert read["leaf"]["subject_alt_names"] == [
        ("DNS", "swscan.example.org"), ("DNS", "*.cdn.example.org"), ("DNS", "xn--xampl-9rat.org"),
        ("IP", "192.0.2.10"), ("IP", "2001:db8::1"), ("IP", "10.0.0.0/8"), ("email", "admin@example.org")]
    # the whole served chain (leaf, intermediate) in one PEM text
    chain = b"".join(blob.bytes() for blob in leaf.cert_chain_pems)
    assert [read_certificate(d)["subject"] for d in pem_to_ders(chain)] == [read["leaf"]["subject"], read["intermediate"]["subject"]]


def _built_certificate(subject, issuer=None, not_before=None, not_after=None, extensions=()):
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer or subject)
               .public_key(key.public_key()).serial_number(0x00FF00FF00FF00FF00FF)
               .not_valid_before(not_before or datetime.datetime(1999, 12, 31, 23, 59, 58, tzinfo=datetime.timezone.utc))
               .not_valid_after(not_after or datetime.datetime(2061, 2, 28, 1, 2, 3, tzinfo=datetime.timezone.utc)))
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    cert = builder.sign(key, hashes.SHA256())
    return cert.public_bytes(Encoding.DER), cert


def test_string_types_escaping_and_times_against_cryptography():
    subject = x509.Name([
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "org")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "example")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COUNTRY_NAME, "CH")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "Z\u00fcrich \u6771\u4eac", _ASN1Type.BMPString)]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.LOCALITY_NAME, "Gen\u00e8ve \U0001F34E", _ASN1Type.UniversalString)]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Teletex Org", _ASN1Type.T61String)]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, 'a,b+c"d\\e<f>g;h ')]),
        x509.RelativeDistinguishedName([
            x509.NameAttribute(NameOID.COMMON_NAME, "#hash"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, "0042"),
        ]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.EMAIL_ADDRESS, "pki@example.org")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(x509.ObjectIdentifier("1.3.6.1.4.1.99999.7"), " lead and nul\0")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.JURISDICTION_COUNTRY_NAME, "US")]),
    ])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Issuer CA"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Issuer Org"),
                        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Second Org")])
    data, theirs = _built_certificate(subject, issuer, extensions=[
        (x509.BasicConstraints(ca=True, path_length=0), True),
        (x509.SubjectAlternativeName([x509.DirectoryName(issuer), x509.UniformResourceIdentifier("https://example.org/x")]), False),
        (x509.KeyUsage(True, False, False, False, False, True, True, False, False), True),
    ])
    mine = read_certificate(data)
    _same_as_cryptography(mine, theirs, data)
    assert mine["not_before"] == "1999-12-31T23:59:58Z"   # UTCTime
    assert mine["not_after"] == "2061-02-28T01:02:03Z"    # GeneralizedTime
    assert mine["issuer_names"] == ["Issuer CA", "Issuer Org", "Second Org"]
    assert (mine["is_ca"], mine["path_length"]) == (True, 0)
    assert ("ST", "Z\u00fcrich \u6771\u4eac") in mine["subject_attributes"]
    assert ("emailAddress", "pki@example.org") in mine["subject_attributes"]
    assert ("serialNumber", "0042") in mine["subject_attributes"]
    assert ("jurisdictionC", "US") in mine["subject_attributes"]
    assert mine["subject"].startswith("1.3.6.1.4.1.311.60.2.1.3=US,1.3.6.1.4.1.99999.7=\\ lead and nul\\00,"
                                      "1.2.840.113549.1.9.1=pki@example.org,")
    assert "OU=a\\,b\\+c\\\"d\\\\e\\<f\\>g\\;h\\ ," in mine["subject"]
    assert mine["subject"].endswith(",DC=example,DC=org")


def test_teletex_is_latin1():
    data, dummy = _built_certificate(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")]))
    # swap the CN's UTF8String "x" for a TeletexString "\xe9" (same length): latin-1 "é"
    patched = data.replace(b"\x06\x03\x55\x04\x03\x0c\x01x", b"\x06\x03\x55\x04\x03\x14\x01\xe9")
    assert patched != data
    assert read_certificate(patched)["subject"] == "CN=\u00e9"


def test_bit_string_attribute_is_hex():
    # an attribute of a type der.py does not decode (x500UniqueIdentifier, BIT STRING) is kept as #hex of its DER
    data, dummy = _built_certificate(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")]))
    patched = data.replace(b"\x06\x03\x55\x04\x03\x0c\x01x", b"\x06\x03\x55\x04\x2d\x03\x01\x00")
    mine = read_certificate(patched)
    assert mine["subject"] == "2.5.4.45=#030100"
    assert mine["subject_attributes"] == [("2.5.4.45", "#030100")]


# ---------------------------------------------------------------- der.py error handling


def test_truncated_input_raises_der_error():
    data = _der(ANCHORS[0])
    for size in range(len(data)):
        with pytest.raises(DERError):
            read_certificate(data[:size])


def test_single_byte_corruption_never_escapes_as_another_exception():
    data = _der(ANCHORS[2])
    for index in range(0, len(data)):
        for value in (0x00, 0x80, 0xFF, data[index] ^ 0x01):
            corrupt = data[:index] + bytes([value]) + data[index + 1:]
            try:
                read_certificate(corrupt)
            except DERError:
                pass


def test_random_corruption_never_escapes_as_another_exception(trustme_chain):
    """Seeded mutations (changed, dropped and inserted bytes) of anchors and a leaf with SANs."""
    dummy, dummy, leaf = trustme_chain
    samples = [_der(a) for a in ANCHORS] + pem_to_ders(b"".join(p.bytes() for p in leaf.cert_chain_pems))
    rand = random.Random(20261129)
    for dummy in range(4000):
        data = bytearray(rand.choice(samples))
        for dummy in range(rand.randint(1, 4)):
            where, choice = rand.randrange(len(data)), rand.random()
            if choice < 0.6:
                data[where] = rand.randrange(256)
            elif choice < 0.8:
                del data[where]
            else:
                data.insert(where, rand.randrange(256))
        try:
            read_certificate(bytes(data))
        except DERError:
            pass


@pytest.mark.parametrize("data, message", [
    (b"", "certificate: missing"),
    (b"\x31\x03\x02\x01\x00", "certificate: expected SEQUENCE at byte 0, found SET"),
    (b"\x30\x80\x00\x00", "indefinite length"),
    (b"\x30\x81\x03\x02\x01\x00", "not minimally encoded"),
    (b"\x30\x85\x01\x02\x03\x04\x05", "too large"),
    (b"\x30\x05\x02\x01\x00", "truncated"),
    (b"\x1f\x01\x00", "high-tag-number"),
    (b"\x30\x00", "tbsCertificate: missing"),
    (b"\x30\x02\x30\x00\x00", "unexpected bytes"),
])
def test_malformed_der(data, message):
    with pytest.raises(DERError, match=message.replace("(", r"\(")):
        read_certificate(data)


def test_wrong_tag_and_trailing_bytes_in_a_real_certificate():
    data = _der(ANCHORS[0])
    with pytest.raises(DERError, match="expected SEQUENCE"):
        read_certificate(b"\x31" + data[1:])
    with pytest.raises(DERError, match="unexpected bytes"):
        read_certificate(data + b"\x00")
    # the tbsCertificate's serialNumber INTEGER turned into an OCTET STRING
    tbs_serial = data.index(b"\xa0\x03\x02\x01\x02\x02\x01\x02") + 5   # after the [0] version
    with pytest.raises(DERError, match=r"tbsCertificate\.serialNumber: expected INTEGER"):
        read_certificate(data[:tbs_serial] + b"\x04" + data[tbs_serial + 1:])
    # notBefore as a UTCTime with a 13th month
    start = data.index(b"\x17\x0d060425214036Z")
    with pytest.raises(DERError, match="notBefore: UTCTime '061325214036Z' is not a valid date"):
        read_certificate(data[:start] + b"\x17\x0d061325214036Z" + data[start + 15:])
    with pytest.raises(DERError, match="notBefore: UTCTime '0604252140361' is not YY"):
        read_certificate(data[:start] + b"\x17\x0d0604252140361" + data[start + 15:])
    with pytest.raises(DERError, match="notBefore: UTCTime '060425214036\\\\n' is not YY"):
        read_certificate(data[:start] + b"\x17\x0d060425214036\n" + data[start + 15:])
    with pytest.raises(DERError, match="must be DER bytes"):
        read_certificate(ANCHORS[0]["pem"])


def test_pem_to_ders():
    assert pem_to_ders(anchor_pem()) == [_der(a) for a in ANCHORS]
    assert pem_to_ders(("junk before\r\n" + ANCHORS[0]["pem"] + "junk after").replace("\n", "\r\n").encode()) == [_der(ANCHORS[0])]
    for text in ("", "no certificate here", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", b"\xff"):
        with pytest.raises(DERError):
            pem_to_ders(text)
    with pytest.raises(DERError, match="block 1"):
        pem_to_ders("-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n")
    with pytest.raises(DERError):
        pem_to_ders("-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----\n")


# ---------------------------------------------------------------- hacking/trust_anchors.py


def _script():
    path = COLLECTION_ROOT / "hacking" / "trust_anchors.py"
    if not path.is_file():
        pytest.skip("hacking/trust_anchors.py is not in this copy of the collection")
    spec = importlib.util.spec_from_file_location("_macfleet_trust_anchors_script", str(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_trust_anchors_script_check(capsys):
    source = _shared_anchors_dir()
    if source is None:
        pytest.skip("shared/trust-anchors not found (set MACFLEET_REPO_ROOT to the repository)")
    script = _script()
    assert script.main(["--check", "--source", str(source), "--anchors", anchors.__file__]) == 0, capsys.readouterr().out
    assert "is up to date" in capsys.readouterr().out


def test_trust_anchors_script_regenerates(tmp_path, capsys):
    """The script rebuilds the shipped block from PEM files and notices a missing or changed anchor."""
    script = _script()
    source = tmp_path / "pems"
    source.mkdir()
    for anchor in ANCHORS:
        (source / anchor["file"]).write_text(anchor["pem"].replace("\n", "\r\n"), encoding="ascii")
    (source / "README.md").write_text("".join("| `%s` | x |\n" % a["file"] for a in ANCHORS), encoding="utf-8")
    shipped = Path(anchors.__file__).read_text(encoding="utf-8")
    target = tmp_path / "anchors.py"
    target.write_text(shipped, encoding="utf-8")
    assert script.main(["--check", "--source", str(source), "--anchors", str(target)]) == 0

    (source / "apple-root-ca-g2.pem").unlink()
    assert script.main(["--check", "--source", str(source), "--anchors", str(target)]) == 1
    assert "out of date" in capsys.readouterr().out
    assert script.main(["--source", str(source), "--anchors", str(target)]) == 0
    regenerated = target.read_text(encoding="utf-8")
    assert "PEM_APPLE_ROOT_CA_G2" not in regenerated and regenerated.count('"file": ') == 8
    assert regenerated.split("# BEGIN GENERATED")[0] == shipped.split("# BEGIN GENERATED")[0]

    (source / "not-a-root.pem").write_bytes(_leaf_pem())
    assert script.main(["--check", "--source", str(source), "--anchors", str(target)]) == 2
    assert "not a root" in capsys.readouterr().err


def _leaf_pem():
    leaf = trustme.CA().issue_cert("example.org")
    return leaf.cert_chain_pems[0].bytes()
