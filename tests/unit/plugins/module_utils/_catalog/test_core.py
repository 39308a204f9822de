# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog import cache
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.rule import macos_bypass_entries
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.catalog import Catalog, port_ranges
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.errors import CatalogError, CatalogQueryError
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog, validate_documents
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.ports import merge_range_dicts


def write(tmp_path, name, doc):
    path = tmp_path / name
    path.write_text(json.dumps(doc) if name.endswith(".json") else doc)
    return str(path)


def test_counts(catalog):
    summary = catalog.summary()
    per_source = dict((s["id"], s["counts"]) for s in summary["sources"])
    assert per_source["ports-reference"] == {"ports": 130, "hosts": 0, "processes": 0, "networks": 0}
    assert per_source["enterprise-networks"] == {"ports": 13, "hosts": 20, "processes": 20, "networks": 0}
    assert per_source["software-update-servers"] == {"ports": 3, "hosts": 4, "processes": 0, "networks": 0}
    assert per_source["apple-support-101555"] == {"ports": 148, "hosts": 148, "processes": 0, "networks": 4}
    assert per_source["apple-support-102266"] == {"ports": 0, "hosts": 0, "processes": 0, "networks": 10}
    assert summary["edition"] == "apple-2018-02-13 + apple-2026-08-07"


def test_software_update_ports(catalog):
    records = catalog.ports(used_by="Software Update")
    tcp = set((r["ports_text"], r["source"]) for r in records if "tcp" in r["protocols"])
    assert ("80", "ports-reference") in tcp and ("443", "ports-reference") in tcp
    assert ("80", "software-update-servers") in tcp and ("443", "software-update-servers") in tcp


def test_port_5223_from_both_documents(catalog):
    assert sorted(r["source"] for r in catalog.ports(port=5223)) == ["apple-support-101555", "enterprise-networks",
                                                                     "ports-reference"]


def test_port_inside_range(catalog):
    ids = [r["id"] for r in catalog.ports(port=700)]
    assert "ports-reference/600-1023/tcp+udp/ipcserver" in ids


def test_conflicts(catalog):
    conflicts = dict((c["ports_text"], c["protocols_by_source"]) for c in catalog.conflicts() if c["kind"] == "ports")
    assert conflicts == {
        "123": {"apple-support-101555": ["udp"], "enterprise-networks": ["tcp", "udp"], "ports-reference": ["udp"]},
        # Article 101555 lists 443 over UDP (QUIC) for iCloud and relay hosts; the 2018 documents only over TCP.
        "443": {"apple-support-101555": ["tcp", "udp"], "enterprise-networks": ["tcp"], "ports-reference": ["tcp"],
                "software-update-servers": ["tcp"]},
        "1900": {"enterprise-networks": ["tcp"], "ports-reference": ["udp"]},
    }


def test_used_by_matches_whole_phrases_and_service(catalog):
    apns = set(r["ports_text"] for r in catalog.ports(used_by="apns"))
    assert apns == {"2195", "2196", "5223"}
    # "Mai" is no whole phrase of any name: a typo, never an empty answer.
    with pytest.raises(CatalogQueryError, match=r"used_by: 'Mai' matches nothing in the catalog; did you mean 'Mail'"):
        catalog.ports(used_by="Mai")


def test_protocol_filter_excludes_unspecified(catalog):
    assert "11211" not in [r["ports_text"] for r in catalog.ports(protocol="tcp")]
    assert "11211" in [r["ports_text"] for r in catalog.ports()]


@pytest.mark.parametrize("kwargs, message", [
    ({"protocol": "icmp"}, "protocol: 'icmp' is not supported; valid values are: tcp, udp"),
    ({"source": "nope"}, "source: 'nope' is not a catalog source; valid values are: apple-support-101555, "
                         "apple-support-102266, enterprise-networks, ports-reference, software-update-servers"),
    ({"port": 0}, "port: port 0 is out of range 1-65535"),
    ({"port": 70000}, "port: port 70000 is out of range 1-65535"),
])
def test_bad_query_options(catalog, kwargs, message):
    with pytest.raises(CatalogQueryError) as exc:
        catalog.ports(**kwargs)
    assert message in str(exc.value)


def test_bad_group(catalog):
    with pytest.raises(CatalogQueryError, match="valid values are: apple, apple-account, .*, device-management, .*"
                                                "other, software-update, software-updates, tap-to-pay-on-iphone$"):
        catalog.hosts(group="nope")


def test_group_display_names(catalog):
    assert len(catalog.hosts(group="Software Update")) == 4
    assert len(catalog.hosts(group="Apple")) == 14
    assert len(catalog.hosts(group="other")) == 6


def test_results_are_copies(catalog):
    first = catalog.ports(port=443)
    first[0]["ports"][0]["start"] = 1
    first[0]["used_by"].append("x")
    assert catalog.ports(port=443)[0]["ports"][0]["start"] == 443


