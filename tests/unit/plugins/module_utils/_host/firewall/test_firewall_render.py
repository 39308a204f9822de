# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import plistlib

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.errors import CatalogQueryError
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import rollback
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import iptables as ipt
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import nftables as nft
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import pf
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._firewall_selection import select
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import (
    FirewallInputError,
    build_spec,
    parse_port,
)
from ansible_collections.macfleet.apple_network.tests.unit.plugins.module_utils._host.firewall.firewall_params import with_defaults

RULES = [
    {"direction": "egress", "protocol": "tcp", "ports": [443, "5223-5224", {"start": 80, "end": 80}]},
    {"direction": "ingress", "protocol": "udp", "ports": ["5353"]},
]


spec = with_defaults(build_spec, rules=RULES)


# -- validation ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value, message", [
    (70000, "out of range"),
    ("70000", "out of range"),
    (0, "out of range"),
    ("443; flush ruleset", "not a port"),
    (True, "not a port number"),
    ("10-5", "ends before it starts"),
    ({"start": 1, "stop": 2}, "not a port range"),
])
def test_bad_ports_are_rejected(value, message):
    with pytest.raises(FirewallInputError, match=message):
        build_spec(rules=[{"direction": "egress", "protocol": "tcp", "ports": [value]}])


@pytest.mark.parametrize("value", ["my set", "1abc", "a-b", "x" * 21, "", "t;flush", None])
def test_bad_names_are_rejected(value):
    with pytest.raises(FirewallInputError, match="name: .* is not a valid name"):
        build_spec(name=value)


@pytest.mark.parametrize("value", ["not-an-address", "17.0.0.0/33", "1.2.3.4 }", "", 17])
def test_bad_addresses_are_rejected(value):
    with pytest.raises(FirewallInputError, match="destinations: .* is not an IP address or network"):
        build_spec(destinations=[value])


def test_resolved_destinations_must_be_single_addresses():
    with pytest.raises(FirewallInputError, match="is a network"):
        build_spec(resolved_destinations=["17.0.0.0/8"])


def test_other_bad_input():
    with pytest.raises(FirewallInputError, match="protocol: 'icmp'"):
        build_spec(rules=[{"direction": "egress", "protocol": "icmp", "ports": [1]}])
    with pytest.raises(FirewallInputError, match="direction"):
        build_spec(rules=[{"direction": "sideways", "protocol": "tcp", "ports": [1]}])
    with pytest.raises(FirewallInputError, match="not in directions"):
        build_spec(directions=["egress"], rules=[{"direction": "ingress", "protocol": "tcp", "ports": [1]}])
    with pytest.raises(FirewallInputError, match="policy"):
        build_spec(policy="accept")
    with pytest.raises(FirewallInputError, match="address_timeout"):
        build_spec(address_timeout=0)


def test_ports_are_merged_and_sorted():
    result = spec(rules=[{"direction": "egress", "protocol": "tcp", "ports": [443, "440-442", "5223:5224", 5225, 80]}])
    assert result["rules"]["egress"]["tcp"] == [(80, 80), (440, 443), (5223, 5225)]
    assert parse_port((7, 9)) == (7, 9)


# -- nftables -----------------------------------------------------------------------------------

def test_nftables_one_table_named_sets_and_management_port():
    text = nft.render(spec(destinations=["17.0.0.0/8"], resolved_destinations=["17.253.144.10"], address_timeout=600))
    assert text.startswith("table inet macfleet {")
    assert text.count("table ") == 1
    assert "set egress_tcp {\n\t\ttype inet_service\n\t\tflags interval\n\t\telements = { 80, 443, 5223-5224 }" in text
    assert "set ingress_udp {" in text and "elements = { 5353 }" in text
    assert "set mgmt_tcp {" in text and "elements = { 22 }" in text
    assert "elements = { 17.0.0.0/8 }" in text
    assert "set dyn4 {\n\t\ttype ipv4_addr\n\t\tflags timeout\n\t\ttimeout 600s\n\t\telements = { 17.253.144.10 }" in text
    assert "tcp dport @mgmt_tcp accept" in text
    assert "ip daddr @dst4 tcp dport @egress_tcp accept" in text
    assert "policy drop;" in text and "flush ruleset" not in text


def test_nftables_replace_and_restore_scripts_touch_only_the_table():
    script = nft.replace_script(spec(name="fw1"))
    assert script.startswith("add table inet fw1\ndelete table inet fw1\ntable inet fw1 {")
    assert nft.restore_script("fw1", None) == "add table inet fw1\ndelete table inet fw1\n"
    assert nft.restore_script("fw1", "table inet fw1 {\n}\n").endswith("table inet fw1 {\n}\n")
    assert nft.delete_script("fw1") == "delete table inet fw1\n"


