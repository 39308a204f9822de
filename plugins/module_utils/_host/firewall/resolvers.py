# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The managed host's name servers, read on the host (standard library only, Python 3.9+).

``/etc/resolv.conf`` names the servers the host's resolver asks. When it points at systemd-resolved's stub
(``127.0.0.53``, or the proxy stub ``127.0.0.54``), the servers resolved itself asks are in
``/run/systemd/resolve/resolv.conf``; both are kept. Only ``nameserver`` lines count; what is not a single IP
address is ignored and reported. An IPv6 zone (``fe80::1%eth0``) is dropped: a ruleset matches the address.

The text is parsed by pure functions so the action plugin can compute the same answer from the files read by
its shell probe.
"""

from __future__ import annotations

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules import addresses as address_rule

RESOLV_CONF = "/etc/resolv.conf"
RESOLVED_UPSTREAMS = "/run/systemd/resolve/resolv.conf"
HOST_FILES = (RESOLV_CONF, RESOLVED_UPSTREAMS)
RESOLVED_STUBS = ("127.0.0.53", "127.0.0.54")
MAX_BYTES = 65536


def parse_resolv_conf(text):
    """``nameserver`` lines of a resolv.conf text -> ``(addresses, ignored)``: address strings in file order, and the
    values that are not single IP addresses (the address rule, ``_catalog/addresses.py``, after the zone is dropped)."""
    addresses, ignored = [], []
    for line in (text or "").splitlines():
        words = line.split()
        if len(words) < 2 or words[0] != "nameserver":
            continue
        try:
            address = address_rule.parse_ip_address(address_rule.without_zone(words[1]), "nameserver")
        except address_rule.AddressError:
            ignored.append(words[1])
            continue
        if str(address) not in addresses:
            addresses.append(str(address))
    return addresses, ignored


def host_nameservers(files):
    """``files``: ``{path: text or None}`` for :data:`HOST_FILES` -> ``{nameservers, sources, ignored}``."""
    result = {"nameservers": [], "sources": [], "ignored": []}
    text = files.get(RESOLV_CONF)
    if text is None:
        return result
    result["nameservers"], result["ignored"] = parse_resolv_conf(text)
    result["sources"].append(RESOLV_CONF)
    upstream = files.get(RESOLVED_UPSTREAMS)
    if upstream is not None and any(a in RESOLVED_STUBS for a in result["nameservers"]):
        addresses, ignored = parse_resolv_conf(upstream)
        result["nameservers"] += [a for a in addresses if a not in result["nameservers"]]
        result["ignored"] += ignored
        result["sources"].append(RESOLVED_UPSTREAMS)
    return result


def read_host_files(paths=None):
    """``{path: text or None}`` for ``paths`` (default :data:`HOST_FILES`): None when missing or unreadable."""
    files = {}
    for path in HOST_FILES if paths is None else paths:
        try:
            with open(path, "rb") as handle:
                files[path] = handle.read(MAX_BYTES).decode("utf-8", "replace")
        except (IOError, OSError):
            files[path] = None
    return files
