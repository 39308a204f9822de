# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""firewalld rendering: a service definition (ingress), ipsets and a policy (egress) as XML files."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ansible_collections.macfleet.apple_network.plugins.module_utils._firewall.spec import PROTOCOLS, format_range


def _xml(element):
    ET.indent(element) if hasattr(ET, "indent") else None
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode") + "\n"


def render(spec):
    """``{relative path: XML text}`` for /etc/firewalld: services/NAME.xml, ipsets/NAME_dst4|6.xml, policies/NAME.xml."""
    name = spec["name"]
    files = {}
    if "ingress" in spec["directions"]:
        service = ET.Element("service")
        ET.SubElement(service, "short").text = name
        ET.SubElement(service, "description").text = "Apple services selected by macfleet.apple_network"
        for proto in PROTOCOLS:
            for start, end in spec["rules"]["ingress"][proto]:
                ET.SubElement(service, "port", protocol=proto, port=format_range(start, end))
        files["services/%s.xml" % name] = _xml(service)
    if "egress" in spec["directions"]:
        restricted = spec["restricted"]
        if restricted:
            for version, family in ((4, "inet"), (6, "inet6")):
                ipset = ET.Element("ipset", type="hash:net")
                ET.SubElement(ipset, "option", name="family", value=family)
                for net in spec["destinations"][version] + spec["resolved"][version]:
                    ET.SubElement(ipset, "entry").text = str(net)
                files["ipsets/%s_dst%d.xml" % (name, version)] = _xml(ipset)
        policy = ET.Element("policy", target="REJECT" if spec["policy"] == "reject" else "DROP", priority="-100")
        ET.SubElement(policy, "short").text = name
        ET.SubElement(policy, "ingress-zone", name="HOST")
        ET.SubElement(policy, "egress-zone", name="ANY")
        for proto in PROTOCOLS:
            for start, end in spec["rules"]["egress"][proto]:
                if restricted:
                    for version, family in ((4, "ipv4"), (6, "ipv6")):
                        rule = ET.SubElement(policy, "rule", family=family)
                        ET.SubElement(rule, "destination", ipset="%s_dst%d" % (name, version))
                        ET.SubElement(rule, "port", protocol=proto, port=format_range(start, end))
                        ET.SubElement(rule, "accept")
                else:
                    ET.SubElement(policy, "port", protocol=proto, port=format_range(start, end))
        files["policies/%s.xml" % name] = _xml(policy)
    return files