def test_nftables_listing_normalisation_ignores_expiry_and_counters():
    listing = "elements = { 10.0.0.1 expires 59m58s }\ncounter packets 3 bytes 120 drop\n"
    assert nft.normalize_listing(listing) == "elements = { 10.0.0.1 }\ncounter drop\n"


def test_reject_policy():
    assert "reject with tcp reset" in nft.render(spec(policy="reject"))


# -- iptables -----------------------------------------------------------------------------------

def test_iptables_chunks_multiport_at_15_slots():
    ranges = [(p, p) for p in range(1000, 1020)] + [(2000, 2010)]
    chunks = ipt.chunk_ports(ranges)
    assert chunks[0] == ",".join(str(p) for p in range(1000, 1015))
    assert chunks[1] == "1015,1016,1017,1018,1019,2000:2010"


def test_iptables_rules_in_save_form():
    rules = ipt.chain_rules(spec(destinations=["17.0.0.0/8"]), 4)
    assert rules["macfleet_in"][0] == "-A macfleet_in -i lo -j ACCEPT"
    assert "-A macfleet_in -p tcp -m multiport --dports 22 -j ACCEPT" in rules["macfleet_in"]
    assert "-A macfleet_in -p udp -m multiport --dports 5353 -j ACCEPT" in rules["macfleet_in"]
    assert rules["macfleet_in"][-1] == "-A macfleet_in -j DROP"
    assert "-A macfleet_out -d 17.0.0.0/8 -j macfleet_dst" in rules["macfleet_out"]
    assert rules["macfleet_dst"] == ["-A macfleet_dst -p tcp -m multiport --dports 80,443,5223:5224 -j ACCEPT"]
    v6 = ipt.chain_rules(spec(), 6)
    assert "-A macfleet_in -p ipv6-icmp -m icmp6 --icmpv6-type 135 -j ACCEPT" in v6["macfleet_in"]


def test_iptables_restore_input_adds_missing_jumps_only_and_removes_cleanly():
    s = spec()
    chains, jumps = ipt.chain_rules(s, 4), sorted(ipt.jump_rules(s).values())
    text = ipt.restore_input("macfleet", chains, jumps, {}, [])
    assert text.startswith("*filter\n") and text.endswith("COMMIT\n")
    assert "-I INPUT 1 -j macfleet_in" in text and "-I OUTPUT 1 -j macfleet_out" in text
    again = ipt.restore_input("macfleet", chains, jumps, chains, jumps)
    assert "-I INPUT" not in again
    removal = ipt.restore_input("macfleet", {}, [], chains, jumps)
    assert "-D INPUT -j macfleet_in" in removal and "-X macfleet_in" in removal and "-X macfleet_out" in removal
    assert ipt.in_sync(chains, jumps, chains, list(reversed(jumps)))


def test_iptables_parse_save_only_returns_own_chains():
    save = ("*nat\n-A PREROUTING -j macfleet_in\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n:other - [0:0]\n"
            ":macfleet_in - [0:0]\n-A INPUT -j macfleet_in\n-A INPUT -j other\n-A other -j DROP\n"
            "-A macfleet_in -j DROP\nCOMMIT\n")
    chains, jumps = ipt.parse_save(save, "macfleet")
    assert chains == {"macfleet_in": ["-A macfleet_in -j DROP"]}
    assert jumps == ["-A INPUT -j macfleet_in"]


# -- pf -----------------------------------------------------------------------------------------

def test_pf_anchor():
    text = pf.render_anchor(spec(destinations=["17.0.0.0/8"]))
    assert "table <macfleet_dst> persist { 17.0.0.0/8 }" in text
    assert "block drop in all" in text and "block drop out all" in text
    assert "pass in quick proto tcp to any port { 22 } keep state" in text
    assert "pass out quick proto tcp to <macfleet_dst> port { 80, 443, 5223:5224 } keep state" in text


def test_pf_hook_is_idempotent_and_removable():
    stock = 'scrub-anchor "com.apple/*"\nanchor "com.apple/*"\nload anchor "com.apple" from "/etc/pf.anchors/com.apple"\n'
    hooked = pf.add_hook(stock, "macfleet", "/etc/pf.anchors/macfleet")
    assert hooked == stock + 'anchor "macfleet"\nload anchor "macfleet" from "/etc/pf.anchors/macfleet"\n'
    assert pf.add_hook(hooked, "macfleet", "/etc/pf.anchors/macfleet") == hooked
    assert pf.remove_hook(hooked, "macfleet") == stock
    assert pf.remove_hook(stock, "macfleet") == stock


