# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What firewall_rules would change, computed from what was read from the host (pure, no I/O).

The module and its action plugin share these functions: the module reads the live state itself
and then applies; the action plugin reads the same state with one shell command and skips the
module entirely when nothing would change (the no-change run costs no module transfer).
"""

from __future__ import annotations

import functools
import hashlib
import json
import shlex

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import resolvers
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import (
    FirewallInputError,
    build_spec,
    check_forward_backend,
    check_label,
    check_name,
    merge,
    parse_network,
    parse_port,
    parse_ports,
)

# The backends' renderers (firewalld, iptables, nftables) are imported where they are used: the action plugin is
# loaded, and Ansible compiles its imports from source, in every ansible-playbook run and task worker, and a run
# needs only the backend in use.

ARGUMENT_SPEC = dict(
    backend=dict(type="str", default="nftables", choices=["nftables", "iptables", "pf", "firewalld", "ufw"]),
    name=dict(type="str", default="macfleet"),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    directions=dict(type="list", elements="str", default=["egress", "ingress"], choices=["egress", "ingress", "forward"]),
    rules=dict(type="list", elements="dict", default=[], options=dict(
        direction=dict(type="str", required=True, choices=["egress", "ingress", "forward"]),
        protocol=dict(type="str", required=True, choices=["tcp", "udp"]),
        ports=dict(type="list", elements="raw", required=True),
    )),
    destinations=dict(type="list", elements="str", default=[]),
    resolved_destinations=dict(type="list", elements="str", default=[]),
    address_timeout=dict(type="int", default=86400),
    management_ports=dict(type="list", elements="raw", default=[22]),
    keep_current_connection=dict(type="bool", default=True),
    policy=dict(type="str", default="drop", choices=["drop", "reject"]),
    allow_icmp=dict(type="bool", default=True),
    keep_loopback=dict(type="bool", default=True),
    keep_dns=dict(type="bool", default=True),
    keep_dhcp=dict(type="bool", default=True),
    nameservers=dict(type="list", elements="str", default=[]),
    client_networks=dict(type="list", elements="str", default=[]),
    client_nameservers=dict(type="list", elements="str", default=[]),
    ipv6=dict(type="bool", default=True),
    iptables_variant=dict(type="str", default="auto", choices=["auto", "nft", "legacy"]),
    iptables_save_path=dict(type="path", default="/etc/iptables/rules.v4"),
    ip6tables_save_path=dict(type="path", default="/etc/iptables/rules.v6"),
    rollback_timeout=dict(type="int", default=0),
    confirm=dict(type="str"),
    state_dir=dict(type="path", default="/var/lib/macfleet-firewall"),
    pf_conf=dict(type="path", default="/etc/pf.conf"),
    pf_anchors_dir=dict(type="path", default="/etc/pf.anchors"),
    launchdaemons_dir=dict(type="path", default="/Library/LaunchDaemons"),
    launchdaemon_label=dict(type="str"),
    pfctl_path=dict(type="path", default="/sbin/pfctl"),
    launchctl_path=dict(type="path", default="/bin/launchctl"),
    selection=dict(type="dict"),
)
# What the firewall_selection lookup returns that the module uses; ``selection`` passes all of it at once.
SELECTION_KEYS = ("rules", "destinations", "resolved_destinations")
MUTUALLY_EXCLUSIVE = [["selection", key] for key in SELECTION_KEYS]


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def management_ports(ports, keep_current_connection, ssh_connection):
    """The TCP ranges kept open: ``ports`` plus, when asked, the server port of ``SSH_CONNECTION``."""
    result = parse_ports(ports, "management_ports")
    if keep_current_connection:
        parts = (ssh_connection or "").split()
        if len(parts) == 4 and parts[3].isdigit():
            result = merge(result + [parse_port(parts[3], "SSH_CONNECTION")])
    return result


def needs_host_resolvers(params):
    """Whether the spec depends on the host's resolver configuration (DNS kept, no ``nameservers`` given)."""
    return (params["state"] == "present" and params["confirm"] is None and params["keep_dns"]
            and not params["nameservers"])


def resolver_config(params, host_files):
    """``{nameservers, sources, ignored}``: the ``nameservers`` option, else what ``host_files`` (``{path: text or None}``
    of :data:`resolvers.HOST_FILES`, read on the host) name; nothing while the host has not been read."""
    if params["nameservers"]:
        return {"nameservers": list(params["nameservers"]), "sources": ["nameservers"], "ignored": []}
    if not params["keep_dns"] or host_files is None:
        return {"nameservers": [], "sources": [], "ignored": []}
    return resolvers.host_nameservers(host_files)


