# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The role with its defaults (egress, policy drop) keeps the host's DNS and DHCP (issue 13).

Namespace ``fw`` gets the role; its ``/etc/resolv.conf`` (``/etc/netns/<fw>/resolv.conf``, bind-mounted by
``ip netns exec``, removed with the namespace) names a real dnsmasq in the peer namespace ``cl``, which also
serves DHCP for ``fw``'s address. dnsmasq and the TCP servers are stopped by their PIDs (fixture ``processes``).
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import dhcp_renew, dns_probe, ns_run, probe, start_servers, wait_until

ROLE_PLAY = """
- name: Firewall role with its defaults
  hosts: all
  gather_facts: false
  roles:
    - role: macfleet.apple_network.firewall
"""
APPLY = "macfleet.apple_network.firewall : Apply the firewall rules atomically (confirm-or-rollback)"
NAME = "swscan.apple.com"


@pytest.fixture
def dns_topo(netns, processes, scratch):
    net = "10.%d.%d" % (random.randint(64, 250), random.randint(0, 250))
    fw, cl = netns.add("fw"), netns.add("cl")
    _dev_fw, dev_cl = netns.link(fw, net + ".1/24", cl, net + ".2/24")
    fw_ip, cl_ip = net + ".1", net + ".2"
    log = scratch / "dnsmasq.log"
    conf = scratch / "dnsmasq.conf"
    conf.write_text("\n".join([
        "port=53", "listen-address=%s" % cl_ip, "interface=%s" % dev_cl, "bind-interfaces", "no-resolv", "no-hosts",
        "host-record=%s,%s" % (NAME, cl_ip),
        "dhcp-range=%s,%s,255.255.255.0,1h" % (fw_ip, fw_ip), "dhcp-authoritative",
        "dhcp-leasefile=%s" % (scratch / "leases"),
    ]) + "\n")
    processes.start(["ip", "netns", "exec", cl, "dnsmasq", "--conf-file=%s" % conf, "--keep-in-foreground",
                     "--pid-file=", "--log-facility=%s" % log],
                    wait_for=lambda: log.exists() and "started" in log.read_text())
    assert wait_until(lambda: dns_probe(cl, cl_ip, NAME)["udp"] == "ok " + cl_ip, 10)
    # 443 is in the default selection, 3306 is not.
    start_servers(processes, cl, scratch, ["tcp:0.0.0.0:443", "tcp:0.0.0.0:3306"])
    etc = Path("/etc/netns") / fw
    etc.mkdir(parents=True)
    (etc / "resolv.conf").write_text("nameserver %s\noptions timeout:1 attempts:1\n" % cl_ip)
    yield {"fw": fw, "cl": cl, "fw_ip": fw_ip, "cl_ip": cl_ip, "scratch": scratch, "etc": etc}


def defaults(topo, **extra):
    """The role's defaults; only the state directory and the save files stay in the test's scratch directory."""
    result = {"firewall_state_dir": str(topo["scratch"] / "state"),
              "firewall_iptables_save_path": str(topo["scratch"] / "save" / "rules.v4"),
              "firewall_ip6tables_save_path": str(topo["scratch"] / "save" / "rules.v6")}
    result.update(extra)
    return result


def traffic(topo, dhcp=True):
    """What gets through from ``fw``. The DHCP renewal always uses the same addresses and ports, so it is tried once
    per topology: the conntrack entry of an answered renewal would let the next one through as established."""
    cl = topo["cl_ip"]
    ports = probe(topo["fw"], [("tcp", cl, 443), ("tcp", cl, 3306)])
    seen = {"dns": dns_probe(topo["fw"], cl, NAME), "443": ports[("tcp", cl, 443)], "3306": ports[("tcp", cl, 3306)]}
    if dhcp:
        seen["dhcp"] = dhcp_renew(topo["fw"], topo["fw_ip"], cl)
    return seen


def assert_kept(seen, topo):
    answer = "ok " + topo["cl_ip"]
    assert seen["dns"] == {"udp": answer, "tcp": answer, "system": answer}, seen
    assert seen.get("dhcp", "ack from %s:67" % topo["cl_ip"]) == "ack from %s:67" % topo["cl_ip"], seen
    assert seen["443"] is True and seen["3306"] is False, seen


