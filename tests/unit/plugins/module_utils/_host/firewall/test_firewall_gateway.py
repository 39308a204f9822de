# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Gateway mode (``forward``): the exact forward chains, the real tools' verdict, bad input, selection.

The forward chain is pinned line by line: established/related first, then only traffic *from* a client network
enters the clients chain (allowed ports to the destinations, DNS to the clients' name servers, the final drop or
reject); the base chain itself keeps policy accept, so other forwarded traffic is left alone.
"""

from __future__ import annotations

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import argspec
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import summary
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import validation
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import iptables as ipt
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import nftables as nft
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._firewall_selection import select
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import (
    FirewallInputError,
    build_spec,
    check_forward_backend,
)
from ansible_collections.macfleet.apple_network.tests.unit.plugins.module_utils._host.firewall.firewall_params import module_params, with_defaults
from ansible_collections.macfleet.apple_network.tests.unit.plugins.module_utils._host.firewall.test_firewall_chains import (
    NFT_OUTPUT,
    nft_chains,
    nft_sets,
    run_tool,
)

FORWARD_RULES = [
    {"direction": "forward", "protocol": "tcp", "ports": [443, 5223]},
    {"direction": "forward", "protocol": "udp", "ports": [123]},
]
CLIENTS = ["10.20.0.0/16", "2001:db8:20::/48"]


def gateway(**kwargs):
    kwargs.setdefault("name", "mf")
    kwargs.setdefault("directions", ["forward"])
    kwargs.setdefault("rules", FORWARD_RULES)
    kwargs.setdefault("client_networks", CLIENTS)
    kwargs.setdefault("nameservers", ["10.0.0.53", "127.0.0.53", "fd00::53"])
    return build_spec(**kwargs)


# -- nftables -----------------------------------------------------------------------------------

NFT_FORWARD = [
    "type filter hook forward priority filter; policy accept;",
    "ct state established,related accept",
    "ip saddr @clients4 jump clients",
    "ip6 saddr @clients6 jump clients",
]
NFT_CLIENT_DNS = [
    "ip daddr @client_dns4 udp dport 53 accept",
    "ip daddr @client_dns4 tcp dport 53 accept",
    "ip6 daddr @client_dns6 udp dport 53 accept",
    "ip6 daddr @client_dns6 tcp dport 53 accept",
]
NFT_CLIENTS = ["meta l4proto { icmp, ipv6-icmp } accept"] + NFT_CLIENT_DNS + [
    "tcp dport @forward_tcp accept",
    "udp dport @forward_udp accept",
    "drop",
]


def test_nftables_forward_chain_exact():
    text = nft.render(gateway())
    assert nft_chains(text) == {"forward": NFT_FORWARD, "clients": NFT_CLIENTS}
    sets = nft_sets(text)
    assert sets["clients4"] == ["type ipv4_addr", "flags interval", "elements = { 10.20.0.0/16 }"]
    assert sets["clients6"] == ["type ipv6_addr", "flags interval", "elements = { 2001:db8:20::/48 }"]
    # The clients' DNS goes to the host's own name servers, the loopback one left out (never forwarded).
    assert sets["client_dns4"] == ["type ipv4_addr", "elements = { 10.0.0.53 }"]
    assert sets["client_dns6"] == ["type ipv6_addr", "elements = { fd00::53 }"]
    assert sets["forward_tcp"][-1] == "elements = { 443, 5223 }" and sets["forward_udp"][-1] == "elements = { 123 }"
    assert list(sets) == ["forward_tcp", "forward_udp", "mgmt_tcp", "clients4", "clients6", "client_dns4", "client_dns6"]
    # No drop policy anywhere: the host's own input and output are not filtered, the forward chain accepts.
    assert "policy drop" not in text and "hook input" not in text and "hook output" not in text


def test_nftables_forward_restricted_and_reject():
    text = nft.render(gateway(destinations=["17.0.0.0/8", "2620:149::/32"], resolved_destinations=["17.253.144.10"],
                              policy="reject", allow_icmp=False, client_nameservers=["10.20.0.53"]))
    chains = nft_chains(text)
    assert chains["forward"] == NFT_FORWARD
    assert chains["clients"] == NFT_CLIENT_DNS + [
        "ip daddr @dst4 tcp dport @forward_tcp accept",
        "ip daddr @dyn4 tcp dport @forward_tcp accept",
        "ip6 daddr @dst6 tcp dport @forward_tcp accept",
        "ip6 daddr @dyn6 tcp dport @forward_tcp accept",
        "ip daddr @dst4 udp dport @forward_udp accept",
        "ip daddr @dyn4 udp dport @forward_udp accept",
        "ip6 daddr @dst6 udp dport @forward_udp accept",
        "ip6 daddr @dyn6 udp dport @forward_udp accept",
        "meta l4proto tcp reject with tcp reset",
        "reject with icmpx port-unreachable",
    ]
    sets = nft_sets(text)
    assert sets["dst4"][-1] == "elements = { 17.0.0.0/8 }" and sets["dyn4"][-1] == "elements = { 17.253.144.10 }"
    assert sets["client_dns4"] == ["type ipv4_addr", "elements = { 10.20.0.53 }"]  # the option wins
    assert sets["client_dns6"] == ["type ipv6_addr"]
    assert "policy drop" not in text


def test_nftables_forward_with_egress_shares_the_destinations():
    """Egress keeps its own chain exactly; forward gets its own sets and chains and uses the same destinations."""
    rules = FORWARD_RULES + [dict(rule, direction="egress") for rule in FORWARD_RULES]
    text = nft.render(gateway(directions=["egress", "forward"], rules=rules, destinations=["17.0.0.0/8"]))
    chains = nft_chains(text)
    assert list(chains) == ["output", "forward", "clients"]
    assert chains["output"][-4:] == ["ip daddr @dst4 udp dport @egress_udp accept",
                                     "ip daddr @dyn4 udp dport @egress_udp accept",
                                     "ip6 daddr @dst6 udp dport @egress_udp accept",
                                     "ip6 daddr @dyn6 udp dport @egress_udp accept"]
    assert chains["clients"][-2:] == ["ip6 daddr @dyn6 udp dport @forward_udp accept", "drop"]
    assert text.count("policy drop;") == 1 and text.count("set dst4 {") == 1
    # Without forward, the output chain is the one pinned in test_firewall_chains.
    plain = build_spec(name="mf", directions=["egress"], rules=rules[2:], nameservers=["10.0.0.53", "fd00::53"])
    assert nft_chains(nft.render(plain))["output"] == NFT_OUTPUT[:-2] + ["tcp dport @egress_tcp accept",
                                                                         "udp dport @egress_udp accept"]


def test_nftables_forward_without_client_dns():
    for spec_ in (gateway(keep_dns=False), gateway(nameservers=["127.0.0.53"])):
        text = nft.render(spec_)
        assert nft_chains(text)["clients"] == [NFT_CLIENTS[0]] + NFT_CLIENTS[-3:]
        assert "client_dns" not in text
    # An explicit list applies even without keep_dns (that switch is about the host's own DNS).
    assert "client_dns4" in nft_sets(nft.render(gateway(keep_dns=False, client_nameservers=["10.20.0.53"])))


# -- iptables -----------------------------------------------------------------------------------

def test_iptables_forward_chains_exact():
    assert ipt.chain_rules(gateway(), 4) == {
        "mf_fwd": [
            "-A mf_fwd -s 10.20.0.0/16 -j mf_clients",
            "-A mf_fwd -d 10.20.0.0/16 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        ],
        "mf_clients": [
            "-A mf_clients -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
            "-A mf_clients -p icmp -j ACCEPT",
            "-A mf_clients -d 10.0.0.53/32 -p udp -m udp --dport 53 -j ACCEPT",
            "-A mf_clients -d 10.0.0.53/32 -p tcp -m tcp --dport 53 -j ACCEPT",
            "-A mf_clients -p tcp -m multiport --dports 443,5223 -j ACCEPT",
            "-A mf_clients -p udp -m multiport --dports 123 -j ACCEPT",
            "-A mf_clients -j DROP",
        ],
    }
    assert ipt.chain_rules(gateway(), 6) == {
        "mf_fwd": [
            "-A mf_fwd -s 2001:db8:20::/48 -j mf_clients",
            "-A mf_fwd -d 2001:db8:20::/48 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        ],
        "mf_clients": [
            "-A mf_clients -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
            "-A mf_clients -p ipv6-icmp -j ACCEPT",
            "-A mf_clients -d fd00::53/128 -p udp -m udp --dport 53 -j ACCEPT",
            "-A mf_clients -d fd00::53/128 -p tcp -m tcp --dport 53 -j ACCEPT",
            "-A mf_clients -p tcp -m multiport --dports 443,5223 -j ACCEPT",
            "-A mf_clients -p udp -m multiport --dports 123 -j ACCEPT",
            "-A mf_clients -j DROP",
        ],
    }
    # Only FORWARD jumps to our chains; the built-in chains' policies are never touched.
    assert ipt.jump_rules(gateway()) == {"FORWARD": "-A FORWARD -j mf_fwd"}
    restore = ipt.restore_input("mf", ipt.chain_rules(gateway(), 4), ["-A FORWARD -j mf_fwd"], {}, [])
    assert "-I FORWARD 1 -j mf_fwd" in restore and ":FORWARD" not in restore and "-P " not in restore


def test_iptables_forward_restricted_and_reject():
    chains = ipt.chain_rules(gateway(destinations=["17.0.0.0/8"], resolved_destinations=["17.253.144.10"],
                                     policy="reject", keep_dns=False), 4)
    assert chains["mf_clients"] == [
        "-A mf_clients -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        "-A mf_clients -p icmp -j ACCEPT",
        "-A mf_clients -d 17.0.0.0/8 -j mf_fwd_dst",
        "-A mf_clients -d 17.253.144.10/32 -j mf_fwd_dst",
        "-A mf_clients -p tcp -j REJECT --reject-with tcp-reset",
        "-A mf_clients -j REJECT --reject-with icmp-port-unreachable",
    ]
    assert chains["mf_fwd_dst"] == ["-A mf_fwd_dst -p tcp -m multiport --dports 443,5223 -j ACCEPT",
                                    "-A mf_fwd_dst -p udp -m multiport --dports 123 -j ACCEPT"]
    # No IPv6 destination: the IPv6 clients may reach nothing but the policy (and ICMPv6).
    six = ipt.chain_rules(gateway(destinations=["17.0.0.0/8"], keep_dns=False), 6)
    assert six["mf_clients"] == ["-A mf_clients -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
                                 "-A mf_clients -p ipv6-icmp -j ACCEPT", "-A mf_clients -j DROP"]
    assert six["mf_fwd_dst"] == chains["mf_fwd_dst"]


def test_iptables_forward_chains_are_ours_and_removed_with_absent():
    chains, jumps = ipt.chain_rules(gateway(), 4), sorted(ipt.jump_rules(gateway()).values())
    live = ipt.predict_save("", "mf", chains, jumps)
    assert ipt.parse_save(live, "mf") == (chains, jumps)
    status = ipt.status("mf", "absent", None, {4: live}, {}, {})
    (_version, forward, _backward), = status["plans"]
    assert forward.splitlines() == ["*filter", "-D FORWARD -j mf_fwd", ":mf_clients - [0:0]", ":mf_fwd - [0:0]",
                                    "-X mf_clients", "-X mf_fwd", "COMMIT"]
    assert ipt.status("mf", "present", gateway(), {4: live}, {}, {})["in_sync"]
    # The longest name still gives chain names iptables accepts (28 characters at most).
    assert max(len(c) for c in ipt.chain_names("a" * 20).values()) == 28


# -- the real tools, each in a network namespace of its own ---------------------------------------

VARIANTS = {
    "default": {},
    "restricted_reject": {"destinations": ["17.0.0.0/8", "2620:149::/32"], "resolved_destinations": ["17.253.144.10"],
                          "policy": "reject"},
    "no_dns_no_icmp": {"keep_dns": False, "allow_icmp": False},
    "ipv4_clients_only": {"client_networks": ["10.20.0.0/16", "192.168.7.5"]},
    "with_egress_and_ingress": {"directions": ["egress", "ingress", "forward"],
                                "rules": FORWARD_RULES + [{"direction": "egress", "protocol": "tcp", "ports": [443]}],
                                "destinations": ["17.0.0.0/8"]},
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_nft_accepts_the_forward_table(variant):
    done = run_tool("nft", ["-c", "-f", "-"], nft.replace_script(gateway(**VARIANTS[variant])))
    assert done.returncode == 0, done.stderr


def test_nft_rejects_a_broken_forward_chain():
    broken = nft.replace_script(gateway()).replace("ip saddr @clients4 jump clients", "ip saddr @clients4 jump nowhere")
    assert run_tool("nft", ["-c", "-f", "-"], broken).returncode != 0


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("tool, version", [("iptables-nft-restore", 4), ("ip6tables-nft-restore", 6),
                                           ("iptables-legacy-restore", 4), ("ip6tables-legacy-restore", 6)])
def test_iptables_restore_accepts_the_forward_chains(variant, tool, version):
    s = gateway(**VARIANTS[variant])
    chains, jumps = ipt.chain_rules(s, version), sorted(ipt.jump_rules(s).values())
    done = run_tool(tool, ["--noflush", "--test"], ipt.restore_input("mf", chains, jumps, {}, []))
    assert done.returncode == 0, done.stderr


# -- bad input: the field and the value, before anything is read ----------------------------------

@pytest.mark.parametrize("kwargs, message", [
    ({"client_networks": []}, r"client_networks: \[\]; 'forward' in directions needs at least one client network"),
    ({"client_networks": ["10.20.0.0/abc"]}, r"client_networks: '10.20.0.0/abc' is not a network in CIDR form"),
    ({"client_networks": ["10.0.0.0/255.255.0.0"]}, r"client_networks: '10.0.0.0/255.255.0.0' is not a network in CIDR"),
    ({"client_networks": ["clients.example.com"]}, r"client_networks: 'clients.example.com' is not an IP address or network"),
    ({"client_networks": ["10.20.0.0/33"]}, r"client_networks: '10.20.0.0/33' is not an IP address or network"),
    ({"client_networks": "10.20.0.0/16"}, r"client_networks: expected a list of networks"),
    ({"client_networks": CLIENTS, "directions": ["egress"], "rules": []},
     r"client_networks: \['10.20.0.0/16', '2001:db8:20::/48'\] is given, but 'forward' is not in directions"),
    ({"client_nameservers": ["10.20.0.0/24"]}, r"client_nameservers: '10.20.0.0/24' is not an IP address"),
    ({"directions": ["egress"]}, r"rules: a rule for direction 'forward', which is not in directions"),
])
def test_bad_gateway_input(kwargs, message):
    with pytest.raises(FirewallInputError, match=message):
        gateway(**kwargs)


params = with_defaults(module_params, name="mf", directions=["forward"], rules=FORWARD_RULES, client_networks=CLIENTS,
                       nameservers=["10.0.0.53"])


@pytest.mark.parametrize("backend", ["pf", "firewalld", "ufw"])
def test_forward_only_with_nftables_and_iptables(backend):
    with pytest.raises(FirewallInputError, match="directions: 'forward' \\(gateway mode\\) works with backend "
                                                 "nftables or iptables only, not '%s'" % backend):
        check_forward_backend(backend, ["egress", "forward"])
    check_forward_backend(backend, ["egress", "ingress"])


def test_validate_refuses_gateway_mode_before_the_host_is_read():
    with pytest.raises(FirewallInputError, match="not 'pf'"):
        validation.validate(params(backend="pf"), None)
    with pytest.raises(FirewallInputError, match="client_networks"):
        validation.validate(params(client_networks=[]), None)
    for backend in ("nftables", "iptables"):
        spec_, _mgmt = validation.validate(params(backend=backend), None)
        assert spec_["directions"] == ["forward"] and [str(n) for n in spec_["clients"][4]] == ["10.20.0.0/16"]
    # Removing never needs client networks.
    assert validation.validate(params(state="absent", client_networks=[]), None) == (None, [])
    assert "forward" in argspec.ARGUMENT_SPEC["directions"]["choices"]
    assert "forward" in argspec.ARGUMENT_SPEC["rules"]["options"]["direction"]["choices"]


def test_essentials_report_the_clients_name_servers_and_warn_without_any():
    spec_, _mgmt = validation.validate(params(), None)
    assert summary.essentials(spec_)["client_nameservers"] == ["10.0.0.53"] and summary.essentials_warnings(spec_) == []
    spec_, _mgmt = validation.validate(params(client_nameservers=["10.20.0.53", "2001:db8:20::53"]), None)
    assert summary.essentials(spec_)["client_nameservers"] == ["10.20.0.53", "2001:db8:20::53"]
    spec_, _mgmt = validation.validate(params(nameservers=["127.0.0.1"]), None)
    assert summary.essentials(spec_)["client_nameservers"] == []
    assert any("client_nameservers" in w for w in summary.essentials_warnings(spec_))
    spec_, _mgmt = validation.validate(params(directions=["egress"], rules=[], client_networks=[]), None)
    assert "client_nameservers" not in summary.essentials(spec_)


# -- the catalog selection ------------------------------------------------------------------------

def test_forward_takes_the_egress_selection():
    catalog = load_catalog()
    egress = {"used_by": ["APNs"], "ports": ["443/tcp"]}
    both = select(catalog, ["egress", "forward"], egress=egress)
    by_direction = dict((d, [dict(r, direction=None) for r in both["rules"] if r["direction"] == d])
                        for d in ("egress", "forward"))
    assert by_direction["forward"] == by_direction["egress"] and by_direction["forward"]
    assert both["record_ids"]["forward"] == both["record_ids"]["egress"]
    alone = select(catalog, ["forward"], egress=egress)
    assert alone["rules"] == [r for r in both["rules"] if r["direction"] == "forward"]
    assert alone["hosts"] == both["hosts"]
    # Errors name the egress keys the user set.
    with pytest.raises(FirewallInputError, match=r"egress.used_by: 'No Such Product'"):
        select(catalog, ["forward"], egress={"used_by": ["No Such Product"]})
