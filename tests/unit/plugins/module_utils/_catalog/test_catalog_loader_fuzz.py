# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fuzzing the catalog loader (part of the hostile-input suite).

Mutations of one valid user catalog, family by family, with a fixed seed. Every file either loads as a valid
catalog or is refused with CatalogError naming the file; any other exception fails. Families whose every
mutation must be refused (anchors, aliases, merge keys, tags, oversize files, duplicate keys) are checked for
that too. Run with ``-s`` to see the counts per family: tried, refused, accepted, and accepted with a catalog
different from the unmutated file's.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import random
import re
import signal

import pytest
import yaml

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog import reading
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.catalog import KINDS
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.errors import CatalogError

SEED = 20
CASES_PER_FAMILY = 60
HANG_SECONDS = 60
# The documented limit (catalog guide), spelled out: the test checks the loader keeps to it.
MAX_FILE_BYTES = 8 * 1024 * 1024

BASE_YAML = """catalog_format: 1
edition: acme-2026-01
published: "2026-01-10"
sources:
  acme:
    title: ACME extra hosts
    published: "2026-01-10"
hosts:
  - source: acme
    host: "*.mdm.acme.example"
    probe_host: eu.mdm.acme.example
    group: acme
    ports: [443, "8443"]
    protocols: [tcp]
  - {source: acme, host: api.acme.example, group: acme, used_by: [ACME MDM, R&D tools]}
ports:
  - {source: acme, ports: "8443", protocols: tcp, service: MDM, used_by: [ACME MDM]}
  - source: acme
    ports: "9000-9010"
    protocols: [udp]
    used_by: [kept as text]
networks:
  - {source: acme, network: 192.0.2.0/24, purpose: ACME lab}
"""
BASE = yaml.safe_load(BASE_YAML)
BASE_JSON = json.dumps(BASE, indent=1)

# Where a node may start in BASE_YAML: after "key: ", "- ", "[" or ", " (the positions a property would take).
_NODE_STARTS = [m.end() for m in re.finditer(r"(?:: |- |\[|, )(?=[^\s\]])", BASE_YAML)]
_SEPARATORS = [" ", "\t", "  "]
_BAD_TAGS = ["!!python/object:os.system", "!!python/object/apply:os.system", "!!python/name:os.system",
             "!!python/tuple", "!acme", "!", "!<tag:example.com,2026:x>", "!!binary", "!!timestamp", "!!set",
             "!!omap", "!!pairs", "!e!x", "!!merge"]
_ODD_SCALARS = [".nan", ".NaN", ".inf", "-.inf", "1e309", "-0", "0x1bb", "0o777", "0b1", "1_000", "~", "null", "yes",
                "no", "on", "2026-13-45", "2026-01-10", "12:30:00", "1" * 5000, "-" + "9" * 400, '""', "''", "'\\'",
                '"\\x00"', '"\\uD800"', '"\\U0010FFFF"', '"\\N"', "x" * 100000, '"%s"' % ("\u202e" * 50), "[]",
                "{}", "[[[]]]", "{a: {b: {c: d}}}", "? [a]", "{? [a, b]: c}", "{[a]: b}", "!!int 443",
                "!!float 443", "!!str 443", "!!bool true", "!!null ''", "4.43e2", "443.0", "+443", "0443",
                "1:3", "190:20:30", "\"443\\t\"", "'a.example.com.'", "'*.*.example.com'", "'xn--80ak6aa92e.com'"]
