# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The exact structure of every rendered chain, and the real tools' verdict on the text.

Each chain is pinned line by line (loopback, established/related, ICMP, the management rule, the kept
essentials, the selection, the policy), so a rendering that loses ``ct state established,related accept`` or
turns the output policy into ``accept`` fails here, not only in the root-only traffic tests.

``nft -c`` and ``iptables-restore --test`` run where the tool exists, each in a network namespace of its own
(``unshare --net``: created for the one command and gone when it exits), so this machine's firewall is never
read or changed. Without ``unshare`` or the tool the check is skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import iptables as ipt
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import nftables as nft
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import pf
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import build_spec
from ansible_collections.macfleet.apple_network.tests.unit.plugins.module_utils._host.firewall.firewall_params import with_defaults

RULES = [
    {"direction": "egress", "protocol": "tcp", "ports": [443, "5223-5224"]},
    {"direction": "egress", "protocol": "udp", "ports": [123]},
    {"direction": "ingress", "protocol": "udp", "ports": [5353]},
]
NAMESERVERS = ["10.0.0.53", "127.0.0.53", "fd00::53"]
ND = "icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert } accept"


spec = with_defaults(build_spec, name="mf", rules=RULES, management_ports=[22, 2222], nameservers=NAMESERVERS)


def nft_chains(text):
    """``{chain: [lines]}`` of a rendered table (indentation removed)."""
    chains, current = {}, None
    for line in text.splitlines():
        if line.startswith("\tchain "):
            current = chains.setdefault(line.split()[1], [])
        elif line == "\t}":
            current = None
        elif current is not None:
            current.append(line.strip())
    return chains


def nft_sets(text):
    """``{set: [lines]}`` of a rendered table."""
    sets, current = {}, None
    for line in text.splitlines():
        if line.startswith("\tset "):
            current = sets.setdefault(line.split()[1], [])
        elif line == "\t}":
            current = None
        elif current is not None:
            current.append(line.strip())
    return sets


# -- nftables -----------------------------------------------------------------------------------

NFT_INPUT = [
    "type filter hook input priority filter; policy drop;",
    'iif "lo" accept',
    "ct state established,related accept",
    ND,
    "meta l4proto { icmp, ipv6-icmp } accept",
    "tcp dport @mgmt_tcp accept",
    "meta nfproto ipv4 udp sport 67 udp dport 68 accept",
    "meta nfproto ipv6 udp sport 547 udp dport 546 accept",
    "tcp dport @ingress_tcp accept",
    "udp dport @ingress_udp accept",
]
NFT_OUTPUT = [
    "type filter hook output priority filter; policy drop;",
    'oif "lo" accept',
    "ct state established,related accept",
    ND,
    "meta l4proto { icmp, ipv6-icmp } accept",
    "ip daddr @dns4 udp dport 53 accept",
    "ip daddr @dns4 tcp dport 53 accept",
    "ip6 daddr @dns6 udp dport 53 accept",
    "ip6 daddr @dns6 tcp dport 53 accept",
    "meta nfproto ipv4 udp sport 68 udp dport 67 accept",
    "meta nfproto ipv6 udp sport 546 udp dport 547 accept",
    "tcp dport @egress_tcp accept",
    "udp dport @egress_udp accept",
]


def test_nftables_chains_exact():
    text = nft.render(spec())
    assert text.startswith("table inet mf {\n") and text.endswith("\n}\n") and text.count("table ") == 1
    assert nft_chains(text) == {"input": NFT_INPUT, "output": NFT_OUTPUT}
    sets = nft_sets(text)
    assert sets["mgmt_tcp"] == ["type inet_service", "flags interval", "elements = { 22, 2222 }"]
    # The loopback rule covers the stub resolver 127.0.0.53: only the other name servers are in the DNS sets.
    assert sets["dns4"] == ["type ipv4_addr", "elements = { 10.0.0.53 }"]
    assert sets["dns6"] == ["type ipv6_addr", "elements = { fd00::53 }"]
    assert sets["egress_tcp"][-1] == "elements = { 443, 5223-5224 }"
    assert list(sets) == ["egress_tcp", "egress_udp", "ingress_tcp", "ingress_udp", "mgmt_tcp", "dns4", "dns6"]
    # No forward chain: the module filters what the host itself sends and receives.
    assert "hook forward" not in text


