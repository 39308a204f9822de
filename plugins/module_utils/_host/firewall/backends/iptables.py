# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The iptables backend: the module's own chains in the filter table, as ``iptables-restore --noflush`` input.

Rules are written in the canonical form ``iptables-save`` prints, so the live chains can be
compared line by line with the rendered ones (idempotence without a state file).
"""

from __future__ import annotations

import os
import re
import shlex
import stat
import uuid

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.files import read_text
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import rollback
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends.base import Backend
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import (
    client_dns,
    dns_rules,
    format_range,
    restricts,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.ports import PROTOCOLS

MULTIPORT_MAX = 15  # multiport takes at most 15 ports; a range counts as two
_HOOKS = (("ingress", "INPUT", "in", "-i"), ("egress", "OUTPUT", "out", "-o"))
_ND_TYPES = ("133", "134", "135", "136")
# DHCP client traffic per (direction, IP version): (source port, destination port); see nftables._DHCP.
_DHCP = {("egress", 4): (68, 67), ("egress", 6): (546, 547), ("ingress", 4): (67, 68), ("ingress", 6): (547, 546)}


def chain_names(name):
    # Gateway mode: "forward" is entered from FORWARD, "clients" holds the clients' rules, "fwd_dst" the ports
    # allowed to the destinations. At most 28 characters, iptables' limit, with the longest name (20).
    return {"ingress": "%s_in" % name, "egress": "%s_out" % name, "dst": "%s_dst" % name,
            "forward": "%s_fwd" % name, "clients": "%s_clients" % name, "fwd_dst": "%s_fwd_dst" % name}


def chunk_port_lists(ranges):
    """Split ranges into multiport lists (``["80", "5223:5224"]``) of at most 15 slots each."""
    chunks, current, used = [], [], 0
    for start, end in ranges:
        cost = 1 if start == end else 2
        if used + cost > MULTIPORT_MAX:
            chunks.append(current)
            current, used = [], 0
        current.append(format_range(start, end, ":"))
        used += cost
    if current:
        chunks.append(current)
    return chunks


def chunk_ports(ranges):
    """Split ranges into multiport arguments (``"80,5223:5224"``) of at most 15 slots each."""
    return [",".join(chunk) for chunk in chunk_port_lists(ranges)]


def _port_rules(chain, direction_rules):
    lines = []
    for proto in PROTOCOLS:
        for ports in chunk_ports(direction_rules[proto]):
            lines.append("-A %s -p %s -m multiport --dports %s -j ACCEPT" % (chain, proto, ports))
    return lines


def _dns_rules(chain, addresses, prefix, match=""):
    return ["-A %s -d %s/%d%s -p %s -m %s --dport 53 -j ACCEPT" % (chain, address, prefix, match, proto, proto)
            for address in addresses for proto in ("udp", "tcp")]


def _destinations(spec, version):
    """The destination networks and resolved addresses of one IP version, as iptables-save prints them."""
    prefix = 32 if version == 4 else 128
    return [str(n) for n in spec["destinations"][version]] + ["%s/%d" % (a, prefix) for a in spec["resolved"][version]]


def chain_rules(spec, version):
    """``{chain: [rule lines]}`` for one IP version, in iptables-save form."""
    chains = chain_names(spec["name"])
    icmp = "icmp" if version == 4 else "ipv6-icmp"
    result = {}
    restricted = restricts(spec, "egress")
    dns_out, dns_local_in = dns_rules(spec)
    prefix = 32 if version == 4 else 128
    for direction, _builtin, _suffix, iface in _HOOKS:
        if direction not in spec["directions"]:
            continue
        chain = chains[direction]
        lines = ["-A %s %s lo -j ACCEPT" % (chain, iface)] if spec["keep"]["loopback"] else []
        lines.append("-A %s -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT" % chain)
        if version == 6:
            lines += ["-A %s -p ipv6-icmp -m icmp6 --icmpv6-type %s -j ACCEPT" % (chain, t) for t in _ND_TYPES]
        if spec["allow_icmp"]:
            lines.append("-A %s -p %s -j ACCEPT" % (chain, icmp))
        if direction == "ingress":
            for ports in chunk_ports(spec["management"]):
                lines.append("-A %s -p tcp -m multiport --dports %s -j ACCEPT" % (chain, ports))
        if (dns_out and direction == "egress") or (dns_local_in and direction == "ingress"):
            lines += _dns_rules(chain, spec["dns"][version], prefix, "" if direction == "egress" else " -i lo")
        if spec["keep"]["dhcp"]:
            lines.append("-A %s -p udp -m udp --sport %d --dport %d -j ACCEPT" % ((chain,) + _DHCP[(direction, version)]))
        if direction == "egress" and restricted:
            lines += ["-A %s -d %s -j %s" % (chain, net, chains["dst"]) for net in _destinations(spec, version)]
            result[chains["dst"]] = _port_rules(chains["dst"], spec["rules"]["egress"])
        else:
            lines += _port_rules(chain, spec["rules"][direction])
        result[chain] = lines + _policy_rules(chain, spec["policy"], version)
    if "forward" in spec["directions"]:
        result.update(_forward_chains(spec, version))
    return result


def _policy_rules(chain, policy, version):
    if policy == "reject":
        return ["-A %s -p tcp -j REJECT --reject-with tcp-reset" % chain,
                "-A %s -j REJECT --reject-with %s" % (
                    chain, "icmp-port-unreachable" if version == 4 else "icmp6-port-unreachable")]
    return ["-A %s -j DROP" % chain]


def _forward_chains(spec, version):
    """Gateway mode for one IP version: ``{chain: [rule lines]}`` of the forward, clients and fwd_dst chains.

    An ACCEPT in a chain FORWARD jumps to ends FORWARD for that packet, so the forward chain accepts only what
    comes from the clients (through the clients chain, which ends in the policy) or goes back to them as part of
    their connections; every other forwarded packet returns to FORWARD and meets the host's own rules.
    """
    chains = chain_names(spec["name"])
    prefix = 32 if version == 4 else 128
    established = "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"
    forward, clients = chains["forward"], chains["clients"]
    networks = [str(n) for n in spec["clients"][version]]
    result = {forward: ["-A %s -s %s -j %s" % (forward, net, clients) for net in networks]
              + ["-A %s -d %s %s" % (forward, net, established) for net in networks]}
    lines = ["-A %s %s" % (clients, established)]
    if spec["allow_icmp"]:
        lines.append("-A %s -p %s -j ACCEPT" % (clients, "icmp" if version == 4 else "ipv6-icmp"))
    if client_dns(spec):
        lines += _dns_rules(clients, spec["client_dns"][version], prefix)
    if restricts(spec, "forward"):
        lines += ["-A %s -d %s -j %s" % (clients, net, chains["fwd_dst"]) for net in _destinations(spec, version)]
        result[chains["fwd_dst"]] = _port_rules(chains["fwd_dst"], spec["rules"]["forward"])
    else:
        lines += _port_rules(clients, spec["rules"]["forward"])
    result[clients] = lines + _policy_rules(clients, spec["policy"], version)
    return result


def jump_rules(spec):
    """``{builtin chain: jump line}`` as iptables-save prints it."""
    chains = chain_names(spec["name"])
    jumps = dict((builtin, "-A %s -j %s" % (builtin, chains[direction]))
                 for direction, builtin, _s, _i in _HOOKS if direction in spec["directions"])
    if "forward" in spec["directions"]:
        jumps["FORWARD"] = "-A FORWARD -j %s" % chains["forward"]
    return jumps


def parse_save(text, name):
    """Our part of ``iptables-save -t filter`` output: ``(chains {chain: [lines]}, jumps [lines])``."""
    own = set(chain_names(name).values())
    chains, jumps, in_filter = {}, [], False
    for line in text.splitlines():
        if line.startswith("*"):
            in_filter = line == "*filter"
            continue
        if not in_filter:
            continue
        if line.startswith(":"):
            chain = line[1:].split(" ", 1)[0]
            if chain in own:
                chains.setdefault(chain, [])
        elif line.startswith("-A "):
            parts = line.split(" ")
            if parts[1] in own:
                chains.setdefault(parts[1], []).append(line)
            elif parts[1] in ("INPUT", "OUTPUT", "FORWARD") and len(parts) == 4 and parts[2] == "-j" and parts[3] in own:
                jumps.append(line)
    return chains, jumps


def _insert_jump(line):
    # "-A INPUT -j x_in" -> "-I INPUT 1 -j x_in": our chain is consulted before anything else.
    parts = line.split(" ")
    return "-I %s 1 %s" % (parts[1], " ".join(parts[2:]))


def _delete_jump(line):
    return "-D" + line[2:]


def restore_input(name, chains, jumps, current_chains, current_jumps):
    """``iptables-restore --noflush`` input that makes our chains and jumps exactly ``chains``/``jumps``.

    Chains not wanted are removed (jumps first), wanted chains are declared (which flushes them)
    and filled; jumps already present are kept, missing ones inserted at the top.
    """
    out = ["*filter"]
    for line in current_jumps:
        if line not in jumps:
            out.append(_delete_jump(line))
    seen = set()
    for line in current_jumps:  # drop duplicates of wanted jumps too
        if line in jumps:
            if line in seen:
                out.append(_delete_jump(line))
            seen.add(line)
    for chain in sorted(set(chains) | set(current_chains)):
        out.append(":%s - [0:0]" % chain)
    for chain in sorted(set(current_chains) - set(chains)):
        out.append("-X %s" % chain)
    # Fill the chains in dependency order: the destination chain before the one that jumps to it.
    for chain in sorted(chains, key=lambda c: (not c.endswith("_dst"), c)):
        out.extend(chains[chain])
    for line in jumps:
        if line not in current_jumps:
            out.append(_insert_jump(line))
    out.append("COMMIT")
    return "\n".join(out) + "\n"


def in_sync(chains, jumps, current_chains, current_jumps):
    return chains == current_chains and sorted(jumps) == sorted(current_jumps)


# -- persistent save files (netfilter-persistent's rules.v4 / rules.v6) ---------------------------

_COUNTERS = re.compile(r"^(:\S+ \S+) \[\d+:\d+\]$")


def normalize_save(text):
    """``iptables-save`` output as it is written to the save file: without the comment lines (they carry a
    timestamp) and with the chain counters zeroed, so the file only changes when the rules do."""
    lines = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = _COUNTERS.match(line)
        lines.append(match.group(1) + " [0:0]" if match else line)
    return "\n".join(lines) + "\n" if lines else ""


def predict_save(text, name, chains, jumps):
    """What :func:`normalize_save` of ``iptables-save`` will print once our chains are ``chains``/``jumps``.

    Used for the check-mode diff of the save file only: the live output ``text`` with our declarations,
    rules and jumps replaced (other tables and chains are kept as they are).
    """
    own = set(chain_names(name).values())
    current_chains, current_jumps = parse_save(text, name)
    drop = set(current_jumps) | set(line for lines in current_chains.values() for line in lines)
    lines, in_filter, seen_filter = [], False, False
    for line in normalize_save(text).splitlines():
        if line.startswith("*"):
            in_filter, seen_filter = line == "*filter", seen_filter or line == "*filter"
        if in_filter:
            if line.startswith(":") and line[1:].split(" ", 1)[0] in own:
                continue
            if line in drop:
                continue
            if line == "COMMIT":
                lines.extend(_own_part(chains, jumps, lines))
        lines.append(line)
    if not seen_filter and (chains or jumps):
        # The filter table is created with its built-in chains, policy ACCEPT.
        lines += ["*filter"] + [":%s ACCEPT [0:0]" % builtin for builtin in ("INPUT", "FORWARD", "OUTPUT")]
        lines.extend(_own_part(chains, jumps, lines))
        lines.append("COMMIT")
    return "\n".join(lines) + "\n" if lines else ""


def _own_part(chains, jumps, lines):
    """Declarations after the filter table's last declaration, jumps first in their chain, then our rules."""
    start = len(lines) - 1 - lines[::-1].index("*filter")
    declarations = [":%s - [0:0]" % chain for chain in sorted(chains)]
    position = max([i for i, line in enumerate(lines) if i > start and line.startswith(":")] or [start]) + 1
    lines[position:position] = declarations
    for jump in sorted(jumps, reverse=True):
        builtin = jump.split(" ")[1]
        firsts = [i for i, line in enumerate(lines) if i > start and line.startswith("-A %s " % builtin)]
        lines.insert(firsts[0] if firsts else len(lines), jump)
    return [line for chain in sorted(chains, key=lambda c: (not c.endswith("_dst"), c)) for line in chains[chain]]


