# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""macOS pf rendering: a named anchor, its hook in ``/etc/pf.conf`` and a LaunchDaemon (plistlib).

The main ruleset is never flushed and pf is never disabled: the LaunchDaemon loads only our
anchor and takes a pf enable reference with ``pfctl -E`` (see pfctl(8), ``-E``/``-X``).
"""

from __future__ import annotations

import plistlib
import shlex

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import rollback
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import (
    PROTOCOLS,
    check_label,
    check_name,
    dns_rules,
    format_range,
)

HEADER = "# Managed by macfleet.apple_network (firewall_rules); changes are overwritten.\n"
# DHCP client traffic per direction: (address family, source port, destination port); see nftables._DHCP.
_DHCP = {"egress": (("inet", 68, 67), ("inet6", 546, 547)), "ingress": (("inet", 67, 68), ("inet6", 547, 546))}


def _port_list(ranges):
    return "{ %s }" % ", ".join(format_range(s, e, ":") for s, e in ranges)


def render_anchor(spec):
    """pf rules for the anchor file. ``quick`` rules win; the final ``block`` is the default-deny."""
    name = spec["name"]
    lines = [HEADER.rstrip("\n")]
    restricted = spec["restricted"] and "egress" in spec["directions"]
    if restricted:
        members = [str(n) for n in spec["destinations"][4] + spec["destinations"][6]]
        members += [str(a) for a in spec["resolved"][4] + spec["resolved"][6]]
        lines.append("table <%s_dst> persist { %s }" % (name, ", ".join(members)))
    block = "block return" if spec["policy"] == "reject" else "block drop"
    dns_out, dns_local_in = dns_rules(spec)
    servers = [str(a) for a in spec["dns"][4] + spec["dns"][6]]
    for direction, word in (("ingress", "in"), ("egress", "out")):
        if direction not in spec["directions"]:
            continue
        lines.append("%s %s all" % (block, word))
        if spec["keep"]["loopback"]:
            lines.append("pass %s quick on lo0 all" % word)
        if spec["allow_icmp"]:
            lines.append("pass %s quick proto { icmp, icmp6 } all" % word)
        else:
            lines.append("pass %s quick inet6 proto icmp6 icmp6-type { neighbrsol, neighbradv, routersol, routeradv }" % word)
        if direction == "ingress" and spec["management"]:
            lines.append("pass in quick proto tcp to any port %s keep state" % _port_list(spec["management"]))
        if servers and ((dns_out and direction == "egress") or (dns_local_in and direction == "ingress")):
            lines.append("pass %s quick %sproto { udp, tcp } to { %s } port 53 keep state"
                         % (word, "" if direction == "egress" else "on lo0 ", ", ".join(servers)))
        if spec["keep"]["dhcp"]:
            for family, sport, dport in _DHCP[direction]:
                lines.append("pass %s quick %s proto udp from any port %d to any port %d keep state"
                             % (word, family, sport, dport))
        for proto in PROTOCOLS:
            ranges = spec["rules"][direction][proto]
            if not ranges:
                continue
            target = "<%s_dst>" % name if direction == "egress" and restricted else "any"
            lines.append("pass %s quick proto %s to %s port %s keep state" % (word, proto, target, _port_list(ranges)))
    return "\n".join(lines) + "\n"


def hook_lines(name, anchor_path):
    check_name(name)
    if '"' in anchor_path or "\n" in anchor_path:
        raise ValueError("anchor path %r cannot be quoted in pf.conf" % anchor_path)
    return ['anchor "%s"' % name, 'load anchor "%s" from "%s"' % (name, anchor_path)]


def add_hook(pf_conf_text, name, anchor_path):
    """pf.conf text with our two hook lines (filter section: appended at the end). Idempotent."""
    wanted = hook_lines(name, anchor_path)
    kept = [line for line in pf_conf_text.splitlines() if not _is_our_hook(line, name)]
    if [line for line in pf_conf_text.splitlines() if _is_our_hook(line, name)] == wanted and \
            pf_conf_text.splitlines()[-2:] == wanted:
        return pf_conf_text
    text = "\n".join(kept)
    if text and not text.endswith("\n"):
        text += "\n"
    return text + "\n".join(wanted) + "\n"


def remove_hook(pf_conf_text, name):
    lines = pf_conf_text.splitlines()
    kept = [line for line in lines if not _is_our_hook(line, name)]
    if kept == lines:
        return pf_conf_text
    return "\n".join(kept) + ("\n" if kept else "")


def _is_our_hook(line, name):
    stripped = line.strip()
    return stripped == 'anchor "%s"' % name or stripped.startswith('load anchor "%s" from ' % name)


def render_launchdaemon(label, pfctl_path, name, anchor_path):
    """XML plist bytes: at boot, take a pf enable reference and load our anchor. Never ``-d``, never ``-F``."""
    check_label(label)
    check_name(name)
    data = {
        "Label": label,
        "ProgramArguments": [pfctl_path, "-E", "-a", name, "-f", anchor_path],
        "RunAtLoad": True,
        "StandardErrorPath": "/var/log/%s.log" % label,
    }
    return plistlib.dumps(data, fmt=plistlib.FMT_XML, sort_keys=True)


def restore_script(pfctl, launchctl, name, label, previous, anchor_path, plist_path, relaunched, was_loaded, token):
    """``/bin/sh`` script undoing a change: the rollback of every pf change, a first install included.

    ``previous``: ``{path: text or None}`` of the files the change wrote (anchor, pf.conf, LaunchDaemon), as they
    were (None: there was none). ``relaunched``: the change booted the LaunchDaemon (out and) in, so it is booted out
    and, when ``was_loaded``, the previous one booted in again. Without a previous anchor, ours is flushed from pf.
    """
    quote = shlex.quote
    lines = []
    if relaunched:
        lines.append("%s bootout %s 2>/dev/null\n" % (quote(launchctl), quote("system/%s" % label)))
    lines.append(rollback.restore_files_script(previous, ".macfleet-%s" % token))
    if anchor_path in previous:
        if previous[anchor_path] is None:
            lines.append("%s -a %s -F all\n" % (quote(pfctl), quote(name)))
        else:
            lines.append("%s -a %s -f %s\n" % (quote(pfctl), quote(name), quote(anchor_path)))
    if relaunched and was_loaded:
        lines.append("%s bootstrap system %s\n" % (quote(launchctl), quote(plist_path)))
    return "".join(lines)