def take_selection(params):
    """Fill ``rules``, ``destinations`` and ``resolved_destinations`` from ``selection``; returns ``params``.

    ``selection`` is the firewall_selection lookup's result as it is, so a role templates (and the lookup runs)
    once instead of once per option. Its other keys (record ids, host names, unresolved names) are not used.
    The three parts are validated as the options themselves are.
    """
    selection = params.get("selection")
    if selection is None:
        return params
    given = dict((key, selection[key]) for key in SELECTION_KEYS if selection.get(key) is not None)
    validated = ArgumentSpecValidator(dict((key, ARGUMENT_SPEC[key]) for key in SELECTION_KEYS)).validate(given)
    if validated.error_messages:
        raise FirewallInputError("selection: %s" % "; ".join(validated.error_messages))
    for key in ("destinations", "resolved_destinations"):
        for index, value in enumerate(validated.validated_parameters.get(key) or []):
            parse_network(value, "selection.%s[%d]" % (key, index))  # the error names where the value came from
    params.update(validated.validated_parameters)
    return params


def validate(params, ssh_connection, host_files=None):
    """Validate everything before the host is read. Returns ``(spec, management ranges)``; spec None unless applying.

    Call it first without ``host_files``: every option, ``nameservers`` included, is checked before anything is read.
    When :func:`needs_host_resolvers`, call it again with the host's resolver files to get the spec to render.
    The spec then carries ``resolver_config`` (where the name servers came from) for :func:`essentials`.
    """
    check_name(params["name"])
    if params["backend"] == "firewalld":
        from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import firewalld as fwd

        fwd.check_firewalld_name(params["name"])
    if params["launchdaemon_label"]:
        check_label(params["launchdaemon_label"])
    check_forward_backend(params["backend"], params["directions"])
    if not 0 <= params["rollback_timeout"] <= 3600:
        raise FirewallInputError("rollback_timeout: %r is not between 0 and 3600 seconds" % params["rollback_timeout"])
    if params["state"] != "present" or params["confirm"] is not None:
        return None, []
    mgmt = management_ports(params["management_ports"], params["keep_current_connection"], ssh_connection)
    config = resolver_config(params, host_files)
    spec = build_spec(name=params["name"], directions=params["directions"], rules=params["rules"],
                      destinations=params["destinations"], resolved_destinations=params["resolved_destinations"],
                      address_timeout=params["address_timeout"], management_ports=mgmt,
                      policy=params["policy"], allow_icmp=params["allow_icmp"], keep_loopback=params["keep_loopback"],
                      keep_dns=params["keep_dns"], keep_dhcp=params["keep_dhcp"], nameservers=config["nameservers"],
                      client_networks=params["client_networks"], client_nameservers=params["client_nameservers"])
    spec["resolver_config"] = config
    return spec, mgmt


def essentials(spec):
    """What is kept besides the selection (the module's RV ``essentials``); ``{}`` when nothing is applied."""
    if not spec:
        return {}
    config = spec.get("resolver_config") or {"nameservers": [], "sources": []}
    result = {"loopback": spec["keep"]["loopback"], "dns": spec["keep"]["dns"], "dhcp": spec["keep"]["dhcp"],
              "nameservers": [str(a) for v in (4, 6) for a in spec["nameservers"][v]] if spec["keep"]["dns"] else [],
              "nameserver_sources": list(config["sources"]) if spec["keep"]["dns"] else []}
    if "forward" in spec["directions"]:
        result["client_nameservers"] = [str(a) for v in (4, 6) for a in spec["client_dns"][v]]
    return result


def restricted_to(spec):
    """Where egress and forward may go (the module's RV ``restricted_to``); ``{}`` when nothing is applied."""
    if not spec:
        return {}
    return {"networks": [str(n) for v in (4, 6) for n in spec["destinations"][v]] if spec["restricted"] else [],
            "addresses": [str(a) for v in (4, 6) for a in spec["resolved"][v]] if spec["restricted"] else []}


def essentials_warnings(spec):
    """Warnings about the essentials: DNS kept but no name server found, resolver entries that were ignored."""
    if not spec or not spec["keep"]["dns"]:
        return []
    config = spec.get("resolver_config") or {"nameservers": [], "sources": [], "ignored": []}
    warnings = []
    if "forward" in spec["directions"] and not (spec["client_dns"][4] or spec["client_dns"][6]):
        warnings.append("Gateway mode: no name server for the clients (the host has none besides local ones), so DNS "
                        "forwarded from the client networks is blocked (a resolver on this host is not affected); "
                        "set the client_nameservers option to the name servers the clients use.")
    if config["ignored"]:
        warnings.append("Name server entries that are not IP addresses were ignored: %s" % ", ".join(config["ignored"]))
    if "egress" not in spec["directions"]:
        return warnings
    if not config["nameservers"]:
        warnings.append("DNS is kept, but no name server was found (%s); egress DNS is blocked unless the "
                        "nameservers option names the host's resolvers." % (", ".join(config["sources"]) or
                                                                            "%s is missing" % resolvers.RESOLV_CONF))
    elif config["sources"] != ["nameservers"] and all(a.is_loopback for v in (4, 6) for a in spec["nameservers"][v]):
        warnings.append("Only local name servers were found (%s): the host's resolver is a local one, and the servers "
                        "it forwards to are not known, so DNS out of the host is blocked; set the nameservers option to "
                        "them." % ", ".join(config["nameservers"]))
    return warnings