# -- what would change ------------------------------------------------------------------------------

def save_paths(params):
    """``{IP version: path}`` of the iptables-save files to keep (an empty path: not saved)."""
    versions = (4, 6) if params["ipv6"] else (4,)
    keys = {4: "iptables_save_path", 6: "ip6tables_save_path"}
    return dict((v, params[keys[v]]) for v in versions if params[keys[v]])


def file_diff(path, before, after, predicted=False):
    return {"before_header": path, "after_header": path + (" (predicted)" if predicted else ""),
            "before": before or "", "after": after}


def status(name, state, spec, lives, paths, files):
    """Per IP version: ``lives`` the ``iptables-save`` output, ``paths`` the save files, ``files`` their content
    (None: missing).

    Returns ``{plans: [(version, forward, backward)], diff: [...], rendered?, files: [(version, path, before,
    after)] (only save files that differ)}``; in sync when there is no plan and no file to write.
    """
    plans, before_text, after_text, stale = [], [], [], []
    for version in sorted(lives):
        cur_chains, cur_jumps = parse_save(lives[version], name)
        if state == "absent":
            chains, jumps = {}, []
        else:
            chains = chain_rules(spec, version)
            jumps = sorted(jump_rules(spec).values())
        before_text += ["# IPv%d" % version] + sorted(cur_jumps) + [l for c in sorted(cur_chains) for l in cur_chains[c]]
        after_text += ["# IPv%d" % version] + jumps + [l for c in sorted(chains) for l in chains[c]]
        synced = in_sync(chains, jumps, cur_chains, cur_jumps)
        if not synced:
            plans.append((version, restore_input(name, chains, jumps, cur_chains, cur_jumps),
                          restore_input(name, cur_chains, cur_jumps, chains, jumps)))
        if version in paths:
            after = (normalize_save(lives[version]) if synced
                     else predict_save(lives[version], name, chains, jumps))
            if files.get(version) != after:
                stale.append((version, paths[version], files.get(version), after, not synced))
    chains_diff = {"before_header": "iptables chains", "after_header": "iptables chains",
                   "before": "\n".join(before_text) + "\n", "after": "\n".join(after_text) + "\n"}
    result = {"plans": plans, "files": stale, "in_sync": not plans and not stale,
              "diff": [chains_diff] + [file_diff(p, b, a, predicted) for _v, p, b, a, predicted in stale]}
    if state == "present":
        result["rendered"] = chains_diff["after"]
    return result


