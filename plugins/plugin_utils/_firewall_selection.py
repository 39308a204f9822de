# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Catalog selection for the firewall (controller side): catalog + explicit ports -> concrete rules.

Works only through the catalog core's queries; the result is what ``firewall_rules`` takes.
"""

from __future__ import annotations

import re

from ansible.module_utils.common.validation import check_type_list

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.errors import CatalogQueryError
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.catalog import port_ranges
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import (
    DIRECTIONS,
    FirewallInputError,
    parse_networks,
    parse_port,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.ports import PROTOCOLS, parse_protocol

_EXPLICIT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9 ._:+-]*?)\s*(?:/\s*([A-Za-z]+))?\s*$")


def _service_ranges(catalog, service, field):
    """Ports of catalog records whose IANA name or service name is ``service`` (case-insensitive)."""
    wanted = service.strip().lower()
    records = [r for r in catalog.records("ports")
               if wanted in ((r.get("iana_name") or "").lower(), (r.get("service") or "").lower())]
    if not records:
        raise FirewallInputError("%s: %r is neither a port nor a service name the catalog knows" % (field, service))
    return records


def parse_explicit(catalog, items, field):
    """Explicit ports: 443, "443/tcp", "5223-5224/udp", "https", {port, protocol} -> {protocol: [(s, e)]}."""
    result = dict((p, []) for p in PROTOCOLS)
    for index, item in enumerate(items or []):
        where = "%s[%d]" % (field, index)
        protocols = list(PROTOCOLS)
        if isinstance(item, dict):
            unknown = sorted(set(item) - {"port", "protocol"})
            if unknown or "port" not in item:
                raise FirewallInputError("%s: %r needs the key port (and optionally protocol)" % (where, item))
            port = item["port"]
            if item.get("protocol") is not None:
                protocols = [parse_protocol(item["protocol"], where + ".protocol", FirewallInputError)]
        elif isinstance(item, str):
            match = _EXPLICIT.match(item)
            if not match:
                raise FirewallInputError("%s: %r is not a port, range or service name" % (where, item))
            port = match.group(1)
            if match.group(2):
                protocols = [parse_protocol(match.group(2), where + ".protocol", FirewallInputError)]
        else:
            port = item
        if isinstance(port, str) and not re.match(r"^\s*\d", port):
            records = _service_ranges(catalog, port, where)
            ranges = port_ranges(records)
            for proto in protocols:
                result[proto] += [(r["start"], r["end"]) for r in ranges[proto]]
            continue
        start_end = parse_port(port, where)
        for proto in protocols:
            result[proto].append(start_end)
    return result


def select_direction(catalog, sources=None, used_by=None, ports=None, field="egress", sections=None):
    """Rules for one direction: every port of ``sources`` and of ``sections``, plus every port of ``used_by`` products,
    plus ``ports``.

    A product that matches no port record is an error (a misspelt product would otherwise open nothing).
    """
    sources = list(sources or [])
    used_by = list(used_by or [])
    collected = dict((p, []) for p in PROTOCOLS)
    records = catalog.ports(source=sources) if sources else []
    sections = list(sections or [])
    if sections:
        records += catalog.ports(section=sections)
    for term in used_by:
        try:
            matched = catalog.ports(used_by=[term])
        except CatalogQueryError as exc:  # names nothing in the catalog: the message lists the valid names
            raise FirewallInputError("%s.%s" % (field, exc))
        if not matched:
            raise FirewallInputError("%s.used_by: %r matches no port record of the catalog" % (field, term))
        records += matched
    unique = dict((r["id"], r) for r in records)
    records = [unique[key] for key in sorted(unique)]
    if records:
        for proto, ranges in port_ranges(records).items():
            collected[proto] += [(r["start"], r["end"]) for r in ranges]
    explicit = parse_explicit(catalog, ports, field + ".ports")
    rules = []
    for proto in PROTOCOLS:
        merged = port_ranges([{"ports": [{"start": s, "end": e} for s, e in collected[proto] + explicit[proto]],
                               "protocols": [proto]}])[proto]
        if merged:
            rules.append({"direction": field, "protocol": proto, "ports": merged})
    return rules, [r["id"] for r in records]


def destination_networks(catalog, destinations=None, field="destinations"):
    """``(networks, record_ids)``: the networks egress is restricted to, IPv4 then IPv6, collapsed.

    Explicit ``destinations`` win. Without them, every network record of the catalog: Apple's blocks from the Firewalls
    section of article 101555, the APNs fallback ranges of article 102266 (inside those blocks, so they add no
    address) and the networks of user catalog files. ``record_ids`` names the records the default came from.
    """
    destinations = _as_list(destinations, field)
    if destinations:
        nets = parse_networks(destinations, field)
        return [str(n) for v in (4, 6) for n in nets[v]], []
    records = catalog.networks()
    if not records:
        raise FirewallInputError("%s: empty, and the catalog has no network records to default to (none in the "
                                 "editions and catalog files loaded); name the networks" % field)
    nets = parse_networks([r["network"] for r in records], field)
    return [str(n) for v in (4, 6) for n in nets[v]], sorted(r["id"] for r in records)


def _as_list(value, field):
    """A list as Ansible's argument spec converts it: ``"a,b"`` (what an AWX survey text answer sends) is ``[a, b]``.

    The spaces after the commas of such a text (``"a, b"``) belong to the list, not to its items.
    """
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [item.strip(" ") for item in value.split(",")]
    try:
        return check_type_list(value)
    except TypeError:
        raise FirewallInputError("%s: expected a list, got %r" % (field, value))


def select(catalog, directions, egress=None, ingress=None):
    """``{rules, record_ids, hosts}`` for the directions wanted; hosts are the egress catalog hosts.

    ``forward`` (gateway mode) takes the ``egress`` selection: the clients behind the host may reach what the
    host itself may; its rules carry the direction ``forward`` and errors name the ``egress`` keys.
    """
    result = {"rules": [], "record_ids": {}, "hosts": []}
    for direction in directions:
        if direction not in DIRECTIONS:
            raise FirewallInputError("directions: %r is not one of %s" % (direction, ", ".join(DIRECTIONS)))
        field = "egress" if direction in ("egress", "forward") else "ingress"
        selection = dict((egress if field == "egress" else ingress) or {})
        unknown = sorted(set(selection) - {"sources", "used_by", "ports", "sections"})
        if unknown:
            raise FirewallInputError("%s: unknown key %r" % (field, unknown[0]))
        selection = dict((key, _as_list(value, "%s.%s" % (field, key))) for key, value in selection.items())
        rules, ids = select_direction(catalog, field=field, **selection)
        result["rules"] += [dict(rule, direction=direction) for rule in rules]
        result["record_ids"][direction] = ids
        if field == "egress" and (selection.get("sources") or selection.get("used_by") or selection.get("sections")):
            hosts = catalog.hosts(source=selection["sources"]) if selection.get("sources") else []
            if selection.get("sections"):
                hosts += catalog.hosts(section=selection["sections"])
            for term in selection.get("used_by") or []:
                hosts += catalog.hosts(used_by=[term])
            result["hosts"] = sorted(set(h["probe_host"] for h in hosts if h.get("probe_host") and not h.get("wildcard")))
    return result


def catalog_selection(catalog, directions, egress=None, ingress=None, restrict_destinations=False, destinations=None):
    """What the firewall_selection lookup answers from the catalog alone, before any name is resolved.

    :func:`select`'s result plus ``destinations`` and ``destination_ids`` (from :func:`destination_networks` when
    egress or forward is restricted, else empty). Errors are :class:`CatalogQueryError`, as for the catalog's own
    queries, so this view can be answered from the catalog's answer cache (see answers.cached_answer).
    """
    try:
        result = select(catalog, directions, egress=egress, ingress=ingress)
        result.update(destinations=[], destination_ids=[])
        if restrict_destinations and ("egress" in directions or "forward" in directions):
            result["destinations"], result["destination_ids"] = destination_networks(catalog, destinations)
    except FirewallInputError as exc:
        raise CatalogQueryError(str(exc))
    return result
