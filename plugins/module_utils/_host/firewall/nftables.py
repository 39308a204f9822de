# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""nftables rendering: one dedicated ``inet`` table with named sets, replaced in one transaction."""

from __future__ import annotations

import re

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import (
    PROTOCOLS,
    client_dns,
    dns_rules,
    format_range,
    restricts,
)

FAMILY = "inet"
_ND_TYPES = "nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert"
_HOOKS = (("ingress", "input", "iif"), ("egress", "output", "oif"))
# DHCP client traffic per direction: (IP family, source port, destination port). Out: the client's requests
# (renewals go to the server's unicast address); in: the servers' answers, which conntrack does not match when
# they are broadcast or multicast.
_DHCP = {"egress": (("ipv4", 68, 67), ("ipv6", 546, 547)), "ingress": (("ipv4", 67, 68), ("ipv6", 547, 546))}


def _elements(items):
    return ", ".join(items)


def _set(lines, name, set_type, flags, elements, extra=None):
    lines.append("\tset %s {" % name)
    lines.append("\t\ttype %s" % set_type)
    if flags:
        lines.append("\t\tflags %s" % flags)
    if extra:
        lines.append("\t\t%s" % extra)
    if elements:
        lines.append("\t\telements = { %s }" % _elements(elements))
    lines.append("\t}")


def set_names(spec):
    """Names of the sets the table holds (they stay declared even when empty, so they can be refreshed)."""
    names = []
    for direction in spec["directions"]:
        names += ["%s_%s" % (direction, proto) for proto in PROTOCOLS]
    names.append("mgmt_tcp")
    if any(dns_rules(spec)):
        names += ["dns4", "dns6"]
    if restricts(spec, "egress") or restricts(spec, "forward"):
        names += ["dst4", "dst6", "dyn4", "dyn6"]
    if "forward" in spec["directions"]:
        names += ["clients4", "clients6"]
    if client_dns(spec):
        names += ["client_dns4", "client_dns6"]
    return names


def render(spec):
    """The table definition as ``nft -f`` input (without the replace preamble)."""
    name = spec["name"]
    lines = ["table %s %s {" % (FAMILY, name), '\tcomment "managed by macfleet.apple_network firewall_rules"']
    for direction in spec["directions"]:
        for proto in PROTOCOLS:
            ranges = spec["rules"][direction][proto]
            _set(lines, "%s_%s" % (direction, proto), "inet_service", "interval", [format_range(s, e) for s, e in ranges])
    _set(lines, "mgmt_tcp", "inet_service", "interval", [format_range(s, e) for s, e in spec["management"]])
    dns_out, dns_local_in = dns_rules(spec)
    if dns_out or dns_local_in:
        for version, set_type in ((4, "ipv4_addr"), (6, "ipv6_addr")):
            _set(lines, "dns%d" % version, set_type, None, [str(a) for a in spec["dns"][version]])
    restricted = restricts(spec, "egress")
    if restricted or restricts(spec, "forward"):
        for version, set_type in ((4, "ipv4_addr"), (6, "ipv6_addr")):
            _set(lines, "dst%d" % version, set_type, "interval", [str(n) for n in spec["destinations"][version]])
        for version, set_type in ((4, "ipv4_addr"), (6, "ipv6_addr")):
            _set(lines, "dyn%d" % version, set_type, "timeout", [str(a) for a in spec["resolved"][version]],
                 extra="timeout %ds" % spec["address_timeout"])
    for direction, hook, iface in _HOOKS:
        if direction not in spec["directions"]:
            continue
        lines.append("\tchain %s {" % hook)
        lines.append("\t\ttype filter hook %s priority filter; policy drop;" % hook)
        if spec["keep"]["loopback"]:
            lines.append('\t\t%s "lo" accept' % iface)
        lines.append("\t\tct state established,related accept")
        lines.append("\t\ticmpv6 type { %s } accept" % _ND_TYPES)
        if spec["allow_icmp"]:
            lines.append("\t\tmeta l4proto { icmp, ipv6-icmp } accept")
        if direction == "ingress":
            lines.append("\t\ttcp dport @mgmt_tcp accept")
        if (dns_out and direction == "egress") or (dns_local_in and direction == "ingress"):
            prefix = "" if direction == "egress" else 'iif "lo" '
            for version, selector in ((4, "ip"), (6, "ip6")):
                for proto in ("udp", "tcp"):
                    lines.append("\t\t%s%s daddr @dns%d %s dport 53 accept" % (prefix, selector, version, proto))
        if spec["keep"]["dhcp"]:
            for family, sport, dport in _DHCP[direction]:
                lines.append("\t\tmeta nfproto %s udp sport %d udp dport %d accept" % (family, sport, dport))
        _allow_selection(lines, direction, direction == "egress" and restricted)
        if spec["policy"] == "reject":
            _reject(lines)
        lines.append("\t}")
    if "forward" in spec["directions"]:
        _forward(spec, lines)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _allow_selection(lines, direction, restricted):
    """Accept the direction's port sets, only to the destination sets when ``restricted``."""
    for proto in PROTOCOLS:
        port_set = "@%s_%s" % (direction, proto)
        if restricted:
            for version, selector in ((4, "ip"), (6, "ip6")):
                lines.append("\t\t%s daddr @dst%d %s dport %s accept" % (selector, version, proto, port_set))
                lines.append("\t\t%s daddr @dyn%d %s dport %s accept" % (selector, version, proto, port_set))
        else:
            lines.append("\t\t%s dport %s accept" % (proto, port_set))