# -- the backend -------------------------------------------------------------------------------------

def _staged_path(path, token):
    return os.path.join(os.path.dirname(path) or ".", ".%s.macfleet-%s" % (os.path.basename(path), token))


def _stage(module, path, content, token):
    """Write ``content`` next to ``path`` as a staged file with the attributes ``path`` has (or would get)."""
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    staged = _staged_path(path, token)
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content.encode("utf-8"))
    if os.path.exists(path):  # keep the mode, owner and SELinux context of the existing file
        info = os.stat(path)
        os.chmod(staged, stat.S_IMODE(info.st_mode))
        try:
            os.chown(staged, info.st_uid, info.st_gid)
        except OSError:
            pass
        context = module.selinux_context(path) if module.selinux_enabled() else None
    else:
        os.chmod(staged, 0o640)  # as netfilter-persistent creates it
        context = module.selinux_default_context(path) if module.selinux_enabled() else None
    if context:
        module.set_context_if_different(staged, context, False)
    return staged


class IptablesBackend(Backend):
    backend = "iptables"

    def render(self):
        return status(self.name, "present", self.spec, dict((v, "") for v in self._versions()), {}, {})["rendered"]

    def _versions(self):
        return [4, 6] if self.params["ipv6"] else [4]

    def _binaries(self, version):
        base = "iptables" if version == 4 else "ip6tables"
        variant = self.params["iptables_variant"]
        suffix = "" if variant == "auto" else "-" + variant
        return (self.module.get_bin_path("%s%s-save" % (base, suffix), required=True),
                self.module.get_bin_path("%s%s-restore" % (base, suffix), required=True))

    def read(self):
        """``{lives, restores, files}`` per IP version: ``iptables-save`` output, the restore binary, the save file."""
        paths = save_paths(self.params)
        lives, restores = {}, {}
        for version in self._versions():
            save, restores[version] = self._binaries(version)
            lives[version] = self.runner.run([save] if version in paths else [save, "-t", "filter"], record=False)[1]
        return {"lives": lives, "restores": restores, "files": dict((v, read_text(p)) for v, p in paths.items())}

    def diff(self, current):
        return status(self.name, self.params["state"], self.spec, current["lives"], save_paths(self.params),
                      current["files"])

    def snapshot(self, current):
        """One shell script restoring every IP version the change applied (``current["applied"]``)."""
        return ["/bin/sh"], "".join(rollback.heredoc("%s --noflush" % shlex.quote(restore), backward)
                                    for _v, restore, _f, backward in current["applied"])

    def save_files(self, token=None):
        """Save ``iptables-save`` (``ip6tables-save``) output of the variant in use to the save paths, only where it
        differs. Returns ``(paths, diffs, stages)``; in check mode nothing is written.

        Without ``token`` each file is replaced at once (atomically, by rename). With ``token`` (a change waiting for
        its confirmation) the content is only staged next to the file: ``stages`` lists ``(staged, path)`` for the
        confirmation to rename, and the rollback watchdog removes them instead.
        """
        paths, diffs, stages = [], [], []
        for version, path in sorted(save_paths(self.params).items()):
            save, _restore = self._binaries(version)
            _rc, out, _err = self.runner.run([save], record=False)
            content, before = normalize_save(out), read_text(path)
            if content == before:
                continue
            paths.append(path)
            diffs.append(file_diff(path, before, content))
            if self.module.check_mode:
                continue
            staged = _stage(self.module, path, content, token or uuid.uuid4().hex)
            if token:
                stages.append((staged, path))
                continue
            os.rename(staged, path)
            self.runner.commands.append("%s > %s" % (save, path))
        return paths, diffs, stages

    def remove(self, current, status):
        return self.apply(current, status)

    def apply(self, current, status):
        module, runner = self.module, self.runner
        result = {"changed": False, "commands": runner.commands, "saved": [], "diff": status["diff"]}
        if "rendered" in status:
            result["rendered"] = status["rendered"]
        if status["in_sync"]:
            return result
        result["changed"] = True
        plans = [(v, current["restores"][v], forward, backward) for v, forward, backward in status["plans"]]
        for _version, restore, forward, _backward in plans:
            runner.run([restore, "--noflush", "--test"], data=forward, record=not module.check_mode)
        if module.check_mode:
            result["saved"] = [path for _v, path, _b, _a, _p in status["files"]]
            return result
        current["applied"] = self._apply_plans(plans)
        if current["applied"] and self.params["state"] == "present" and self.params["rollback_timeout"] > 0:
            # One watchdog restores every IP version: a shell pipeline per version. The save files are only staged:
            # the confirmation renames them into place, a rollback removes them, so a rolled-back ruleset never
            # comes back at boot.
            token = uuid.uuid4().hex
            _paths, diffs, stages = self.save_files(token)
            result["rollback"] = self.arm(current, token=token, discard=[staged for staged, _p in stages])
            result["rollback"]["saves"] = [{"staged": staged, "path": path} for staged, path in stages]
            result["diff"] = status["diff"][:1] + diffs
            return result
        result["saved"], diffs, _stages = self.save_files()
        result["diff"] = status["diff"][:1] + diffs
        return result

    def _apply_plans(self, plans):
        """Feed each version's plan to ``iptables-restore --noflush``; on a failure, undo the versions done and fail."""
        applied = []
        for version, restore, forward, backward in plans:
            rc, out, err = self.runner.run([restore, "--noflush"], data=forward, check_rc=False)
            if rc != 0:
                for _v, undo, _f, back in reversed(applied):
                    self.runner.run([undo, "--noflush"], data=back, check_rc=False)
                self.module.fail_json(msg="%s failed (rc %d): %s; the chains were restored"
                                      % (restore, rc, (err or out).strip()), commands=self.runner.commands)
            applied.append((version, restore, forward, backward))
        return applied

    def confirm(self):
        """The change is confirmed: only now does it become the ruleset restored at boot. This path saves afresh;
        the copies the apply staged for the action plugin's confirmation are not needed."""
        result = Backend.confirm(self)
        for path in save_paths(self.params).values():
            try:
                os.unlink(_staged_path(path, self.params["confirm"]))
            except OSError:
                pass
        result["saved"], diffs, _stages = self.save_files()
        result.update(changed=bool(result["saved"]), diff=diffs)
        return result
