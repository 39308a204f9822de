# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""firewalld rendering (pure): policies and ipsets of our own, as the XML files firewalld reads from its permanent
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

import re
import shlex
import xml.etree.ElementTree as ET

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import rollback
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import (
    PROTOCOLS,
    FirewallInputError,
    check_name,
    dns_rules,
    format_range,
)

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