def assert_cut(seen):
    assert all(value.startswith("error") for value in seen["dns"].values()), seen
    assert seen["dns"]["udp"] == "error: Operation not permitted", seen
    assert seen["dhcp"].startswith("error"), seen
    assert seen["443"] is True and seen["3306"] is False, seen


def ruleset(ns):
    return ns_run(ns, "nft", "list", "ruleset").stdout


@pytest.mark.parametrize("backend", ["nftables", "iptables"])
def test_default_role_keeps_dns_and_dhcp(dns_topo, fw_playbook, backend):
    topo, fw = dns_topo, dns_topo["fw"]
    extra = {} if backend == "nftables" else {"firewall_backend": "iptables", "firewall_iptables_variant": "nft"}
    before = traffic(topo, dhcp=False)  # nothing filtered yet: everything answers, 3306 too
    assert before["3306"] is True
    assert_kept(dict(before, **{"3306": False}), topo)

    # Check mode with diff shows the kept essentials and changes nothing.
    check = fw_playbook(ROLE_PLAY, extra_vars=defaults(topo, **extra), netns=fw, check=True, diff=True)
    assert check.rc == 0, check
    predicted = check.results(APPLY)["localhost"]
    assert predicted["changed"] is True
    assert predicted["essentials"] == {"loopback": True, "dns": True, "dhcp": True, "nameservers": [topo["cl_ip"]],
                                       "nameserver_sources": ["/etc/resolv.conf"]}
    if backend == "nftables":
        after = predicted["diff"]["after"]
        assert "set dns4 {\n\t\ttype ipv4_addr\n\t\telements = { %s }" % topo["cl_ip"] in after
        for rule in ("ip daddr @dns4 udp dport 53 accept", "ip daddr @dns4 tcp dport 53 accept",
                     "meta nfproto ipv4 udp sport 68 udp dport 67 accept", 'oif "lo" accept'):
            assert rule in after
        assert "macfleet" not in ruleset(fw)
    else:
        after = predicted["diff"][0]["after"]
        for rule in ("-A macfleet_out -d %s/32 -p udp -m udp --dport 53 -j ACCEPT" % topo["cl_ip"],
                     "-A macfleet_out -d %s/32 -p tcp -m tcp --dport 53 -j ACCEPT" % topo["cl_ip"],
                     "-A macfleet_out -p udp -m udp --sport 68 --dport 67 -j ACCEPT", "-A macfleet_out -o lo -j ACCEPT"):
            assert rule in after
        assert "macfleet" not in ns_run(fw, "iptables-nft-save").stdout

    res = fw_playbook(ROLE_PLAY, extra_vars=defaults(topo, **extra), netns=fw)
    assert res.rc == 0, res
    applied = res.results(APPLY)["localhost"]
    assert applied["changed"] and applied["confirmed"] is True
    assert_kept(traffic(topo), topo)

    # The no-change re-run reads the resolver files with the action plugin's probe and agrees with the module.
    again = fw_playbook(ROLE_PLAY, extra_vars=defaults(topo, **extra), netns=fw)
    assert again.rc == 0, again
    assert again.results(APPLY)["localhost"]["changed"] is False
    assert again.results(APPLY)["localhost"]["essentials"] == predicted["essentials"]

    gone = fw_playbook(ROLE_PLAY, extra_vars=defaults(topo, firewall_state="absent", **extra), netns=fw)
    assert gone.rc == 0, gone
    assert traffic(topo, dhcp=False)["3306"] is True


@pytest.mark.parametrize("backend", ["nftables", "iptables"])
def test_without_the_switches_dns_and_dhcp_are_cut(dns_topo, fw_playbook, backend):
    """The issue's finding, now behind the switches: UDP 53 "Operation not permitted", TCP 53 unanswered, no lease."""
    topo, fw = dns_topo, dns_topo["fw"]
    extra = {} if backend == "nftables" else {"firewall_backend": "iptables", "firewall_iptables_variant": "nft"}
    assert traffic(topo, dhcp=False)["dns"]["tcp"] == "ok " + topo["cl_ip"]
    cut = fw_playbook(ROLE_PLAY, extra_vars=defaults(topo, firewall_keep_dns=False, firewall_keep_dhcp=False, **extra),
                      netns=fw, diff=True)
    assert cut.rc == 0, cut
    result = cut.results(APPLY)["localhost"]
    assert result["essentials"] == {"loopback": True, "dns": False, "dhcp": False, "nameservers": [],
                                    "nameserver_sources": []}
    rendered = result["rendered"]
    assert "dport 53" not in rendered and "dport 67" not in rendered and "lo" in rendered
    assert_cut(traffic(topo))