def test_nftables_chains_restricted_and_reject():
    text = nft.render(spec(destinations=["17.0.0.0/8"], resolved_destinations=["17.253.144.10"], policy="reject"))
    chains = nft_chains(text)
    assert chains["input"] == NFT_INPUT + ["meta l4proto tcp reject with tcp reset", "reject with icmpx port-unreachable"]
    assert chains["output"] == NFT_OUTPUT[:-2] + [
        "ip daddr @dst4 tcp dport @egress_tcp accept",
        "ip daddr @dyn4 tcp dport @egress_tcp accept",
        "ip6 daddr @dst6 tcp dport @egress_tcp accept",
        "ip6 daddr @dyn6 tcp dport @egress_tcp accept",
        "ip daddr @dst4 udp dport @egress_udp accept",
        "ip daddr @dyn4 udp dport @egress_udp accept",
        "ip6 daddr @dst6 udp dport @egress_udp accept",
        "ip6 daddr @dyn6 udp dport @egress_udp accept",
        "meta l4proto tcp reject with tcp reset",
        "reject with icmpx port-unreachable",
    ]
    # reject ends both chains; the policy under the reject rules stays drop.
    assert text.count("policy drop;") == 2 and "policy accept" not in text


def test_nftables_chains_without_essentials():
    text = nft.render(spec(keep_loopback=False, keep_dns=False, keep_dhcp=False, allow_icmp=False))
    assert nft_chains(text) == {
        "input": ["type filter hook input priority filter; policy drop;", "ct state established,related accept", ND,
                  "tcp dport @mgmt_tcp accept", "tcp dport @ingress_tcp accept", "udp dport @ingress_udp accept"],
        "output": ["type filter hook output priority filter; policy drop;", "ct state established,related accept", ND,
                   "tcp dport @egress_tcp accept", "udp dport @egress_udp accept"],
    }
    assert "dns4" not in nft_sets(text) and "dport 53" not in text and "dport 67" not in text


def test_nftables_local_dns_without_loopback_rule():
    """Without the loopback rule, DNS to every name server (the stub included) is allowed out, and in on lo."""
    text = nft.render(spec(keep_loopback=False))
    chains = nft_chains(text)
    assert 'iif "lo" accept' not in chains["input"] and 'oif "lo" accept' not in chains["output"]
    assert chains["input"][5:9] == ['iif "lo" ip daddr @dns4 udp dport 53 accept', 'iif "lo" ip daddr @dns4 tcp dport 53 accept',
                                    'iif "lo" ip6 daddr @dns6 udp dport 53 accept', 'iif "lo" ip6 daddr @dns6 tcp dport 53 accept']
    assert nft_sets(text)["dns4"] == ["type ipv4_addr", "elements = { 10.0.0.53, 127.0.0.53 }"]


def test_nftables_one_direction():
    egress = nft_chains(nft.render(spec(directions=["egress"], rules=RULES[:2])))
    assert list(egress) == ["output"] and egress["output"] == NFT_OUTPUT
    ingress_text = nft.render(spec(directions=["ingress"], rules=RULES[2:]))
    assert list(nft_chains(ingress_text)) == ["input"] and nft_chains(ingress_text)["input"] == NFT_INPUT
    assert "dns4" not in ingress_text  # DNS out is not filtered, the loopback rule covers local DNS in


# -- iptables -----------------------------------------------------------------------------------

