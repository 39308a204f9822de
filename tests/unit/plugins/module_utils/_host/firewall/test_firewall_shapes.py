# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Each shape pinned exactly: ansible.posix.firewalld, community.general.ufw, ansible.builtin.iptables, the
linux-system-roles firewall role."""

from __future__ import annotations

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.catalog import port_ranges
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends.iptables import MULTIPORT_MAX
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._firewall_selection import select
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.shapes import SHAPES, shape
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import FirewallInputError

CATALOG = load_catalog([], None)
# The firewall role's default egress selection, plus two explicit ports that push TCP past one multiport match.
DEFAULT_SOURCES = {"sources": ["enterprise-networks", "software-update-servers"]}
SELECTION = select(CATALOG, ["egress"], egress=dict(DEFAULT_SOURCES, ports=["3000/tcp", "3002/tcp"]))

TCP = ["80", "123", "443", "554", "1900", "3000", "3002", "3689", "5223:5224", "8000:8999", "42000:42999", "49152:65535"]
UDP = ["123", "554", "5350:5351", "5353", "49152:65535"]


def test_firewalld_port_strings():
    assert shape(SELECTION, "firewalld") == (
        ["80/tcp", "123/tcp", "443/tcp", "554/tcp", "1900/tcp", "3000/tcp", "3002/tcp", "3689/tcp", "5223-5224/tcp",
         "8000-8999/tcp", "42000-42999/tcp", "49152-65535/tcp",
         "123/udp", "554/udp", "5350-5351/udp", "5353/udp", "49152-65535/udp"])


def test_linux_system_roles_port_list_is_the_firewalld_syntax():
    ports = shape(SELECTION, "linux_system_roles")
    assert ports == shape(SELECTION, "firewalld")
    assert ports[:3] == ["80/tcp", "123/tcp", "443/tcp"] and "49152-65535/tcp" in ports


def test_ufw_items():
    assert shape(SELECTION, "ufw") == (
        [{"port": port, "proto": "tcp"} for port in TCP] + [{"port": port, "proto": "udp"} for port in UDP])
    assert {"port": "49152:65535", "proto": "tcp"} in shape(SELECTION, "ufw")
    assert {"port": "443", "proto": "tcp"} in shape(SELECTION, "ufw")


def test_iptables_destination_ports_chunked_at_the_multiport_limit():
    # TCP takes 8 single ports and 4 ranges (two slots each) = 16 slots: one more than a multiport match holds.
    assert shape(SELECTION, "iptables") == [
        {"protocol": "tcp", "destination_ports": ["80", "123", "443", "554", "1900", "3000", "3002", "3689", "5223:5224",
                                                  "8000:8999", "42000:42999"]},
        {"protocol": "tcp", "destination_ports": ["49152:65535"]},
        {"protocol": "udp", "destination_ports": UDP},
    ]
    for item in shape(SELECTION, "iptables"):
        assert sum(2 if ":" in port else 1 for port in item["destination_ports"]) <= MULTIPORT_MAX


def test_iptables_chunk_never_splits_a_range():
    # 14 single ports (odd, so none merge) leave one slot: the range goes whole into the next rule.
    singles = list(range(1, 29, 2))
    selection = {"rules": [{"direction": "egress", "protocol": "udp", "ports": singles + ["100-200"]}]}
    assert shape(selection, "iptables") == [
        {"protocol": "udp", "destination_ports": [str(p) for p in singles]},
        {"protocol": "udp", "destination_ports": ["100:200"]},
    ]


def test_ranges_are_merged_and_sorted_per_protocol():
    selection = {"rules": [
        {"direction": "ingress", "protocol": "udp", "ports": ["5353", "5350-5351", 5352]},
        {"direction": "ingress", "protocol": "tcp", "ports": [8080, "443", "8000-8100", {"start": 444, "end": 450}]},
        {"direction": "ingress", "protocol": "tcp", "ports": ["80"]},
    ]}
    assert shape(selection, "firewalld") == ["80/tcp", "443-450/tcp", "8000-8100/tcp", "5350-5353/udp"]
    assert shape(selection, "ufw") == [{"port": "80", "proto": "tcp"}, {"port": "443:450", "proto": "tcp"},
                                       {"port": "8000:8100", "proto": "tcp"}, {"port": "5350:5353", "proto": "udp"}]


def test_port_ranges_filter_result_is_taken():
    bonjour = port_ranges(CATALOG.ports(used_by=["Bonjour"], protocol="udp"))
    assert shape(bonjour, "firewalld") == ["1900/udp", "5350-5351/udp", "5353/udp"]
    assert shape({"tcp": [{"start": 443, "end": 443}]}, "iptables") == [{"protocol": "tcp", "destination_ports": ["443"]}]


def test_empty_selection_gives_nothing_to_open():
    empty = select(CATALOG, ["egress"], egress={})
    assert [shape(empty, name) for name in SHAPES] == [[], [], [], []]


def test_direction_defaults_to_the_only_one_selected():
    both = select(CATALOG, ["egress", "ingress"], egress={"used_by": ["APNs"]}, ingress={"ports": ["5353/udp"]})
    assert shape(both, "ufw", "ingress") == [{"port": "5353", "proto": "udp"}]
    assert shape(both, "firewalld", "egress") == ["2195-2196/tcp", "5223/tcp"]
    with pytest.raises(FirewallInputError, match="holds rules for egress and ingress; name the direction"):
        shape(both, "ufw")
    ingress_only = select(CATALOG, ["ingress"], ingress={"ports": ["5900/tcp"]})
    assert shape(ingress_only, "firewalld") == ["5900/tcp"]


@pytest.mark.parametrize("value, name, direction, message", [
    (SELECTION, "nftables", None, "shape: 'nftables' is not one of firewalld, ufw, iptables, linux_system_roles"),
    (SELECTION, "ufw", "forward", "direction: the selection has no forward rules"),
    (SELECTION, "ufw", "sideways", "direction: 'sideways' is not one of egress, ingress, forward"),
    (SELECTION, "ufw", "ingress", "the selection has no ingress rules \\(it holds egress\\)"),
    ({"rules": []}, "ufw", None, "the selection holds no direction"),
    ({"tcp": [{"start": 443, "end": 443}]}, "ufw", "egress", "only applies to a selection"),
    ("443/tcp", "ufw", None, "expected a selection from the firewall_selection lookup"),
    ([{"start": 443, "end": 443}], "ufw", None, "expected a selection"),
    ({}, "ufw", None, "expected a selection"),
    ({"tcp": [], "icmp": []}, "ufw", None, "expected a selection"),
    ({"tcp": "443"}, "ufw", None, "tcp: expected a list of {start, end} ranges, got '443'"),
    ({"tcp": [{"start": 0, "end": 5}]}, "ufw", None, "port 0 is out of range"),
    ({"udp": [{"start": 70000, "end": 70000}]}, "ufw", None, "port 70000 is out of range"),
    ({"tcp": [{"start": 20, "end": 10}]}, "ufw", None, "ends before it starts"),
    ({"tcp": [{"start": "443; drop"}]}, "ufw", None, "not a port number"),
    ({"rules": [{"direction": "egress", "protocol": "icmp", "ports": [1]}]}, "ufw", None,
     r"rules\[0\].protocol: 'icmp' is not a protocol"),
    ({"rules": [{"direction": "egress", "protocol": "tcp", "ports": ["1-70000"]}]}, "firewalld", None, "out of range"),
    ({"rules": [{"direction": "out", "protocol": "tcp", "ports": [1]}]}, "firewalld", None,
     r"rules\[0\].direction: 'out' is not one of egress, ingress"),
    ({"rules": "443"}, "iptables", None, "rules: expected a list"),
    ({"rules": [], "record_ids": ["egress"]}, "iptables", None, "record_ids: expected the lookup's dictionary"),
])
def test_bad_input_is_named(value, name, direction, message):
    with pytest.raises(FirewallInputError, match=message):
        shape(value, name, direction)
