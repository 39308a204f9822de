# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Strict validation of firewall input: everything a renderer writes passes through here first.

:func:`build_spec` turns loosely typed parameters into a normalised, immutable-by-convention
dict (``FirewallSpec``) or raises :class:`FirewallInputError` naming the field and the value.
Renderers only ever see validated integers, protocol names from a fixed list, ``ipaddress``
networks and names that match :data:`NAME_RE`, so nothing can be injected into a ruleset.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules import addresses as address_rule
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules import ports
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.ports import PROTOCOLS, merge_ranges, parse_protocol

DIRECTIONS = ("egress", "ingress", "forward")
# Gateway mode (the forward direction) needs connection tracking and source matching in chains of our own.
FORWARD_BACKENDS = ("nftables", "iptables")
POLICIES = ("drop", "reject")
# One grammar for nft table/set names, iptables chain prefixes and pf anchor names:
# a letter, then letters, digits or underscores; short enough for "<name>_dst" as an iptables chain.
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,19}$")
LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,127}$")
# A port or a range of ports; spaces (ASCII only) may surround the numbers and the separator.
_PORT_TEXT = re.compile(r"^ *([0-9]{1,6}) *(?:[-:] *([0-9]{1,6}))? *\Z")
MAX_TIMEOUT = 30 * 86400


class FirewallInputError(ValueError):
    """Invalid firewall input; the message names the field and the offending value."""


def check_name(value, field="name"):
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise FirewallInputError(
            "%s: %r is not a valid name (a letter followed by up to 19 letters, digits or underscores; "
            "no spaces, dots or hyphens)" % (field, value))
    return value


def check_label(value, field="launchdaemon_label"):
    if not isinstance(value, str) or not LABEL_RE.match(value) or ".." in value:
        raise FirewallInputError("%s: %r is not a valid launchd label (reverse DNS: letters, digits, dots, hyphens)"
                                 % (field, value))
    return value


def _port_number(value, field, item):
    where = field if value is item else "%s: %r" % (field, item)
    return ports.parse_port(value, where, FirewallInputError)


def parse_port(item, field="ports"):
    """One port or range -> ``(start, end)``. Accepts 443, "443", "5223-5224", "5223:5224", {start, end}."""
    if isinstance(item, tuple) and len(item) == 2:
        item = {"start": item[0], "end": item[1]}
    if isinstance(item, dict):
        unknown = sorted(set(item) - {"start", "end"})
        if unknown or "start" not in item:
            raise FirewallInputError("%s: %r is not a port range (expected keys start and end)" % (field, item))
        start = _port_number(item["start"], field, item)
        end = _port_number(item.get("end", item["start"]), field, item)
    elif isinstance(item, str):
        match = _PORT_TEXT.match(item)
        if not match:
            raise FirewallInputError("%s: %r is not a port or a range like 5223-5224" % (field, item))
        start = _port_number(match.group(1), field, item)
        end = _port_number(match.group(2) or match.group(1), field, item)
    else:
        start = end = _port_number(item, field, item)
    if end < start:
        raise FirewallInputError("%s: range %r ends before it starts" % (field, item))
    return (start, end)


def parse_ports(items, field="ports"):
    if items is None:
        return []
    if not isinstance(items, (list, tuple)):
        items = [items]
    return merge_ranges(parse_port(item, field) for item in items)


def parse_network(value, field="destinations"):
    """An address or network (``17.0.0.0/8``, ``2620:149::/32``, ``17.253.144.10``) -> ip_network (the address rule)."""
    return address_rule.parse_ip_network(value, field, FirewallInputError)


def parse_networks(values, field="destinations"):
    result = {4: [], 6: []}
    for value in values or []:
        net = parse_network(value, field)
        result[net.version].append(net)
    for version in result:
        result[version] = list(ipaddress.collapse_addresses(result[version]))
    return result


def parse_nameservers(values, field="nameservers"):
    """Name server addresses -> ``{4: [ip_address], 6: [ip_address]}``, sorted and unique.

    Single IP addresses only: no networks, no host names, no IPv6 zone (``%eth0``), nothing else that could end up
    in a ruleset.
    """
    result = {4: set(), 6: set()}
    if values is None:
        values = []
    if not isinstance(values, (list, tuple)):
        raise FirewallInputError("%s: expected a list of IP addresses, got %r" % (field, values))
    for value in values:
        address = address_rule.parse_ip_address(value, field, FirewallInputError)
        result[address.version].add(address)
    return dict((version, sorted(addresses)) for version, addresses in result.items())