def test_cache_reuses_catalog():
    assert load_catalog() is load_catalog()


def test_cache_notices_changed_file(tmp_path):
    path = write(tmp_path, "org.yml", "catalog_format: 1\nsources: {org: {}}\nhosts: [{source: org, host: a.example.com}]\n")
    first = load_catalog([path])
    with open(path, "a") as handle:
        handle.write("  # changed\n")
    assert load_catalog([path]) is not first


def test_merge_ranges():
    assert merge_range_dicts([{"start": 5, "end": 9}, {"start": 1, "end": 3}, {"start": 4, "end": 4}, {"start": 20, "end": 20}]) == [
        {"start": 1, "end": 9}, {"start": 20, "end": 20}]


def test_port_ranges_unspecified():
    records = [{"ports": [{"start": 5350, "end": 5350}], "protocols": ["udp"]},
               {"ports": [{"start": 5351, "end": 5351}], "protocols": ["udp"]},
               {"ports": [{"start": 11211, "end": 11211}], "protocols": []}]
    assert port_ranges(records) == {"tcp": [{"start": 11211, "end": 11211}],
                                    "udp": [{"start": 5350, "end": 5351}, {"start": 11211, "end": 11211}]}
    assert port_ranges(records, []) == {"tcp": [], "udp": [{"start": 5350, "end": 5351}]}
    with pytest.raises(CatalogQueryError, match="'icmp' is not a protocol"):
        port_ranges(records, ["icmp"])


# -- user catalog files ------------------------------------------------------------------------

GOOD = """catalog_format: 1
edition: acme-2026-01
sources:
  acme: {title: ACME extra hosts, published: "2026-01-10"}
hosts:
  - {source: acme, host: "*.mdm.acme.example", probe_host: eu.mdm.acme.example, group: acme}
ports:
  - {source: acme, ports: "8443", protocols: tcp, service: MDM, used_by: [ACME MDM]}
  - {source: ports-reference, ports: 5223, protocols: [tcp], service: APNs via relay, used_by: [ACME relay]}
"""


def test_user_catalog_merged_and_queryable(tmp_path):
    catalog = load_catalog([write(tmp_path, "acme.yml", GOOD)])
    assert [h["probe_host"] for h in catalog.hosts(source="acme")] == ["eu.mdm.acme.example"]
    assert [r["ports"] for r in catalog.ports(used_by="ACME MDM")] == [[{"start": 8443, "end": 8443}]]
    assert "ACME relay" in [u for r in catalog.ports(port=5223) for u in r["used_by"]]
    assert catalog.edition == "apple-2018-02-13 + apple-2026-08-07 + acme-2026-01"
    assert "acme" in catalog.groups


@pytest.mark.parametrize("entry, field, fragment", [
    ('{source: acme, ports: 0}', "ports", "port 0 is out of range 1-65535"),
    ('{source: acme, ports: 65536}', "ports", "port 65536 is out of range 1-65535"),
    ('{source: acme, ports: "2000-1000"}', "ports", "range 2000-1000 is reversed"),
    ('{source: acme, ports: 80, protocols: [icmp]}', "protocols", "unknown protocol 'icmp'"),
    ('{source: acme, ports: 80, colour: red}', "colour", "unknown field"),
    ('{source: nope, ports: 80}', "source", "'nope' is not declared"),
    ('{source: acme, ports: 80, service: "a\\nb"}', "service", "control character"),
])
def test_bad_port_entries(tmp_path, entry, field, fragment):
    path = write(tmp_path, "bad.yml", "catalog_format: 1\nsources: {acme: {}}\nports:\n  - %s\n" % entry)
    with pytest.raises(CatalogError) as exc:
        load_catalog([path])
    message = str(exc.value)
    assert message.startswith(path + ": ports[0]")
    assert "field '%s'" % field in message
    assert fragment in message


@pytest.mark.parametrize("host, fragment", [
    ('"a\'b.example.com"', "character \"'\""),
    ('"a b.example.com"', "character ' '"),
    ('"a;b.example.com"', "character ';'"),
    ('"a\\nb.example.com"', "character '\\n'"),
])
def test_bad_host_entries(tmp_path, host, fragment):
    path = write(tmp_path, "bad.yml", "catalog_format: 1\nsources: {acme: {}}\nhosts:\n  - {source: acme, host: %s}\n" % host)
    with pytest.raises(CatalogError) as exc:
        load_catalog([path])
    message = str(exc.value)
    assert message.startswith(path + ": hosts[0]") and "field 'host'" in message and fragment in message


def test_probe_host_must_match_pattern(tmp_path):
    path = write(tmp_path, "bad.yml", "catalog_format: 1\nsources: {acme: {}}\n"
                 "hosts:\n  - {source: acme, host: '*.acme.example', probe_host: acme.example}\n")
    with pytest.raises(CatalogError, match="field 'probe_host': 'acme.example' does not match"):
        load_catalog([path])


