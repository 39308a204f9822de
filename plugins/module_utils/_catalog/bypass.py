# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Bypass selections: which host patterns a proxy bypass covers.

One place decides what a "bypass selection" is, so the PAC file, the squid ACLs, the macOS
bypass list (``ExceptionsList`` / ``networksetup -setproxybypassdomains``) and the
mobileconfig profile all bypass exactly the same names:

* a selection is a list of host patterns (strings) or catalog host records (dicts with ``host``);
* every pattern goes through :func:`parse_pattern` (the one host grammar), so nothing outside
  ``[a-z0-9.*-]`` ever reaches a renderer;
* ``include_apex`` adds ``example.com`` for every ``*.example.com`` (the pattern itself never
  covers the apex; see :mod:`.hostnames`).
"""

from __future__ import annotations

import ipaddress

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.hostnames import (
    HostnameError,
    parse_pattern,
    pattern_parts,
)


def selection_patterns(selection, what="bypass host"):
    """The raw pattern strings of a selection (strings or records with a ``host`` key).

    Raises :class:`HostnameError` for anything that is neither.
    """
    if isinstance(selection, (str, bytes, dict)) or not hasattr(selection, "__iter__"):
        raise HostnameError("%s selection must be a list of host patterns or host records, got %s"
                            % (what, type(selection).__name__))
    patterns = []
    for index, item in enumerate(selection):
        if isinstance(item, dict):
            if "host" not in item:
                raise HostnameError("%s record #%d has no 'host' key: %r" % (what, index, item))
            item = item["host"]
        if not isinstance(item, str):
            raise HostnameError("%s #%d must be a string, got %s %r" % (what, index, type(item).__name__, item))
        patterns.append(item)
    return patterns


def bypass_patterns(selection, include_apex=False, what="bypass host"):
    """Validated, normalised, de-duplicated patterns of a selection, in first-seen order.

    With ``include_apex`` the apex ``example.com`` follows each ``*.example.com``.
    Raises :class:`HostnameError` (a ``ValueError``) naming the offending value.
    """
    result = []
    for raw in selection_patterns(selection, what):
        pattern = parse_pattern(raw, what)
        candidates = [pattern]
        kind, _first, suffix = pattern_parts(pattern)
        if include_apex and kind == "subdomains":
            candidates.append(suffix)
        for entry in candidates:
            if entry not in result:
                result.append(entry)
    return result


def macos_bypass_entries(patterns, include_apex=False, allow_networks=False):
    """Bypass-list entries for host patterns, validated, de-duplicated, in first-seen order.

    * an exact host stays as it is;
    * ``*.example.com`` stays, and ``example.com`` is added when ``include_apex`` is true
      (the pattern itself never covers the apex);
    * ``gg*.example.com`` stays as published.

    With ``allow_networks`` an entry may also be an IPv4/IPv6 address or network in CIDR form
    (``10.0.0.0/8``, ``fd00::/8``), as macOS accepts in the list; it is written in its canonical form.

    ``patterns`` may hold strings or host records (dicts with ``host``).
    Raises :class:`HostnameError` (a ``ValueError``) naming the offending pattern.
    """
    raws = selection_patterns(patterns)
    if not allow_networks:
        return bypass_patterns(raws, include_apex)
    entries = []
    for raw in raws:
        network = _network_entry(raw)
        new = [network] if network else bypass_patterns([raw], include_apex)
        entries.extend(entry for entry in new if entry not in entries)
    return entries


def _network_entry(raw):
    if not raw or not (raw[0].isdigit() or ":" in raw):
        return None
    try:
        network = ipaddress.ip_network(raw, strict=False)
    except ValueError:
        if ":" in raw or "/" in raw:
            raise HostnameError("bypass host %r is neither a host pattern nor an IP address or network" % raw)
        return None  # a digit-first host name such as 3com.com: left to the host grammar
    if network.num_addresses == 1 and "/" not in raw:
        return str(network.network_address)
    return str(network)
