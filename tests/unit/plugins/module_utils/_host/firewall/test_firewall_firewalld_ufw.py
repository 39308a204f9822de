# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""firewalld and ufw rendering: the exact structure of what is written, and the rollback snapshots (issue 13)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import argspec
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import validation
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import firewalld as fwd
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import ufw
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import FirewallInputError, build_spec
from ansible_collections.macfleet.apple_network.tests.unit.plugins.module_utils._host.firewall.firewall_params import with_defaults

RULES = [
    {"direction": "egress", "protocol": "tcp", "ports": [443, "5223-5224", {"start": 80, "end": 80}]},
    {"direction": "ingress", "protocol": "udp", "ports": ["5353"]},
]
TAG = ["comment", "macfleet-macfleet"]


spec = with_defaults(build_spec, rules=RULES, nameservers=["10.0.0.53", "127.0.0.53"])


def structure(text):
    """An XML file as nested tuples ``(tag, attributes, text, children)``, after its declaration line."""
    declaration, body = text.split("\n", 1)
    assert declaration == '<?xml version="1.0" encoding="utf-8"?>'

    def walk(element):
        return (element.tag, dict(element.attrib), (element.text or "").strip(), [walk(c) for c in element])
    return walk(ET.fromstring(body))


def rule(family, port=None, destination=None, icmp_type=None):
    children = []
    if destination:
        children.append(("destination", destination, "", []))
    if port:
        children.append(("port", {"protocol": port[0], "port": port[1]}, "", []))
    if icmp_type:
        children.append(("icmp-type", {"name": icmp_type}, "", []))
    return ("rule", {"family": family}, "", children + [("accept", {}, "", [])])


def head(name, ingress_zone, egress_zone, target="DROP"):
    return [("short", {}, name, []), ("description", {}, fwd.MARKER, []),
            ("ingress-zone", {"name": ingress_zone}, "", []), ("egress-zone", {"name": egress_zone}, "", [])]


ICMP = [("protocol", {"value": "icmp"}, "", []), ("protocol", {"value": "ipv6-icmp"}, "", [])]


def test_firewalld_ingress_policy_structure():
    files = fwd.render(spec())
    assert sorted(files) == ["policies/macfleet_in.xml", "policies/macfleet_out.xml"]
    assert structure(files["policies/macfleet_in.xml"]) == (
        "policy", {"target": "DROP", "priority": "-100"}, "",
        head("macfleet_in", "ANY", "HOST") + [
            ("port", {"protocol": "tcp", "port": "22"}, "", []),  # the management port, first
            ("port", {"protocol": "udp", "port": "5353"}, "", []),
        ] + ICMP + [rule("ipv4", port=("udp", "68")), rule("ipv6", port=("udp", "546"))])


def test_firewalld_egress_policy_structure_unrestricted():
    files = fwd.render(spec())
    assert structure(files["policies/macfleet_out.xml"]) == (
        "policy", {"target": "DROP", "priority": "-100"}, "",
        head("macfleet_out", "HOST", "ANY") + [
            ("port", {"protocol": "tcp", "port": "80"}, "", []),
            ("port", {"protocol": "tcp", "port": "443"}, "", []),
            ("port", {"protocol": "tcp", "port": "5223-5224"}, "", []),
        ] + ICMP + [
            # DNS to the name server; the loopback one (127.0.0.53) is left to firewalld's own loopback rule
            rule("ipv4", port=("udp", "53"), destination={"address": "10.0.0.53"}),
            rule("ipv4", port=("tcp", "53"), destination={"address": "10.0.0.53"}),
            rule("ipv4", port=("udp", "67")), rule("ipv6", port=("udp", "547")),
        ])


