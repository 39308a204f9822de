# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Re-reads Apple's source documents on its own and checks the bundled catalog against them, row by row.

The documents live outside the collection (``../shared/seeds`` beside the repository), so this is a
system test: hacking/test-all.sh exports MACFLEET_REPO_ROOT.
"""

from __future__ import annotations

import re

import pytest
from conftest import shared_dir

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog

DASHES = {"\u2014", ""}


def _document(marker):
    for path in sorted(shared_dir("seeds").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        if marker in text:
            return text
    pytest.fail("no seed document contains %r" % marker)


def _cell(value):
    value = value.strip()
    return None if value in DASHES else value


def _numbers(text):
    """'600–1023' -> [(600, 1023)], '1099, 8043' -> [(1099, 1099), (8043, 8043)], '5350 (UDP)' -> [(5350, 5350)]."""
    spans = []
    for first, last in re.findall(r"(\d+)(?:\s*[\u2013-]\s*(\d+))?", re.sub(r"\(.*?\)", "", text)):
        spans.append((int(first), int(last or first)))
    return spans


def _protocols(text):
    text = text.strip()
    return [] if text in DASHES else sorted(part.lower() for part in text.split("/"))


def _products(cell):
    """Split at commas that are not enclosed by a matched pair of parentheses."""
    if cell is None:
        return []
    open_at, enclosed = [], []
    for index, char in enumerate(cell):
        if char == "(":
            open_at.append(index)
        elif char == ")" and open_at:
            enclosed.append((open_at.pop(), index))
    cuts = [i for i, ch in enumerate(cell) if ch == "," and not any(a < i < b for a, b in enclosed)]
    pieces, start = [], 0
    for cut in cuts + [len(cell)]:
        pieces.append(cell[start:cut].strip())
        start = cut + 1
    return [piece for piece in pieces if piece]


def _ports_reference_rows():
    text = _document("Port\tTCP or UDP\t")
    table = text.split("Used by\n", 1)[1].split("\n1. The service registered", 1)[0]
    rows = []
    for line in table.split("\n"):
        if not line.strip() or set(line) <= set("-\t"):
            continue
        cells = line.split("\t")
        if re.match(r"\d", cells[0]):
            rows.append(cells + [""] * (6 - len(cells)))
        else:  # a cell that wraps onto a second line continues the row above
            for index, extra in enumerate(cells):
                if extra.strip():
                    rows[-1][index] = rows[-1][index].strip() + " " + extra.strip()
    return rows


def _pipe_rows(text, header):
    rows = []
    for line in text.split("\n"):
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 2 or cells[0] in (header, "---", ""):
            continue
        rows.append(cells)
    return rows


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def _spans(record):
    return [(r["start"], r["end"]) for r in record["ports"]]


def test_ports_reference_every_row(catalog):
    rows = _ports_reference_rows()
    assert len(rows) == 130
    records = catalog.ports(source="ports-reference")
    assert len(records) == 130
    unmatched = list(records)
    for port, protocol, service, rfc, iana, used_by in rows:
        expected = {
            "ports": _numbers(port),
            "protocols": _protocols(protocol),
            "service": _cell(service),
            "iana_name": _cell(iana),
            "rfc": [int(n) for n in re.findall(r"\d+", rfc)],
            "used_by": _products(_cell(used_by)),
            "unregistered_use": "unregistered use" in service,
        }
        found = [r for r in unmatched if r["ports_text"] == port.strip() and r["service"] == expected["service"]
                 and r["protocols"] == expected["protocols"] and r["iana_name"] == expected["iana_name"]]
        assert len(found) == 1, "row %r is not in the catalog exactly once" % port
        record = found[0]
        unmatched.remove(record)
        assert record["source"] == "ports-reference"
        assert _spans(record) == expected["ports"], port
        assert record["rfc"] == expected["rfc"], port
        assert record["used_by"] == expected["used_by"], port
        assert record["unregistered_use"] == expected["unregistered_use"], port
    assert unmatched == []


@pytest.mark.parametrize("port, expected", [
    ("465", "Message Submission for Mail (Authenticated SMTP)"),
    ("50006", "FileMaker helper service"),
])
def test_wrapped_cells(catalog, port, expected):
    assert [r["service"] for r in catalog.ports(source="ports-reference") if r["ports_text"] == port] == [expected]


def test_wrapped_used_by_687(catalog):
    (record,) = [r for r in catalog.ports(source="ports-reference", port=687) if r["ports_text"] == "687"]
    assert record["used_by"][-1] == "including AppleShare IP"


def test_special_rows(catalog):
    by_text = {}
    for record in catalog.ports(source="ports-reference"):
        by_text.setdefault(record["ports_text"], []).append(record)
    assert _spans(by_text["600\u20131023"][0]) == [(600, 1023)]
    assert sorted(_spans(r) for r in by_text["49152\u201365535"]) == [[(49152, 65535)]] * 2
    assert _spans(by_text["1099, 8043"][0]) == [(1099, 1099), (8043, 8043)]
    assert _spans(by_text["8821, 8826"][0]) == [(8821, 8821), (8826, 8826)]
    for unspecified in ("11211", "50003", "50006"):
        assert by_text[unspecified][0]["protocols"] == []
    for duplicated in ("500", "514", "626", "4500"):
        assert len(by_text[duplicated]) == 2
        assert len(set(r["service"] for r in by_text[duplicated])) == 2
    assert by_text["106"][0]["unregistered_use"] is True
    assert by_text["111"][0]["rfc"] == [1057, 1831]


def test_common_ports_every_row(catalog):
    text = _document("Common ports")
    section = text.split("Common ports", 1)[1].split("Learn more", 1)[0]
    rows = _pipe_rows(section, "Ports")
    assert len(rows) == 13
    records = catalog.ports(source="enterprise-networks")
    assert len(records) == 13
    for cells in rows:
        (record,) = [r for r in records if r["ports_text"] == cells[0]]
        assert _spans(record) == _numbers(cells[0])
        assert record["protocols"] == _protocols(cells[1])
        assert record["used_by"] == _products(cells[2])


def test_servers_every_row(catalog):
    text = _document("Server connections")
    section = text.split("Server connections", 1)[1].split("Common ports", 1)[0]
    rows = _pipe_rows(section, "Apple servers")
    apple = [cells[0] for cells in rows if cells[0]]
    other = [cells[1] for cells in rows if len(cells) > 1 and cells[1]]
    assert (len(apple), len(other)) == (14, 6)
    assert [h["host"] for h in catalog.hosts(source="enterprise-networks", group="apple")] == apple
    assert [h["host"] for h in catalog.hosts(source="enterprise-networks", group="other")] == other
    for host in catalog.hosts(source="enterprise-networks"):
        assert host["wildcard"] == ("*" in host["host"])
        if host["probe_host"] is None:
            assert host["wildcard"]
        elif not host["wildcard"]:
            assert host["probe_host"] == host["host"]


def test_software_update_servers(catalog):
    text = _document("Server addresses used by Software Update").replace("\u00a0", " ")
    listed = re.findall(r"\u2022\s+(\S+)", text)
    assert len(listed) == 4
    hosts = catalog.hosts(source="software-update-servers")
    assert sorted(h["host"] for h in hosts) == sorted(listed)
    assert all(h["bypass_https_interception"] for h in hosts)
    assert all(h["group"] == "software-update" for h in hosts)
    ports = dict((r["ports_text"], r) for r in catalog.ports(source="software-update-servers"))
    assert "TCP port 80 or 443" in text and "49152 through 65535" in text
    assert ports["80"]["protocols"] == ["tcp"] and "Lion or earlier" in ports["80"]["used_by"][0]
    assert ports["443"]["protocols"] == ["tcp"] and "Mountain Lion and later" in ports["443"]["used_by"][0]
    assert _spans(ports["49152\u201365535"]) == [(49152, 65535)]


def test_processes_every_row(catalog):
    text = _document("iTunes for Windows processes")
    section = text.split("iTunes for Windows processes", 1)[1]
    always, depends = section.split("Process that depends on Sync configuration", 1)
    always_rows = _pipe_rows(always, "Process")
    depends_rows = _pipe_rows(depends, "Process")
    assert (len(always_rows), len(depends_rows)) == (12, 8)
    records = catalog.processes()
    expected = [(c[0], c[1], False) for c in always_rows] + [(c[0], c[1], True) for c in depends_rows]
    assert [(r["process"], r["description"], r["depends_on_sync_configuration"]) for r in records] == expected
