# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Bounded, deterministically seeded fuzz of what parses hostile input on the Mac (issue 20).

* the DER reader (``der.py``) and the chain evidence built on it (``tlsinspect.describe``), seeded from the
  nine shipped trust anchors (``anchors.py`` is generated from ``../shared/trust-anchors/*.pem``) and one
  leaf with every alternative-name kind;
* the ``scutil --proxy`` parser and the path choice built on it (``sysproxy.py``);
* the ``security verify-cert`` result parser (``keychain.py``).

Each input must give a result or the module's own error, never another exception, within a CPU bound per
input (``process_time``, so a busy machine does not matter; the bound is ten times the slowest input seen).
The counts per family are printed (``pytest -s``). Standard library only: it also runs under the stock 3.9.
"""

from __future__ import annotations

import random
import ssl
import sys
import time

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe import anchors, der, keychain, sysproxy, tlsinspect
from ansible_collections.macfleet.apple_network.tests.unit.plugins.module_utils._host.probe.hostile_certs import _nodes, oid_tlv, tlv
from ansible_collections.macfleet.apple_network.tests.unit.plugins.module_utils._host.probe.test_sysproxy_keychain import (
    DEFAULT_MAC,
    EXPLICIT,
    PAC,
    SCOPED,
    SIMPLE,
    WPAD,
)

CPU_BOUND = 0.25   # seconds of CPU per input; a missing bound costs seconds (a 60 KB OID: about 0.5 s)
SEED = 20

# A leaf with DNS, IP, IP/mask, email, URI, dirName and registeredID alternative names, basicConstraints and an
# unknown extension (built once with cryptography; the fuzz itself needs only the standard library).
SEED_LEAF = """-----BEGIN CERTIFICATE-----
MIICVDCCAfqgAwIBAgIKAP8A/wD/AP8A/zAKBggqhkjOPQQDAjA7MQswCQYDVQQG
EwJVUzEVMBMGA1UECgwMRnV6eiBTZWVkIENBMRUwEwYDVQQDDAxGdXp6IFNlZWQg
Q0EwHhcNMjYwMTAxMDAwMDAwWhcNMzUxMjMwMDAwMDAwWjBDMRkwFwYDVQQDDBBz
ZWVkLmV4YW1wbGUub3JnMRcwFQYDVQQLDA5aw7xyaWNoIOadseS6rDENMAsGA1UE
BRMEMDA0MjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABKAauGaf4HUK9Ng38E8/
fy7QO4nJ4l6xMcuJoIZN2+BFwWDw8t22FKmkHDDgSYmfwMoAoM0JahVkPcqtmHS8
DQajgd0wgdowEgYDVR0TAQH/BAgwBgEB/wIBADCBsQYDVR0RBIGpMIGmghBzZWVk
LmV4YW1wbGUub3JnhwTAAAIBhyAgAQ24AAAAAAAAAAAAAAAA/////wAAAAAAAAAA
AAAAAIEPcGtpQGV4YW1wbGUub3JnhhVodHRwczovL2V4YW1wbGUub3JnL3ikPTA7
MQswCQYDVQQGEwJVUzEVMBMGA1UECgwMRnV6eiBTZWVkIENBMRUwEwYDVQQDDAxG
dXp6IFNlZWQgQ0GIAyoDBDAQBgoqhkiG92NkBgIMBAIFADAKBggqhkjOPQQDAgNI
ADBFAiEA0E/MhNBhbkIvnzDBLn1iZkIcMrjc2WzyL1DfcKcBYRsCIGIdZqSxoRq9
ErRykkAsh2KNrlD0nef85+xU8eoGjYcj
-----END CERTIFICATE-----
"""


class _Tally:
    def __init__(self):
        self.rows = {}

    def add(self, family, outcome):
        row = self.rows.setdefault(family, {"tried": 0, "accepted": 0, "refused": 0, "changed": 0})
        row["tried"] += 1
        row[outcome] += 1

    def report(self, title):
        print("\n%s" % title)
        for family, row in sorted(self.rows.items()):
            print("  %-18s tried %6d  accepted %6d  refused cleanly %6d  changed anything %d"
                  % (family, row["tried"], row["accepted"], row["refused"], row["changed"]))


@pytest.fixture
def no_int_digit_limit():
    """Python's int-to-text digit limit off, as on interpreters without it: a missing bound shows as CPU."""
    setter = getattr(sys, "set_int_max_str_digits", None)
    if setter is None:
        yield
        return
    old = sys.get_int_max_str_digits()
    setter(0)
    yield
    setter(old)


def _check(tally, family, func, data, own_error, failures):
    started = time.process_time()
    try:
        func(data)
        outcome = "accepted"
    except own_error:
        outcome = "refused"
    except Exception as exc:  # pylint: disable=broad-except
        outcome = "changed"
        failures.append((family, repr(exc)[:200], data[:80]))
    spent = time.process_time() - started
    if spent > CPU_BOUND:
        outcome = "changed"
        failures.append((family, "%.3f s of CPU" % spent, data[:80]))
    tally.add(family, outcome)


# ---------------------------------------------------------------- DER


def _seeds():
    return [ssl.PEM_cert_to_DER_cert(anchor["pem"]) for anchor in anchors.ANCHORS] + [ssl.PEM_cert_to_DER_cert(SEED_LEAF)]


def _headers(data, base=0, found=None):
    """[(offset of the TLV, tag, length of its header)] for every TLV in a DER tree."""
    found = [] if found is None else found
    for tag, content, whole in _nodes(data):
        header = len(whole) - (sum(len(c[2]) for c in content) if isinstance(content, list) else len(content))
        found.append((base, tag, header))
        if isinstance(content, list):
            _headers(whole[header:], base + header, found)
        base += len(whole)
    return found


def _replace(data, old, new):
    """``data`` with the TLV bytes ``old`` replaced by ``new`` and every enclosing length re-encoded."""
    out = b""
    for tag, content, whole in _nodes(data):
        if whole == old:
            out += new
        elif isinstance(content, list):
            out += tlv(tag, _replace(whole[len(whole) - sum(len(c[2]) for c in content):], old, new))
        else:
            out += whole
    return out


def _elements(data, tag):
    return [data[offset:offset + header] for offset, found, header in _headers(data) if found == tag]


def _tlv_at(data, offset, header):
    first = data[offset + 1]
    length = first if first < 0x80 else int.from_bytes(data[offset + 2:offset + header], "big")
    return data[offset:offset + header + length]


def _der_cases(rng):
    """(family, bytes) for every mutation family, deterministic for one ``rng``."""
    seeds = _seeds()
    headers = [_headers(seed) for seed in seeds]
    for _round in range(400):
        index = rng.randrange(len(seeds))
        seed, marks = seeds[index], headers[index]
        data = bytearray(seed)
        for _flip in range(rng.randint(1, 4)):
            spot = rng.randrange(len(data))
            data[spot] ^= 1 << rng.randrange(8)
        yield "bit_flip", bytes(data)

        offset, _tag, header = rng.choice(marks)
        length_field = rng.choice([b"\x80", b"\x81\x05", b"\x84\xff\xff\xff\xff", b"\x82\xff\xff", b"\x85\x01\x00\x00\x00\x00",
                                   b"\xff", b"\x00", bytes([max(seed[offset + 1] - 1, 0)]), b"\x83\x01\x00\x00", b"\x82\x00\x81"])
        yield "length_edit", seed[:offset + 1] + length_field + seed[offset + header:]

        cut = rng.randrange(len(seed))
        yield "truncation", seed[:cut]
        yield "truncation", seed + bytes(rng.randrange(256) for _byte in range(rng.randint(1, 8)))

        offset, _tag, header = rng.choice(marks)
        yield "huge_length", seed[:offset + 1] + b"\x84" + rng.randrange(0x01000000, 0xFFFFFFFF).to_bytes(4, "big") + seed[offset + header:]

    # Sub-identifiers of about 30 to 60,000 decimal digits (7 bits per octet), written directly in base 128.
    prefix = oid_tlv([1, 3, 6, 1, 4, 1])[2:]
    long_oids = dict((octets, tlv(0x06, prefix + b"\xff" * (octets - 1) + b"\x7f")) for octets in (14, 143, 1428, 2380, 9520, 28500))
    nestings = {}
    for seed in seeds:
        oids = [_tlv_at(seed, offset, header) for offset, tag, header in _headers(seed) if tag == 0x06]
        integers = [_tlv_at(seed, offset, header) for offset, tag, header in _headers(seed) if tag == 0x02]
        names = [_tlv_at(seed, offset, header) for offset, tag, header in _headers(seed) if tag == 0x31]
        for _round in range(8):
            if rng.random() < 0.7:
                oid = long_oids[rng.choice(sorted(long_oids))]
            else:
                oid = oid_tlv([1, 3] + [rng.randrange(128) for _arc in range(rng.choice([100, 5000, 40000]))])
            yield "long_oid", _replace(seed, rng.choice(oids), oid)
            size = rng.choice([21, 65, 4096, 60000])
            yield "long_integer", _replace(seed, rng.choice(integers), tlv(0x02, b"\x01" + rng.getrandbits(size * 8).to_bytes(size, "big")))
            yield "long_integer", _replace(seed, rng.choice(integers), tlv(0x02, b"\x00\x01"))
            depth = rng.choice([20, 1000, 20000])
            if depth not in nestings:
                nested = b"\x05\x00"
                for _level in range(depth):
                    nested = tlv(rng.choice([0x30, 0x31, 0xA4]), nested)
                nestings[depth] = nested
            yield "deep_nesting", _replace(seed, rng.choice(names), nestings[depth])
            count = rng.choice([100, 1000, 5000, 25000])
            many = tlv(0x31, tlv(0x30, oid_tlv([2, 5, 4, 3]) + tlv(0x0C, b"x")))
            yield "many_elements", _replace(seed, rng.choice(names), many * count)
            text = rng.choice([b"\xff\xfe", b"\xed\xa0\x80", "\u202e\u0000".encode("utf-8"), b"a" * 70000, b"x" * 17000])
            value = tlv(rng.choice([0x0C, 0x13, 0x1E, 0x1C, 0x14]), text)
            yield "strings", _replace(seed, rng.choice(names), tlv(0x31, tlv(0x30, oid_tlv([2, 5, 4, 3]) + value)))


def _describe(data):
    """The chain evidence must never raise: an unreadable certificate becomes text, not an exception."""
    entry = tlsinspect.describe([data])[0]
    tlsinspect.resigning_ca([entry])
    if "error" in entry:
        raise der.DERError(entry["error"])


def test_der_reader_fuzz(no_int_digit_limit):
    rng = random.Random(SEED)
    tally, evidence, failures = _Tally(), _Tally(), []
    tlsinspect._READ_CACHE.clear()
    for family, data in _der_cases(rng):
        _check(tally, family, der.read_certificate, data, der.DERError, failures)
        _check(tally, "names:" + family, der.read_names, data, der.DERError, failures)
        _check(evidence, family, _describe, data, der.DERError, failures)
    tlsinspect._READ_CACHE.clear()
    tally.report("DER reader (read_certificate, read_names), seed %d" % SEED)
    evidence.report("chain evidence (tlsinspect.describe)")
    assert not failures, failures[:10]
    assert all(row["refused"] > 0 for row in tally.rows.values()), tally.rows


# ---------------------------------------------------------------- scutil --proxy


def _scutil_cases(rng):
    seeds = [DEFAULT_MAC, EXPLICIT, PAC, SCOPED, SIMPLE, WPAD]
    junk = ["}", "{", " : ", "<array> {", "<dictionary> {", "0 : x", "HTTPSPort : 99999999999999999999999999",
            "HTTPSPort : " + "9" * 5000, "HTTPSEnable : -1", "ExceptionsList : <dictionary> {", "\x00", "\u2028", "\u202e",
            "HTTPSProxy : <array> {", "1 : *.apple.com", "  HTTPSEnable : 1", "ExceptionsList : " + "*." * 3000 + "com"]
    for _round in range(400):
        lines = rng.choice(seeds).splitlines()
        for _edit in range(rng.randint(1, 3)):
            what, spot = rng.randrange(5), rng.randrange(len(lines))
            if what == 0:
                del lines[spot]
            elif what == 1:
                lines.insert(spot, rng.choice(junk))
            elif what == 2:
                lines[spot] = lines[spot][:rng.randrange(len(lines[spot]) + 1)]
            elif what == 3:
                lines.insert(spot, lines[spot])
            else:
                line = list(lines[spot])
                if line:
                    line[rng.randrange(len(line))] = chr(rng.choice([0, 0x7B, 0x7D, 0x3A, 0x20, 0x85, 0x2028, 0xFFFF, rng.randrange(0x10FFFF)]))
                lines[spot] = "".join(line)
        yield "line_edits", "\n".join(lines)
        raw = bytes(rng.randrange(256) for _byte in range(rng.randint(0, 400)))
        yield "raw_bytes", b"<dictionary> {\n" + raw + b"\n}\n"
        if _round % 10:
            continue
        depth = rng.choice([10, 1000, 20000])
        yield "deep_nesting", "<dictionary> {\n" + "a : <dictionary> {\n" * depth + "}\n" * (depth + 1)
        yield "huge_array", "<dictionary> {\nExceptionsList : <array> {\n" + "".join(
            "%d : %s\n" % (i, rng.choice(["*.local", "10/8", "[::1]", "*", "a*b", "", "x" * 300])) for i in range(rng.choice([10, 300, 1000]))) + "}\n" \
            "HTTPSEnable : 1\nHTTPSPort : 8080\nHTTPSProxy : p.example\n}\n"


def _scutil_path(text):
    settings = sysproxy.system_proxy_settings(sysproxy.parse_scutil_proxy(text))
    for host, is_address in (("swscan.apple.com", False), ("17.253.0.1", True), ("gdmf", False), ("::1", True)):
        for tls, http in ((True, False), (False, True), (False, False)):
            path = sysproxy.choose_path(settings, host, 443, tls, http, is_address)
            assert path["mode"] in sysproxy.PATH_MODES, path


def test_scutil_proxy_parser_fuzz():
    rng = random.Random(SEED)
    tally, failures = _Tally(), []
    for family, text in _scutil_cases(rng):
        _check(tally, family, _scutil_path, text, sysproxy.SystemProxyError, failures)
    tally.report("scutil --proxy parser and path choice, seed %d" % SEED)
    assert not failures, failures[:10]


# ---------------------------------------------------------------- security verify-cert


def _verify_cert_cases(rng):
    texts = [keychain.SUCCESS_TEXT, "Cert Verify Result: CSSMERR_TP_NOT_TRUSTED", "SecTrustEvaluate result: 5",
             "Usage: verify-cert [-c certFile]", "", "\x00", "\u202e", "\r", "x" * 100000]
    for _round in range(800):
        parts = [rng.choice(texts)[:rng.randrange(200)] if rng.random() < 0.3 else rng.choice(texts) for _part in range(rng.randint(0, 4))]
        text = rng.choice(["\n", "\r\n", "\u2028", ""]).join(parts)
        out = text.encode("utf-8") + bytes(rng.randrange(256) for _byte in range(rng.randint(0, 16))) if rng.random() < 0.5 else text
        rc = rng.choice([0, 1, 2, 255, -9, None, 10 ** 30])
        yield "output", (rc, out, rng.choice([text, b"\xff\xfe", None, ""]))


def test_verify_cert_parser_fuzz():
    rng = random.Random(SEED)
    tally, failures = _Tally(), []

    def parse(args):
        trusted, detail = keychain.parse_verify_cert(*args)
        assert trusted in (True, False) and isinstance(detail, str)
        assert not trusted or args[0] == 0

    for family, args in _verify_cert_cases(rng):
        _check(tally, family, parse, args, (), failures)
    tally.report("security verify-cert result parser, seed %d" % SEED)
    assert not failures, failures[:10]


# ---------------------------------------------------------------- each bound, named in the reader's own error


def _with(old, new):
    """The seed leaf with the TLV ``old`` (a tag: its first TLV of that tag) replaced by ``new``."""
    seed = _seeds()[-1]
    if isinstance(old, int):
        old = next(_tlv_at(seed, offset, header) for offset, tag, header in _headers(seed) if tag == old)
    return _replace(seed, old, new)


@pytest.mark.parametrize("data, message", [
    (lambda: b"\x30\x84\x00\x02\x00\x01" + b"\x00" * (der.MAX_CERTIFICATE_BYTES - 5), "larger than the 131072 bytes"),
    (lambda: _with(oid_tlv([2, 5, 4, 6]), tlv(0x06, b"\x2b" + b"\x01" * 64)), "OBJECT IDENTIFIER of 65 bytes is longer than the 64 bytes"),
    (lambda: _with(oid_tlv([2, 5, 4, 6]), tlv(0x06, b"\x2b" + b"\xff" * 19 + b"\x01")), "sub-identifier 2 is longer than 19 bytes"),
    (lambda: _with(0x02, tlv(0x02, b"\x01" * 65)), "INTEGER of 65 bytes is longer than the 64 bytes"),
    (lambda: _with(0x31, tlv(0x31, tlv(0x30, oid_tlv([2, 5, 4, 3]) + tlv(0x0C, b"x" * 17000)))), "longer than the 16384 bytes"),
    (lambda: _with(0x31, tlv(0x31, tlv(0x30, oid_tlv([2, 5, 4, 3]) + tlv(0x0C, b"x"))) * 6000), "more than 20000 elements"),
])
def test_each_bound_is_named_in_the_readers_own_error(data, message):
    with pytest.raises(der.DERError) as err:
        der.read_certificate(data())
    assert message in str(err.value), str(err.value)


def test_nesting_depth_is_bounded():
    """X.509 as read here nests at most 12 levels, so only a reader asked to go deeper meets the bound."""
    nested = b"\x05\x00"
    for _level in range(40):
        nested = tlv(0x30, nested)
    reader = der._Reader(nested, 0, len(nested), "")
    with pytest.raises(der.DERError, match="nested deeper than 16 levels"):
        for _level in range(40):
            reader = reader.read("level", 0x30)