def _reject(lines):
    lines.append("\t\tmeta l4proto tcp reject with tcp reset")
    lines.append("\t\treject with icmpx port-unreachable")


def _forward(spec, lines):
    """Gateway mode: the sets of the clients (and their name servers), the ``forward`` base chain and ``clients``.

    The base chain keeps policy accept: only packets from a client network enter ``clients``, which allows the
    selection and ends in the policy; every other forwarded packet leaves this table untouched (an accept here
    ends only this table's chain, other tables still see the packet).
    """
    for version, set_type in ((4, "ipv4_addr"), (6, "ipv6_addr")):
        _set(lines, "clients%d" % version, set_type, "interval", [str(n) for n in spec["clients"][version]])
    dns = client_dns(spec)
    if dns:
        for version, set_type in ((4, "ipv4_addr"), (6, "ipv6_addr")):
            _set(lines, "client_dns%d" % version, set_type, None, [str(a) for a in spec["client_dns"][version]])
    lines.append("\tchain forward {")
    lines.append("\t\ttype filter hook forward priority filter; policy accept;")
    lines.append("\t\tct state established,related accept")
    lines.append("\t\tip saddr @clients4 jump clients")
    lines.append("\t\tip6 saddr @clients6 jump clients")
    lines.append("\t}")
    lines.append("\tchain clients {")
    if spec["allow_icmp"]:
        lines.append("\t\tmeta l4proto { icmp, ipv6-icmp } accept")
    if dns:
        for version, selector in ((4, "ip"), (6, "ip6")):
            for proto in ("udp", "tcp"):
                lines.append("\t\t%s daddr @client_dns%d %s dport 53 accept" % (selector, version, proto))
    _allow_selection(lines, "forward", restricts(spec, "forward"))
    if spec["policy"] == "reject":
        _reject(lines)
    else:
        lines.append("\t\tdrop")
    lines.append("\t}")


def replace_script(spec):
    """Atomic replacement: create-if-missing, delete, define: one ``nft -f`` transaction."""
    name = spec["name"]
    return "add table %s %s\ndelete table %s %s\n%s" % (FAMILY, name, FAMILY, name, render(spec))


def restore_script(name, previous_listing):
    """Put the table back exactly as ``previous_listing`` (``nft list table`` output, or None: no table)."""
    script = "add table %s %s\ndelete table %s %s\n" % (FAMILY, name, FAMILY, name)
    if previous_listing:
        script += previous_listing
    return script


def delete_script(name):
    return "delete table %s %s\n" % (FAMILY, name)


_VOLATILE = (
    (re.compile(r" expires [0-9dhms]+"), ""),
    (re.compile(r"counter packets \d+ bytes \d+"), "counter"),
)


def normalize_listing(text):
    """``nft list table`` output without what changes by itself (element expiry, counters)."""
    for regex, repl in _VOLATILE:
        text = regex.sub(repl, text)
    return text.strip() + "\n" if text.strip() else ""
