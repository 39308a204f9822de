# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The macOS proxy bypass list (``ExceptionsList`` / ``networksetup -setproxybypassdomains``).

Shared by the macos_proxy module, the mobileconfig module and the bypass-list filter, so a
profile and a networksetup run bypass exactly the same names.
"""

from __future__ import annotations

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.hostnames import (
    parse_pattern,
    pattern_parts,
)


def macos_bypass_entries(patterns, include_apex=False):
    """Bypass-list entries for host patterns, validated, de-duplicated, in first-seen order.

    * an exact host stays as it is;
    * ``*.example.com`` stays, and ``example.com`` is added when ``include_apex`` is true
      (the pattern itself never covers the apex);
    * ``gg*.example.com`` stays as published.

    Raises :class:`HostnameError` (a ``ValueError``) naming the offending pattern.
    """
    entries = []
    for raw in patterns:
        pattern = parse_pattern(raw, "bypass host")
        candidates = [pattern]
        kind, _first, suffix = pattern_parts(pattern)
        if include_apex and kind == "subdomains":
            candidates.append(suffix)
        for entry in candidates:
            if entry not in entries:
                entries.append(entry)
    return entries
