# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The catalog's host rule re-expressed in each product's own list syntax, with what each form gains or loses.

The catalog's rule (``_host/rules/hostnames.py``): ``host.example.com`` is that name only; ``*.example.com`` is every name
one or more labels below ``example.com``, never the apex, never ``evilexample.com``; ``gg*.example.com`` is exactly one
label fitting the glob. Each product reads its list differently (sources in the docs guide ``feeds_guide.rst``, section
"What each product's entries match", and beside each translator below). A translator returns the line to write and
what that line matches beyond the catalog entry (``widened``) or misses of it (``narrowed``), each as a host pattern in
the catalog's grammar so that the difference is stated exactly and can be tested. Where a product has an exact form it
is used; where none exists the nearest wider form is written and the difference recorded, never silently.
"""

from __future__ import annotations

from collections import namedtuple


class FeedError(ValueError):
    """Input the feeds cannot be built from; the message names the option and the value."""


# key: how files and the manifest name the format; vendor: the product family (the ``vendors`` option);
# source: the vendor page the semantics come from.
FeedFormat = namedtuple("FeedFormat", "key vendor title translate source")
Difference = namedtuple("Difference", "pattern reason")

# Zscaler: "A leading period functions as a wildcard to the left of the named URL up to 5 subdomain levels deep".
ZSCALER_MAX_DEPTH = 5


def _palo_alto_domain(kind, first, suffix, entry):
    # PAN-OS 9.0+ EDL domain list: "^" marks an exact match, "*" one or more variable subdomain tokens (not the apex).
    if kind == "exact":
        return "^" + entry, [], []
    if kind == "subdomains":
        return "*." + suffix, [], []
    reason = "a '*' must be a whole token, so the label glob %r becomes every name below %s" % (first, suffix)
    return "*." + suffix, [Difference("*." + suffix, reason)], []


def _palo_alto_url(kind, first, suffix, entry):
    # PAN-OS URL list / custom URL category: without a trailing '/' an implicit '*' follows the entry (example.com
    # also matches example.com.test.info); with it the host part is exact. "*" is one or more whole tokens.
    if kind == "exact":
        return entry + "/", [], []
    if kind == "subdomains":
        return "*." + suffix + "/", [], []
    reason = "a '*' must be a whole token, so the label glob %r becomes every name below %s" % (first, suffix)
    return "*." + suffix + "/", [Difference("*." + suffix, reason)], []


def _fortigate_domain(kind, first, suffix, entry):
    # FortiGate domain name threat feed: one domain per line, simple wildcards: '*' stands for any run of characters,
    # dots included; a line without '*' is that name.
    if kind == "exact":
        return entry, [], []
    if kind == "subdomains":
        return "*." + suffix, [], []
    return entry, [Difference("*." + suffix, "a FortiGate '*' also crosses dots, so %r also matches names several "
                                             "labels below %s whose first label fits the glob" % (entry, suffix))], []


def _zscaler_url(kind, first, suffix, entry):
    # Zscaler custom URL category: a name without a leading '.' is exact; '.example.com' matches example.com itself and
    # up to five levels of subdomains.
    if kind == "exact":
        return entry, [], []
    if "." not in suffix:
        raise FeedError("vendors: zscaler cannot carry %r: a URL category entry may not be a top-level domain alone "
                        "(%r); leave zscaler out of vendors or list the hosts below %s" % (entry, "." + suffix, suffix))
    narrowed = [Difference("*." + suffix, "names more than %d labels below %s (a leading '.' reaches %d levels deep)"
                           % (ZSCALER_MAX_DEPTH, suffix, ZSCALER_MAX_DEPTH))]
    widened = [Difference(suffix, "a leading '.' also matches the apex %s" % suffix)]
    if kind == "label_glob":
        widened.append(Difference("*." + suffix, "Zscaler has no wildcard inside a label, so the label glob %r becomes "
                                                 "every name below %s" % (first, suffix)))
    return "." + suffix, widened, narrowed


def _umbrella_destination(kind, first, suffix, entry):
    # Cisco Umbrella destination list: every domain entry has an implied wildcard: it covers the name and all its
    # subdomains; asterisks are not accepted.
    if kind == "exact":
        return entry, [Difference("*." + entry, "an Umbrella entry always covers its subdomains too")], []
    widened = [Difference(suffix, "Umbrella has no wildcard: the entry %s also covers the apex" % suffix)]
    if kind == "label_glob":
        widened.append(Difference("*." + suffix, "Umbrella has no wildcard, so the label glob %r becomes every name "
                                                 "below %s" % (first, suffix)))
    return suffix, widened, []


def _secure_firewall_url(kind, first, suffix, entry):
    # Cisco Secure Firewall (FTD/FMC) Security Intelligence URL feed: 'example.com' matches it and all subdomains,
    # 'example.com/' only example.com, '*' a complete label (never part of one).
    if kind == "exact":
        return entry + "/", [], []
    if kind == "subdomains":
        return "*." + suffix, [], []
    return "*." + suffix, [Difference("*." + suffix, "a '*' must be a complete label, so the label glob %r becomes "
                                                     "every name below %s" % (first, suffix))], []


SOURCES = {
    "paloalto": "https://docs.paloaltonetworks.com/pan-os/10-2/pan-os-admin/policy/use-an-external-dynamic-list-in-policy/"
                "formatting-guidelines-for-an-external-dynamic-list/domain-list",
    "paloalto-url": "https://docs.paloaltonetworks.com/pan-os/10-0/pan-os-admin/url-filtering/custom-url-categories",
    "fortigate": "https://docs.fortinet.com/document/fortigate/7.2.5/administration-guide/195303",
    "zscaler": "https://help.zscaler.com/zia/url-format-guidelines",
    "umbrella": "https://docs.umbrella.com/deployment-umbrella/docs/wildcards-and-domain-management",
    "secure_firewall": "https://securitydocs.cisco.com/docs/scc-fw/ftd/manage/75180.dita",
}

FORMATS = (
    FeedFormat("paloalto-domain", "paloalto", "PAN-OS external dynamic list, type Domain", _palo_alto_domain,
               SOURCES["paloalto"]),
    FeedFormat("paloalto-url", "paloalto", "PAN-OS external dynamic list, type URL (URL category)", _palo_alto_url,
               SOURCES["paloalto-url"]),
    FeedFormat("fortigate-domain", "fortigate", "FortiGate external resource, type domain (Domain Name threat feed)",
               _fortigate_domain, SOURCES["fortigate"]),
    FeedFormat("zscaler-url", "zscaler", "Zscaler custom URL category", _zscaler_url, SOURCES["zscaler"]),
    FeedFormat("umbrella-destination", "umbrella", "Cisco Umbrella destination list (bulk upload)",
               _umbrella_destination, SOURCES["umbrella"]),
    FeedFormat("secure_firewall-url", "secure_firewall", "Cisco Secure Firewall Security Intelligence URL feed",
               _secure_firewall_url, SOURCES["secure_firewall"]),
)
VENDORS = tuple(sorted(set(fmt.vendor for fmt in FORMATS)))
# Products whose IP feeds are written as well: one network per line, IPv4 and IPv6 apart.
IP_VENDORS = ("fortigate", "paloalto", "secure_firewall")
# Products that poll a checksum URL before the feed: Secure Firewall's feed object takes an MD5 checksum URL.
CHECKSUM_VENDORS = ("secure_firewall",)


def formats_of(vendors):
    """The formats of the named vendors, in FORMATS order; raises FeedError naming ``vendors`` for an unknown one."""
    if isinstance(vendors, str) or not hasattr(vendors, "__iter__"):
        raise FeedError("vendors must be a list of vendor names (%s), got %r" % (", ".join(VENDORS), vendors))
    vendors = list(vendors)
    for vendor in vendors:
        if vendor not in VENDORS:
            raise FeedError("vendors: %r is not a supported vendor; valid values are: %s" % (vendor, ", ".join(VENDORS)))
    if not vendors:
        raise FeedError("vendors must name at least one vendor (%s)" % ", ".join(VENDORS))
    return [fmt for fmt in FORMATS if fmt.vendor in vendors]