_CONTROL = [chr(code) for code in list(range(0, 32)) + [0x7f, 0x85, 0xa0, 0x2028, 0x2029, 0xfeff, 0xfffe, 0xd800]]
# What ends a line where a catalog's text is written (PAC files are JavaScript), or cannot be written: never accepted.
_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_INVALID_UTF8 = [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82", b"\x80", b"\xfe\xff"]


def _insert(text, position, piece):
    return text[:position] + piece + text[position:]


def _at_node_start(rng, piece):
    return _insert(BASE_YAML, rng.choice(_NODE_STARTS), piece + rng.choice(_SEPARATORS))


def aliases(rng, index):
    shape = index % 4
    if shape == 0:  # the "billion laughs" shape, 2 to 14 levels
        levels = rng.randint(2, 14)
        lines = ["a0: &a0 [%s]" % ",".join(["lol"] * 10)]
        lines += ["a%d: &a%d [%s]" % (n, n, ",".join(["*a%d" % (n - 1)] * rng.randint(2, 10))) for n in range(1, levels)]
        return ".yml", (BASE_YAML.replace("networks:", "notes:\n%snetworks:" % "".join("  %s\n" % l for l in lines))
                        ).encode()
    if shape == 1:  # a recursive alias
        return ".yml", (BASE_YAML + "description: &loop [%s*loop]\n" % rng.choice(["", "x, ", "[*loop], "])).encode()
    if shape == 2:  # an entry repeated by alias
        return ".yml", BASE_YAML.replace("  - {source: acme, host: api", "  - &h {source: acme, host: api").replace(
            "ports:\n", "  - *h\nports:\n", 1).encode()
    # an alias of a name never anchored, anywhere a node starts
    return ".yml", _at_node_start(rng, "*a%d" % rng.randint(0, 9)).encode()


def anchors(rng, _index):
    return ".yml", _at_node_start(rng, "&%s" % rng.choice(["a", "base", "x1", "h-1"])).encode()


def merge_keys(rng, index):
    piece = rng.choice(["{source: acme, host: evil.acme.example}", "{group: other}", "[{protocols: [udp]}, {ports: [1]}]",
                        "{}"])
    if index % 2:
        text = BASE_YAML.replace("    probe_host:", "    <<: %s\n    probe_host:" % piece)
    else:
        text = BASE_YAML.replace("{source: acme, host: api", "{<<: %s, source: acme, host: api" % piece)
    return ".yml", text.encode()


def tags(rng, index):
    tag = _BAD_TAGS[index % len(_BAD_TAGS)]
    if index % 7 == 6:  # a tag handle redefined: even !!str means something else
        return ".yml", ("%TAG !! tag:example.com,2026:\n---\n" + BASE_YAML.replace('title: ACME', 'title: !!str ACME')
                        ).encode()
    return ".yml", _at_node_start(rng, tag).encode()


def _nested(rng, depth):
    opener, closer = rng.choice([("[", "]"), ("{a: ", "}"), ('{"a": ', "}")])
    return opener * depth + closer * depth


def depth(rng, _index):
    levels = rng.choice([reading.MAX_DEPTH - 6, reading.MAX_DEPTH - 4, reading.MAX_DEPTH + 1, 100, 1000, 5000, 100000])
    if rng.random() < 0.5:
        nested = _nested(rng, levels).replace("{a: ", '{"a": ')
        return ".json", BASE_JSON.replace('"kept as text"', nested, 1).encode()
    return ".yml", BASE_YAML.replace("[kept as text]", _nested(rng, levels).replace('{"a": ', "{a: ")).encode()


def size(rng, index):
    limit = MAX_FILE_BYTES
    target = limit + rng.randint(1, 4096) if index % 3 else limit + rng.randint(-4096, 0)
    body = BASE_YAML.encode() if index % 2 else BASE_JSON.encode()
    padding = target - len(body) - 2
    if index % 2:
        return ".yml", body + b"#" + b"x" * padding + b"\n"
    return ".json", body[:-1] + b" " * (padding + 1) + b"}\n"


def duplicate_keys(rng, index):
    if index % 2:
        lines = BASE_YAML.splitlines(True)
        candidates = [n for n, line in enumerate(lines) if re.match(r"^ *[a-z_]+: ", line)]
        number = rng.choice(candidates)
        return ".yml", "".join(lines[:number + 1] + [lines[number]] + lines[number + 1:]).encode()
    lines = BASE_JSON.splitlines(True)
    candidates = [n for n, line in enumerate(lines) if re.match(r'^ *"[a-z_]+": [^\[{]*,$', line)]
    number = rng.choice(candidates)
    return ".json", "".join(lines[:number + 1] + [lines[number]] + lines[number + 1:]).encode()


def odd_scalars(rng, _index):
    scalar = rng.choice(_ODD_SCALARS)
    if rng.random() < 0.3:
        value = rng.choice([float("nan"), float("inf"), 10 ** 30, -1, 0, 1.5, True, None, "", [], {}, "\x00"])
        doc = json.loads(BASE_JSON)
        field = rng.choice([("hosts", 0, "ports"), ("hosts", 1, "host"), ("ports", 0, "ports"), ("ports", 1, "protocols"),
                            ("networks", 0, "network"), ("hosts", 0, "group")])
        doc[field[0]][field[1]][field[2]] = value
        return ".json", json.dumps(doc).encode()
    values = [m.start(1) for m in re.finditer(r": ([^\s{\[][^,}\n]*)", BASE_YAML)]
    start = rng.choice(values)
    end = re.compile(r"[,}\n]").search(BASE_YAML, start).start()
    return ".yml", (BASE_YAML[:start] + scalar + BASE_YAML[end:]).encode()


def encodings(rng, index):
    text = BASE_YAML if index % 2 else BASE_JSON
    suffix = ".yml" if index % 2 else ".json"
    kind = index % 6
    if kind in (0, 1):
        return suffix, codecs.BOM_UTF8 + text.encode()
    if kind == 2:
        return suffix, text.encode(rng.choice(["utf-16", "utf-16-le", "utf-16-be", "utf-32"]))
    if kind == 3:
        return suffix, text.encode("latin-1").replace(b"ACME lab", b"ACME lab \xe9t\xe9")
    data = text.encode()
    position = rng.randrange(len(data))
    return suffix, data[:position] + rng.choice(_INVALID_UTF8) + data[position:]


def control_characters(rng, index):
    char = rng.choice(_CONTROL)
    if index % 4 == 3:  # escaped in JSON: the text holds the very character
        target = rng.choice(["ACME extra hosts", "ACME MDM", "kept as text", "ACME lab"])
        return ".json", BASE_JSON.replace(target, target[:2] + "\\u%04x" % ord(char) + target[2:], 1).encode()
    if rng.random() < 0.5:  # inside a quoted or plain text value
        target = rng.choice(["ACME extra hosts", "eu.mdm.acme.example", "ACME MDM", "kept as text", "ACME lab", "acme"])
        text = BASE_YAML.replace(target, target[:2] + char + target[2:], 1)
    else:
        text = _insert(BASE_YAML, rng.randrange(len(BASE_YAML)), char)
    if "\ud800" in text:
        return ".yml", text.encode("utf-8", "surrogatepass")
    return ".yml", text.encode()


def random_bytes(rng, _index):
    data = bytearray(BASE_YAML.encode() if rng.random() < 0.7 else BASE_JSON.encode())
    for _flip in range(rng.randint(1, 6)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return ".yml" if data.startswith(b"catalog_format") else ".json", bytes(data)


# Families whose every file must be refused.
ALWAYS_REFUSED = ("aliases", "anchors", "merge keys", "tags", "duplicate keys")
FAMILIES = [("aliases", aliases), ("anchors", anchors), ("merge keys", merge_keys), ("tags", tags), ("depth", depth),
            ("size", size), ("duplicate keys", duplicate_keys), ("odd scalars", odd_scalars), ("encodings", encodings),
            ("control characters", control_characters), ("random bytes", random_bytes)]


def _texts(value):
    if isinstance(value, dict):
        value = list(value.keys()) + list(value.values())
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    return [value] if isinstance(value, str) else []


def _records(catalog):
    return dict((kind, catalog.records(kind)) for kind in KINDS)


def _without_location(records):
    return dict((kind, [dict((k, v) for k, v in entry.items() if k != "location") for entry in entries])
                for kind, entries in records.items())


def _properties_unseen_by_the_gate(data):
    """Anchors, aliases or tags in a file the loader's pre-check (reading._MAYBE_NODE_PROPERTY) lets through unscanned."""
    try:
        text = data.decode("utf-8")
        gate = getattr(reading, "_MAYBE_NODE_PROPERTY", None)
        if gate is None or gate.search(text):
            return []
        events = list(yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    except (UnicodeDecodeError, yaml.YAMLError):
        return []
    return [event for event in events if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None)
            or getattr(event, "tag", None)]


@contextlib.contextmanager
def _hang_guard(family, index):
    """Fail a case the loader has not finished after a minute (a loader that expands aliases would hang for hours)."""
    def hung(_signum, _frame):
        pytest.fail("%s case %d: the loader did not finish within %d s" % (family, index, HANG_SECONDS))

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(HANG_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_fuzz_catalog_loader(tmp_path, monkeypatch):
    monkeypatch.setenv("MACFLEET_APPLE_NETWORK_CACHE_DIR", str(tmp_path / "cache"))
    base_path = tmp_path / "base.yml"
    base_path.write_text(BASE_YAML)
    baseline = _without_location(_records(load_catalog([str(base_path)], editions=[])))
    rng = random.Random(SEED)
    counts = {}
    for family, mutate in FAMILIES:
        tally = counts[family] = {"tried": 0, "refused": 0, "accepted": 0, "changed": 0}
        for index in range(CASES_PER_FAMILY if family != "size" else 6):
            suffix, data = mutate(rng, index)
            path = str(tmp_path / ("%s-%d%s" % (family.replace(" ", "-"), index, suffix)))
            with open(path, "wb") as handle:
                handle.write(data)
            tally["tried"] += 1
            if suffix == ".yml":
                assert _properties_unseen_by_the_gate(data) == [], (family, index)
            try:
                with _hang_guard(family, index):
                    catalog = load_catalog([path], editions=[])
            except CatalogError as exc:
                assert str(exc).startswith(path + ": "), (family, index, str(exc)[:300])
                tally["refused"] += 1
                continue
            except Exception as exc:  # pylint: disable=broad-except
                pytest.fail("%s case %d: %s from the loader (only CatalogError is expected): %s"
                            % (family, index, type(exc).__name__, str(exc)[:300]))
            tally["accepted"] += 1
            assert family not in ALWAYS_REFUSED, (family, index, data[:2000])
            if family == "size":
                assert len(data) <= MAX_FILE_BYTES
            if family == "control characters":
                assert not [text for text in _texts(_records(catalog)) if _LINE_BREAKING.search(text)], (index, data)
            if _without_location(_records(catalog)) != baseline:
                tally["changed"] += 1
    print("\ncatalog loader fuzz, seed %d: family: tried / refused / accepted / accepted and changed" % SEED)
    for family, tally in counts.items():
        figures = (family, tally["tried"], tally["refused"], tally["accepted"], tally["changed"])
        print("  %-19s %4d / %4d / %4d / %4d" % figures)
    assert counts["size"]["refused"] == 4 and counts["size"]["accepted"] == 2
    assert all(counts[family]["tried"] == counts[family]["refused"] for family in ALWAYS_REFUSED)
