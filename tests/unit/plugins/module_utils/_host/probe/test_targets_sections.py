# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Catalog targets selected by section: validation, groups and sections adding up, one probe per host:port."""

from __future__ import annotations

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.errors import CatalogQueryError
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.options import ProbeInputError, parse_config
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._probe_targets import catalog_targets

READINESS_SECTIONS = ["Device setup", "Device management", "Software updates", "Certificate validation"]


def key(target):
    return (target["host"] or target["pattern"], target["port"], target["protocol"])


def test_device_management_section(catalog):
    targets = catalog_targets(catalog, sections=["device-management"])
    assert {t["section"] for t in targets} == {"Device management"}
    hosts = {t["host"] for t in targets if t["host"]}
    assert {"deviceenrollment.apple.com", "gdmf.apple.com", "iprofiles.apple.com", "mdmenrollment.apple.com"} <= hosts
    # A wildcard without a concrete name in the catalog is skipped with the reason, never a made-up name ...
    skipped = dict((t["pattern"], t) for t in targets if t["host"] is None)
    assert sorted(skipped) == ["*.appattest.apple.com"]
    assert all("no concrete probe host" in t["skip_reason"] for t in skipped.values())
    # ... and APNs is probed at the name Apple's pin policy gives, marked as the maintainers' choice.
    push = [t for t in targets if t["pattern"] == "*.push.apple.com"]
    assert [(t["host"], t["port"], t["probe_host_origin"]) for t in push] == [
        ("courier.push.apple.com", port, "maintainers") for port in (443, 80, 5223, 2197)]
    gdmf = [t for t in targets if t["host"] == "gdmf.apple.com"][0]
    assert gdmf["probe_host_origin"] == "document"
    assert gdmf["rows"] == [{"id": gdmf["id"], "source": "apple-support-101555", "section": "Device management",
                             "pattern": "gdmf.apple.com", "supports_proxies": "yes", "probe_host_origin": "document"}]


def test_a_host_of_several_sections_is_probed_once_with_every_row(catalog):
    targets = catalog_targets(catalog, sections=READINESS_SECTIONS)
    assert len({key(t) for t in targets}) == len(targets)
    gdmf = [t for t in targets if t["host"] == "gdmf.apple.com"]
    assert len(gdmf) == 1
    assert [(r["section"], r["supports_proxies"]) for r in gdmf[0]["rows"]] == [
        ("Device management", "yes"), ("Software updates", "not_stated")]
    gs = [t for t in targets if t["host"] == "gs.apple.com" and t["port"] == 443][0]
    assert [r["section"] for r in gs["rows"]] == ["Device setup", "Software updates"]
    assert {r["section"] for t in targets for r in t["rows"]} == set(READINESS_SECTIONS)


def test_groups_and_sections_add_up_and_seed_rows_join_edition_rows(catalog):
    seeds = catalog_targets(catalog, groups=["software-update", "apple"])
    sections = catalog_targets(catalog, sections=READINESS_SECTIONS)
    both = catalog_targets(catalog, groups=["software-update", "apple"], sections=READINESS_SECTIONS)
    assert {key(t) for t in both} == {key(t) for t in seeds} | {key(t) for t in sections}
    swscan = [t for t in both if t["host"] == "swscan.apple.com" and t["port"] == 443][0]
    # The 2018 row comes first in the catalog; the current edition's row is recorded with it.
    assert swscan["source"] == "enterprise-networks" and swscan["section"] is None
    assert [(r["source"], r["section"]) for r in swscan["rows"]] == [
        ("enterprise-networks", None), ("software-update-servers", None), ("apple-support-101555", "Software updates")]
    # *.cdn-apple.com (2018, concrete name from the maintainers) and updates.cdn-apple.com (2026) are one probe.
    cdn = [t for t in both if t["host"] == "updates.cdn-apple.com" and t["port"] == 443][0]
    assert [(r["pattern"], r["probe_host_origin"]) for r in cdn["rows"]][:1] == [("*.cdn-apple.com", "maintainers")]
    assert ("updates.cdn-apple.com", "document") in [(r["pattern"], r["probe_host_origin"]) for r in cdn["rows"]]


def test_sources_narrow_sections(catalog):
    # Both selectors are valid, together they select no host: an error, never a green run of 0 probes.
    with pytest.raises(CatalogQueryError, match="the selection sources=.'enterprise-networks'., sections=.'Device management'. "
                                                "matches no catalog host"):
        catalog_targets(catalog, sources=["enterprise-networks"], sections=["Device management"])


@pytest.mark.parametrize("sections", [["Device managment"], ["Device setup", 7]])
def test_unknown_section_lists_the_valid_ones(catalog, sections):
    with pytest.raises(CatalogQueryError) as info:
        catalog_targets(catalog, sections=sections)
    message = str(info.value)
    assert message.startswith("sections[%d]: %r is not a section of the catalog; valid values are: "
                              % (len(sections) - 1, sections[-1]))
    assert "'Device management'" in message and "'Certificate validation'" in message


def test_rows_are_carried_into_the_results_and_validated():
    row = {"id": "x/y", "source": "x", "section": "Device setup", "pattern": "a.example.com", "supports_proxies": "yes",
           "probe_host_origin": "document"}
    specs, _config = parse_config({"targets": [{"host": "a.example.com", "port": 443, "section": "Device setup",
                                                "probe_host_origin": "document", "rows": [row]}]})
    assert specs[0]["target"]["rows"] == [row] and specs[0]["target"]["section"] == "Device setup"
    with pytest.raises(ProbeInputError, match=r"targets\[0\]\.rows\[0\]\.supports_proxies: 'no' is not valid"):
        parse_config({"targets": [{"host": "a.example.com", "port": 443, "rows": [dict(row, supports_proxies="no")]}]})
    with pytest.raises(ProbeInputError, match=r"targets\[0\]\.rows\[0\]: unknown key 'ports'"):
        parse_config({"targets": [{"host": "a.example.com", "port": 443, "rows": [dict(row, ports=[443])]}]})
