# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The macOS pf backend: a named anchor, its hook in ``/etc/pf.conf`` and a LaunchDaemon (plistlib).

The main ruleset is never flushed and pf is never disabled: the LaunchDaemon loads only our
anchor and takes a pf enable reference with ``pfctl -E`` (see pfctl(8), ``-E``/``-X``).
"""

from __future__ import annotations

import os
import plistlib
import shlex
import tempfile
import uuid

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.files import read_if_readable, write_atomic
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import rollback
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends.base import Backend
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import (
    check_label,
    check_name,
    dns_rules,
    format_range,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.ports import PROTOCOLS

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


def _plist_text(data):
    """A LaunchDaemon's bytes as text for the rollback script (a binary plist as the same plist in XML)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return plistlib.dumps(plistlib.loads(data), fmt=plistlib.FMT_XML).decode("utf-8")


def status(name, state, spec, current, label, pfctl, anchor_path):
    """What would change. ``current``: ``{pf_conf (text), anchor, plist (bytes or None), loaded}``.

    Returns ``{in_sync, diff, pf_conf}`` (``pf_conf``: the text it gets) and for present also ``anchor``, ``plist``
    (the bytes to write), ``changes`` (``{anchor, plist, hook, loaded}``: what differs) and ``rendered``.
    """
    before = (current["anchor"] or b"").decode("utf-8")
    if state == "absent":
        new_conf = remove_hook(current["pf_conf"], name)
        changed = current["loaded"] or current["anchor"] is not None or current["plist"] is not None \
            or new_conf != current["pf_conf"]
        return {"in_sync": not changed, "pf_conf": new_conf, "diff": {"before": before, "after": ""}}
    anchor = render_anchor(spec).encode("utf-8")
    plist = render_launchdaemon(label, pfctl, name, anchor_path)
    new_conf = add_hook(current["pf_conf"], name, anchor_path)
    changes = {"anchor": current["anchor"] != anchor, "plist": current["plist"] != plist,
               "hook": new_conf != current["pf_conf"], "loaded": not current["loaded"]}
    return {"in_sync": not any(changes.values()), "changes": changes, "anchor": anchor, "plist": plist,
            "pf_conf": new_conf, "rendered": anchor.decode("utf-8"),
            "diff": {"before": before, "after": anchor.decode("utf-8")}}


class PfBackend(Backend):
    backend = "pf"

    def __init__(self, module, runner, spec):
        Backend.__init__(self, module, runner, spec)
        params = self.params
        self.label = params["launchdaemon_label"] or "com.macfleet.firewall.%s" % self.name
        self.pfctl, self.launchctl = params["pfctl_path"], params["launchctl_path"]
        self.anchor_path = os.path.join(params["pf_anchors_dir"], self.name)
        self.plist_path = os.path.join(params["launchdaemons_dir"], "%s.plist" % self.label)

    def render(self):
        return render_anchor(self.spec)

    def read(self):
        """``{pf_conf, anchor, plist, loaded}``: pf.conf's text, the anchor and LaunchDaemon files, whether it is loaded."""
        check_label(self.label)
        pf_conf = read_if_readable(self.params["pf_conf"])
        if pf_conf is None:
            self.module.fail_json(msg="%s does not exist; pf is not set up on this host" % self.params["pf_conf"])
        current = {"pf_conf": pf_conf.decode("utf-8"), "anchor": read_if_readable(self.anchor_path),
                   "plist": read_if_readable(self.plist_path)}
        rc, _o, _e = self.runner.run([self.launchctl, "print", "system/%s" % self.label], check_rc=False, record=False)
        current["loaded"] = rc == 0
        return current

    def diff(self, current):
        return status(self.name, self.params["state"], self.spec, current, self.label, self.pfctl, self.anchor_path)

    def remove(self, current, status):
        changed = not status["in_sync"]
        result = {"changed": changed, "commands": self.runner.commands, "diff": status["diff"]}
        if changed and not self.module.check_mode:
            if current["loaded"]:
                self.runner.run([self.launchctl, "bootout", "system/%s" % self.label])
            if current["plist"] is not None:
                os.unlink(self.plist_path)
            self.runner.run([self.pfctl, "-a", self.name, "-F", "all"])
            if status["pf_conf"] != current["pf_conf"]:
                write_atomic(self.params["pf_conf"], status["pf_conf"].encode("utf-8"), 0o644)
            if current["anchor"] is not None:
                os.unlink(self.anchor_path)
        return result

    def apply(self, current, status):
        # Validate the anchor before anything is written: pfctl -n parses without loading.
        with tempfile.NamedTemporaryFile("wb", suffix=".pf") as handle:
            handle.write(status["anchor"])
            handle.flush()
            self.runner.run([self.pfctl, "-n", "-a", self.name, "-f", handle.name], record=False)
        result = {"changed": False, "commands": self.runner.commands, "rendered": status["rendered"],
                  "diff": status["diff"]}
        if not status["in_sync"]:
            result["changed"] = True
            if not self.module.check_mode:
                self._write(current, status)
                # Every change can be rolled back, a first install to no anchor and the original pf.conf.
                current.update(changes=status["changes"], token=uuid.uuid4().hex)
                result["rollback"] = self.arm(current, token=current["token"])
        rc, out, _e = self.runner.run([self.pfctl, "-s", "rules"], check_rc=False, record=False)
        result["pf_hook_active"] = rc == 0 and ('anchor "%s"' % self.name) in out
        if not result["pf_hook_active"]:
            self.module.warn("The main pf ruleset does not reference anchor %s yet; the hook in %s takes effect when "
                             "the main ruleset is next loaded (at boot)." % (self.name, self.params["pf_conf"]))
        return result

    def _write(self, current, status):
        """Write what changed and load it: the anchor, pf.conf's hook, the LaunchDaemon (booted in again)."""
        changes = status["changes"]
        if changes["anchor"]:
            write_atomic(self.anchor_path, status["anchor"], 0o644)
        if changes["hook"]:
            write_atomic(self.params["pf_conf"], status["pf_conf"].encode("utf-8"), 0o644)
        if changes["plist"]:
            write_atomic(self.plist_path, status["plist"], 0o644)
        if changes["plist"] or changes["loaded"]:
            if current["loaded"]:
                self.runner.run([self.launchctl, "bootout", "system/%s" % self.label])
            # RunAtLoad: pfctl -E -a NAME -f ANCHOR runs now and at every boot.
            self.runner.run([self.launchctl, "bootstrap", "system", self.plist_path])
        elif changes["anchor"]:
            self.runner.run([self.pfctl, "-a", self.name, "-f", self.anchor_path])

    def snapshot(self, current):
        """The files the change wrote as they were (``current["changes"]``), and the anchor and LaunchDaemon reloaded."""
        changes, previous = current["changes"], {}
        if changes["anchor"]:
            previous[self.anchor_path] = None if current["anchor"] is None else current["anchor"].decode("utf-8")
        if changes["hook"]:
            previous[self.params["pf_conf"]] = current["pf_conf"]
        if changes["plist"]:
            previous[self.plist_path] = None if current["plist"] is None else _plist_text(current["plist"])
        return ["/bin/sh"], restore_script(self.pfctl, self.launchctl, self.name, self.label, previous, self.anchor_path,
                                           self.plist_path, relaunched=changes["plist"] or changes["loaded"],
                                           was_loaded=current["loaded"], token=current["token"])
