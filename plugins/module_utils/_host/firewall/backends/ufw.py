# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ufw backend: the rules as ``ufw`` argument vectors, every one tagged with the comment ``macfleet-<name>``.

ufw's global defaults (``ufw default ...``, ``/etc/default/ufw``) are never changed: a filtered direction ends with
a deny (or reject) rule of our own for everything, after our allow rules, so ``state=absent`` (deleting the rules
with our comment) restores ``ufw status verbose`` exactly. ufw's own before rules already accept loopback traffic,
established/related connections, DHCP answers and the ICMP types ufw allows, ahead of every user rule; ufw rules
cannot match ICMP, so ICMP stays as ufw's before rules have it.
"""

from __future__ import annotations

import json
import shlex

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends.base import Backend
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends.iptables import chunk_ports
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import dns_rules
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.ports import PROTOCOLS

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


def status(spec, current, stored):
    """What would change. ``current``: our ``ufw show added`` lines; ``stored``: the state file of the last run.

    Returns ``{in_sync, wanted (argv lists), diff, rendered?}``. The rules as ufw lists them differ in form from the
    ones we give it: the state file pairs both, so a listing that is the last run's shows that run's rules.
    """
    wanted = render(spec) if spec else []
    rendered = text(wanted)
    matches = bool(current) and stored.get("listing") == current
    result = {"in_sync": (matches and stored.get("rendered") == rendered) if spec else not current, "wanted": wanted,
              "diff": {"before": stored.get("rendered", "") if matches else "".join(l + "\n" for l in current),
                       "after": rendered}}
    if spec:
        result["rendered"] = rendered
    return result


class UfwBackend(Backend):
    backend = "ufw"

    def render(self):
        return text(render(self.spec))

    @property
    def _state_name(self):
        return "%s.ufw.json" % self.name

    def _owned(self, ufw_cmd):
        return owned(self.runner.run([ufw_cmd, "show", "added"], record=False)[1], self.name)

    def read(self):
        """``{ufw_cmd, owned, stored, active}``: our rules as ufw lists them, the state file, whether ufw is active."""
        ufw_cmd = self.module.get_bin_path("ufw", required=True)
        current = {"ufw_cmd": ufw_cmd, "owned": self._owned(ufw_cmd),
                   "stored": json.loads(self.runner.read_state_file(self._state_name) or "{}")}
        listed = self.runner.run([ufw_cmd, "status"], record=False)[1]
        current["active"] = listed.splitlines()[0].strip() == "Status: active" if listed.strip() else False
        return current

    def diff(self, current):
        return status(self.spec, current["owned"], current["stored"])

    def snapshot(self, current):
        return ["/bin/sh"], restore_script(current["ufw_cmd"], current["listing"], current["previous"])

    def remove(self, current, status):
        return self.apply(current, status)

    def apply(self, current, status):
        ufw_cmd, wanted = current["ufw_cmd"], status["wanted"]
        result = {"changed": False, "commands": self.runner.commands, "diff": status["diff"],
                  "ufw_active": current["active"]}
        if self.spec:
            result["rendered"] = status["rendered"]
            if not current["active"]:
                self.module.warn("ufw is inactive: its rules (ours included) take effect when it is enabled (ufw enable), "
                                 "which this module leaves to you")
        if status["in_sync"]:
            return result
        result["changed"] = True
        for argv in wanted:  # ufw parses each rule without changing anything
            rc, out, err = self.runner.run([ufw_cmd, "--dry-run"] + argv, check_rc=False, record=False)
            if rc != 0:
                self.module.fail_json(msg="ufw rejects the rule %s (rc %d): %s; nothing was changed"
                                          % (" ".join(argv), rc, (err or out).strip()), commands=self.runner.commands)
        if self.module.check_mode:
            return result
        current["previous"] = previous_rules(current["owned"], current["stored"])
        self._replace(current, wanted)
        if not self.spec:
            self.runner.remove_state_file(self._state_name)
            return result
        current["listing"] = self._owned(ufw_cmd)
        self.runner.write_state_file(self._state_name, json.dumps({"rendered": status["rendered"], "argv": wanted,
                                                                   "listing": current["listing"]}))
        result["rollback"] = self.arm(current)
        return result

    def _replace(self, current, wanted):
        """No transaction in ufw: our old rules go first (more open for a moment, never locked out), then the new
        ones. Whatever fails puts our previous rules back."""
        ufw_cmd = current["ufw_cmd"]
        for argv in [delete_argv(line) for line in current["owned"]] + wanted:
            rc, out, err = self.runner.run([ufw_cmd] + argv, check_rc=False)
            if rc != 0:
                restore = [delete_argv(line) for line in self._owned(ufw_cmd)] + current["previous"]
                for undo in restore:
                    self.runner.run([ufw_cmd] + undo, check_rc=False)
                self.module.fail_json(msg="ufw %s failed (rc %d): %s; the previous rules were restored"
                                          % (" ".join(argv), rc, (err or out).strip()), commands=self.runner.commands)
