# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A feed set: every vendor's lists of a catalog selection, the IP lists, the manifest and the checksum files.

Controller side. The entries are the catalog's own (``_host.bypass.rule.bypass_entries``: validated, normalised, the
host grammar defined once); each vendor line comes from ``formats.py``. The output is a function of its input only
(sorted lines, no time, JSON with sorted keys), so two runs give the same bytes and the manifest's hashes identify
the set.
"""

from __future__ import annotations

import fnmatch
import hashlib
import ipaddress
import json
import re

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.rule import (
    bypass_entries,
    entry_kind,
    parse_network,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.terms import SUPPORTS_PROXIES, slugify
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.hostnames import HostnameError
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._feeds.formats import (
    CHECKSUM_VENDORS,
    IP_VENDORS,
    VENDORS,
    FeedError,
    formats_of,
)
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._feeds.pinned import PINNED_HOSTS

MANIFEST = "feeds.json"
SUMS = "SHA256SUMS"
MANIFEST_FORMAT = 1
# The lists of a set: every selected host, and the hosts that must never be decrypted.
LISTS = ("hosts", "decryption")
# Software Update's section: Apple's updates check their servers' certificates (pinned, see pinned.py).
SOFTWARE_UPDATE_SECTION = "software-updates"


def _sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _lines(entries):
    return "".join(line + "\n" for line in entries)


def _records(value, option):
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
        raise FeedError("%s must be a list of host records or host patterns, got %s" % (option, type(value).__name__))
    return list(value)


def select_hosts(records, supports_proxies=None):
    """The host records of a selection whose ``supports_proxies`` value is one of ``supports_proxies`` (None: all)."""
    records = _records(records, "hosts")
    if supports_proxies is None:
        return records
    for value in supports_proxies:
        if value not in SUPPORTS_PROXIES:
            raise FeedError("supports_proxies: %r is not one of %s" % (value, ", ".join(SUPPORTS_PROXIES)))
    # A plain pattern or a record without the column says nothing about proxies: it is kept, as the bypass rule does.
    return [r for r in records if not isinstance(r, dict) or r.get("supports_proxies", None) in supports_proxies
            or "supports_proxies" not in r]


def decryption_selection(records, pinned=True):
    """The hosts never to decrypt: records marked ``bypass_https_interception`` or of Software Update, and the pinned hosts."""
    chosen = [r for r in _records(records, "decryption_hosts")
              if not isinstance(r, dict) or r.get("bypass_https_interception")
              or slugify(r.get("section") or "") == SOFTWARE_UPDATE_SECTION]
    return chosen + (list(PINNED_HOSTS) if pinned else [])


def _entries(selection, include_apex, option):
    try:
        return bypass_entries(selection, include_apex=include_apex, allow_networks=False, what=option)
    except HostnameError as exc:
        raise FeedError(str(exc))


def _suffixes(name):
    """``a.b.example.com`` -> ``b.example.com``, ``example.com``, ``com``: the domains a name lies below."""
    while "." in name:
        name = name.partition(".")[2]
        yield name


class Coverage:
    """What a list of catalog entries covers, indexed so that a difference is checked in a few set look-ups.

    Answers as :func:`_host.bypass.rule.bypass_match` would for names, and whether every name below a domain is covered.
    """

    def __init__(self, parsed):
        self.exact, self.subdomains, globs = set(), set(), {}
        for entry, kind, first, suffix in parsed:
            if kind == "exact":
                self.exact.add(entry)
            elif kind == "subdomains":
                self.subdomains.add(suffix)
            else:
                globs.setdefault(suffix, []).append(first)
        # One regex per domain for all its label globs ('*' is the only special character the host grammar allows).
        self.globs = dict((suffix, re.compile("|".join(fnmatch.translate(first) for first in firsts)))
                          for suffix, firsts in globs.items())

    def covers_name(self, name):
        if name in self.exact or any(suffix in self.subdomains for suffix in _suffixes(name)):
            return True
        label, _dot, suffix = name.partition(".")
        regex = self.globs.get(suffix)
        return regex is not None and regex.match(label) is not None

    def covers_below(self, domain):
        return domain in self.subdomains or any(suffix in self.subdomains for suffix in _suffixes(domain))

    def covers(self, pattern):
        """Whether every name of a difference pattern (an exact name or ``*.domain``) is covered already."""
        if pattern.startswith("*."):
            return self.covers_below(pattern[2:])
        return self.covers_name(pattern)


def parse_entries(entries):
    """``(entry, kind, first_label, suffix)`` of each catalog entry, worked out once for every format."""
    return [(entry,) + tuple(entry_kind(entry)) for entry in entries]


def render_list(fmt, parsed, coverage):
    """One vendor file: ``(text, widened, narrowed)``; each difference names the catalog entry and the line written."""
    lines, widened, narrowed = set(), [], []
    for entry, kind, first, suffix in parsed:
        line, wider, narrower = fmt.translate(kind, first, suffix, entry)
        lines.add(line)
        for diff in wider:
            if not coverage.covers(diff.pattern):
                widened.append({"catalog_entry": entry, "written_as": line, "also_matches": diff.pattern,
                                "reason": diff.reason})
        for diff in narrower:
            narrowed.append({"catalog_entry": entry, "written_as": line, "misses": diff.pattern, "reason": diff.reason})
    return _lines(sorted(lines)), widened, narrowed


def aggregate_networks(records):
    """``(ipv4, ipv6)``: the networks of the records (or strings), each family collapsed to its fewest networks."""
    networks = {4: [], 6: []}
    for index, record in enumerate(_records(records, "networks")):
        text = record.get("network") if isinstance(record, dict) else record
        try:
            network = parse_network(text) if isinstance(text, str) else None
        except ValueError as exc:
            raise FeedError("networks #%d: %r is not an IP network: %s" % (index, text, exc))
        if network is None:
            raise FeedError("networks #%d: %r is not an IP network" % (index, text))
        networks[network.version].append(network)
    return tuple([str(net) for net in ipaddress.collapse_addresses(networks[family])] for family in (4, 6))


def build_feed_set(hosts, networks=(), decryption_hosts=(), vendors=None, include_apex=False, supports_proxies=None,
                   pinned=True, edition=None, selection=None):
    """Every file of a feed set as ``{relative path: text}``, ``feeds.json`` and ``SHA256SUMS`` included.

    ``hosts`` is the selection (host records of the catalog, or patterns), ``decryption_hosts`` the records the
    decryption list is taken from (marked ``bypass_https_interception`` or of Software Update), ``networks`` network
    records. Raises :class:`FeedError` naming the option for input that cannot make a set.
    """
    formats = formats_of(VENDORS if vendors is None else vendors)
    if not isinstance(include_apex, bool):
        raise FeedError("include_apex must be a boolean, got %r" % (include_apex,))
    selected = select_hosts(hosts, supports_proxies)
    if not selected:
        raise FeedError("hosts: the selection yields no hosts (%d records before the supports_proxies filter %s); "
                        "check the sources, sections and supports_proxies chosen"
                        % (len(_records(hosts, "hosts")), supports_proxies))
    lists = {"hosts": _entries(selected, include_apex, "hosts"),
             "decryption": _entries(decryption_selection(decryption_hosts, pinned), include_apex, "decryption_hosts")}
    ipv4, ipv6 = aggregate_networks(networks)
    parsed = dict((name, parse_entries(entries)) for name, entries in lists.items())
    coverage = dict((name, Coverage(entries)) for name, entries in parsed.items())
    files, described = {}, {}
    widened, narrowed = [], []
    for fmt in formats:
        for name in LISTS:
            path = "%s/%s-%s.txt" % (fmt.vendor, name, fmt.key.split("-", 1)[1])
            text, wider, narrower = render_list(fmt, parsed[name], coverage[name])
            files[path] = text
            described[path] = {"vendor": fmt.vendor, "format": fmt.key, "title": fmt.title, "list": name,
                               "source": fmt.source}
            widened.extend(dict(item, file=path) for item in wider)
            narrowed.extend(dict(item, file=path) for item in narrower)
    vendor_names = sorted(set(fmt.vendor for fmt in formats))
    if networks:
        for vendor in vendor_names:
            if vendor in IP_VENDORS:
                for family, nets in ((4, ipv4), (6, ipv6)):
                    path = "%s/networks-ipv%d.txt" % (vendor, family)
                    files[path] = _lines(nets)
                    described[path] = {"vendor": vendor, "format": "ip", "list": "networks", "family": family,
                                       "title": "One IPv%d network per line, aggregated" % family}
    manifest_files = {}
    for path in sorted(files):
        text = files[path]
        manifest_files[path] = dict(described[path], sha256=_sha256(text), entries=text.count("\n"),
                                    bytes=len(text.encode("utf-8")))
    checksums = {}
    for path in sorted(files):
        if described[path]["vendor"] in CHECKSUM_VENDORS:
            # The feed object's checksum URL: the MD5 of the feed, as the product compares it before downloading.
            checksums[path + ".md5"] = hashlib.md5(files[path].encode("utf-8")).hexdigest() + "\n"  # nosec - not for security
    files.update(checksums)
    manifest = {
        "manifest_format": MANIFEST_FORMAT,
        "edition": edition,
        "selection": selection if selection is not None else {},
        "vendors": vendor_names,
        "include_apex": include_apex,
        "counts": {"hosts": len(lists["hosts"]), "decryption": len(lists["decryption"]), "ipv4": len(ipv4),
                   "ipv6": len(ipv6)},
        "files": manifest_files,
        "checksum_files": sorted(checksums),
        "widened": sorted(widened, key=lambda w: (w["file"], w["catalog_entry"], w["also_matches"])),
        "narrowed": sorted(narrowed, key=lambda n: (n["file"], n["catalog_entry"])),
    }
    manifest["set_id"] = _sha256(json.dumps(manifest, sort_keys=True))
    files[MANIFEST] = json.dumps(manifest, sort_keys=True, indent=2) + "\n"
    files[SUMS] = "".join("%s  %s\n" % (_sha256(files[path]), path) for path in sorted(files))
    return files
