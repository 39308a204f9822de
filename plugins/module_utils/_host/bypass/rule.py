# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The bypass rule: which entries a proxy bypass holds and which destinations each entry covers.

This is the one place that decides it. The PAC renderer (``pac.py``), the squid renderer
(``squid.py``), ``networksetup -setproxybypassdomains`` (the ``macos_proxy`` module) and the
profile's ``ExceptionsList`` (``_host/profile/payloads.py``) all take their entries from
:func:`bypass_entries` and encode :func:`bypass_match`; the docs page section "The bypass rule"
(``docs/docsite/rst/proxy_bypass_guide.rst``) states the same rule for users.

Per case (a destination is the host of a URL or of a CONNECT request, without its port):

* exact name ``host.example.com``: that name only, case-insensitive, one trailing dot ignored;
* plain host name ``intranet`` (no dot): an exact name like any other, nothing more;
* ``*.example.com``: every name below ``example.com`` and, by default (``include_apex``), the apex
  ``example.com`` itself, written as its own entry. The apex is included because macOS's matching of a
  ``*.`` entry is undocumented and may cover the apex (``_host/probe/sysproxy.py``): with both entries every
  view bypasses the apex whatever macOS does. ``include_apex=False`` leaves the apex out everywhere
  (and on macOS only the undocumented matcher decides);
* ``gg*.example.com``: exactly one label matching the glob in front of ``example.com``. macOS's reading
  of such an entry is undocumented too; the entry is written as published;
* IP address (``10.1.2.3``, ``fd00::1``) and network (``10.0.0.0/8``, ``fd00::/8`` and the BSD short form
  ``169.254/16``, missing octets zero): destinations written as an IP literal inside it. A name is never
  resolved to test it against a network (no DNS), and a name entry never matches an IP literal.
  Networks are written in canonical form (``169.254/16`` -> ``169.254.0.0/16``); an IPv6 zone ID (``fe80::1%en0``) is
  refused (the address rule, ``_host/rules/addresses.py``);
* ports: an entry carries no port and covers every port (``host:8080`` is refused), as the macOS list
  and PAC files cannot express one.

