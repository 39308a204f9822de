# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""How each product matches a host name against one line of its list, written from the vendor's documentation.

Deliberately independent of plugins/plugin_utils/_feeds/formats.py: these read a line the way the product's manual
says the product reads it, so a feed line that means something else than the translator claims is caught.
Each matcher takes a lower-case host name and a line and says whether the line covers the name.
"""

from __future__ import annotations

import fnmatch
import re


def _token_regex(host_pattern, star):
    """A regex for a dotted pattern whose '*' tokens stand for ``star``; other tokens literal."""
    parts = [star if token == "*" else re.escape(token) for token in host_pattern.split(".")]
    return r"\.".join(parts)


def palo_alto_domain(name, line):
    """PAN-OS EDL domain list (PAN-OS 9.0+, "Formatting Guidelines for an External Dynamic List > Domain List",
    https://docs.paloaltonetworks.com/pan-os/10-2/pan-os-admin/policy/use-an-external-dynamic-list-in-policy/formatting-guidelines-for-an-external-dynamic-list/domain-list):
    "Use carets (^) to indicate an exact match"; "Use an asterisk (*) wildcard to indicate one or multiple variable
    subdomains" (*.company.com matches tools.company.com and eng.tools.company.com); "Wildcard characters must be the
    only character within a token". A plain entry is read at its widest (the name and its subdomains): the manual
    offers '^' to make an entry exact, so a plain one is not."""
    if line.startswith("^"):
        return name == line[1:]
    if "*" in line:
        return re.fullmatch(_token_regex(line, r"[^.]+(?:\.[^.]+)*"), name) is not None
    return name == line or name.endswith("." + line)


def palo_alto_url(name, line):
    """PAN-OS URL list / custom URL category entries
    (https://docs.paloaltonetworks.com/pan-os/10-0/pan-os-admin/url-filtering/custom-url-categories): an entry without
    a trailing slash gets an implicit '*' on its right ("example.com" also allows "example.com.test.info"); a trailing
    '/' stops that; '*' stands for one or more whole tokens. The name is the host part of a URL."""
    host, slash, _path = line.partition("/")
    regex = _token_regex(host, r"[^.]+(?:\.[^.]+)*")
    if not slash:
        regex += r"(?:\..+)?"
    return re.fullmatch(regex, name) is not None


def fortigate_domain(name, line):
    """FortiGate domain name threat feed ("one domain per line. Simple wildcards are supported", examples
    mail.*.example.com, *-special.example.com, www.*example.com;
    https://docs.fortinet.com/document/fortigate/7.2.5/administration-guide/195303): a shell-style '*' that stands
    for any run of characters, dots included; a line without '*' is that name."""
    return fnmatch.fnmatchcase(name, line)


def zscaler_url(name, line):
    """Zscaler custom URL category (https://help.zscaler.com/zia/url-format-guidelines): "A leading period functions
    as a wildcard to the left of the named URL up to 5 subdomain levels deep ... or matches exactly to the named URL";
    "In the absence of a leading period, the stated domain/subdomain entry must match exactly"."""
    if not line.startswith("."):
        return name == line
    suffix = line[1:]
    if name == suffix:
        return True
    if not name.endswith(line):
        return False
    return name[: -len(line)].count(".") + 1 <= 5


def umbrella_destination(name, line):
    """Cisco Umbrella destination list (https://docs.umbrella.com/deployment-umbrella/docs/wildcards-and-domain-management):
    "Every domain that you add to a domains list has an implied left side and right side wildcard"; asterisks are not
    supported. Adding domain.com covers domain.com and its subdomains (not examplexyz-domain.com)."""
    if "*" in line:
        raise AssertionError("Umbrella does not accept '*' in a destination list: %r" % line)
    return name == line or name.endswith("." + line)


def secure_firewall_url(name, line):
    """Cisco Secure Firewall Security Intelligence URL lists and feeds ("URL Lists and Feeds: URL Syntax and Matching
    Criteria", https://securitydocs.cisco.com/docs/scc-fw/ftd/manage/75180.dita): example.com matches example.com and
    all subdomains but not example.co.uk, examplexyz.com or example.com.malicious-site.com; "A slash at the end of a
    URL to specify an exact match"; "An asterisk can represent a complete domain string separated by dots, but not a
    partial domain string"."""
    host, slash, _path = line.partition("/")
    regex = _token_regex(host, r"[^.]+")
    if not slash:
        regex = r"(?:.+\.)?" + regex
    return re.fullmatch(regex, name) is not None


MATCHERS = {
    "paloalto-domain": palo_alto_domain,
    "paloalto-url": palo_alto_url,
    "fortigate-domain": fortigate_domain,
    "zscaler-url": zscaler_url,
    "umbrella-destination": umbrella_destination,
    "secure_firewall-url": secure_firewall_url,
}
