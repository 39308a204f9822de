# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The schema's row fields (section, os, description, supports_proxies, ...) and network records, and the queries on them."""

from __future__ import annotations

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.errors import CatalogQueryError
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.errors import CatalogError

ROWS = """catalog_format: 1
edition: acme-rows
sources:
  acme:
    title: ACME network requirements
    verification: {checked: Read on the intranet page, guessed: Nobody looked}
hosts:
  - {source: acme, host: mdm.acme.example, section: Device management, os: [MACOS, ios], description: MDM check-in,
     supports_proxies: "yes", ports: "443, 8443", protocols: "TCP, UDP", protocols_text: "TCP, UDP", verification: checked}
  - {id: acme/other/mdm.acme.example, source: acme, host: mdm.acme.example, section: Other things, ports: 443,
     protocols: tcp, supports_proxies: not_stated}
  - {source: acme, host: push.acme.example, section: Device management, supports_proxies: see_note}
ports:
  - {source: acme, ports: 8443, protocols: tcp, section: Device management, hosts: [mdm.acme.example], verification: guessed}
networks:
  - {source: acme, network: 10.20.0.0/16, purpose: ACME office, section: Device management, ports: "443, 8443", protocols: tcp}
  - {source: acme, network: "fd00:ac::/32", purpose: ACME lab}
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.fixture()
def rows(tmp_path):
    return load_catalog([write(tmp_path, "rows.yml", ROWS)])


def test_user_file_row_fields(rows):
    first, other, push = rows.hosts(source="acme")
    assert first["section"] == "Device management"
    assert first["os"] == ["macOS", "iOS"]
    assert first["description"] == "MDM check-in"
    assert first["supports_proxies"] == "yes" and first["verification"] == "checked"
    assert [(r["start"], r["end"]) for r in first["ports"]] == [(443, 443), (8443, 8443)]
    assert first["protocols"] == ["tcp", "udp"] and first["protocols_text"] == "TCP, UDP"
    assert other["os"] == [] and other["description"] is None
    assert push["supports_proxies"] == "see_note"
    (port,) = rows.ports(source="acme")
    assert port["hosts"] == ["mdm.acme.example"] and port["section"] == "Device management"


def test_supports_proxies_defaults_to_not_stated(catalog):
    assert set(h["supports_proxies"] for h in catalog.hosts(source="enterprise-networks")) == {"not_stated"}
    assert set(h["section"] for h in catalog.hosts(source="enterprise-networks")) == {None}


def test_user_file_networks(rows):
    office, lab = rows.networks(source="acme")
    assert office["network"] == "10.20.0.0/16" and office["family"] == 4 and office["purpose"] == "ACME office"
    assert office["ports_text"] == "443,8443" and office["protocols"] == ["tcp"]
    assert office["id"] == "acme/10.20.0.0/16"
    assert lab["network"] == "fd00:ac::/32" and lab["ports"] == [] and lab["ports_text"] is None
    assert [n["network"] for n in rows.networks(source="acme", family=6)] == ["fd00:ac::/32"]


def test_source_verification_in_summary(rows):
    sources = dict((s["id"], s) for s in rows.summary()["sources"])
    assert sources["acme"]["verification"] == {"checked": "Read on the intranet page", "guessed": "Nobody looked"}
    assert sources["enterprise-networks"]["verification"] == {}
    assert set(sources["apple-support-101555"]["verification"]) == {"apple-page", "machine-parse"}


@pytest.mark.parametrize("kind, entry, field, fragment", [
    ("hosts", "{source: acme, host: a.acme.example, os: [Windows]}", "os",
     "unknown operating system 'Windows'; valid values are: iOS, iPadOS, tvOS, watchOS, macOS, visionOS"),
    ("hosts", "{source: acme, host: a.acme.example, os: [42]}", "os", "must be a string"),
    ("hosts", "{source: acme, host: a.acme.example, os: {mac: true}}", "os", "must be a list of strings"),
    ("hosts", "{source: acme, host: a.acme.example, supports_proxies: 'no'}", "supports_proxies",
     "'no' is not one of: yes, not_stated, see_note"),
    ("hosts", "{source: acme, host: a.acme.example, supports_proxies: true}", "supports_proxies",
     "True is not one of: yes, not_stated, see_note"),
    ("hosts", "{source: acme, host: a.acme.example, section: '---'}", "section", "has no letters or digits"),
    ("hosts", "{source: acme, host: a.acme.example, section: 5}", "section", "must be a string"),
    ("hosts", "{source: acme, host: a.acme.example, description: \"a\\nb\"}", "description", "control character"),
    ("hosts", "{source: acme, host: a.acme.example, verification: Apple Page}", "verification",
     "must be lower-case letters, digits and '-'"),
    ("hosts", "{source: acme, host: a.acme.example, protocols_text: [TCP]}", "protocols_text", "must be a string"),
    ("ports", "{source: acme, ports: 80, hosts: ['a b.example']}", "hosts", "contains the character ' '"),
    ("ports", "{source: acme, ports: 80, section: [x]}", "section", "must be a string"),
    ("networks", "{source: acme, network: not-a-net, purpose: x}", "network", "'not-a-net' is not an IP address or network"),
    ("networks", "{source: acme, network: 17.0.0.1/8, purpose: x}", "network", "has host bits set"),
    ("networks", "{source: acme, network: 17.0.0.0/8}", "purpose", "is required"),
    ("networks", "{source: acme, network: 17.0.0.0/8, purpose: ' '}", "purpose", "must say what the network is for"),
    ("networks", "{source: acme, network: 17.0.0.0/8, purpose: x, ports: '443-80'}", "ports", "range 443-80 is reversed"),
    ("networks", "{source: acme, network: 17.0.0.0/8, purpose: x, protocols: icmp}", "protocols", "unknown protocol 'icmp'"),
    ("networks", "{source: acme, network: 17.0.0.0/8, purpose: x, family: 4}", "family", "unknown field"),
])
def test_bad_row_fields(tmp_path, kind, entry, field, fragment):
    path = write(tmp_path, "bad.yml", "catalog_format: 1\nsources: {acme: {}}\n%s:\n  - %s\n" % (kind, entry))
    with pytest.raises(CatalogError) as exc:
        load_catalog([path])
    message = str(exc.value)
    assert message.startswith(path + ": %s[0]" % kind), message
    assert "field '%s'" % field in message, message
    assert fragment in message, message


@pytest.mark.parametrize("verification, fragment", [
    ("[checked]", "must be a mapping of status"),
    ("{Checked: yes}", "must be lower-case letters"),
    ("{checked: [a]}", "must be a string"),
])
def test_bad_source_verification(tmp_path, verification, fragment):
    path = write(tmp_path, "bad.yml", "catalog_format: 1\nsources: {acme: {verification: %s}}\n" % verification)
    with pytest.raises(CatalogError) as exc:
        load_catalog([path])
    assert str(exc.value).startswith(path + ": field 'sources.acme.verification") and fragment in str(exc.value)


def test_section_selection(catalog):
    by_name = catalog.hosts(section="Device management")
    assert [h["host"] for h in by_name][:2] == ["*.push.apple.com", "deviceenrollment.apple.com"]
    assert by_name == catalog.hosts(section="device-management")
    assert len(catalog.hosts(section=["Device setup", "Certificate validation"])) == 19
    assert len(catalog.ports(section="Device setup", protocol="udp")) == 3
    assert [n["network"] for n in catalog.networks(section="Firewalls")] == [
        "17.0.0.0/8", "2403:300::/32", "2620:149::/32", "2a01:b740::/32"]
    assert catalog.hosts(section="Device setup", source="enterprise-networks") == []


def test_unknown_section_lists_the_sections(catalog):
    with pytest.raises(CatalogQueryError, match="section: 'Printing' is not a section of the catalog; valid values are: "
                                                "'Apple Account', 'Apple Business device management', "):
        catalog.hosts(section="Printing")
    with pytest.raises(CatalogQueryError, match="section: 5 is not a section"):
        catalog.ports(section=5)


def test_bad_family(catalog):
    with pytest.raises(CatalogQueryError, match="family: 5 is not an address family; valid values are: 4, 6"):
        catalog.networks(family=5)


def test_host_conflicts(catalog):
    conflicts = dict((c["host"], c) for c in catalog.conflicts() if c["kind"] == "hosts")
    gdmf = conflicts["gdmf.apple.com"]["fields"]
    assert gdmf["supports_proxies"] == {"apple-support-101555/device-management/gdmf.apple.com": "yes",
                                        "apple-support-101555/software-updates/gdmf.apple.com": "not_stated"}
    assert set(gdmf) == {"os", "supports_proxies"}
    assert set(conflicts["itunes.apple.com"]["fields"]) == {"ports", "os", "supports_proxies"}
    assert set(conflicts["ws-ee-maidsvc.icloud.com"]["fields"]) == {"ports", "os"}
    assert set(conflicts["humb.apple.com"]["fields"]) == {"os"}
    assert len(conflicts["humb.apple.com"]["entries"]) == 3
    # The Apple School Manager table states no OS ("-"): not a disagreement with the Apps table.
    assert "*.mzstatic.com" not in conflicts
    assert len([h for h in catalog.hosts(source="apple-support-101555") if h["host"] == "humb.apple.com"]) == 3


def test_ports_in_a_different_order_do_not_conflict(tmp_path):
    path = write(tmp_path, "order.yml", "catalog_format: 1\nsources: {acme: {}}\nhosts:\n"
                 "  - {id: acme/a, source: acme, host: a.acme.example, ports: '80, 443'}\n"
                 "  - {id: acme/b, source: acme, host: a.acme.example, ports: '443, 80', os: [macOS]}\n")
    assert [c for c in load_catalog([path]).conflicts() if c.get("source") == "acme"] == []


def test_compare_sources(catalog):
    changes = catalog.compare_sources("enterprise-networks", "apple-support-101555")
    added = dict(((c["kind"], c["key"]), c["ids"]) for c in changes["added"])
    removed = set((c["kind"], c["key"]) for c in changes["removed"])
    kept = set((c["kind"], c["key"]) for c in changes["kept"])
    assert added[("hosts", "gdmf.apple.com")] == ["apple-support-101555/device-management/gdmf.apple.com",
                                                  "apple-support-101555/software-updates/gdmf.apple.com"]
    assert ("hosts", "*.push.apple.com") in added and ("networks", "17.0.0.0/8") in added
    assert ("ports", "2197/tcp") in added and ("ports", "443/udp") in added
    assert {("hosts", "deimos3.apple.com"), ("hosts", "*.symcb.com"), ("ports", "5224/tcp")} <= removed
    assert {("hosts", "albert.apple.com"), ("hosts", "*.mzstatic.com"), ("ports", "5223/tcp")} <= kept
    with pytest.raises(CatalogQueryError, match="'nope' is not a catalog source"):
        catalog.compare_sources("enterprise-networks", "nope")


def test_summary_by_section(catalog):
    summary = catalog.summary(section="Device management")
    assert summary["counts"] == {"ports": 11, "hosts": 11, "processes": 0, "networks": 0}
    assert summary["sections"] == [{"section": "Device management", "source": "apple-support-101555",
                                    "counts": {"ports": 11, "hosts": 11, "processes": 0, "networks": 0}}]
    sections = catalog.summary()["sections"]
    assert len([s for s in sections if s["source"] == "apple-support-101555"]) == 20
    assert sum(s["counts"]["hosts"] for s in sections) == 148
