# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Resolve catalog host names to addresses on the controller with dnspython.

dnspython is imported on first use: importing it takes longer than the rest of a firewall selection,
and most selections do not resolve anything.

Answers are reused for :data:`REUSE_SECONDS` within one process: the firewall role's apply task refers to the
selection in several arguments, and each reference runs the lookup again; the names are resolved once.
"""

from __future__ import annotations

import time

REUSE_SECONDS = 60
_ANSWERS = {}


def resolve_hosts(hosts, nameservers=None, port=53, timeout=3.0, clock=time.monotonic):
    """``(addresses, unresolved)``: sorted unique A/AAAA addresses, and names that gave none."""
    key = (tuple(hosts), tuple(nameservers or ()), port, timeout)
    now = clock()
    if key in _ANSWERS and now - _ANSWERS[key][0] < REUSE_SECONDS:
        addresses, unresolved = _ANSWERS[key][1]
        return list(addresses), list(unresolved)
    result = _resolve(hosts, nameservers, port, timeout)
    _ANSWERS[key] = (now, (tuple(result[0]), tuple(result[1])))
    return result


def _resolve(hosts, nameservers, port, timeout):
    try:
        import dns.exception
        import dns.resolver
    except ImportError:
        raise RuntimeError("resolving catalog hosts needs the Python library dnspython: pip install dnspython")
    if nameservers:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = list(nameservers)
    else:
        resolver = dns.resolver.Resolver()
    resolver.port = port
    resolver.lifetime = timeout
    addresses, unresolved = set(), []
    for host in hosts:
        found = False
        for rdtype in ("A", "AAAA"):
            try:
                answer = resolver.resolve(host, rdtype)
            except (dns.exception.DNSException, OSError):
                continue
            for record in answer:
                addresses.add(record.to_text())
                found = True
        if not found:
            unresolved.append(host)
    return sorted(addresses), unresolved