def save_paths(params):
    """``{IP version: path}`` of the iptables-save files to keep (an empty path: not saved)."""
    versions = (4, 6) if params["ipv6"] else (4,)
    keys = {4: "iptables_save_path", 6: "ip6tables_save_path"}
    return dict((v, params[keys[v]]) for v in versions if params[keys[v]])


def file_diff(path, before, after, predicted=False):
    return {"before_header": path, "after_header": path + (" (predicted)" if predicted else ""),
            "before": before or "", "after": after}


def nftables_status(name, state, spec, listing, stored_text):
    """``listing``: ``nft list table`` output or None when the table does not exist; ``stored_text``: the state file.

    Returns ``{in_sync, diff, rendered?, digest?}``. For absent, ``foreign`` tells that the table exists
    but was not created by the module.
    """
    from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import nftables as nft

    stored = json.loads(stored_text) if stored_text else {}
    if state == "absent":
        if listing is None:
            return {"in_sync": True}
        return {"in_sync": False, "foreign": "managed by macfleet.apple_network" not in listing,
                "diff": {"before": nft.normalize_listing(listing), "after": ""}}
    rendered = nft.render(spec)
    digest = sha256(rendered)
    listed = nft.normalize_listing(listing) if listing is not None else None
    matches = listed is not None and stored.get("listing") == listed
    before = stored.get("rendered", "") if matches else (listed or "")
    return {"in_sync": matches and stored.get("sha256") == digest, "rendered": rendered, "digest": digest,
            "diff": {"before": before, "after": rendered}}


def iptables_status(name, state, spec, lives, paths, files):
    """Per IP version: ``lives`` the ``iptables-save`` output, ``paths`` the save files, ``files`` their content
    (None: missing).

    Returns ``{plans: [(version, forward, backward)], diff: [...], rendered?, files: [(version, path, before,
    after)] (only save files that differ)}``; in sync when there is no plan and no file to write.
    """
    from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import iptables as ipt

    plans, before_text, after_text, stale = [], [], [], []
    for version in sorted(lives):
        cur_chains, cur_jumps = ipt.parse_save(lives[version], name)
        if state == "absent":
            chains, jumps = {}, []
        else:
            chains = ipt.chain_rules(spec, version)
            jumps = sorted(ipt.jump_rules(spec).values())
        before_text += ["# IPv%d" % version] + sorted(cur_jumps) + [l for c in sorted(cur_chains) for l in cur_chains[c]]
        after_text += ["# IPv%d" % version] + jumps + [l for c in sorted(chains) for l in chains[c]]
        synced = ipt.in_sync(chains, jumps, cur_chains, cur_jumps)
        if not synced:
            plans.append((version, ipt.restore_input(name, chains, jumps, cur_chains, cur_jumps),
                          ipt.restore_input(name, cur_chains, cur_jumps, chains, jumps)))
        if version in paths:
            after = (ipt.normalize_save(lives[version]) if synced
                     else ipt.predict_save(lives[version], name, chains, jumps))
            if files.get(version) != after:
                stale.append((version, paths[version], files.get(version), after, not synced))
    chains_diff = {"before_header": "iptables chains", "after_header": "iptables chains",
                   "before": "\n".join(before_text) + "\n", "after": "\n".join(after_text) + "\n"}
    result = {"plans": plans, "files": stale, "in_sync": not plans and not stale,
              "diff": [chains_diff] + [file_diff(p, b, a, predicted) for _v, p, b, a, predicted in stale]}
    if state == "present":
        result["rendered"] = chains_diff["after"]
    return result


# -- reading the live state with one shell command (the action plugin's no-change check) ----------

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
        from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import firewalld as fwd

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
    """:func:`nftables_status` or :func:`iptables_status` from parsed probe sections."""
    if params["backend"] == "firewalld":
        from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import firewalld as fwd

        current = dict((path, None if ("nofile%d" % index) in sections else sections["file%d" % index])
                       for index, path in enumerate(fwd.managed_files(params["name"])))
        live = dict((kind, fwd.dbus_strings(sections[kind + "_dbus"]) if kind + "_dbus" in sections else set(sections[kind].split()))
                    for kind in ("policies", "ipsets"))
        return fwd.status(params["name"], spec, current, live)
    if params["backend"] == "nftables":
        listing = None if "missing" in sections else sections["live"]
        return nftables_status(params["name"], params["state"], spec, listing, sections["state"] or None)
    paths = save_paths(params)
    versions = (4, 6) if params["ipv6"] else (4,)
    lives = dict((v, sections["live%d" % v]) for v in versions)
    files = dict((v, None if ("nofile%d" % v) in sections else sections["file%d" % v]) for v in paths)
    return iptables_status(params["name"], params["state"], spec, lives, paths, files)


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