Which entries go DIRECT (:func:`split_by_proxy_support`) follows a host record's ``supports_proxies``
column: ``yes`` may use the proxy (it is spliced by squid, never sent DIRECT), ``not_stated`` and
``see_note`` (APNs, which needs a direct connection) go DIRECT, and so do a plain pattern string and a
record without the column. ``direct="all"`` sends every entry DIRECT, whatever the column says. When
records disagree about an entry, DIRECT wins, and a proxy-capable name that a DIRECT entry covers
(``gdmf.apple.com`` under ``*.apple.com``) goes DIRECT with it.
"""

from __future__ import annotations

import re

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules import addresses as address_rule
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.terms import SUPPORTS_PROXIES
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.hostnames import (
    HostnameError,
    compile_pattern,
    normalise_host_for_match,
    parse_pattern,
    pattern_parts,
)

# Values of the ``direct`` switch (see split_by_proxy_support).
DIRECT_CHOICES = ("not_stated", "all")
_IPV4_PART = re.compile(r"^(?:0|[1-9][0-9]{0,2})\Z")  # no leading zeros: 010 reads as octal in C
_ALL_NUMERIC = re.compile(r"^[0-9.]+\Z")
_PREFIX = re.compile(r"^[0-9]{1,3}\Z")


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


def _ipv4_network(address, prefix):
    """IPv4 network from dotted text with 1-4 octets (missing octets are zero, BSD style) and a prefix."""
    parts = address.split(".")
    if not 1 <= len(parts) <= 4 or not all(_IPV4_PART.match(part) and int(part) < 256 for part in parts):
        raise ValueError("%r is not an IPv4 address" % address)
    if len(parts) < 4 and prefix is None:
        raise ValueError("%r is an incomplete IPv4 address without a prefix length" % address)
    padded = ".".join(parts + ["0"] * (4 - len(parts)))
    return address_rule.parse_ip_network("%s/%s" % (padded, 32 if prefix is None else prefix), "network")


def parse_network(text):
    """An IP address or network entry -> ``ipaddress`` network; None when *text* is meant as a name.

    Accepts ``10.1.2.3``, ``10.0.0.0/8``, ``169.254/16`` (BSD short form), ``fd00::1`` and ``fd00::/8``.
    Raises ``ValueError`` for text that looks like an address but is not a valid one (``10.0.0.0/33``,
    ``10.1``, ``fd00::/x``, ``fe80::1%en0``: the address rule of ``addresses.py``); a digit-first name such as
    ``3com.com`` is a name (None).
    """
    address, slash, prefix = text.partition("/")
    if slash and not _PREFIX.match(prefix):
        raise ValueError("%r has no numeric prefix length" % text)
    if ":" in address or "%" in address:
        return address_rule.parse_ip_network(text, "network")
    if _ALL_NUMERIC.match(address):
        return _ipv4_network(address, prefix if slash else None)
    if slash:
        raise ValueError("%r: only an IP address may have a prefix length" % text)
    return None


def format_network(network):
    """Canonical text of a network entry: a single address without ``/32`` (``/128``)."""
    if network.num_addresses == 1:
        return str(network.network_address)
    return str(network)


def entry_kind(entry):
    """Classify a normalised entry (from :func:`bypass_entries`).

    Returns ``("network", ip_network)`` or ``(kind, first_label, suffix)`` with kind ``exact``,
    ``subdomains`` (``*.suffix``) or ``label_glob`` (``gg*.suffix``).
    """
    network = parse_network(entry)
    if network is not None:
        return ("network", network)
    return pattern_parts(entry)


def _parse_entry(raw, allow_networks, what):
    try:
        network = parse_network(raw) if isinstance(raw, str) else None
    except ValueError as exc:
        raise HostnameError("%s %r is neither a host pattern nor a valid IP address or network: %s" % (what, raw, exc))
    if network is None:
        if isinstance(raw, str) and ":" in raw:
            raise HostnameError("%s %r: an entry has no port (it covers every port) and an IPv6 address is "
                                "written without brackets" % (what, raw))
        pattern = parse_pattern(raw, what)
        if pattern.rpartition(".")[2].isdigit():
            # No top-level domain is all digits: such a name is a mistyped address and would read differently
            # in each view (the apex of "*.4" is "4").
            raise HostnameError("%s %r ends in a number; write an IP address or network in full (10.1.2.3, "
                                "10.0.0.0/8)" % (what, raw))
        return pattern, None
    if not allow_networks:
        raise HostnameError("%s %r is an IP address or network; this selection takes host patterns only" % (what, raw))
    return format_network(network), network


def bypass_entries(selection, include_apex=True, allow_networks=True, what="bypass host"):
    """Validated, normalised, de-duplicated bypass entries of a selection, in first-seen order.

    Host patterns are lower-cased without a trailing dot; with ``include_apex`` the apex ``example.com``
    follows each ``*.example.com``. IP addresses and networks (unless ``allow_networks`` is false) are
    written canonically. Raises :class:`HostnameError` (a ``ValueError``) naming the offending value.
    """
    result, seen = [], set()  # the set keeps a 10,000-entry selection linear
    for raw in selection_patterns(selection, what):
        entry, network = _parse_entry(raw, allow_networks, what)
        candidates = [entry]
        if network is None and include_apex:
            kind, _first, suffix = pattern_parts(entry)
            if kind == "subdomains":
                candidates.append(suffix)
        for candidate in candidates:
            if candidate not in seen:
                seen.add(candidate)
                result.append(candidate)
    return result


def macos_bypass_entries(patterns, include_apex=True, allow_networks=True):
    """The macOS bypass list (``ExceptionsList``, ``networksetup -setproxybypassdomains``): :func:`bypass_entries`."""
    return bypass_entries(patterns, include_apex, allow_networks)


def destination_address(host):
    """The IP address a destination is written as (``10.1.2.3``, ``::1``, ``[::1]``), or None for a name.

    A destination is matched, never written: a zone (``fe80::1%en0``) does not change which network the address
    is in, so it is dropped here.
    """
    if not isinstance(host, str):
        return None
    text = host.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return address_rule.parse_ip_address(address_rule.without_zone(text), "destination")
    except address_rule.AddressError:
        return None


def bypass_match(entries, host):
    """The first entry of *entries* (from :func:`bypass_entries`) that covers destination *host*, or None.

    The reference semantics every renderer encodes (and the tests compare them with).
    """
    address = destination_address(host)
    name = None if address is not None else normalise_host_for_match(host)
    for entry in entries:
        kind = entry_kind(entry)
        if kind[0] == "network":
            if address is not None and address.version == kind[1].version and address in kind[1]:
                return entry
        elif name is not None and compile_pattern(entry)(name):
            return entry
    return None


def selection_items(selection):
    """A selection as a list, so it can be read more than once (a string or mapping is left for the shape check)."""
    if hasattr(selection, "__iter__") and not isinstance(selection, (str, bytes, dict, list)):
        return list(selection)
    return selection


def _goes_direct(item, index, direct, what):
    """Whether one selection item (a pattern string or a host record) is to go DIRECT."""
    if not isinstance(item, dict) or "supports_proxies" not in item:
        return True
    value = item["supports_proxies"]
    if value not in SUPPORTS_PROXIES:
        raise HostnameError("%s record #%d (%s) supports_proxies: %r is not one of %s"
                            % (what, index, item.get("id") or item.get("host"), value, ", ".join(SUPPORTS_PROXIES)))
    return direct == "all" or value != "yes"


def split_by_proxy_support(selection, direct="not_stated", include_apex=True, allow_networks=True, what="bypass host"):
    """Split a selection into ``(direct_entries, proxy_capable_entries)`` by the ``supports_proxies`` column.

    ``direct_entries`` are the :func:`bypass_entries` of the items that go DIRECT: pattern strings, records
    without the column, records whose proxy support is ``not_stated`` or ``see_note``, and every record with
    ``direct="all"``. ``proxy_capable_entries`` are the entries of the ``yes`` records that no DIRECT entry
    equals or covers (DIRECT wins). Every item is validated, whichever list it ends in.
    """
    if direct not in DIRECT_CHOICES:
        raise HostnameError("direct: %r is not one of %s" % (direct, ", ".join(DIRECT_CHOICES)))
    items = selection_items(selection)
    selection_patterns(items, what)  # the selection's shape, before any item is looked at
    going_direct = [_goes_direct(item, index, direct, what) for index, item in enumerate(items)]
    direct_entries = bypass_entries([item for item, flag in zip(items, going_direct) if flag],
                                    include_apex, allow_networks, what)
    proxy_capable = []
    for entry in bypass_entries([item for item, flag in zip(items, going_direct) if not flag],
                                include_apex, allow_networks, what):
        if entry not in direct_entries and not _covered(direct_entries, entry):
            proxy_capable.append(entry)
    return direct_entries, proxy_capable


def _covered(entries, entry):
    """Whether *entries* cover all of *entry*: an exact name or address they match, a network inside one of theirs.

    A wildcard or glob is never reported covered (a DIRECT wildcard over it is rare; the equal entry is).
    """
    kind = entry_kind(entry)
    if kind[0] == "exact":
        return bypass_match(entries, entry) is not None
    if kind[0] != "network":
        return False
    return any(other[0] == "network" and other[1].version == kind[1].version and kind[1].subnet_of(other[1])
               for other in map(entry_kind, entries))
