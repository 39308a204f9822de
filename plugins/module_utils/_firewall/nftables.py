# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""nftables rendering: one dedicated ``inet`` table with named sets, replaced in one transaction."""

from __future__ import annotations

import re

from ansible_collections.macfleet.apple_network.plugins.module_utils._firewall.spec import PROTOCOLS, format_range

FAMILY = "inet"
_ND_TYPES = "nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert"
_HOOKS = (("ingress", "input", "iif"), ("egress", "output", "oif"))


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
    if "egress" in spec["directions"] and spec["restricted"]:
        names += ["dst4", "dst6", "dyn4", "dyn6"]
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
    restricted = "egress" in spec["directions"] and spec["restricted"]
    if restricted:
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
        lines.append('\t\t%s "lo" accept' % iface)
        lines.append("\t\tct state established,related accept")
        lines.append("\t\ticmpv6 type { %s } accept" % _ND_TYPES)
        if spec["allow_icmp"]:
            lines.append("\t\tmeta l4proto { icmp, ipv6-icmp } accept")
        if direction == "ingress":
            lines.append("\t\ttcp dport @mgmt_tcp accept")
        for proto in PROTOCOLS:
            port_set = "@%s_%s" % (direction, proto)
            if direction == "egress" and restricted:
                for version, selector in ((4, "ip"), (6, "ip6")):
                    lines.append("\t\t%s daddr @dst%d %s dport %s accept" % (selector, version, proto, port_set))
                    lines.append("\t\t%s daddr @dyn%d %s dport %s accept" % (selector, version, proto, port_set))
            else:
                lines.append("\t\t%s dport %s accept" % (proto, port_set))
        if spec["policy"] == "reject":
            lines.append("\t\tmeta l4proto tcp reject with tcp reset")
            lines.append("\t\treject with icmpx port-unreachable")
        lines.append("\t}")
    lines.append("}")
    return "\n".join(lines) + "\n"


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
