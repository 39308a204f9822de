# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The firewalld backend: policies and ipsets of our own, as the XML files firewalld reads from its permanent
configuration directory (``/etc/firewalld``).

- ``policies/<name>_in.xml`` (ingress): a policy from zone ``ANY`` to ``HOST``, priority :data:`PRIORITY` (before
  every zone's own rules), target ``DROP`` or ``REJECT``; it accepts the management ports, the selection, DHCP
  answers and ICMP.
- ``policies/<name>_out.xml`` (egress): a policy from ``HOST`` to ``ANY``, same target; it accepts the selection
  (restricted to the ipsets below when destinations are given), DNS to the name servers, DHCP requests and ICMP.
- ``ipsets/<name>_dst4.xml`` and ``<name>_dst6.xml`` (restricted egress): the destinations and resolved addresses.

firewalld itself accepts loopback traffic and established/related connections before any policy, so the kept
loopback rule needs nothing of ours (and cannot be switched off). Rich rules take one port element, so the DHCP
rules match the port of the other side's service (67/547 out, 68/546 in), not both ports.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import tempfile
import uuid
import xml.etree.ElementTree as ET

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.files import read_text, write_atomic
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import rollback
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends.base import Backend
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import (
    FirewallInputError,
    check_name,
    dns_rules,
    format_range,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.ports import PROTOCOLS

MARKER = "managed by macfleet.apple_network firewall_rules"
CONFIG_DIR = "/etc/firewalld"
DBUS_NAME = "org.fedoraproject.FirewallD1"
DBUS_PATH = "/org/fedoraproject/FirewallD1"
PRIORITY = "-100"
# firewalld limits policy names to 18 characters (its iptables chain names); "_out" takes 4.
MAX_NAME = 14
_SUFFIXES = {"ingress": "_in", "egress": "_out"}
_ZONES = {"ingress": ("ANY", "HOST"), "egress": ("HOST", "ANY")}
# DHCP client traffic per direction: (rich-rule family, port of the other side's service).
_DHCP = {"egress": (("ipv4", 67), ("ipv6", 547)), "ingress": (("ipv4", 68), ("ipv6", 546))}
_ND = ("neighbour-solicitation", "neighbour-advertisement", "router-solicitation", "router-advertisement")
_FAMILIES = ((4, "ipv4", "inet"), (6, "ipv6", "inet6"))


def check_firewalld_name(name):
    """The module's name, short enough for firewalld's policy names."""
    check_name(name)
    if len(name) > MAX_NAME:
        raise FirewallInputError("name: %r is too long for firewalld (at most %d characters: the policy %s_out must "
                                 "fit firewalld's 18)" % (name, MAX_NAME, name))
    return name


def policy_name(name, direction):
    return name + _SUFFIXES[direction]


def ipset_name(name, version):
    return "%s_dst%d" % (name, version)


def dbus_strings(reply):
    """The names in a ``dbus-send --print-reply`` answer of type ``as`` (one ``string "NAME"`` line each)."""
    return set(re.findall(r'^\s*string "([^"\\]*)"\s*$', reply, re.M))


def managed_files(name):
    """Every file the module may own, relative to the configuration directory (removed when not rendered)."""
    return (["policies/%s.xml" % policy_name(name, d) for d in ("ingress", "egress")]
            + ["ipsets/%s.xml" % ipset_name(name, v) for v, _f, _i in _FAMILIES])


def objects(files):
    """``{"policies": [...], "ipsets": [...]}``: the firewalld objects the rendered ``files`` define."""
    result = {"policies": [], "ipsets": []}
    for path in sorted(files):
        kind, base = path.split("/", 1)
        result[kind].append(base[:-len(".xml")])
    return result


def live_matches(live, name, files):
    """Whether the running firewalld (``live``: ``{"policies": set, "ipsets": set}``) has exactly the module's objects
    that ``files`` define, no more."""
    expected = objects(files)
    managed = objects(dict.fromkeys(managed_files(name), ""))
    return all((n in live[kind]) == (n in expected[kind]) for kind in managed for n in managed[kind])


def status(name, spec, current, live):
    """What would change. ``current``: ``{path: text or None}`` of :func:`managed_files` as read from
    :data:`CONFIG_DIR`; ``live``: :func:`live_matches`'s ``live``, or None when firewalld is not running.

    Returns ``{in_sync, foreign, wanted, diff, rendered?}``; ``foreign`` lists files of ours by name that the
    module did not write (no :data:`MARKER`).
    """
    wanted = render(spec) if spec else {}
    files = dict((path, wanted.get(path)) for path in current)
    result = {"wanted": wanted, "foreign": sorted(p for p, t in current.items() if t is not None and MARKER not in t),
              "in_sync": files == current and (live is None or live_matches(live, name, wanted)),
              "diff": {"before": text(current), "after": text(wanted)}}
    if spec:
        result["rendered"] = text(wanted)
    return result


def _xml(element):
    ET.indent(element, "  ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode") + "\n"


def _rule(policy, family, port=None, destination=None, icmp_type=None):
    rule = ET.SubElement(policy, "rule", family=family)
    if destination is not None:
        ET.SubElement(rule, "destination", **destination)
    if port is not None:
        ET.SubElement(rule, "port", protocol=port[0], port=port[1])
    if icmp_type is not None:
        ET.SubElement(rule, "icmp-type", name=icmp_type)
    ET.SubElement(rule, "accept")


def _ipset(spec, version, family):
    ipset = ET.Element("ipset", type="hash:net")
    ET.SubElement(ipset, "short").text = ipset_name(spec["name"], version)
    ET.SubElement(ipset, "description").text = MARKER
    ET.SubElement(ipset, "option", name="family", value=family)
    for net in spec["destinations"][version] + spec["resolved"][version]:
        ET.SubElement(ipset, "entry").text = str(net)
    return _xml(ipset)


def _policy(spec, direction):
    name = policy_name(spec["name"], direction)
    policy = ET.Element("policy", target="REJECT" if spec["policy"] == "reject" else "DROP", priority=PRIORITY)
    ET.SubElement(policy, "short").text = name
    ET.SubElement(policy, "description").text = MARKER
    ingress_zone, egress_zone = _ZONES[direction]
    ET.SubElement(policy, "ingress-zone", name=ingress_zone)
    ET.SubElement(policy, "egress-zone", name=egress_zone)
    restricted = direction == "egress" and spec["restricted"]
    ports = [] if direction == "egress" else [("tcp", s, e) for s, e in spec["management"]]
    if not restricted:
        ports += [(proto, s, e) for proto in PROTOCOLS for s, e in spec["rules"][direction][proto]]
    for proto, start, end in ports:
        ET.SubElement(policy, "port", protocol=proto, port=format_range(start, end))
    if spec["allow_icmp"]:
        for protocol in ("icmp", "ipv6-icmp"):
            ET.SubElement(policy, "protocol", value=protocol)
    else:  # IPv6 neighbour discovery is always allowed
        for icmp_type in _ND:
            _rule(policy, "ipv6", icmp_type=icmp_type)
    dns_out, _dns_local_in = dns_rules(spec)  # loopback DNS in: firewalld always accepts loopback traffic
    if dns_out and direction == "egress":
        for version, family, _ipset_family in _FAMILIES:
            for address in spec["dns"][version]:
                for proto in ("udp", "tcp"):
                    _rule(policy, family, port=(proto, "53"), destination={"address": str(address)})
    if spec["keep"]["dhcp"]:
        for family, port in _DHCP[direction]:
            _rule(policy, family, port=("udp", str(port)))
    if restricted:
        for proto in PROTOCOLS:
            for start, end in spec["rules"][direction][proto]:
                for version, family, _ipset_family in _FAMILIES:
                    _rule(policy, family, port=(proto, format_range(start, end)),
                          destination={"ipset": ipset_name(spec["name"], version)})
    return _xml(policy)


def render(spec):
    """``{relative path: XML text}`` of the files for the configuration directory; see the module docstring."""
    check_firewalld_name(spec["name"])
    files = {}
    for direction in spec["directions"]:
        files["policies/%s.xml" % policy_name(spec["name"], direction)] = _policy(spec, direction)
    if "egress" in spec["directions"] and spec["restricted"]:
        for version, _family, ipset_family in _FAMILIES:
            files["ipsets/%s.xml" % ipset_name(spec["name"], version)] = _ipset(spec, version, ipset_family)
    return files


def text(files):
    """One text of several files (the diff and RV ``rendered``): each file under a ``# <path>`` header line."""
    return "".join("# %s\n%s" % (path, files[path]) for path in sorted(files) if files[path] is not None)


def restore_script(config_dir, previous, firewall_cmd, token):
    """``/bin/sh`` script putting the managed files back as ``previous`` (``{relative path: text or None}``) and
    reloading firewalld: the rollback of a change. Each file is written next to its place, then renamed."""
    files = dict(("%s/%s" % (config_dir.rstrip("/"), path), text) for path, text in previous.items())
    return rollback.restore_files_script(files, ".macfleet-%s" % token) + "%s --reload\n" % shlex.quote(firewall_cmd)


class FirewalldBackend(Backend):
    backend = "firewalld"

    def render(self):
        return text(render(self.spec))

    def _live(self, firewall_cmd):
        """``{"policies": set, "ipsets": set}`` of the running firewalld, or None when it is not running."""
        live = {}
        for kind in ("policies", "ipsets"):
            rc, out, _err = self.runner.run([firewall_cmd, "--get-%s" % kind], check_rc=False, record=False)
            if rc != 0:
                return None
            live[kind] = set(out.split())
        return live

    def read(self):
        """``{firewall_cmd, offline_cmd, files, live}``: the module's files in the configuration directory
        (``{path: text or None}``) and the running firewalld's objects (None: not running)."""
        firewall_cmd = self.module.get_bin_path("firewall-cmd", required=True)
        offline_cmd = self.module.get_bin_path("firewall-offline-cmd", required=True)
        if not os.path.isdir(CONFIG_DIR):
            self.module.fail_json(msg="%s does not exist; firewalld is not installed on this host" % CONFIG_DIR)
        files = dict((path, read_text(os.path.join(CONFIG_DIR, path))) for path in managed_files(self.name))
        return {"firewall_cmd": firewall_cmd, "offline_cmd": offline_cmd, "files": files,
                "live": self._live(firewall_cmd)}

    def diff(self, current):
        return status(self.name, self.spec, current["files"], current["live"])

    def snapshot(self, current):
        return ["/bin/sh"], restore_script(CONFIG_DIR, current["files"], current["firewall_cmd"], current["token"])

    def remove(self, current, status):
        return self.apply(current, status)

    def apply(self, current, status):
        if status["foreign"]:
            self.module.fail_json(msg="%s exists but was not created by this module; refusing to change it"
                                  % os.path.join(CONFIG_DIR, status["foreign"][0]))
        wanted, live = status["wanted"], current["live"]
        result = {"changed": False, "commands": self.runner.commands, "firewalld_running": live is not None,
                  "diff": status["diff"]}
        if "rendered" in status:
            result["rendered"] = status["rendered"]
        if status["in_sync"]:
            return result
        result["changed"] = True
        if wanted:
            self._check(current["offline_cmd"], wanted)
        if self.module.check_mode:
            return result
        _write(dict((path, wanted.get(path)) for path in current["files"]))
        self.runner.commands.append("write %s" % " ".join(os.path.join(CONFIG_DIR, p) for p in sorted(current["files"])))
        if live is None:
            if self.spec:
                self.module.warn("firewalld is not running: the policies were written to %s and take effect when it "
                                 "starts" % CONFIG_DIR)
            return result
        self._reload(current, wanted)
        if self.spec:
            current["token"] = uuid.uuid4().hex
            result["rollback"] = self.arm(current, token=current["token"])
        return result

    def _reload(self, current, wanted):
        """``firewall-cmd --reload``; when it fails or firewalld does not then list the objects, the previous files
        are written back, firewalld is reloaded again and the module fails."""
        firewall_cmd = current["firewall_cmd"]
        rc, out, err = self.runner.run([firewall_cmd, "--reload"], check_rc=False)
        live = self._live(firewall_cmd) if rc == 0 else None
        if live is None or not live_matches(live, self.name, wanted):
            _write(current["files"])
            self.runner.run([firewall_cmd, "--reload"], check_rc=False)
            reason = (err or out).strip() if rc != 0 else "the reloaded firewalld does not list the policies and ipsets"
            self.module.fail_json(msg="firewall-cmd --reload failed (rc %d): %s; the previous configuration was restored"
                                      % (rc, reason), commands=self.runner.commands)

    def _check(self, offline_cmd, wanted):
        """``firewall-offline-cmd --check-config`` on a copy of the configuration directory holding the rendered
        files: what firewalld would reject fails here, before anything of the host's is written."""
        scratch = tempfile.mkdtemp(prefix="macfleet-firewalld-")
        try:
            candidate = os.path.join(scratch, "firewalld")
            shutil.copytree(CONFIG_DIR, candidate, symlinks=True)
            for path in managed_files(self.name):
                if os.path.exists(os.path.join(candidate, path)):
                    os.unlink(os.path.join(candidate, path))
            for path, content in wanted.items():
                if not os.path.isdir(os.path.dirname(os.path.join(candidate, path))):
                    os.makedirs(os.path.dirname(os.path.join(candidate, path)))
                with open(os.path.join(candidate, path), "w") as handle:
                    handle.write(content)
            rc, out, err = self.runner.run([offline_cmd, "--system-config", candidate, "--check-config"],
                                           check_rc=False, record=False)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        if rc != 0:
            self.module.fail_json(msg="firewalld rejects the rendered configuration (firewall-offline-cmd --check-config, "
                                      "rc %d): %s; nothing was changed" % (rc, (err or out).strip()),
                                  commands=self.runner.commands)


def _write(files):
    """Write (or remove, for None) the managed files under the configuration directory, each atomically."""
    for path in sorted(files):
        target = os.path.join(CONFIG_DIR, path)
        if files[path] is None:
            if os.path.exists(target):
                os.unlink(target)
            continue
        if not os.path.isdir(os.path.dirname(target)):
            os.makedirs(os.path.dirname(target), 0o750)
        write_atomic(target, files[path].encode("utf-8"), 0o644)
