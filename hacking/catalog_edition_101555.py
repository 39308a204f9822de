# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Builds the bundled edition apple-2026-08-07 from the transcription of Apple support article 101555.

  python hacking/catalog_edition_101555.py            rewrite the edition from ../shared/sources
  python hacking/catalog_edition_101555.py --check    exit 1 (and show the difference) if the edition is out of date
  python hacking/catalog_edition_101555.py --source FILE

The source is ``apple-enterprise-networks-current.md``: every row of its host tables (sections 2.2 to 2.20)
becomes one host record and one port record of source ``apple-support-101555``; the Firewalls networks
(2.22) become network records of that source; the APNs ports and ranges of the companion article (2.1)
become network records of source ``apple-support-102266``. Each record says how it was verified: rows
the transcription marks as read on Apple's page are ``apple-page``, the rest ``machine-parse``.

Standard library only. The system test tests/system/catalog/test_edition_101555.py reads the same
markdown with its own parser and checks the result row by row.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SOURCE = os.path.join(os.path.dirname(REPO_ROOT), "shared", "sources", "apple-enterprise-networks-current.md")
EDITION = "apple-2026-08-07"
DEFAULT_OUTPUT = os.path.join(REPO_ROOT, "plugins", "module_utils", "_catalog", "editions", EDITION + ".json")
SOURCE_ID = "apple-support-101555"
APNS_SOURCE_ID = "apple-support-102266"
HEADER = ["Hosts", "Ports", "Protocol", "OS", "Description", "Supports proxies"]
DASH = "\u2014"
CIDR = re.compile(r"[0-9a-f:.]+/\d+")

VERIFICATION = {
    "apple-page": "Read on Apple's own support page for the current edition (copies A1/B1 of the transcription); "
                  "the machine parse agrees.",
    "machine-parse": "From the machine parse of https://support.apple.com/en-us/101555 (source C of the transcription: "
                     "GitHub FreemanZY/Tailored-Rulesets, sources/apple_enterprise_networks.json, commit "
                     "604405666d560afcb6d3c4e1cbe89b3129c84398), not checked against Apple's page.",
}
APNS_VERIFICATION = {
    "apple-page": "Read on Apple's own pages (Polish and French copies of the article, source A5 of the "
                  "transcription); both give the same numbers.",
}
ROW_NOTES = {
    "see_note": "Apple's 'Supports proxies' cell links to the Apple Push Notifications note instead of Yes or a dash.",
    "underscores": "The machine parse prints this 'Supports proxies' cell as '__', neither Yes nor a dash: "
                   "treated as not stated.",
    "ssh": "The Protocol cell says SSH (SFTP uploads), which runs over TCP.",
    "older-editions": "Seen on Apple's pages only in older editions; the current values come from the machine parse.",
}

# Concrete names the maintainers probe for a wildcard row, with where each name comes from. Only names Apple itself
# publishes for that service; a wildcard without one stays unprobed (the probe says so) rather than guessed.
MAINTAINER_PROBE_HOSTS = {
    "*.push.apple.com": ("courier.push.apple.com",
                         "Probed as courier.push.apple.com, the APNs host Apple's own trust-store pin policy names "
                         "(shared/trust-anchors/README.md: courier.push.apple.com, init.push.apple.com, APN, Apple only)."),
}


class SourceError(Exception):
    """The transcription does not have the layout this generator reads."""


def _slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _section_name(heading):
    """'2.11 Beta updates (old "Feedback Assistant") — from C' -> 'Beta updates'."""
    name = re.sub(r"^\d+\.\d+\s+", "", heading).split(" " + DASH + " ")[0]
    return re.sub(r"\s*\([^)]*\)\s*$", "", name).strip()


def _headings(text):
    """[(heading text, body)] of every '### ' heading."""
    parts = re.split(r"^### (.+)$", text, flags=re.MULTILINE)
    return [(parts[i].strip(), parts[i + 1]) for i in range(1, len(parts), 2)]


def _cells(line):
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _tables(body):
    """[(sub-table name or None, [row cells])] of the host tables under one heading."""
    tables, name, lines = [], None, body.split("\n")
    for index, line in enumerate(lines):
        named = re.match(r'^Sub-table "(.+)":$', line.strip())
        if named:
            name = named.group(1)
        if line.startswith("|") and _cells(line) == HEADER:
            rows = []
            for row in lines[index + 2:]:
                if not row.startswith("|"):
                    break
                cells = _cells(row)
                if len(cells) != len(HEADER):
                    raise SourceError("row %r does not have %d cells" % (row, len(HEADER)))
                rows.append(cells)
            tables.append((name, rows))
            name = None
    return tables


def _ports(cell):
    return [{"start": int(port), "end": int(port)} for port in re.split(r",\s*", cell)]


def _protocols(cell):
    if cell == "SSH":
        return ["tcp"]
    return sorted(part.lower() for part in re.split(r",\s*", cell))