IPT_IN4 = [
    "-A mf_in -i lo -j ACCEPT",
    "-A mf_in -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    "-A mf_in -p icmp -j ACCEPT",
    "-A mf_in -p tcp -m multiport --dports 22,2222 -j ACCEPT",
    "-A mf_in -p udp -m udp --sport 67 --dport 68 -j ACCEPT",
    "-A mf_in -p udp -m multiport --dports 5353 -j ACCEPT",
    "-A mf_in -j DROP",
]
IPT_OUT4 = [
    "-A mf_out -o lo -j ACCEPT",
    "-A mf_out -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    "-A mf_out -p icmp -j ACCEPT",
    "-A mf_out -d 10.0.0.53/32 -p udp -m udp --dport 53 -j ACCEPT",
    "-A mf_out -d 10.0.0.53/32 -p tcp -m tcp --dport 53 -j ACCEPT",
    "-A mf_out -p udp -m udp --sport 68 --dport 67 -j ACCEPT",
    "-A mf_out -p tcp -m multiport --dports 443,5223:5224 -j ACCEPT",
    "-A mf_out -p udp -m multiport --dports 123 -j ACCEPT",
    "-A mf_out -j DROP",
]
ND6 = ["-A %%s -p ipv6-icmp -m icmp6 --icmpv6-type %s -j ACCEPT" % t for t in (133, 134, 135, 136)]
IPT_IN6 = [
    "-A mf_in -i lo -j ACCEPT",
    "-A mf_in -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
] + [line % "mf_in" for line in ND6] + [
    "-A mf_in -p ipv6-icmp -j ACCEPT",
    "-A mf_in -p tcp -m multiport --dports 22,2222 -j ACCEPT",
    "-A mf_in -p udp -m udp --sport 547 --dport 546 -j ACCEPT",
    "-A mf_in -p udp -m multiport --dports 5353 -j ACCEPT",
    "-A mf_in -j DROP",
]
IPT_OUT6 = [
    "-A mf_out -o lo -j ACCEPT",
    "-A mf_out -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
] + [line % "mf_out" for line in ND6] + [
    "-A mf_out -p ipv6-icmp -j ACCEPT",
    "-A mf_out -d fd00::53/128 -p udp -m udp --dport 53 -j ACCEPT",
    "-A mf_out -d fd00::53/128 -p tcp -m tcp --dport 53 -j ACCEPT",
    "-A mf_out -p udp -m udp --sport 546 --dport 547 -j ACCEPT",
    "-A mf_out -p tcp -m multiport --dports 443,5223:5224 -j ACCEPT",
    "-A mf_out -p udp -m multiport --dports 123 -j ACCEPT",
    "-A mf_out -j DROP",
]


def test_iptables_chains_exact():
    assert ipt.chain_rules(spec(), 4) == {"mf_in": IPT_IN4, "mf_out": IPT_OUT4}
    assert ipt.chain_rules(spec(), 6) == {"mf_in": IPT_IN6, "mf_out": IPT_OUT6}
    assert ipt.jump_rules(spec()) == {"INPUT": "-A INPUT -j mf_in", "OUTPUT": "-A OUTPUT -j mf_out"}


def test_iptables_chains_restricted_and_reject():
    chains = ipt.chain_rules(spec(destinations=["17.0.0.0/8"], resolved_destinations=["17.253.144.10"],
                                  policy="reject"), 4)
    reject = ["-A %s -p tcp -j REJECT --reject-with tcp-reset", "-A %s -j REJECT --reject-with icmp-port-unreachable"]
    assert chains["mf_in"] == IPT_IN4[:-1] + [line % "mf_in" for line in reject]
    assert chains["mf_out"] == IPT_OUT4[:-3] + ["-A mf_out -d 17.0.0.0/8 -j mf_dst", "-A mf_out -d 17.253.144.10/32 -j mf_dst"] + [
        line % "mf_out" for line in reject]
    assert chains["mf_dst"] == ["-A mf_dst -p tcp -m multiport --dports 443,5223:5224 -j ACCEPT",
                                "-A mf_dst -p udp -m multiport --dports 123 -j ACCEPT"]
    assert ipt.chain_rules(spec(policy="reject"), 6)["mf_out"][-1] == "-A mf_out -j REJECT --reject-with icmp6-port-unreachable"


