# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The case table of issue 5, shared by the PAC and squid tests."""

from __future__ import annotations

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog

# Apexes of the catalog's *.domain patterns: bypassed by default (include_apex), proxied with include_apex=False.
APEXES = ["cdn-apple.com", "mzstatic.com"]

# Names that must never be bypassed by the catalog selection.
PROXIED = [
    "evilapple.com",
    "apple.com",
    "apple.com.evil.net",
    "ggx.apple.com.evil.net",
    "gg.apple.com.evil.net",
    "a.gg.apple.com",
    "evilcdn-apple.com",
    "example.org",
    "swscan.apple.com.evil.net",
    "xswscan.apple.com",
]


def catalog_names():
    """Every catalog host (wildcards with a concrete label in front) and every probe name."""
    names = []
    for record in load_catalog().hosts():
        host = record["host"]
        if "*" in host:
            first, _dot, suffix = host.partition(".")
            names.append(first.replace("*", "x") + "." + suffix)
            if first == "*":
                names.append("a.b." + suffix)
            else:
                names.append(first.replace("*", "") + "." + suffix)
        else:
            names.append(host)
        if record["probe_host"]:
            names.append(record["probe_host"])
    return sorted(set(names))


def catalog_patterns():
    return [record["host"] for record in load_catalog().hosts()]
