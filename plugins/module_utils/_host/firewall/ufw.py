# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ufw rendering (pure): the rules as ``ufw`` argument vectors, every one tagged with the comment ``macfleet-<name>``.

ufw's global defaults (``ufw default ...``, ``/etc/default/ufw``) are never changed: a filtered direction ends with
a deny (or reject) rule of our own for everything, after our allow rules, so ``state=absent`` (deleting the rules
with our comment) restores ``ufw status verbose`` exactly. ufw's own before rules already accept loopback traffic,
established/related connections, DHCP answers and the ICMP types ufw allows, ahead of every user rule; ufw rules
cannot match ICMP, so ICMP stays as ufw's before rules have it.
"""

from __future__ import annotations

import shlex

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.iptables import chunk_ports
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import PROTOCOLS, dns_rules

# DHCP client traffic per direction: (any address of the family, source port, destination port).
_DHCP = {"egress": (("0.0.0.0/0", 68, 67), ("::/0", 546, 547)), "ingress": (("0.0.0.0/0", 67, 68), ("::/0", 547, 546))}
_WORDS = {"ingress": "in", "egress": "out"}


def comment(name):
    return "macfleet-%s" % name


def render(spec):
    """The rules in order (a list of argv lists without the ``ufw`` binary): per direction the management ports
    (ingress), DNS, DHCP, the selection, then the final deny (or reject) of everything else."""
    tag = ["comment", comment(spec["name"])]
    final = "reject" if spec["policy"] == "reject" else "deny"
    commands = []
    dns_out, _dns_local_in = dns_rules(spec)  # loopback DNS in: ufw's before rules accept loopback traffic
    for direction in spec["directions"]:
        word = _WORDS[direction]
        if direction == "ingress":
            for ports in chunk_ports(spec["management"]):
                commands.append(["allow", "in", "proto", "tcp", "to", "any", "port", ports] + tag)
        if direction == "egress" and dns_out:
            for address in spec["dns"][4] + spec["dns"][6]:
                for proto in ("udp", "tcp"):
                    commands.append(["allow", "out", "proto", proto, "to", str(address), "port", "53"] + tag)
        if spec["keep"]["dhcp"]:
            for anywhere, sport, dport in _DHCP[direction]:
                commands.append(["allow", word, "proto", "udp", "from", anywhere, "port", str(sport),
                                 "to", anywhere, "port", str(dport)] + tag)
        targets = ["any"]
        if direction == "egress" and spec["restricted"]:
            targets = [str(n) for v in (4, 6) for n in spec["destinations"][v] + spec["resolved"][v]]
        for proto in PROTOCOLS:
            for ports in chunk_ports(spec["rules"][direction][proto]):
                for target in targets:
                    commands.append(["allow", word, "proto", proto, "to", target, "port", ports] + tag)
        commands.append([final, word, "to", "any"] + tag)
    return commands


def text(commands):
    """The rules as ``ufw ...`` command lines (the diff and RV ``rendered``)."""
    return "".join("ufw %s\n" % " ".join(shlex.quote(word) for word in argv) for argv in commands)


def owned(show_added, name):
    """The lines of ``ufw show added`` output that are rules of ours (they end with our comment), in order."""
    suffix = "comment %s" % shlex.quote(comment(name))
    suffix_quoted = "comment '%s'" % comment(name)
    return [line.strip() for line in show_added.splitlines()
            if line.startswith("ufw ") and (line.rstrip().endswith(suffix) or line.rstrip().endswith(suffix_quoted))]


def add_argv(line):
    """The argv (without the binary) that adds the rule of a ``ufw show added`` line."""
    words = shlex.split(line)
    if not words or words[0] != "ufw":
        raise ValueError("not a ufw rule line: %r" % line)
    return words[1:]


def delete_argv(line):
    """The argv (without the binary) that deletes the rule of a ``ufw show added`` line."""
    return ["delete"] + add_argv(line)


def restore_script(ufw_cmd, current, previous):
    """``/bin/sh`` script deleting our ``current`` rules (``ufw show added`` lines) and adding the ``previous`` ones
    (argv lists, in their order): the rollback of a change."""
    binary = shlex.quote(ufw_cmd)
    commands = [delete_argv(line) for line in current] + list(previous)
    return "".join("%s %s\n" % (binary, " ".join(shlex.quote(w) for w in argv)) for argv in commands)


def previous_rules(current, stored):
    """The argv lists that add back our ``current`` rules (``ufw show added`` lines) in their order: as the last run
    gave them (``stored``, its state) when ufw still lists what it left, else from the lines (ufw lists the rules of
    one IP version only after the others, so their order may differ)."""
    if current and stored.get("listing") == current and "argv" in stored:
        return [list(argv) for argv in stored["argv"]]
    return [add_argv(line) for line in current]