def _os(cell):
    if cell == "-":
        return []
    cell = re.sub(r"\s+only$", "", cell)
    return [name for name in re.split(r",\s*(?:and\s+)?|\s+and\s+", cell) if name]


def _proxies(cell):
    if cell == "Yes":
        return "yes", None
    if cell == DASH:
        return "not_stated", None
    if cell.startswith("see APNs note"):
        return "see_note", ROW_NOTES["see_note"]
    if cell.startswith("__"):
        return "not_stated", ROW_NOTES["underscores"]
    raise SourceError("unknown 'Supports proxies' cell %r" % cell)


def _apple_page_rows(heading):
    """Row numbers the heading says were read on Apple's page ('rows 1–7 read on Apple page')."""
    match = re.search(r"rows (\d+)\u2013(\d+) read on Apple page", heading)
    return range(int(match.group(1)), int(match.group(2)) + 1) if match else range(0)


def host_rows(text):
    """Host and port records for every row of the host tables, in document order."""
    hosts, ports, table_number = [], [], 0
    for heading, body in _headings(text):
        if not re.match(r"^2\.\d+ ", heading):
            continue
        section = _section_name(heading)
        checked = _apple_page_rows(heading)
        for subtable, rows in _tables(body):
            table_number += 1
            for number, (host, port_cell, protocol, os_cell, description, proxies_cell) in enumerate(rows, 1):
                proxies, note = _proxies(proxies_cell)
                notes = [note] if note else []
                if protocol == "SSH":
                    notes.append(ROW_NOTES["ssh"])
                verification = "apple-page" if number in checked else "machine-parse"
                if section == "Device setup" and verification == "machine-parse":
                    notes.append(ROW_NOTES["older-editions"])
                record_id = "%s/%s/%s" % (SOURCE_ID, _slug(section), host)
                location = {"table": table_number, "row": number}
                if subtable:
                    location["subtable"] = subtable
                common = {"id": record_id, "source": SOURCE_ID, "section": section, "location": location}
                wildcard = "*" in host
                host_record = dict(common, host=host, group=_slug(section), wildcard=wildcard)
                if not wildcard:
                    host_record.update(probe_host=host, probe_host_origin="document")
                elif host in MAINTAINER_PROBE_HOSTS:
                    probe_host, origin_note = MAINTAINER_PROBE_HOSTS[host]
                    host_record.update(probe_host=probe_host, probe_host_origin="maintainers")
                    notes.append(origin_note)
                host_record.update(
                    ports=_ports(port_cell), protocols=_protocols(protocol), protocols_text=protocol, os=_os(os_cell),
                    description=None if description == "(no description)" else description,
                    supports_proxies=proxies, bypass_https_interception=True, verification=verification,
                    notes=" ".join(notes) or None)
                hosts.append(host_record)
                ports.append(dict(common, hosts=[host], ports=host_record["ports"], ports_text=port_cell,
                                  protocols=host_record["protocols"], protocols_text=protocol,
                                  verification=verification, notes=host_record["notes"]))
    return hosts, ports


def _section_body(text, title):
    """The heading and body of the '### ' section whose heading is ``title`` or starts with ``title`` and a space."""
    for heading, body in _headings(text):
        if heading == title or heading.startswith(title + " "):
            return heading, body
    raise SourceError("no section %r" % title)


def networks(text):
    """Apple's networks (Firewalls, 2.22) and the APNs ports and fallback ranges (2.1, companion article)."""
    records = []
    heading, body = _section_body(text, "2.22")
    section = _section_name(heading)
    (rule,) = [line for line in body.split("\n") if line.startswith("- IP rule:")]
    for network in CIDR.findall(rule):
        family = "IPv6" if ":" in network else "IPv4"
        records.append({
            "id": "%s/%s/%s" % (SOURCE_ID, _slug(section), network), "source": SOURCE_ID, "section": section,
            "network": network, "purpose": "Apple's %s network: allow it where the firewall filters by address" % family,
            "verification": "machine-parse"})
    heading, body = _section_body(text, "2.1")
    section = _section_name(heading)
    ports = []
    for line in body.split("\n"):
        for cell in re.findall(r"\*\*TCP ([\d or]+)\*\*", line):
            ports += [int(port) for port in re.findall(r"\d+", cell) if int(port) not in ports]
    (block,) = re.findall(r"whole \*\*(%s)\*\* block" % CIDR.pattern, body)
    ranges = [(block, "APNs: Apple's whole block, where Apple advises opening the APNs ports")]
    for line in body.split("\n"):
        if re.match(r"^\s+- IPv[46]: ", line):
            ranges += [(network, "APNs fallback range, where 17.0.0.0/8 cannot be opened") for network in CIDR.findall(line)]
    for network, purpose in ranges:
        records.append({
            "id": "%s/%s/%s" % (APNS_SOURCE_ID, _slug(section), network), "source": APNS_SOURCE_ID, "section": section,
            "network": network, "purpose": purpose, "ports": [{"start": p, "end": p} for p in ports],
            "ports_text": ", ".join(str(p) for p in ports), "protocols": ["tcp"], "verification": "apple-page"})
    return records


