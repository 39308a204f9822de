# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reads the transcription of Apple's article 101555 on its own and checks the bundled edition against it, row by row.

This reader shares no code with hacking/catalog_edition_101555.py (which builds the edition): it walks the
markdown line by line, keeps the current '### 2.N' heading and takes every six-cell table row under it.
The transcription lives outside the collection (``../shared/sources``), so this is a system test.
"""

from __future__ import annotations

import ipaddress
import re
import subprocess
import sys

import pytest
from conftest import COLLECTION_ROOT, shared_dir

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog

SOURCE = "apple-support-101555"
APNS_SOURCE = "apple-support-102266"
TRANSCRIPTION = "apple-enterprise-networks-current.md"

# Rows per section, counted by hand from the transcription (21 tables, 148 rows).
EXPECTED_ROWS = {
    "Device setup": 10,
    "Device management": 11,
    "Apple School Manager and Apple Business": 15,
    "Apple Business device management": 6,
    "Classroom and Schoolwork": 7,
    "Software updates": 21,
    "Apps and additional content": 16,
    "Carrier updates": 6,
    "Content caching": 5,
    "Beta updates": 3,
    "Apple diagnostics": 1,
    "Domain Name System resolution": 1,
    "Certificate validation": 9,
    "Apple Account": 4,
    "iCloud": 18,
    "Apple Intelligence, Siri, and Search": 6,
    "Associated Domains": 2,
    "Tap to Pay on iPhone": 3,
    "ID Verifier on iPhone": 4,
}
APPLE_OSES = ("iOS", "iPadOS", "tvOS", "watchOS", "macOS", "visionOS")


def _text():
    return (shared_dir("sources") / TRANSCRIPTION).read_text(encoding="utf-8")


def _heading_title(line):
    """'### 2.5 Apple Business device management (was "...") — from C' -> 'Apple Business device management'."""
    title = line[len("### "):].split(" \u2014 ")[0]
    title = title.split(" ", 1)[1]  # the number
    while title.endswith(")"):
        title = title[:title.rindex(" (")]
    return title


def _read_rows(text):
    """[(section, table number, row number, apple_page, cells)] for every host row of sections 2.2 to 2.20."""
    rows, section, apple_page, table, row_number, in_table = [], None, (), 0, 0, False
    for line in text.splitlines():
        if line.startswith("### "):
            section = _heading_title(line) if re.match(r"### 2\.\d+ ", line) else None
            checked = re.search(r"rows (\d+)\u2013(\d+) read on Apple page", line)
            apple_page = tuple(range(int(checked.group(1)), int(checked.group(2)) + 1)) if checked else ()
            in_table = False
            continue
        if section is None or not line.startswith("|"):
            in_table = False
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if cells[0] == "Hosts":
            table, row_number, in_table = table + 1, 0, True
            continue
        if not in_table or set(cells[0]) <= {"-"}:
            continue
        assert len(cells) == 6, line
        row_number += 1
        rows.append((section, table, row_number, row_number in apple_page, cells))
    return rows


def _expected(cells):
    host, ports, protocol, oses, description, proxies = cells
    if oses == "-":
        os_list = []
    else:
        os_list = [name for name in APPLE_OSES if re.search(r"(?<![A-Za-z])%s(?![A-Za-z])" % name, oses)]
        # Every OS named in the cell must be recognised, in the cell's own order.
        assert sorted(os_list, key=oses.index) == os_list and len(re.findall(r"[a-zA-Z]+OS", oses)) == len(os_list), oses
    if proxies == "Yes":
        proxy_support = "yes"
    elif proxies == "\u2014" or proxies.startswith("__"):
        proxy_support = "not_stated"
    else:
        assert proxies.startswith("see APNs note"), proxies
        proxy_support = "see_note"
    transport = {"TCP": ["tcp"], "UDP": ["udp"], "TCP, UDP": ["tcp", "udp"], "SSH": ["tcp"]}[protocol]
    return {
        "host": host,
        "ports": [int(p) for p in ports.split(",")],
        "protocols": transport,
        "protocols_text": protocol,
        "os": os_list,
        "description": None if description == "(no description)" else description,
        "supports_proxies": proxy_support,
    }


@pytest.fixture(scope="module")
def rows():
    return _read_rows(_text())


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_counts(rows, catalog):
    assert len(rows) == 148
    assert len(set(row[1] for row in rows)) == 21
    counted = {}
    for section, *_rest in rows:
        counted[section] = counted.get(section, 0) + 1
    assert counted == EXPECTED_ROWS
    hosts = catalog.hosts(source=SOURCE)
    assert len(hosts) == 148 and len(catalog.ports(source=SOURCE)) == 148
    for section, count in EXPECTED_ROWS.items():
        assert len(catalog.hosts(source=SOURCE, section=section)) == count, section
        assert len(catalog.ports(source=SOURCE, section=section)) == count, section


def test_every_row(rows, catalog):
    unmatched = catalog.hosts(source=SOURCE)
    ports_by_id = dict((p["id"], p) for p in catalog.ports(source=SOURCE))
    for section, table, number, apple_page, cells in rows:
        expected = _expected(cells)
        found = [h for h in unmatched if h["host"] == expected["host"] and h["section"] == section]
        assert len(found) == 1, "%s / %s is not in the edition exactly once" % (section, expected["host"])
        record = found[0]
        unmatched.remove(record)
        assert record["source"] == SOURCE
        assert [r["start"] for r in record["ports"]] == expected["ports"], record["id"]
        assert all(r["start"] == r["end"] for r in record["ports"])
        for field in ("protocols", "protocols_text", "os", "description", "supports_proxies"):
            assert record[field] == expected[field], (record["id"], field)
        assert record["verification"] == ("apple-page" if apple_page else "machine-parse"), record["id"]
        assert (record["location"]["table"], record["location"]["row"]) == (table, number)
        assert record["wildcard"] == ("*" in expected["host"])
        assert record["bypass_https_interception"] is True  # the article's intro rule covers every listed host
        port_row = ports_by_id[record["id"]]
        assert port_row["hosts"] == [expected["host"]] and port_row["section"] == section
        assert [r["start"] for r in port_row["ports"]] == expected["ports"]
        assert port_row["protocols"] == expected["protocols"] and port_row["verification"] == record["verification"]
    assert unmatched == []


def test_only_device_setup_rows_one_to_seven_were_read_on_apples_page(catalog):
    read = [h["host"] for h in catalog.hosts(source=SOURCE) if h["verification"] == "apple-page"]
    assert read == ["albert.apple.com", "captive.apple.com", "gs.apple.com", "humb.apple.com", "static.ips.apple.com",
                    "sq-device.apple.com", "tbsc.apple.com"]
    source = catalog.sources[SOURCE]
    assert source["published"] == "2026-08-07"
    assert set(source["verification"]) == {"apple-page", "machine-parse"}
    assert "604405666d560afcb6d3c4e1cbe89b3129c84398" in source["verification"]["machine-parse"]
    assert [copy["id"] for copy in source["provenance"]] == ["A1", "A2", "A3", "A4", "B1", "B2", "C"]


def test_same_host_in_several_tables_stays_several_records(catalog):
    def sections(host):
        return [h["section"] for h in catalog.hosts(source=SOURCE) if h["host"] == host]
    assert sections("gdmf.apple.com") == ["Device management", "Software updates"]
    assert sections("itunes.apple.com") == ["Apps and additional content", "Carrier updates"]
    assert sections("ws-ee-maidsvc.icloud.com") == ["Apple School Manager and Apple Business", "Classroom and Schoolwork"]
    assert sections("humb.apple.com") == ["Device setup", "Tap to Pay on iPhone", "ID Verifier on iPhone"]
    conflicts = dict((c["host"], c["fields"]) for c in catalog.conflicts() if c["kind"] == "hosts")
    assert sorted(conflicts["gdmf.apple.com"]["supports_proxies"].values()) == ["not_stated", "yes"]
    assert sorted(conflicts["itunes.apple.com"]["supports_proxies"].values()) == ["not_stated", "yes"]
    assert "ports" in conflicts["ws-ee-maidsvc.icloud.com"] and "humb.apple.com" in conflicts


def _cidrs(line):
    return [str(ipaddress.ip_network(text)) for text in re.findall(r"[0-9a-f][0-9a-f:.]*/\d{1,3}", line)]


def test_apples_networks(catalog):
    text = _text()
    firewalls = text.split("### 2.22 Firewalls", 1)[1].split("\n### ", 1)[0]
    (ip_rule,) = [line for line in firewalls.splitlines() if "IP rule" in line]
    expected = _cidrs(ip_rule)
    assert expected == ["17.0.0.0/8", "2403:300::/32", "2620:149::/32", "2a01:b740::/32"]
    records = catalog.networks(source=SOURCE)
    assert [n["network"] for n in records] == expected
    assert all(n["section"] == "Firewalls" and n["verification"] == "machine-parse" and n["purpose"] for n in records)
    assert [n["family"] for n in records] == [4, 6, 6, 6]


def test_apns_ports_and_fallback_ranges(catalog):
    apns = _text().split("### 2.1 Apple Push Notifications", 1)[1].split("\n### ", 1)[0]
    fallback = apns.split("If the whole block can't be opened", 1)[1]
    ranges = [cidr for line in fallback.splitlines() if re.match(r"\s+- IPv[46]:", line) for cidr in _cidrs(line)]
    assert len(ranges) == 9
    ports = sorted(set(int(p) for bold in re.findall(r"\*\*TCP ([^*]+)\*\*", apns) for p in re.findall(r"\d+", bold)))
    assert ports == [443, 2197, 5223]
    records = catalog.networks(source=APNS_SOURCE)
    assert [n["network"] for n in records] == ["17.0.0.0/8"] + ranges
    for record in records:
        assert sorted(r["start"] for r in record["ports"]) == ports and record["protocols"] == ["tcp"]
        assert record["section"] == "Apple Push Notifications" and record["verification"] == "apple-page"
    assert [n["purpose"] for n in records[1:]] == [records[1]["purpose"]] * 9 and "fallback" in records[1]["purpose"]
    assert "HT203609" in catalog.sources[APNS_SOURCE]["provenance"][0]["url"]


def test_seed_rows_still_served(catalog):
    assert len(catalog.ports(source="ports-reference")) == 130
    assert len(catalog.hosts(source="enterprise-networks")) == 20
    assert len(catalog.hosts(source="software-update-servers")) == 4


def test_generated_edition_is_up_to_date():
    """The edition file is what hacking/catalog_edition_101555.py makes of the transcription today."""
    repo_root = COLLECTION_ROOT
    script = repo_root / "hacking" / "catalog_edition_101555.py"
    proc = subprocess.run([sys.executable, str(script), "--check", "--source", str(shared_dir("sources") / TRANSCRIPTION)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