def test_iptables_chains_without_essentials():
    chains = ipt.chain_rules(spec(keep_loopback=False, keep_dns=False, keep_dhcp=False), 4)
    assert chains["mf_in"] == [IPT_IN4[1], IPT_IN4[2], IPT_IN4[3], IPT_IN4[5], IPT_IN4[6]]
    assert chains["mf_out"] == [IPT_OUT4[1], IPT_OUT4[2]] + IPT_OUT4[6:]
    local = ipt.chain_rules(spec(keep_loopback=False), 4)
    assert local["mf_in"][2:5] == ["-A mf_in -p tcp -m multiport --dports 22,2222 -j ACCEPT",
                                   "-A mf_in -d 10.0.0.53/32 -i lo -p udp -m udp --dport 53 -j ACCEPT",
                                   "-A mf_in -d 10.0.0.53/32 -i lo -p tcp -m tcp --dport 53 -j ACCEPT"]
    assert "-A mf_out -d 127.0.0.53/32 -p udp -m udp --dport 53 -j ACCEPT" in local["mf_out"]
    assert "-A mf_in -d ::1/128 -i lo -p tcp -m tcp --dport 53 -j ACCEPT" in ipt.chain_rules(
        spec(keep_loopback=False, nameservers=["::1"]), 6)["mf_in"]


# -- pf -----------------------------------------------------------------------------------------

PF_ANCHOR = """# Managed by macfleet.apple_network (firewall_rules); changes are overwritten.
block drop in all
pass in quick on lo0 all
pass in quick proto { icmp, icmp6 } all
pass in quick proto tcp to any port { 22, 2222 } keep state
pass in quick inet proto udp from any port 67 to any port 68 keep state
pass in quick inet6 proto udp from any port 547 to any port 546 keep state
pass in quick proto udp to any port { 5353 } keep state
block drop out all
pass out quick on lo0 all
pass out quick proto { icmp, icmp6 } all
pass out quick proto { udp, tcp } to { 10.0.0.53, fd00::53 } port 53 keep state
pass out quick inet proto udp from any port 68 to any port 67 keep state
pass out quick inet6 proto udp from any port 546 to any port 547 keep state
pass out quick proto tcp to any port { 443, 5223:5224 } keep state
pass out quick proto udp to any port { 123 } keep state
"""


def test_pf_anchor_exact():
    assert pf.render_anchor(spec()) == PF_ANCHOR


def test_pf_anchor_variants():
    restricted = pf.render_anchor(spec(destinations=["17.0.0.0/8"], policy="reject"))
    assert restricted == PF_ANCHOR.replace("block drop", "block return").replace(
        "# Managed by macfleet.apple_network (firewall_rules); changes are overwritten.\n",
        "# Managed by macfleet.apple_network (firewall_rules); changes are overwritten.\n"
        "table <mf_dst> persist { 17.0.0.0/8 }\n").replace("to any port { 443", "to <mf_dst> port { 443").replace(
        "to any port { 123", "to <mf_dst> port { 123")
    bare = pf.render_anchor(spec(keep_loopback=False, keep_dns=False, keep_dhcp=False, allow_icmp=False))
    nd = "icmp6-type { neighbrsol, neighbradv, routersol, routeradv }"
    assert bare.splitlines()[1:] == [
        "block drop in all",
        "pass in quick inet6 proto icmp6 %s" % nd,
        "pass in quick proto tcp to any port { 22, 2222 } keep state",
        "pass in quick proto udp to any port { 5353 } keep state",
        "block drop out all",
        "pass out quick inet6 proto icmp6 %s" % nd,
        "pass out quick proto tcp to any port { 443, 5223:5224 } keep state",
        "pass out quick proto udp to any port { 123 } keep state",
    ]
    local = pf.render_anchor(spec(keep_loopback=False))
    assert "pass in quick on lo0 proto { udp, tcp } to { 10.0.0.53, 127.0.0.53, fd00::53 } port 53 keep state" in local
    assert "pass out quick proto { udp, tcp } to { 10.0.0.53, 127.0.0.53, fd00::53 } port 53 keep state" in local
    # No name server at all: no DNS rule (pf rejects an empty list), the rest unchanged.
    assert pf.render_anchor(spec(nameservers=[])) == PF_ANCHOR.replace(
        "pass out quick proto { udp, tcp } to { 10.0.0.53, fd00::53 } port 53 keep state\n", "")