def parse_client_networks(values, field="client_networks"):
    """Client networks of gateway mode -> ``{4: [ip_network], 6: [ip_network]}`` (collapsed).

    Addresses or CIDR networks only (``10.20.0.0/16``, ``2001:db8:20::/48``, ``10.20.0.7``); host bits are cleared
    (``10.20.0.1/24`` is ``10.20.0.0/24``). Anything else names the field and the value.
    """
    if values is None:
        values = []
    if not isinstance(values, (list, tuple)):
        raise FirewallInputError("%s: expected a list of networks such as 10.20.0.0/16, got %r" % (field, values))
    for value in values:
        if isinstance(value, str) and "/" in value:
            prefix = value.rsplit("/", 1)[1]
            if not prefix.isdigit():
                raise FirewallInputError("%s: %r is not a network in CIDR form (address/prefix length)" % (field, value))
    return parse_networks(values, field)


def check_forward_backend(backend, directions, field="directions"):
    """Gateway mode exists for nftables and iptables only; any other backend with ``forward`` is an error."""
    if "forward" in (directions or []) and backend not in FORWARD_BACKENDS:
        raise FirewallInputError("%s: 'forward' (gateway mode) works with backend %s only, not %r"
                                 % (field, " or ".join(FORWARD_BACKENDS), backend))


def parse_rules(rules, field="rules"):
    """``[{direction, protocol, ports}]`` -> ``{direction: {protocol: [(start, end)]}}``."""
    result = {}
    if rules is None:
        return result
    if not isinstance(rules, list):
        raise FirewallInputError("%s: expected a list of {direction, protocol, ports}, got %r" % (field, rules))
    for index, rule in enumerate(rules):
        where = "%s[%d]" % (field, index)
        if not isinstance(rule, dict):
            raise FirewallInputError("%s: %r is not a dict with direction, protocol and ports" % (where, rule))
        unknown = sorted(set(rule) - {"direction", "protocol", "ports"})
        if unknown:
            raise FirewallInputError("%s: unknown key %r" % (where, unknown[0]))
        direction = rule.get("direction")
        if direction not in DIRECTIONS:
            raise FirewallInputError("%s.direction: %r is not one of %s" % (where, direction, ", ".join(DIRECTIONS)))
        proto = parse_protocol(rule.get("protocol"), where + ".protocol", FirewallInputError)
        ranges = parse_ports(rule.get("ports"), where + ".ports")
        bucket = result.setdefault(direction, {})
        bucket[proto] = merge_ranges(bucket.get(proto, []) + ranges)
    return result


