# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Gateway mode (``firewall_directions: [forward]``) with real traffic through a gateway namespace (issue 13).

Four namespaces the test creates and removes: ``cl`` (a client network, 10.x.1.0/24), ``ot`` (another network
behind the same gateway, 10.x.2.0/24, not a client network), ``gw`` (the gateway: the role runs inside it, and IP
forwarding is switched on there only) and ``srv`` ("Apple", 10.x.3.2 and a second address 10.x.3.3 outside the
destinations), which serves TCP 443, 5223 and 8080 and DNS (a real dnsmasq). Servers are stopped by PID.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from .helpers import HERE, dns_probe, ns_run, probe, start_dnsmasq, start_servers, wait_until
from .test_firewall import APPLY, ROLE_PLAY, rerun_without_module, saved_rules

SERVER_PORTS = (443, 5223, 8080)
NAME = "gateway.apple.test"


@pytest.fixture
def gateway_topo(netns, processes, scratch):
    net = "10.%d" % random.randint(64, 250)
    gw, cl, ot, srv = netns.add("gw"), netns.add("cl"), netns.add("ot"), netns.add("srv")
    netns.link(gw, net + ".1.1/24", cl, net + ".1.2/24")
    netns.link(gw, net + ".2.1/24", ot, net + ".2.2/24")
    _dev_gw, dev_srv = netns.link(gw, net + ".3.1/24", srv, net + ".3.2/24")
    ns_run(srv, "ip", "addr", "add", net + ".3.3/24", "dev", dev_srv)
    for ns, router in ((cl, net + ".1.1"), (ot, net + ".2.1"), (srv, net + ".3.1")):
        ns_run(ns, "ip", "route", "add", "default", "via", router)
    # Forwarding inside the gateway namespace only: the sysctl is per network namespace.
    ns_run(gw, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
    server, other = net + ".3.2", net + ".3.3"
    start_servers(processes, srv, scratch, ["tcp:0.0.0.0:%d" % port for port in SERVER_PORTS])
    start_dnsmasq(processes, srv, scratch, [server, other], {NAME: server})
    for ns in (cl, ot):  # the clients' resolver is the server side's dnsmasq (removed with the namespace)
        etc = Path("/etc/netns") / ns
        etc.mkdir(parents=True)
        (etc / "resolv.conf").write_text("nameserver %s\noptions timeout:1 attempts:1\n" % server)
    return {"fw": gw, "cl": cl, "ot": ot, "srv": srv, "server": server, "other": other,
            "clients": net + ".1.0/24", "scratch": scratch}


def gateway_vars(topo, **extra):
    result = {
        "firewall_directions": ["forward"],
        "firewall_client_networks": [topo["clients"]],
        "firewall_client_nameservers": [topo["server"]],
        "firewall_egress_sources": [],
        "firewall_egress_used_by": ["APNs"],  # 2195, 2196, 5223 (tcp)
        "firewall_egress_ports": ["443/tcp"],
        "firewall_restrict_destinations": True,
        "firewall_destinations": [topo["server"] + "/32"],
        "firewall_resolve_hosts": False,
        "firewall_rollback_timeout": 20,
        "firewall_name": "mf_gw",
        "firewall_state_dir": str(topo["scratch"] / "state"),
        "firewall_iptables_save_path": str(topo["scratch"] / "save" / "rules.v4"),
        "firewall_ip6tables_save_path": str(topo["scratch"] / "save" / "rules.v6"),
    }
    result.update(extra)
    return result


def reachable(topo, ns):
    """``{"server:443": bool, ..., "dns": {...}}`` of what ``ns`` reaches through the gateway."""
    targets = [("tcp", topo[host], port) for host in ("server", "other") for port in SERVER_PORTS]
    seen = dict(("%s:%d" % ("server" if addr == topo["server"] else "other", port), ok)
                for (_proto, addr, port), ok in probe(topo[ns], targets).items())
    seen["dns"] = dns_probe(topo[ns], topo["server"], NAME)
    seen["dns other"] = dns_probe(topo[ns], topo["other"], NAME)["udp"]
    return seen


def assert_open(seen, topo):
    assert all(v for k, v in seen.items() if ":" in k), seen
    assert seen["dns"] == dict((key, "ok " + topo["server"]) for key in ("udp", "tcp", "system")), seen
    assert seen["dns other"] == "ok " + topo["server"], seen


def assert_filtered(seen, topo):
    assert dict((k, v) for k, v in seen.items() if ":" in k) == {
        "server:443": True, "server:5223": True, "server:8080": False,
        "other:443": False, "other:5223": False, "other:8080": False}, seen
    # DNS goes to the clients' name server only (client_nameservers), over UDP and TCP.
    assert seen["dns"] == dict((key, "ok " + topo["server"]) for key in ("udp", "tcp", "system")), seen
    assert seen["dns other"].startswith("error"), seen


def gateway_rules(topo, backend):
    if backend == "nftables":
        return ns_run(topo["fw"], "nft", "list", "ruleset").stdout
    return "\n".join(saved_rules(ns_run(topo["fw"], "iptables-%s-save" % backend.split("-")[1], "-t", "filter").stdout))


BACKENDS = {
    "nftables": {"firewall_backend": "nftables"},
    "iptables-nft": {"firewall_backend": "iptables", "firewall_iptables_variant": "nft"},
    "iptables-legacy": {"firewall_backend": "iptables", "firewall_iptables_variant": "legacy"},
}


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_gateway_mode_real_traffic(gateway_topo, fw_playbook, backend):
    topo, gw = gateway_topo, gateway_topo["fw"]
    host_forwarding = Path("/proc/sys/net/ipv4/ip_forward").read_text()
    vars_ = gateway_vars(topo, **BACKENDS[backend])
    if backend == "nftables":
        ns_run(gw, "nft", "add table inet keepme; add chain inet keepme c { type filter hook forward priority 10; }; "
               "add rule inet keepme c tcp dport 9 counter")
    else:
        ns_run(gw, "iptables-%s" % backend.split("-")[1], "-A", "FORWARD", "-p", "tcp", "--dport", "9", "-j", "ACCEPT")
    other_before = gateway_rules(topo, backend)
    assert_open(reachable(topo, "cl"), topo)

    # Bad input fails naming the field and the value, and changes nothing.
    for override, message in (({"firewall_client_networks": []}, "client_networks: []"),
                              ({"firewall_client_networks": ["10.1.0.0/abc"]}, "client_networks: '10.1.0.0/abc'"),
                              ({"firewall_backend": "pf"}, "directions: 'forward' (gateway mode) works with backend")):
        bad = fw_playbook(ROLE_PLAY, extra_vars=dict(vars_, **override), netns=gw)
        assert bad.rc != 0 and message in bad.results(APPLY)["localhost"]["msg"], bad
        assert gateway_rules(topo, backend) == other_before

    res = fw_playbook(ROLE_PLAY, extra_vars=vars_, netns=gw, diff=True)
    assert res.rc == 0, res
    applied = res.results(APPLY)["localhost"]
    assert applied["changed"] is True and applied["confirmed"] is True
    assert applied["essentials"]["client_nameservers"] == [topo["server"]]
    live = gateway_rules(topo, backend)
    if backend == "nftables":
        forward = ns_run(gw, "nft", "list", "chain", "inet", "mf_gw", "forward").stdout
        assert "policy accept;" in forward and "policy drop" not in forward
        assert "hook input" not in ns_run(gw, "nft", "list", "table", "inet", "mf_gw").stdout
    else:
        assert ":FORWARD ACCEPT" in live.splitlines() and "-A FORWARD -j mf_gw_fwd" in live
        assert "-A mf_gw_fwd -s %s -j mf_gw_clients" % topo["clients"] in live
        assert "INPUT -j" not in live and "OUTPUT -j" not in live

    # The client reaches 443 and 5223 of the server, not 8080, nothing of the other address; the other network
    # behind the same gateway is untouched.
    assert_filtered(reachable(topo, "cl"), topo)
    assert_open(reachable(topo, "ot"), topo)

    # Re-run: changed=false without transferring the module.
    again = rerun_without_module(fw_playbook, topo, vars_, diff=True)
    assert again["essentials"] == applied["essentials"]

    # Check mode shows a change (8080 added) and applies nothing.
    check = fw_playbook(ROLE_PLAY, extra_vars=dict(vars_, firewall_egress_ports=["443/tcp", "8080/tcp"]), netns=gw,
                        check=True, diff=True)
    assert check.rc == 0, check
    predicted = check.results(APPLY)["localhost"]
    assert predicted["changed"] is True and "8080" in json.dumps(predicted["diff"])
    assert gateway_rules(topo, backend) == live
    assert reachable(topo, "cl")["server:8080"] is False

    gone = fw_playbook(ROLE_PLAY, extra_vars=dict(vars_, firewall_state="absent"), netns=gw)
    assert gone.rc == 0, gone
    assert gone.results(APPLY)["localhost"]["changed"] is True
    assert gateway_rules(topo, backend) == other_before  # only what the role added is gone
    assert_open(reachable(topo, "cl"), topo)
    rerun_without_module(fw_playbook, topo, dict(vars_, firewall_state="absent"))
    # Forwarding was switched on in the gateway namespace only.
    assert Path("/proc/sys/net/ipv4/ip_forward").read_text() == host_forwarding


@pytest.mark.parametrize("backend", ["nftables", "iptables-nft"])
def test_gateway_mode_rolls_back_without_the_controller(gateway_topo, fw_playbook, backend):
    """A changed gateway ruleset the controller cannot confirm is replaced by the one from before within the bound."""
    topo, gw = gateway_topo, gateway_topo["fw"]
    vars_ = gateway_vars(topo, **BACKENDS[backend])
    res = fw_playbook(ROLE_PLAY, extra_vars=vars_, netns=gw)
    assert res.rc == 0, res
    before = gateway_rules(topo, backend)
    timeout = 3
    env = {"ANSIBLE_CONNECTION_PLUGINS": os.path.join(HERE, "connection_plugins")}
    lost = fw_playbook(ROLE_PLAY, extra_vars=dict(vars_, firewall_egress_ports=["443/tcp", "8080/tcp"],
                                                  firewall_rollback_timeout=timeout),
                       netns=gw, env=env, args=["-e", "ansible_connection=flaky_local"])
    assert lost.rc != 0 and lost.results(APPLY)["localhost"].get("confirmed") is False, lost
    assert reachable(topo, "cl")["server:8080"] is True  # the unconfirmed change is live until the bound
    assert wait_until(lambda: gateway_rules(topo, backend) == before, timeout + 5)
    assert_filtered(reachable(topo, "cl"), topo)
