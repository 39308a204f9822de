# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A selection's ports in the shapes other firewall modules and roles take (controller side).

Input is a selection from the ``firewall_selection`` lookup or the ``port_ranges`` filter's result; it goes through
the same strict port checks as the renderers (:mod:`.spec`), is merged and sorted per protocol (TCP first), and comes
out as:

- ``firewalld`` and ``linux_system_roles``: ``["443/tcp", "49152-65535/tcp"]`` (ansible.posix.firewalld ``port``,
  one per task; the linux-system-roles firewall role's ``port`` list);
- ``ufw``: ``[{"port": "49152:65535", "proto": "tcp"}]`` (community.general.ufw ``port`` and ``proto``);
- ``iptables``: ``[{"protocol": "tcp", "destination_ports": ["443", "49152:65535"]}]``, each list within the 15 ports
  of one multiport match (ansible.builtin.iptables ``protocol`` and ``destination_ports``).
"""

from __future__ import annotations

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends.iptables import chunk_port_lists
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import (
    DIRECTIONS,
    FirewallInputError,
    format_range,
    parse_ports,
    parse_rules,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.ports import PROTOCOLS

SHAPES = ("firewalld", "ufw", "iptables", "linux_system_roles")


def _port_strings(ranges):
    return ["%s/%s" % (format_range(start, end, "-"), proto) for proto in PROTOCOLS for start, end in ranges[proto]]


def _ufw_items(ranges):
    return [{"port": format_range(start, end, ":"), "proto": proto} for proto in PROTOCOLS for start, end in ranges[proto]]


def _iptables_items(ranges):
    return [{"protocol": proto, "destination_ports": ports} for proto in PROTOCOLS for ports in chunk_port_lists(ranges[proto])]


_RENDER = {"firewalld": _port_strings, "linux_system_roles": _port_strings, "ufw": _ufw_items, "iptables": _iptables_items}


def _selection_ranges(selection, direction):
    parsed = parse_rules(selection["rules"], "rules")
    record_ids = selection.get("record_ids") or {}
    if not isinstance(record_ids, dict):
        raise FirewallInputError("record_ids: expected the lookup's dictionary of record ids per direction, got %r"
                                 % (record_ids,))
    selected = set(parsed) | set(record_ids)
    if direction is None:
        if len(selected) != 1:
            raise FirewallInputError(
                "direction: the selection holds %s; name the direction to shape (one of %s)"
                % ("rules for " + " and ".join(sorted(selected)) if selected else "no direction", ", ".join(DIRECTIONS)))
        direction = selected.pop()
    elif direction not in DIRECTIONS:
        raise FirewallInputError("direction: %r is not one of %s" % (direction, ", ".join(DIRECTIONS)))
    elif direction not in selected:
        raise FirewallInputError(
            "direction: the selection has no %s rules (it holds %s); select them with the lookup's directions option"
            % (direction, " and ".join(sorted(selected)) or "none"))
    return dict((proto, parsed.get(direction, {}).get(proto, [])) for proto in PROTOCOLS)


def _port_ranges_result(ranges, direction):
    if direction is not None:
        raise FirewallInputError("direction: %r only applies to a selection from the firewall_selection lookup; "
                                 "port ranges have no direction" % (direction,))
    result = {}
    for proto in PROTOCOLS:
        items = ranges.get(proto, [])
        if not isinstance(items, list):
            raise FirewallInputError("%s: expected a list of {start, end} ranges, got %r" % (proto, items))
        result[proto] = parse_ports(items, proto)
    return result


def selection_ranges(value, direction=None):
    """``{protocol: [(start, end)]}``, merged and sorted, from a selection (one direction) or port_ranges' result."""
    if isinstance(value, dict) and "rules" in value:
        return _selection_ranges(value, direction)
    if isinstance(value, dict) and value and set(value) <= set(PROTOCOLS):
        return _port_ranges_result(value, direction)
    raise FirewallInputError(
        "expected a selection from the firewall_selection lookup (a dictionary with rules) or the result of the "
        "port_ranges filter (a dictionary with tcp and/or udp), got %r" % (value,))


def shape(value, name, direction=None):
    """The ports of ``value`` (see :func:`selection_ranges`) in the shape ``name`` (one of :data:`SHAPES`)."""
    if name not in _RENDER:
        raise FirewallInputError("shape: %r is not one of %s" % (name, ", ".join(SHAPES)))
    return _RENDER[name](selection_ranges(value, direction))
