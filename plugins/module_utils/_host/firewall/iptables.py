# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""iptables rendering: the role's own chains in the filter table, as ``iptables-restore --noflush`` input.

Rules are written in the canonical form ``iptables-save`` prints, so the live chains can be
compared line by line with the rendered ones (idempotence without a state file).
"""

from __future__ import annotations

import re

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import (
    PROTOCOLS,
    client_dns,
    dns_rules,
    format_range,
    restricts,
)

MULTIPORT_MAX = 15  # multiport takes at most 15 ports; a range counts as two
_HOOKS = (("ingress", "INPUT", "in", "-i"), ("egress", "OUTPUT", "out", "-o"))
_ND_TYPES = ("133", "134", "135", "136")
# DHCP client traffic per (direction, IP version): (source port, destination port); see nftables._DHCP.
_DHCP = {("egress", 4): (68, 67), ("egress", 6): (546, 547), ("ingress", 4): (67, 68), ("ingress", 6): (547, 546)}


def chain_names(name):
    # Gateway mode: "forward" is entered from FORWARD, "clients" holds the clients' rules, "fwd_dst" the ports
    # allowed to the destinations. At most 28 characters, iptables' limit, with the longest name (20).
    return {"ingress": "%s_in" % name, "egress": "%s_out" % name, "dst": "%s_dst" % name,
            "forward": "%s_fwd" % name, "clients": "%s_clients" % name, "fwd_dst": "%s_fwd_dst" % name}


def chunk_port_lists(ranges):
    """Split ranges into multiport lists (``["80", "5223:5224"]``) of at most 15 slots each."""
    chunks, current, used = [], [], 0
    for start, end in ranges:
        cost = 1 if start == end else 2
        if used + cost > MULTIPORT_MAX:
            chunks.append(current)
            current, used = [], 0
        current.append(format_range(start, end, ":"))
        used += cost
    if current:
        chunks.append(current)
    return chunks


def chunk_ports(ranges):
    """Split ranges into multiport arguments (``"80,5223:5224"``) of at most 15 slots each."""
    return [",".join(chunk) for chunk in chunk_port_lists(ranges)]


def _port_rules(chain, direction_rules):
    lines = []
    for proto in PROTOCOLS:
        for ports in chunk_ports(direction_rules[proto]):
            lines.append("-A %s -p %s -m multiport --dports %s -j ACCEPT" % (chain, proto, ports))
    return lines


def _dns_rules(chain, addresses, prefix, match=""):
    return ["-A %s -d %s/%d%s -p %s -m %s --dport 53 -j ACCEPT" % (chain, address, prefix, match, proto, proto)
            for address in addresses for proto in ("udp", "tcp")]


def _destinations(spec, version):
    """The destination networks and resolved addresses of one IP version, as iptables-save prints them."""
    prefix = 32 if version == 4 else 128
    return [str(n) for n in spec["destinations"][version]] + ["%s/%d" % (a, prefix) for a in spec["resolved"][version]]


def chain_rules(spec, version):
    """``{chain: [rule lines]}`` for one IP version, in iptables-save form."""
    chains = chain_names(spec["name"])
    icmp = "icmp" if version == 4 else "ipv6-icmp"
    result = {}
    restricted = restricts(spec, "egress")
    dns_out, dns_local_in = dns_rules(spec)
    prefix = 32 if version == 4 else 128
    for direction, _builtin, _suffix, iface in _HOOKS:
        if direction not in spec["directions"]:
            continue
        chain = chains[direction]
        lines = ["-A %s %s lo -j ACCEPT" % (chain, iface)] if spec["keep"]["loopback"] else []
        lines.append("-A %s -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT" % chain)
        if version == 6:
            lines += ["-A %s -p ipv6-icmp -m icmp6 --icmpv6-type %s -j ACCEPT" % (chain, t) for t in _ND_TYPES]
        if spec["allow_icmp"]:
            lines.append("-A %s -p %s -j ACCEPT" % (chain, icmp))
        if direction == "ingress":
            for ports in chunk_ports(spec["management"]):
                lines.append("-A %s -p tcp -m multiport --dports %s -j ACCEPT" % (chain, ports))
        if (dns_out and direction == "egress") or (dns_local_in and direction == "ingress"):
            lines += _dns_rules(chain, spec["dns"][version], prefix, "" if direction == "egress" else " -i lo")
        if spec["keep"]["dhcp"]:
            lines.append("-A %s -p udp -m udp --sport %d --dport %d -j ACCEPT" % ((chain,) + _DHCP[(direction, version)]))
        if direction == "egress" and restricted:
            lines += ["-A %s -d %s -j %s" % (chain, net, chains["dst"]) for net in _destinations(spec, version)]
            result[chains["dst"]] = _port_rules(chains["dst"], spec["rules"]["egress"])
        else:
            lines += _port_rules(chain, spec["rules"][direction])
        result[chain] = lines + _policy_rules(chain, spec["policy"], version)
    if "forward" in spec["directions"]:
        result.update(_forward_chains(spec, version))
    return result


def _policy_rules(chain, policy, version):
    if policy == "reject":
        return ["-A %s -p tcp -j REJECT --reject-with tcp-reset" % chain,
                "-A %s -j REJECT --reject-with %s" % (
                    chain, "icmp-port-unreachable" if version == 4 else "icmp6-port-unreachable")]
    return ["-A %s -j DROP" % chain]


def _forward_chains(spec, version):
    """Gateway mode for one IP version: ``{chain: [rule lines]}`` of the forward, clients and fwd_dst chains.

    An ACCEPT in a chain FORWARD jumps to ends FORWARD for that packet, so the forward chain accepts only what
    comes from the clients (through the clients chain, which ends in the policy) or goes back to them as part of
    their connections; every other forwarded packet returns to FORWARD and meets the host's own rules.
    """
    chains = chain_names(spec["name"])
    prefix = 32 if version == 4 else 128
    established = "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"
    forward, clients = chains["forward"], chains["clients"]
    networks = [str(n) for n in spec["clients"][version]]
    result = {forward: ["-A %s -s %s -j %s" % (forward, net, clients) for net in networks]
              + ["-A %s -d %s %s" % (forward, net, established) for net in networks]}
    lines = ["-A %s %s" % (clients, established)]
    if spec["allow_icmp"]:
        lines.append("-A %s -p %s -j ACCEPT" % (clients, "icmp" if version == 4 else "ipv6-icmp"))
    if client_dns(spec):
        lines += _dns_rules(clients, spec["client_dns"][version], prefix)
    if restricts(spec, "forward"):
        lines += ["-A %s -d %s -j %s" % (clients, net, chains["fwd_dst"]) for net in _destinations(spec, version)]
        result[chains["fwd_dst"]] = _port_rules(chains["fwd_dst"], spec["rules"]["forward"])
    else:
        lines += _port_rules(clients, spec["rules"]["forward"])
    result[clients] = lines + _policy_rules(clients, spec["policy"], version)
    return result


def jump_rules(spec):
    """``{builtin chain: jump line}`` as iptables-save prints it."""
    chains = chain_names(spec["name"])
    jumps = dict((builtin, "-A %s -j %s" % (builtin, chains[direction]))
                 for direction, builtin, _s, _i in _HOOKS if direction in spec["directions"])
    if "forward" in spec["directions"]:
        jumps["FORWARD"] = "-A FORWARD -j %s" % chains["forward"]
    return jumps


def parse_save(text, name):
    """Our part of ``iptables-save -t filter`` output: ``(chains {chain: [lines]}, jumps [lines])``."""
    own = set(chain_names(name).values())
    chains, jumps, in_filter = {}, [], False
    for line in text.splitlines():
        if line.startswith("*"):
            in_filter = line == "*filter"
            continue
        if not in_filter:
            continue
        if line.startswith(":"):
            chain = line[1:].split(" ", 1)[0]
            if chain in own:
                chains.setdefault(chain, [])
        elif line.startswith("-A "):
            parts = line.split(" ")
            if parts[1] in own:
                chains.setdefault(parts[1], []).append(line)
            elif parts[1] in ("INPUT", "OUTPUT", "FORWARD") and len(parts) == 4 and parts[2] == "-j" and parts[3] in own:
                jumps.append(line)
    return chains, jumps


def _insert_jump(line):
    # "-A INPUT -j x_in" -> "-I INPUT 1 -j x_in": our chain is consulted before anything else.
    parts = line.split(" ")
    return "-I %s 1 %s" % (parts[1], " ".join(parts[2:]))


def _delete_jump(line):
    return "-D" + line[2:]


def restore_input(name, chains, jumps, current_chains, current_jumps):
    """``iptables-restore --noflush`` input that makes our chains and jumps exactly ``chains``/``jumps``.

    Chains not wanted are removed (jumps first), wanted chains are declared (which flushes them)
    and filled; jumps already present are kept, missing ones inserted at the top.
    """
    out = ["*filter"]
    for line in current_jumps:
        if line not in jumps:
            out.append(_delete_jump(line))
    seen = set()
    for line in current_jumps:  # drop duplicates of wanted jumps too
        if line in jumps:
            if line in seen:
                out.append(_delete_jump(line))
            seen.add(line)
    for chain in sorted(set(chains) | set(current_chains)):
        out.append(":%s - [0:0]" % chain)
    for chain in sorted(set(current_chains) - set(chains)):
        out.append("-X %s" % chain)
    # Fill the chains in dependency order: the destination chain before the one that jumps to it.
    for chain in sorted(chains, key=lambda c: (not c.endswith("_dst"), c)):
        out.extend(chains[chain])
    for line in jumps:
        if line not in current_jumps:
            out.append(_insert_jump(line))
    out.append("COMMIT")
    return "\n".join(out) + "\n"


def in_sync(chains, jumps, current_chains, current_jumps):
    return chains == current_chains and sorted(jumps) == sorted(current_jumps)


# -- persistent save files (netfilter-persistent's rules.v4 / rules.v6) ---------------------------

_COUNTERS = re.compile(r"^(:\S+ \S+) \[\d+:\d+\]$")


def normalize_save(text):
    """``iptables-save`` output as it is written to the save file: without the comment lines (they carry a
    timestamp) and with the chain counters zeroed, so the file only changes when the rules do."""
    lines = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = _COUNTERS.match(line)
        lines.append(match.group(1) + " [0:0]" if match else line)
    return "\n".join(lines) + "\n" if lines else ""


def predict_save(text, name, chains, jumps):
    """What :func:`normalize_save` of ``iptables-save`` will print once our chains are ``chains``/``jumps``.

    Used for the check-mode diff of the save file only: the live output ``text`` with our declarations,
    rules and jumps replaced (other tables and chains are kept as they are).
    """
    own = set(chain_names(name).values())
    current_chains, current_jumps = parse_save(text, name)
    drop = set(current_jumps) | set(line for lines in current_chains.values() for line in lines)
    lines, in_filter, seen_filter = [], False, False
    for line in normalize_save(text).splitlines():
        if line.startswith("*"):
            in_filter, seen_filter = line == "*filter", seen_filter or line == "*filter"
        if in_filter:
            if line.startswith(":") and line[1:].split(" ", 1)[0] in own:
                continue
            if line in drop:
                continue
            if line == "COMMIT":
                lines.extend(_own_part(chains, jumps, lines))
        lines.append(line)
    if not seen_filter and (chains or jumps):
        # The filter table is created with its built-in chains, policy ACCEPT.
        lines += ["*filter"] + [":%s ACCEPT [0:0]" % builtin for builtin in ("INPUT", "FORWARD", "OUTPUT")]
        lines.extend(_own_part(chains, jumps, lines))
        lines.append("COMMIT")
    return "\n".join(lines) + "\n" if lines else ""


def _own_part(chains, jumps, lines):
    """Declarations after the filter table's last declaration, jumps first in their chain, then our rules."""
    start = len(lines) - 1 - lines[::-1].index("*filter")
    declarations = [":%s - [0:0]" % chain for chain in sorted(chains)]
    position = max([i for i, line in enumerate(lines) if i > start and line.startswith(":")] or [start]) + 1
    lines[position:position] = declarations
    for jump in sorted(jumps, reverse=True):
        builtin = jump.split(" ")[1]
        firsts = [i for i, line in enumerate(lines) if i > start and line.startswith("-A %s " % builtin)]
        lines.insert(firsts[0] if firsts else len(lines), jump)
    return [line for chain in sorted(chains, key=lambda c: (not c.endswith("_dst"), c)) for line in chains[chain]]
