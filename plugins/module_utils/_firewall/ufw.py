# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ufw rendering: argument vectors for ``ufw``, every rule tagged with a comment naming the owner."""

from __future__ import annotations

from ansible_collections.macfleet.apple_network.plugins.module_utils._firewall.iptables import chunk_ports
from ansible_collections.macfleet.apple_network.plugins.module_utils._firewall.spec import PROTOCOLS


def render(spec):
    """A list of argv lists (without the ``ufw`` binary), management port first."""
    comment = "macfleet-%s" % spec["name"]
    commands = []
    if "ingress" in spec["directions"]:
        for ports in chunk_ports(spec["management"]):
            commands.append(["allow", "in", "proto", "tcp", "to", "any", "port", ports, "comment", comment])
    restricted = spec["restricted"]
    for direction, word in (("ingress", "in"), ("egress", "out")):
        if direction not in spec["directions"]:
            continue
        targets = ["any"]
        if direction == "egress" and restricted:
            targets = [str(n) for v in (4, 6) for n in spec["destinations"][v] + spec["resolved"][v]]
        for proto in PROTOCOLS:
            for ports in chunk_ports(spec["rules"][direction][proto]):
                for target in targets:
                    commands.append(["allow", word, "proto", proto, "to", target, "port", ports, "comment", comment])
    for direction, word in (("ingress", "incoming"), ("egress", "outgoing")):
        if direction in spec["directions"]:
            commands.append(["default", "reject" if spec["policy"] == "reject" else "deny", word])
    return commands