def test_firewalld_restricted_egress_uses_own_ipsets():
    files = fwd.render(spec(directions=["egress"], rules=RULES[:1], destinations=["17.0.0.0/8"],
                            resolved_destinations=["2620:149::1", "17.253.144.10"], keep_dns=False, keep_dhcp=False,
                            allow_icmp=False, policy="reject"))
    assert sorted(files) == ["ipsets/macfleet_dst4.xml", "ipsets/macfleet_dst6.xml", "policies/macfleet_out.xml"]
    assert structure(files["ipsets/macfleet_dst4.xml"]) == (
        "ipset", {"type": "hash:net"}, "", [("short", {}, "macfleet_dst4", []), ("description", {}, fwd.MARKER, []),
                                            ("option", {"name": "family", "value": "inet"}, "", []),
                                            ("entry", {}, "17.0.0.0/8", []), ("entry", {}, "17.253.144.10", [])])
    assert structure(files["ipsets/macfleet_dst6.xml"])[3][2:] == [
        ("option", {"name": "family", "value": "inet6"}, "", []), ("entry", {}, "2620:149::1", [])]
    nd_types = ("neighbour-solicitation", "neighbour-advertisement", "router-solicitation", "router-advertisement")
    nd = [rule("ipv6", icmp_type=t) for t in nd_types]
    ports = [rule(family, port=("tcp", port), destination={"ipset": "macfleet_dst%d" % version})
             for port in ("80", "443", "5223-5224") for version, family in ((4, "ipv4"), (6, "ipv6"))]
    assert structure(files["policies/macfleet_out.xml"]) == (
        "policy", {"target": "REJECT", "priority": "-100"}, "", head("macfleet_out", "HOST", "ANY") + nd + ports)


def test_firewalld_names_are_checked_before_rendering():
    fwd.check_firewalld_name("a" * 14)
    with pytest.raises(FirewallInputError, match="too long for firewalld"):
        fwd.render(spec(name="a" * 15))
    params = dict((key, value.get("default")) for key, value in argspec.ARGUMENT_SPEC.items())
    with pytest.raises(FirewallInputError, match="at most 14"):
        validation.validate(dict(params, backend="firewalld", name="macfleet_toolong"), None)
    validation.validate(dict(params, backend="nftables", name="macfleet_toolong"), None)  # fine for nftables


def test_firewalld_managed_files_and_objects():
    assert fwd.managed_files("mf") == ["policies/mf_in.xml", "policies/mf_out.xml", "ipsets/mf_dst4.xml",
                                       "ipsets/mf_dst6.xml"]
    assert fwd.objects(fwd.render(spec(name="mf", destinations=["17.0.0.0/8"]))) == {
        "policies": ["mf_in", "mf_out"], "ipsets": ["mf_dst4", "mf_dst6"]}


def test_firewalld_rollback_snapshot_is_the_previous_files():
    previous = {"policies/mf_out.xml": "<policy>old</policy>\n", "policies/mf_in.xml": None}
    script = fwd.restore_script("/etc/firewalld", previous, "/usr/bin/firewall-cmd", "tok")
    marker = re.search(r"<<'(MACFLEET_EOF_[0-9a-f]{32})'", script).group(1)  # random, see test_firewall_rollback.py
    assert script == (
        "rm -f /etc/firewalld/policies/mf_in.xml\n"
        "cat > /etc/firewalld/policies/mf_out.xml.macfleet-tok <<'%s'\n<policy>old</policy>\n%s\n"
        "mv -f /etc/firewalld/policies/mf_out.xml.macfleet-tok /etc/firewalld/policies/mf_out.xml\n"
        "/usr/bin/firewall-cmd --reload\n") % (marker, marker)


def test_firewalld_text_has_a_header_per_file():
    assert fwd.text({"b.xml": "B\n", "a.xml": "A\n", "c.xml": None}) == "# a.xml\nA\n# b.xml\nB\n"