def _bullets(body):
    """Top-level '- ' bullets with their indented continuation joined into one line, markdown emphasis removed."""
    items = []
    for line in body.split("\n"):
        if line.startswith("- "):
            items.append(line[2:].strip())
        elif items and line.startswith(" ") and line.strip():
            items[-1] += " " + line.strip().lstrip("- ")
    return [re.sub(r"\*\*|`", "", item) for item in items]


def provenance(text):
    """The 'Sources used' table of the transcription, one mapping per copy."""
    _heading, body = _section_body(text, "Sources used")
    rows = []
    for line in body.split("\n"):
        if line.startswith("| ") and not line.startswith("| Id ") and not line.startswith("|---"):
            cells = _cells(line)
            rows.append({"id": cells[0], "url": cells[1], "what": cells[2], "read": cells[3],
                         "published_seen": re.sub(r"\*\*", "", cells[4])})
    return rows


def build(text):
    copies = provenance(text)
    (parse,) = [row for row in copies if row["id"] == "C"]
    published = re.search(r"\d{4}-\d{2}-\d{2}", parse["published_seen"]).group(0)
    _heading, intro = _section_body(text, "2.0")
    _heading, missing = _section_body(text, "What is complete and what is not")
    _heading, firewalls = _section_body(text, "2.22")
    _heading, apns = _section_body(text, "2.1")
    # The companion article's facts: the bullets nested under "Companion article ...", up to its ranges.
    companion = apns.split("Companion article", 1)[1].split("\n", 1)[1].split("\n  - If the whole block")[0]
    companion_facts = "\n".join(line[2:] for line in companion.split("\n"))
    hosts, ports = host_rows(text)
    return {
        "catalog_format": 1,
        "edition": EDITION,
        "published": published,
        "description": "Every host row of Apple support article 101555 (21 tables), Apple's networks and the APNs "
                       "ranges of article 102266, from the transcription in apple-enterprise-networks-current.md.",
        "sources": {
            SOURCE_ID: {
                "title": "Use Apple products on enterprise networks",
                "published": published,
                "url": "https://support.apple.com/en-us/101555",
                "seed": "apple-enterprise-networks-current.md",
                "statements": _bullets(intro) + [item for item in _bullets(firewalls) if item.startswith("Host-name rule")],
                "notes": _bullets(missing),
                "provenance": [row for row in copies if "102266" not in row["url"]],
                "verification": VERIFICATION,
            },
            APNS_SOURCE_ID: {
                "title": "If your Apple devices aren't getting Apple push notifications",
                "published": None,
                "url": "https://support.apple.com/102266",
                "seed": "apple-enterprise-networks-current.md",
                "statements": _bullets(companion_facts),
                "provenance": [row for row in copies if "102266" in row["url"]],
                "verification": APNS_VERIFICATION,
            },
        },
        "ports": ports,
        "hosts": hosts,
        "networks": networks(text),
    }


def render(document):
    """JSON with one record per line, as the other bundled edition is stored."""
    lines = ["{"]
    keys = list(document)
    for index, key in enumerate(keys):
        comma = "," if index < len(keys) - 1 else ""
        value = document[key]
        if key == "sources":
            lines.append(' "sources": {')
            items = list(value.items())
            for number, (source_id, meta) in enumerate(items):
                lines.append("  %s: %s%s" % (json.dumps(source_id), json.dumps(meta, ensure_ascii=False),
                                             "," if number < len(items) - 1 else ""))
            lines.append(" }" + comma)
        elif isinstance(value, list):
            lines.append(" %s: [" % json.dumps(key))
            for number, record in enumerate(value):
                lines.append("  %s%s" % (json.dumps(record, ensure_ascii=False), "," if number < len(value) - 1 else ""))
            lines.append(" ]" + comma)
        else:
            lines.append(" %s: %s%s" % (json.dumps(key), json.dumps(value, ensure_ascii=False), comma))
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--source", default=DEFAULT_SOURCE, help="the transcription (markdown)")
    parser.add_argument("--output", default=DEFAULT_OUTPUT, help="the edition file to write or check")
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when the edition is out of date")
    args = parser.parse_args(argv)
    with open(args.source, encoding="utf-8") as handle:
        try:
            wanted = render(build(handle.read()))
        except (SourceError, ValueError, IndexError) as exc:
            sys.stderr.write("%s: %s\n" % (args.source, exc))
            return 2
    try:
        with open(args.output, encoding="utf-8") as handle:
            current = handle.read()
    except FileNotFoundError:
        current = ""
    if args.check:
        if current == wanted:
            return 0
        sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), wanted.splitlines(True),
                                                   args.output, "generated from " + args.source))
        return 1
    if current != wanted:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