def test_nothing_merged_when_one_file_is_bad(tmp_path):
    good = write(tmp_path, "good.yml", GOOD)
    bad = write(tmp_path, "bad.json", {"catalog_format": 1, "sources": {"x": {}}, "ports": [{"source": "x", "ports": 0}]})
    with pytest.raises(CatalogError):
        load_catalog([good, bad])


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(CatalogError, match="cannot read catalog file"):
        load_catalog([str(tmp_path / "missing.yml")])
    with pytest.raises(CatalogError, match="not valid YAML"):
        load_catalog([write(tmp_path, "x.yml", "a: [")])
    with pytest.raises(CatalogError, match="catalog_format"):
        load_catalog([write(tmp_path, "y.yml", "sources: {}\n")])


def test_duplicate_ids_rejected(tmp_path):
    path = write(tmp_path, "dup.yml", "catalog_format: 1\nsources: {acme: {}}\n"
                 "ports:\n  - {source: acme, ports: 80, protocols: tcp}\n  - {source: acme, ports: 80, protocols: tcp}\n")
    with pytest.raises(CatalogError, match="duplicate id 'acme/80/tcp'"):
        load_catalog([path])


def _edition(published, rows):
    return {"catalog_format": 1, "edition": "ports-%s" % published,
            "sources": {"ports-reference": {"title": "TCP and UDP ports", "published": published}},
            "ports": [dict(source="ports-reference", **row) for row in rows]}


def test_newer_edition_replaces_source_whatever_the_order(tmp_path):
    newer = write(tmp_path, "newer.json", _edition("2030-01-01", [{"ports": 443, "protocols": ["tcp"], "iana_name": "https",
                                                                   "used_by": ["Everything"]}]))
    older = write(tmp_path, "older.json", _edition("2010-01-01", [{"ports": 1, "protocols": ["tcp"]}]))
    for order in ([newer, older], [older, newer]):
        catalog = load_catalog(order)
        ports_reference = catalog.ports(source="ports-reference")
        assert [r["ports_text"] for r in ports_reference] == ["443"]
        assert catalog.sources["ports-reference"]["published"] == "2030-01-01"
        assert len(catalog.ports(source="enterprise-networks")) == 13


def test_changes_between_editions(tmp_path):
    newer = write(tmp_path, "newer.json", _edition("2030-01-01", [
        {"ports": 443, "protocols": ["tcp"], "iana_name": "https", "service": "Secure Sockets Layer (SSL or HTTPS)",
         "rfc": [2818], "used_by": ["Everything"]},
        {"ports": 9999, "protocols": ["udp"], "iana_name": "new"},
    ]))
    changes = load_catalog().changes(load_catalog([newer]))
    assert [c["id"] for c in changes["added"]] == ["ports-reference/9999/udp/new"]
    assert len(changes["removed"]) == 129
    changed = dict((c["id"], c["fields"]) for c in changes["changed"])
    assert list(changed) == ["ports-reference/443/tcp/https"]
    assert changed["ports-reference/443/tcp/https"]["used_by"]["to"] == ["Everything"]
    assert "location" not in changed["ports-reference/443/tcp/https"]


def test_building_a_catalog_is_deterministic():
    doc = json.load(open(os.path.join(cache.EDITIONS_DIR, "apple-2018-02-13.json")))
    first = Catalog(validate_documents([("a", doc)])).records("ports")
    second = Catalog(validate_documents([("a", doc)])).records("ports")
    assert first == second


def test_bypass_entries():
    assert macos_bypass_entries(["*.Apple.com", "swscan.apple.com", "*.apple.com"], include_apex=True) == [
        "*.apple.com", "apple.com", "swscan.apple.com"]
    assert macos_bypass_entries(["gg*.apple.com"], include_apex=True) == ["gg*.apple.com"]


def test_hosts_group_and_section_combine_all_or_any():
    catalog = load_catalog()
    groups, sections = ["software-update"], ["Device management"]
    by_group = catalog.hosts(group=groups)
    by_section = catalog.hosts(section=sections)
    assert by_group and by_section
    assert catalog.hosts(group=groups, section=sections) == []  # the 2018 rows have no section
    either = catalog.hosts(group=groups, section=sections, combine="any")
    assert sorted(r["id"] for r in either) == sorted(r["id"] for r in by_group + by_section)
    assert [r["id"] for r in either] == [r["id"] for r in catalog.hosts() if r in either]  # catalog order
    assert catalog.hosts(group=groups, combine="any") == by_group
    assert catalog.hosts(section=sections, combine="any") == by_section
    with pytest.raises(CatalogQueryError, match="combine: 'either' is not one of all, any"):
        catalog.hosts(combine="either")