def test_rules_follow_the_hosts_resolver_configuration(dns_topo, fw_playbook):
    """A new name server in resolv.conf is picked up by the next run; firewall_nameservers overrides the file."""
    topo, fw = dns_topo, dns_topo["fw"]
    res = fw_playbook(ROLE_PLAY, extra_vars=defaults(topo), netns=fw)
    assert res.rc == 0, res
    assert_kept(traffic(topo), topo)

    # The host now resolves through a server that is not the peer: the peer is no longer allowed.
    (topo["etc"] / "resolv.conf").write_text("nameserver 192.0.2.53\noptions timeout:1 attempts:1\n")
    moved = fw_playbook(ROLE_PLAY, extra_vars=defaults(topo), netns=fw, diff=True)
    assert moved.rc == 0, moved
    result = moved.results(APPLY)["localhost"]
    assert result["changed"] is True and result["essentials"]["nameservers"] == ["192.0.2.53"]
    assert "elements = { 192.0.2.53 }" in result["diff"]["after"] and topo["cl_ip"] not in result["diff"]["after"]
    assert dns_probe(fw, topo["cl_ip"], NAME)["udp"] == "error: Operation not permitted"

    # firewall_nameservers names the peer again, whatever the file says.
    fixed = fw_playbook(ROLE_PLAY, extra_vars=defaults(topo, firewall_nameservers=[topo["cl_ip"]]), netns=fw)
    assert fixed.rc == 0, fixed
    assert fixed.results(APPLY)["localhost"]["essentials"]["nameserver_sources"] == ["nameservers"]
    assert dns_probe(fw, topo["cl_ip"], NAME)["udp"] == "ok " + topo["cl_ip"]


LISTEN = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(3.0)
print("ready", flush=True)
try:
    print(s.recv(100).decode())
except OSError:
    print("nothing")
"""
SEND = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # dnsmasq holds 0.0.0.0:67 (with SO_REUSEADDR too)
s.bind((sys.argv[1], int(sys.argv[2])))
s.sendto(b"offer", (sys.argv[3], int(sys.argv[4])))
"""


def test_ingress_policy_accepts_dhcp_answers(dns_topo, fw_playbook, processes):
    """With ingress filtered, a DHCP server's unsolicited answer (UDP 67 to 68, as a broadcast offer is) comes in."""
    topo, fw, cl = dns_topo, dns_topo["fw"], dns_topo["cl"]

    def received(sport, dport):
        listener = processes.start(["ip", "netns", "exec", fw, sys.executable, "-c", LISTEN, topo["fw_ip"], str(dport)],
                                   stdout=subprocess.PIPE, text=True)
        assert listener.stdout.readline().strip() == "ready"
        ns_run(cl, sys.executable, "-c", SEND, topo["cl_ip"], str(sport), topo["fw_ip"], str(dport))
        return listener.stdout.readline().strip()

    ingress = defaults(topo, firewall_directions=["egress", "ingress"], firewall_management_ports=[2222])
    # Without the switch first: a dropped datagram leaves no conntrack entry that could let the next one in.
    res = fw_playbook(ROLE_PLAY, extra_vars=dict(ingress, firewall_keep_dhcp=False), netns=fw)
    assert res.rc == 0, res
    assert received(67, 68) == "nothing"

    res = fw_playbook(ROLE_PLAY, extra_vars=ingress, netns=fw)
    assert res.rc == 0, res
    assert received(67, 68) == "offer"
    assert received(67, 69) == "nothing"
    assert received(68, 68) == "nothing"
    assert dhcp_renew(fw, topo["fw_ip"], topo["cl_ip"]) == "ack from %s:67" % topo["cl_ip"]