def build_spec(name="macfleet", directions=("egress", "ingress"), rules=None, destinations=None,
               resolved_destinations=None, address_timeout=86400, management_ports=(22,), policy="drop",
               allow_icmp=True, keep_loopback=True, keep_dns=True, keep_dhcp=True, nameservers=None,
               client_networks=None, client_nameservers=None):
    """Validate every input and return the normalised spec the renderers use.

    The essentials (kept like the management port): ``keep_loopback`` accepts everything on the loopback interface;
    ``keep_dns`` allows DNS (UDP and TCP 53) out to ``nameservers``; ``keep_dhcp`` allows the DHCP client (UDP 68 to
    67, DHCPv6 546 to 547) out and the servers' answers in. ``dns`` holds the name servers a renderer writes: the
    loopback rule already covers loopback name servers, so they are written only without ``keep_loopback``.

    Gateway mode (``forward`` in ``directions``): traffic forwarded *from* ``client_networks`` may only reach the
    ``forward`` rules' ports (at the destinations, when restricted) and DNS at ``client_dns``; the rest from the
    clients meets ``policy``, and forwarded traffic of other sources is left alone. ``client_dns`` is
    ``client_nameservers``, or when that is empty and DNS is kept, the host's own non-loopback name servers.
    """
    check_name(name)
    directions = list(directions or [])
    for direction in directions:
        if direction not in DIRECTIONS:
            raise FirewallInputError("directions: %r is not one of %s" % (direction, ", ".join(DIRECTIONS)))
    if not directions:
        raise FirewallInputError("directions: at least one of %s is needed" % ", ".join(DIRECTIONS))
    if policy not in POLICIES:
        raise FirewallInputError("policy: %r is not one of %s" % (policy, ", ".join(POLICIES)))
    parsed = parse_rules(rules)
    for direction in parsed:
        if direction not in directions:
            raise FirewallInputError("rules: a rule for direction %r, which is not in directions %r" % (direction, directions))
    if isinstance(address_timeout, bool) or not isinstance(address_timeout, int) or not 1 <= address_timeout <= MAX_TIMEOUT:
        raise FirewallInputError("address_timeout: %r is not a number of seconds between 1 and %d" % (address_timeout, MAX_TIMEOUT))
    dest = parse_networks(destinations, "destinations")
    resolved = {4: [], 6: []}
    for value in resolved_destinations or []:
        net = parse_network(value, "resolved_destinations")
        if net.num_addresses != 1:
            raise FirewallInputError("resolved_destinations: %r is a network; only single addresses are allowed" % (value,))
        resolved[net.version].append(net.network_address)
    resolved = dict((v, sorted(set(a))) for v, a in resolved.items())
    restricted = bool(dest[4] or dest[6] or resolved[4] or resolved[6])
    servers = parse_nameservers(nameservers)
    keep = {"loopback": bool(keep_loopback), "dns": bool(keep_dns), "dhcp": bool(keep_dhcp)}
    dns = dict((v, [a for a in servers[v] if keep["dns"] and not (keep["loopback"] and a.is_loopback)]) for v in servers)
    clients = parse_client_networks(client_networks)
    if "forward" in directions and not (clients[4] or clients[6]):
        raise FirewallInputError("client_networks: %r; 'forward' in directions needs at least one client network "
                                 "(such as 10.20.0.0/16)" % (list(client_networks or []),))
    if "forward" not in directions and (clients[4] or clients[6]):
        raise FirewallInputError("client_networks: %r is given, but 'forward' is not in directions %r"
                                 % (list(client_networks), directions))
    client_servers = parse_nameservers(client_nameservers, "client_nameservers")
    if not (client_servers[4] or client_servers[6]) and keep["dns"]:
        # A forwarded packet never goes to a loopback address: only the host's other name servers apply.
        client_servers = dict((v, [a for a in servers[v] if not a.is_loopback]) for v in servers)
    if "forward" not in directions:
        client_servers = {4: [], 6: []}
    return {
        "name": name,
        "directions": [d for d in DIRECTIONS if d in directions],
        "policy": policy,
        "rules": dict((d, dict((p, parsed.get(d, {}).get(p, [])) for p in PROTOCOLS)) for d in DIRECTIONS),
        "destinations": dest,
        "resolved": resolved,
        "restricted": restricted,
        "address_timeout": address_timeout,
        "management": parse_ports(list(management_ports or []), "management_ports"),
        "allow_icmp": bool(allow_icmp),
        "keep": keep,
        "nameservers": servers,
        "dns": dns,
        "clients": clients,
        "client_dns": client_servers,
    }


def dns_rules(spec):
    """Which DNS rules a renderer writes: ``(out, local_in)``.

    ``out``: DNS to the name servers in the egress chain. ``local_in``: without the loopback rule, the ingress chain
    also accepts DNS that arrives on the loopback interface for a name server address (a local resolver such as
    systemd-resolved's stub), so a local resolver keeps working.
    """
    keep = spec["keep"]
    out = keep["dns"] and "egress" in spec["directions"]
    local_in = keep["dns"] and not keep["loopback"] and "ingress" in spec["directions"]
    return out, local_in


def restricts(spec, direction):
    """Whether ``direction`` (egress or forward) is restricted to the destinations (networks and resolved hosts)."""
    return spec["restricted"] and direction in spec["directions"] and direction in ("egress", "forward")


def client_dns(spec):
    """Whether gateway mode writes DNS rules for the clients (name servers they may reach through the host)."""
    return "forward" in spec["directions"] and bool(spec["client_dns"][4] or spec["client_dns"][6])


def format_range(start, end, sep="-"):
    return str(start) if start == end else "%d%s%d" % (start, sep, end)
