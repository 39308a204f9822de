# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where egress is restricted to: the catalog's networks by default, explicit networks instead, user networks added."""

from __future__ import annotations

import ipaddress

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import summary
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._firewall_selection import destination_networks
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import FirewallInputError, build_spec

# Typed from the Firewalls section of Apple's article 101555 (../shared/sources), not read from the catalog.
APPLE_BLOCKS = ["17.0.0.0/8", "2403:300::/32", "2620:149::/32", "2a01:b740::/32"]
APNS_FALLBACK = ["17.249.0.0/16", "17.252.0.0/16", "17.57.144.0/22", "17.188.128.0/18", "17.188.20.0/23",
                 "2620:149:a44::/48", "2403:300:a42::/48", "2403:300:a51::/48", "2a01:b740:a42::/48"]

USER_NETWORKS = """catalog_format: 1
edition: acme-networks
sources:
  acme:
    title: ACME network requirements
networks:
  - {source: acme, network: 10.20.0.0/16, purpose: ACME MDM servers}
  - {source: acme, network: "fd00:ac::/32", purpose: ACME lab}
  - {source: acme, network: 17.1.0.0/16, purpose: Inside Apple's block}
"""


def test_default_is_the_catalogs_apple_networks(catalog):
    networks, ids = destination_networks(catalog)
    assert networks == APPLE_BLOCKS
    # Every network record counts: the four blocks of 101555 and APNs' 17.0.0.0/8 and fallback ranges of 102266.
    assert len(ids) == 14
    assert sum(i.startswith("apple-support-101555/") for i in ids) == 4
    assert sum(i.startswith("apple-support-102266/") for i in ids) == 10


def test_the_ipv6_blocks_are_in_the_default(catalog):
    networks, _ids = destination_networks(catalog, [])
    ipv6 = [n for n in networks if ipaddress.ip_network(n).version == 6]
    assert ipv6 == ["2403:300::/32", "2620:149::/32", "2a01:b740::/32"]


def test_the_apns_fallback_ranges_add_no_address(catalog):
    """They are network records of the catalog, so they are in the default, but each lies inside an Apple block."""
    blocks = [ipaddress.ip_network(n) for n in APPLE_BLOCKS]
    for cidr in APNS_FALLBACK:
        net = ipaddress.ip_network(cidr)
        assert any(net.version == b.version and net.subnet_of(b) for b in blocks), cidr
    apns_only = [r["network"] for r in catalog.networks(source="apple-support-102266")]
    assert sorted(apns_only[1:]) == sorted(APNS_FALLBACK)


@pytest.mark.parametrize("explicit, expected", [
    (["10.0.0.0/8"], ["10.0.0.0/8"]),
    (["2001:db8::/32", "192.0.2.7", "10.0.0.0/8", "10.1.0.0/16"], ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"]),
    # What an AWX survey text answer sends.
    ("10.0.0.0/8, 2001:db8::/32", ["10.0.0.0/8", "2001:db8::/32"]),
])
def test_explicit_destinations_replace_the_catalogs(catalog, explicit, expected):
    assert destination_networks(catalog, explicit) == (expected, [])


def test_a_user_catalog_adds_networks(tmp_path):
    path = tmp_path / "acme.yml"
    path.write_text(USER_NETWORKS)
    networks, ids = destination_networks(load_catalog([str(path)]))
    assert networks == ["10.20.0.0/16", "17.0.0.0/8", "2403:300::/32", "2620:149::/32", "2a01:b740::/32", "fd00:ac::/32"]
    assert sum(i.startswith("acme/") for i in ids) == 3


def test_a_catalog_without_networks_needs_explicit_destinations():
    old = load_catalog(editions=["apple-2018-02-13"])
    with pytest.raises(FirewallInputError, match=r"^destinations: empty, and the catalog has no network records"):
        destination_networks(old)
    assert destination_networks(old, ["17.0.0.0/8"]) == (["17.0.0.0/8"], [])


@pytest.mark.parametrize("value", ["apple.com", "17.0.0.0/33", ""])
def test_bad_explicit_destination_is_named(catalog, value):
    with pytest.raises(FirewallInputError, match="destinations: .* is not an IP address or network"):
        destination_networks(catalog, [value])


def test_the_module_reports_where_egress_may_go(catalog):
    """The module's RV restricted_to (also in check mode) is what the spec restricts to."""
    networks, _ids = destination_networks(catalog)
    spec = build_spec(directions=["egress"], destinations=networks, resolved_destinations=["17.253.144.10"])
    assert summary.restricted_to(spec) == {"networks": APPLE_BLOCKS, "addresses": ["17.253.144.10"]}
    assert summary.restricted_to(build_spec(directions=["egress"])) == {"networks": [], "addresses": []}
    assert summary.restricted_to(None) == {}