def test_ufw_rules_in_order_each_direction_ending_with_our_deny():
    assert ufw.render(spec()) == [
        ["allow", "out", "proto", "udp", "to", "10.0.0.53", "port", "53"] + TAG,
        ["allow", "out", "proto", "tcp", "to", "10.0.0.53", "port", "53"] + TAG,
        ["allow", "out", "proto", "udp", "from", "0.0.0.0/0", "port", "68", "to", "0.0.0.0/0", "port", "67"] + TAG,
        ["allow", "out", "proto", "udp", "from", "::/0", "port", "546", "to", "::/0", "port", "547"] + TAG,
        ["allow", "out", "proto", "tcp", "to", "any", "port", "80,443,5223:5224"] + TAG,
        ["deny", "out", "to", "any"] + TAG,
        ["allow", "in", "proto", "tcp", "to", "any", "port", "22"] + TAG,
        ["allow", "in", "proto", "udp", "from", "0.0.0.0/0", "port", "67", "to", "0.0.0.0/0", "port", "68"] + TAG,
        ["allow", "in", "proto", "udp", "from", "::/0", "port", "547", "to", "::/0", "port", "546"] + TAG,
        ["allow", "in", "proto", "udp", "to", "any", "port", "5353"] + TAG,
        ["deny", "in", "to", "any"] + TAG,
    ]


def test_ufw_never_changes_defaults_and_restricts_per_destination():
    commands = ufw.render(spec(directions=["egress"], rules=RULES[:1], destinations=["17.0.0.0/8"],
                               resolved_destinations=["2620:149::1"], keep_dns=False, keep_dhcp=False,
                               policy="reject"))
    assert commands == [["allow", "out", "proto", "tcp", "to", "17.0.0.0/8", "port", "80,443,5223:5224"] + TAG,
                        ["allow", "out", "proto", "tcp", "to", "2620:149::1", "port", "80,443,5223:5224"] + TAG,
                        ["reject", "out", "to", "any"] + TAG]
    assert not any(argv[0] == "default" for argv in ufw.render(spec()))


SHOW_ADDED = """Added user rules (see 'ufw status' for running firewall):
ufw allow 6001/tcp
ufw allow out to 10.0.0.53 port 53 proto udp comment 'macfleet-macfleet'
ufw deny out to any comment 'macfleet-macfleet'
ufw allow out 443/tcp comment 'macfleet-other'
"""


def test_ufw_owned_lines_and_their_argv():
    owned = ufw.owned(SHOW_ADDED, "macfleet")
    assert owned == ["ufw allow out to 10.0.0.53 port 53 proto udp comment 'macfleet-macfleet'",
                     "ufw deny out to any comment 'macfleet-macfleet'"]
    assert ufw.delete_argv(owned[1]) == ["delete", "deny", "out", "to", "any", "comment", "macfleet-macfleet"]
    assert ufw.owned("Added user rules (see 'ufw status' for running firewall):\n(None)\n", "macfleet") == []
    with pytest.raises(ValueError):
        ufw.add_argv("allow 22")


def test_ufw_rollback_snapshot_is_the_previous_rules_in_their_order():
    current = ufw.owned(SHOW_ADDED, "macfleet")
    stored = {"listing": current, "argv": [["allow", "out", "to", "10.0.0.53"] + TAG, ["deny", "out", "to", "any"] + TAG]}
    previous = ufw.previous_rules(current, stored)
    assert previous == stored["argv"]
    assert ufw.previous_rules(current, dict(stored, listing=[])) == [ufw.add_argv(line) for line in current]
    assert ufw.previous_rules([], stored) == []
    script = ufw.restore_script("/usr/sbin/ufw", ["ufw allow out 443/tcp comment 'macfleet-macfleet'"], previous)
    assert script == ("/usr/sbin/ufw delete allow out 443/tcp comment macfleet-macfleet\n"
                      "/usr/sbin/ufw allow out to 10.0.0.53 comment macfleet-macfleet\n"
                      "/usr/sbin/ufw deny out to any comment macfleet-macfleet\n")


def test_ufw_text_quotes_each_word():
    assert ufw.text([["allow", "out", "to", "any", "comment", "macfleet-x y"]]) == \
        "ufw allow out to any comment 'macfleet-x y'\n"
