# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The firewall_rules action plugin's no-change check: one shell command reads what the module would read, and the
backends' own comparison (their ``status`` functions) tells whether anything would change (controller side).

The backends are imported where they are used: the action plugin is loaded, and Ansible compiles its imports from
source, in every ansible-playbook run and task worker, and a run needs only the backend in use.
"""

from __future__ import annotations

import functools
import shlex

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import resolvers
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.summary import essentials, restricted_to
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.validation import needs_host_resolvers

_SBIN = "/sbin:/usr/sbin:/usr/local/sbin"  # where AnsibleModule.get_bin_path looks besides PATH


def _mark(boundary, key):
    return "printf '\\n%%s %%s\\n' %s %s" % (boundary, key)


def probe_script(params, boundary):
    """A POSIX shell script printing what the module would read, in sections ``\\n<boundary> <key>\\n<content>``.

    Returns None when the backend or the options are not covered (pf, paths with ``~`` or ``$`` that only the
    host can expand); the caller then runs the module. Any failure exits non-zero, which also means "run the module".
    """
    if params["backend"] not in ("nftables", "iptables", "firewalld"):
        return None
    from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends.iptables import save_paths

    paths = [params["state_dir"]] + list(save_paths(params).values())
    if any(("~" in p or "$" in p) for p in paths):
        return None
    mark = functools.partial(_mark, boundary)
    lines = ['PATH="${PATH:+$PATH:}%s"; export PATH' % _SBIN, mark("ssh"), 'printf "%s" "${SSH_CONNECTION:-}"']
    if needs_host_resolvers(params):
        for index, path in enumerate(resolvers.HOST_FILES):
            quoted = shlex.quote(path)
            lines += [mark("resolver%d" % index), "if [ -f %s ]; then head -c %d %s || exit 4; else %s; fi"
                      % (quoted, resolvers.MAX_BYTES, quoted, mark("noresolver%d" % index))]
    name = params["name"]
    if params["backend"] == "nftables":
        state = "%s/%s.nftables.json" % (params["state_dir"].rstrip("/"), name)
        lines += ["command -v nft >/dev/null || exit 3", mark("live"),
                  "nft list table inet %s 2>/dev/null || %s" % (shlex.quote(name), mark("missing")),
                  mark("state"), "if [ -f %s ]; then cat %s || exit 4; fi" % (shlex.quote(state), shlex.quote(state))]
    elif params["backend"] == "firewalld":
        from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import firewalld as fwd

        # The module's files and the running firewalld's objects; a firewalld that is not running fails the probe.
        lines.append("command -v firewall-cmd >/dev/null || exit 3")
        for index, path in enumerate(fwd.managed_files(name)):
            quoted = shlex.quote("%s/%s" % (fwd.CONFIG_DIR, path))
            lines += [mark("file%d" % index),
                      "if [ -f %s ]; then cat %s || exit 4; else %s; fi" % (quoted, quoted, mark("nofile%d" % index))]
        # firewall-cmd is a Python program that takes a good part of a second per call; dbus-send (from the D-Bus
        # package firewalld itself depends on) asks the same running daemon the same question in milliseconds.
        lines.append("if command -v dbus-send >/dev/null; then")
        for kind, method in (("policies", "policy.getPolicies"), ("ipsets", "ipset.getIPSets")):
            lines += [mark(kind + "_dbus"), "dbus-send --system --print-reply --reply-timeout=10000 --dest=%s %s %s.%s || exit 4"
                      % (fwd.DBUS_NAME, fwd.DBUS_PATH, fwd.DBUS_NAME, method)]
        lines.append("else")
        for kind in ("policies", "ipsets"):
            lines += [mark(kind), "firewall-cmd --get-%s || exit 4" % kind]
        lines.append("fi")
    else:
        suffix = "" if params["iptables_variant"] == "auto" else "-" + params["iptables_variant"]
        files = save_paths(params)
        for version in (4, 6) if params["ipv6"] else (4,):
            save = "%s%s-save" % ("iptables" if version == 4 else "ip6tables", suffix)
            restore = "%s%s-restore" % ("iptables" if version == 4 else "ip6tables", suffix)
            lines += ["command -v %s >/dev/null || exit 3" % restore, mark("live%d" % version),
                      ("%s || exit 4" if version in files else "%s -t filter || exit 4") % save]
            if version in files:
                path = shlex.quote(files[version])
                lines += [mark("file%d" % version),
                          "if [ -f %s ]; then cat %s || exit 4; else %s; fi" % (path, path, mark("nofile%d" % version))]
    lines.append(mark("end"))
    return "\n".join(lines) + "\n"


def parse_probe(output, boundary):
    """Sections of :func:`probe_script` output, or None when it did not run to its end."""
    sections = {}
    for part in output.split("\n%s " % boundary)[1:]:
        key, _sep, body = part.partition("\n")
        sections[key] = body
    return sections if "end" in sections else None


def host_files_from_probe(params, sections):
    """The resolver files as :func:`probe_script` printed them (``{path: text or None}``), or None when not read."""
    if not needs_host_resolvers(params):
        return None
    return dict((path, None if ("noresolver%d" % index) in sections else sections["resolver%d" % index])
                for index, path in enumerate(resolvers.HOST_FILES))


def status_from_probe(params, spec, sections):
    """The backend's ``status`` (what would change) from parsed probe sections."""
    if params["backend"] == "firewalld":
        from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import firewalld as fwd

        current = dict((path, None if ("nofile%d" % index) in sections else sections["file%d" % index])
                       for index, path in enumerate(fwd.managed_files(params["name"])))
        live = dict((kind, fwd.dbus_strings(sections[kind + "_dbus"]) if kind + "_dbus" in sections else set(sections[kind].split()))
                    for kind in ("policies", "ipsets"))
        return fwd.status(params["name"], spec, current, live)
    if params["backend"] == "nftables":
        from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import nftables as nft

        listing = None if "missing" in sections else sections["live"]
        return nft.status(params["name"], params["state"], spec, listing, sections["state"] or None)
    from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import iptables as ipt

    paths = ipt.save_paths(params)
    versions = (4, 6) if params["ipv6"] else (4,)
    lives = dict((v, sections["live%d" % v]) for v in versions)
    files = dict((v, None if ("nofile%d" % v) in sections else sections["file%d" % v]) for v in paths)
    return ipt.status(params["name"], params["state"], spec, lives, paths, files)


def unchanged_result(params, status, mgmt, spec=None):
    """What the module returns when nothing changes (the action plugin's answer without running it)."""
    result = {"changed": False, "commands": [], "rollback": {},
              "management_ports": [p for s, e in mgmt for p in range(s, e + 1)] if params["state"] == "present" else [],
              "essentials": essentials(spec), "restricted_to": restricted_to(spec)}
    for key in ("rendered", "diff"):
        if key in status:
            result[key] = status[key]
    if params["backend"] == "iptables":
        result["saved"] = []
    if params["backend"] == "firewalld":
        result["firewalld_running"] = True  # the probe's firewall-cmd calls answered
    return result