def test_pf_launchdaemon_enables_with_reference_and_never_disables():
    data = plistlib.loads(pf.render_launchdaemon("com.macfleet.firewall.macfleet", "/sbin/pfctl", "macfleet",
                                                 "/etc/pf.anchors/macfleet"))
    assert data["ProgramArguments"] == ["/sbin/pfctl", "-E", "-a", "macfleet", "-f", "/etc/pf.anchors/macfleet"]
    assert data["RunAtLoad"] is True
    assert "-d" not in data["ProgramArguments"] and "-F" not in data["ProgramArguments"]
    with pytest.raises(FirewallInputError):
        pf.render_launchdaemon("bad label", "/sbin/pfctl", "macfleet", "/x")


# -- rollback -----------------------------------------------------------------------------------

def test_watchdog_script_claims_marker_before_restoring():
    script = rollback.watchdog_script("/s/m.pending", 5, ["nft", "-f", "-"], "/s/m.rollback data")
    assert script.splitlines()[0] == "sleep 5"
    assert "mv /s/m.pending /s/m.pending.rollback 2>/dev/null || exit 0" in script
    assert "nft -f - < '/s/m.rollback data'" in script


def test_confirm_without_pending_marker_reports_rollback(tmp_path):
    ok, reason = rollback.confirm(str(tmp_path), "macfleet", "nftables", "token")
    assert not ok and "already restored" in reason


# -- catalog selection --------------------------------------------------------------------------

def test_selection_union_of_sources_products_and_ports():
    catalog = load_catalog()
    result = select(catalog, ["egress", "ingress"], egress={"used_by": ["APNs"], "ports": ["8443/tcp"]},
                    ingress={"ports": ["5353/udp", "https"]})
    egress_tcp = [r for r in result["rules"] if r["direction"] == "egress" and r["protocol"] == "tcp"][0]["ports"]
    assert {"start": 5223, "end": 5223} in egress_tcp or any(r["start"] <= 5223 <= r["end"] for r in egress_tcp)
    assert any(r["start"] <= 8443 <= r["end"] for r in egress_tcp)
    ingress = dict((r["protocol"], r["ports"]) for r in result["rules"] if r["direction"] == "ingress")
    assert ingress["udp"] == [{"start": 5353, "end": 5353}]
    assert {"start": 443, "end": 443} in ingress["tcp"]


def test_selection_takes_comma_separated_text_like_a_survey_answer():
    """An AWX survey text answer arrives as "a,b"; it selects exactly what the list [a, b] selects."""
    catalog = load_catalog()
    as_lists = select(catalog, ["egress", "ingress"],
                      egress={"sources": ["software-update-servers"], "used_by": ["APNs", "FaceTime"], "ports": ["8443/tcp", "5353/udp"]},
                      ingress={"used_by": ["Screen Sharing"], "ports": []})
    as_text = select(catalog, ["egress", "ingress"],
                     egress={"sources": "software-update-servers", "used_by": "APNs,FaceTime", "ports": "8443/tcp,5353/udp"},
                     ingress={"used_by": "Screen Sharing", "ports": ""})
    assert as_text == as_lists
    assert any(r["protocol"] == "udp" and {"start": 5353, "end": 5353} in r["ports"] for r in as_text["rules"])
    with pytest.raises(FirewallInputError, match="egress.ports: expected a list"):
        select(catalog, ["egress"], egress={"ports": {"port": 443}})


def test_selection_by_section():
    """section 'Device management' of article 101555: the APNs row brings 80, 443, 2197 and 5223, all TCP."""
    catalog = load_catalog()
    result = select(catalog, ["egress"], egress={"sections": "Device management"})
    assert result["rules"] == [{"direction": "egress", "protocol": "tcp", "ports": [
        {"start": 80, "end": 80}, {"start": 443, "end": 443}, {"start": 2197, "end": 2197}, {"start": 5223, "end": 5223}]}]
    assert len(result["record_ids"]["egress"]) == 11
    assert "gdmf.apple.com" in result["hosts"] and "*.push.apple.com" not in result["hosts"]
    with pytest.raises(CatalogQueryError, match="section: 'Printing' is not a section"):
        select(catalog, ["egress"], egress={"sections": ["Printing"]})


@pytest.mark.parametrize("selection, message", [
    ({"ports": ["no-such-service"]}, "neither a port nor a service name"),
    ({"ports": [70000]}, "out of range"),
    ({"used_by": ["No Such Product"]}, "matches nothing in the catalog; valid values are"),
    ({"used_by": ["iTunes for Windows"]}, "matches no port record"),
    ({"ports": ["443/icmp"]}, "not a protocol"),
    ({"bogus": 1}, "unknown key"),
])
def test_selection_bad_input(selection, message):
    with pytest.raises(FirewallInputError, match=message):
        select(load_catalog(), ["egress"], egress=selection)


def test_whole_catalog_selection_renders_and_checks():
    catalog = load_catalog()
    sources = sorted(catalog.sources)
    result = select(catalog, ["egress", "ingress"], egress={"sources": sources}, ingress={"sources": sources})
    text = nft.render(build_spec(rules=result["rules"]))
    assert "49152-65535" in text
