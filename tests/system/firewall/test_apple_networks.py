# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The firewall role with ``firewall_restrict_destinations`` and the default destinations (issue 12): the catalog's
Apple networks are allowed on the selected ports, and nothing else.

Namespace ``fw`` gets the role; its peer ``ap`` holds an address inside Apple's 17.0.0.0/8 and 2620:149::/32 and
one outside Apple's networks (documentation ranges), each serving TCP 5223 (an APNs port) and 8081 (not selected).
``fw`` routes both through the veth pair, so the traffic never leaves the two namespaces the test creates.
"""

from __future__ import annotations

import random

import pytest

from .helpers import ns_run, probe, start_servers
from .test_firewall import APPLY, ROLE_PLAY, role_vars

# Typed from the Firewalls section of Apple's article 101555 (../shared/sources), not read from the catalog.
APPLE_BLOCKS = ["17.0.0.0/8", "2403:300::/32", "2620:149::/32", "2a01:b740::/32"]
PEER = {"apple4": "17.253.144.10", "outside4": "198.51.100.7",
        "apple6": "2620:149:a44::10", "outside6": "2001:db8:77::7"}
PORTS = (5223, 8081)

USER_CATALOG = """catalog_format: 1
edition: acme-networks
sources:
  acme:
    title: ACME network requirements
networks:
  - {source: acme, network: 198.51.100.0/24, purpose: ACME MDM servers}
"""


@pytest.fixture
def apple_topo(netns, processes, scratch):
    net, net6 = "10.%d.%d" % (random.randint(64, 250), random.randint(0, 250)), "fd00:%x:%x:" % (
        random.randint(1, 0xffff), random.randint(0, 0xffff))
    fw, peer = netns.add("fw"), netns.add("ap")
    dev_fw, dev_peer = netns.link(fw, net + ".1/24", peer, net + ".2/24")
    ns_run(fw, "ip", "-6", "addr", "add", net6 + ":1/64", "dev", dev_fw, "nodad")
    ns_run(peer, "ip", "-6", "addr", "add", net6 + ":2/64", "dev", dev_peer, "nodad")
    for name, addr in PEER.items():
        ns_run(peer, *(["ip", "-6", "addr", "add", addr + "/128", "dev", dev_peer, "nodad"] if name.endswith("6")
                       else ["ip", "addr", "add", addr + "/32", "dev", dev_peer]))
    for block in ("17.0.0.0/8", "198.51.100.0/24"):
        ns_run(fw, "ip", "route", "add", block, "via", net + ".2")
    for block in ("2620:149::/32", "2001:db8:77::/48"):
        ns_run(fw, "ip", "-6", "route", "add", block, "via", net6 + ":2")
    start_servers(processes, peer, scratch, ["tcp:[%s]:%d" % (addr, port) for addr in PEER.values() for port in PORTS])
    return {"fw": fw, "cl": peer, "cl_ip": net + ".2", "scratch": scratch}


def reachable(topo):
    """``{"apple4:5223": bool, ...}``: what ``fw`` reaches on the peer's addresses."""
    targets = [("tcp", addr, port) for addr in PEER.values() for port in PORTS]
    names = dict((addr, name) for name, addr in PEER.items())
    return dict(("%s:%d" % (names[addr], port), ok) for (_proto, addr, port), ok in probe(topo["fw"], targets).items())


def only(*allowed):
    return dict(("%s:%d" % (name, port), "%s:%d" % (name, port) in allowed) for name in PEER for port in PORTS)


@pytest.mark.parametrize("backend", ["nftables", "iptables"])
def test_the_apple_networks_by_default_and_nothing_else(apple_topo, fw_playbook, backend):
    fw = apple_topo["fw"]
    assert reachable(apple_topo) == only(*["%s:%d" % (n, p) for n in PEER for p in PORTS])  # nothing filtered yet
    vars_ = role_vars(apple_topo, firewall_backend=backend, firewall_directions=["egress"], firewall_ingress_used_by=[],
                      firewall_ingress_ports=[], firewall_iptables_variant="nft")
    del vars_["firewall_destinations"]  # the role's default: the catalog's networks

    check = fw_playbook(ROLE_PLAY, extra_vars=vars_, netns=fw, check=True, diff=True)
    assert check.rc == 0, check
    planned = check.results(APPLY)["localhost"]
    assert planned["changed"] is True and planned["restricted_to"] == {"networks": APPLE_BLOCKS, "addresses": []}
    assert all(block in planned["diff"]["after"] if backend == "nftables" else
               any(block in d["after"] for d in planned["diff"]) for block in APPLE_BLOCKS)
    assert reachable(apple_topo) == only(*["%s:%d" % (n, p) for n in PEER for p in PORTS])  # check mode changed nothing

    res = fw_playbook(ROLE_PLAY, extra_vars=vars_, netns=fw)
    assert res.rc == 0, res
    applied = res.results(APPLY)["localhost"]
    assert applied["confirmed"] is True and applied["restricted_to"]["networks"] == APPLE_BLOCKS
    assert reachable(apple_topo) == only("apple4:5223", "apple6:5223")

    # A user catalog file adds its network to Apple's.
    catalog = apple_topo["scratch"] / "acme.yml"
    catalog.write_text(USER_CATALOG)
    res = fw_playbook(ROLE_PLAY, extra_vars=dict(vars_, firewall_catalog_files=[str(catalog)]), netns=fw)
    assert res.rc == 0, res
    assert res.results(APPLY)["localhost"]["restricted_to"]["networks"] == ["17.0.0.0/8", "198.51.100.0/24"] + APPLE_BLOCKS[1:]
    assert reachable(apple_topo) == only("apple4:5223", "apple6:5223", "outside4:5223")

    # Explicit destinations win over the catalog's.
    res = fw_playbook(ROLE_PLAY, extra_vars=dict(vars_, firewall_destinations=[PEER["outside4"]]), netns=fw)
    assert res.rc == 0, res
    assert reachable(apple_topo) == only("outside4:5223")

    gone = fw_playbook(ROLE_PLAY, extra_vars=dict(vars_, firewall_state="absent"), netns=fw)
    assert gone.rc == 0, gone
    assert reachable(apple_topo) == only(*["%s:%d" % (n, p) for n in PEER for p in PORTS])