# -- the real tools, each in a network namespace of its own ---------------------------------------

SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin"])


def _sandbox():
    """argv prefix that runs a command in a new, private network namespace, or None where that is not possible."""
    unshare = shutil.which("unshare", path=SBIN_PATH)
    if unshare is None:
        return None
    prefix = [unshare, "--net"] if os.geteuid() == 0 else [unshare, "--user", "--map-root-user", "--net"]
    try:
        ok = subprocess.run(prefix + ["true"], capture_output=True, check=False, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return prefix if ok else None


SANDBOX = _sandbox()


def run_tool(tool, args, text):
    binary = shutil.which(tool, path=SBIN_PATH)
    if binary is None:
        pytest.skip("%s is not installed" % tool)
    if SANDBOX is None:
        pytest.skip("no private network namespace (unshare --net) to run %s in" % tool)
    return subprocess.run(SANDBOX + [binary] + args, input=text, capture_output=True, text=True, check=False, timeout=30)


VARIANTS = {
    "default": {},
    "restricted_reject": {"destinations": ["17.0.0.0/8", "2620:149::/32"], "resolved_destinations": ["17.253.144.10"],
                          "policy": "reject"},
    "no_essentials": {"keep_loopback": False, "keep_dns": False, "keep_dhcp": False, "allow_icmp": False},
    "local_dns": {"keep_loopback": False},
    "egress_only": {"directions": ["egress"], "rules": RULES[:2]},
    "ingress_only": {"directions": ["ingress"], "rules": RULES[2:]},
    "no_nameservers": {"nameservers": []},
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_nft_accepts_the_rendered_table(variant):
    done = run_tool("nft", ["-c", "-f", "-"], nft.replace_script(spec(**VARIANTS[variant])))
    assert done.returncode == 0, done.stderr


def test_nft_rejects_a_broken_table():
    """The check is real: the same text with an invalid rule fails."""
    broken = nft.replace_script(spec()).replace("ct state established,related accept", "ct state establishd accept", 1)
    assert run_tool("nft", ["-c", "-f", "-"], broken).returncode != 0


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("tool, version", [("iptables-nft-restore", 4), ("ip6tables-nft-restore", 6),
                                           ("iptables-legacy-restore", 4), ("ip6tables-legacy-restore", 6)])
def test_iptables_restore_accepts_the_rendered_chains(variant, tool, version):
    s = spec(**VARIANTS[variant])
    chains, jumps = ipt.chain_rules(s, version), sorted(ipt.jump_rules(s).values())
    done = run_tool(tool, ["--noflush", "--test"], ipt.restore_input("mf", chains, jumps, {}, []))
    assert done.returncode == 0, done.stderr


def test_iptables_restore_rejects_broken_chains():
    """The check is real: a misspelt conntrack state fails (--test parses the rules; targets are not resolved)."""
    chains = ipt.chain_rules(spec(), 4)
    chains["mf_out"][1] = chains["mf_out"][1].replace("ESTABLISHED", "ESTABLISHD")
    done = run_tool("iptables-nft-restore", ["--noflush", "--test"],
                    ipt.restore_input("mf", chains, sorted(ipt.jump_rules(spec()).values()), {}, []))
    assert done.returncode != 0
