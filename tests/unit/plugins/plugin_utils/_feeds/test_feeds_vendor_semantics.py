# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Each vendor feed against the catalog's host rule on a fixed corpus of names, look-alikes included.

The products' readings are in vendor_matchers.py (cited there). For every feed file of the bundled catalog's set:
every name the catalog's rule covers is covered by the feed (or the manifest lists it as ``narrowed``), and every
name the feed covers that the catalog's rule does not is explained by a ``widened`` entry of the manifest.
"""

from __future__ import annotations

import json
import os
import sys

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.rule import (
    bypass_entries,
    bypass_match,
    entry_kind,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.hostnames import host_matches
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._feeds import formats
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._feeds.render import (
    build_feed_set,
    decryption_selection,
)

sys.path.insert(0, os.path.dirname(__file__))
from vendor_matchers import MATCHERS  # noqa: E402  pylint: disable=wrong-import-position

LOOK_ALIKES = ("evilapple.com", "apple.com.evil.net", "evil-apple.com", "apple.com-evil.net", "xapple.com",
               "push.apple.com.evil.net", "mzstatic.com.evil.net")


def corpus(entries):
    """Apex, one label, two labels, six labels below each entry, and look-alikes of it."""
    names = set(LOOK_ALIKES)
    for entry in entries:
        kind, first, suffix = entry_kind(entry)
        base = entry if kind == "exact" else suffix
        label = "gg7" if kind == "label_glob" else "a"
        names.update([base, "%s.%s" % (label, base), "b.%s.%s" % (label, base), "a.b.c.d.e.%s.%s" % (label, base),
                      "evil" + base, base + ".evil.net", "x-" + base])
        if kind == "label_glob":
            names.update(["%s.%s" % (first.replace("*", ""), suffix), "zz.%s" % suffix,
                          "%s.x.%s" % (first.replace("*", "1"), suffix)])
    return sorted(names)


@pytest.fixture(scope="module")
def bundled():
    catalog = load_catalog()
    hosts = catalog.hosts()
    files = build_feed_set(hosts, catalog.networks(), hosts, edition=catalog.edition)
    return catalog, hosts, files, json.loads(files["feeds.json"])


def _lists(hosts):
    return {"hosts": bypass_entries(hosts, include_apex=False, allow_networks=False),
            "decryption": bypass_entries(decryption_selection(hosts), include_apex=False, allow_networks=False)}


def test_every_format_has_a_documented_matcher():
    assert set(MATCHERS) == set(fmt.key for fmt in formats.FORMATS)


def test_bundled_catalog_has_a_label_glob_to_widen(bundled):
    # The test below means more when the catalog holds every kind of entry the formats treat differently.
    _catalog, hosts, _files, _manifest = bundled
    kinds = set(entry_kind(e)[0] for e in _lists(hosts)["hosts"] + _lists(hosts)["decryption"])
    assert kinds == {"exact", "subdomains", "label_glob"}


@pytest.mark.parametrize("fmt", formats.FORMATS, ids=lambda f: f.key)
def test_feed_against_catalog_rule_on_corpus(bundled, fmt):
    _catalog, hosts, files, manifest = bundled
    matcher = MATCHERS[fmt.key]
    lists = _lists(hosts)
    checked = 0
    for name in ("hosts", "decryption"):
        path = [p for p, d in manifest["files"].items() if d["format"] == fmt.key and d["list"] == name][0]
        lines = files[path].splitlines()
        widened = [w for w in manifest["widened"] if w["file"] == path]
        narrowed = [n for n in manifest["narrowed"] if n["file"] == path]
        for host in corpus(lists[name]):
            by_catalog = bypass_match(lists[name], host) is not None
            by_feed = any(matcher(host, line) for line in lines)
            if by_catalog and not by_feed:
                assert any(host_matches(host, n["misses"]) and host.count(".") - n["misses"].count(".") >= 5
                           for n in narrowed), "%s misses %s, which the catalog sends direct; not in narrowed" % (path, host)
            if by_feed and not by_catalog:
                assert any(host_matches(host, w["also_matches"]) for w in widened), \
                    "%s matches %s, which the catalog does not; not in the manifest's widened" % (path, host)
            checked += 1
        for look_alike in ("evilapple.com", "apple.com.evil.net"):
            assert not any(matcher(look_alike, line) for line in lines), (path, look_alike)
    assert checked > 500


def test_widenings_are_those_the_vendor_forms_force(bundled):
    _catalog, _hosts, _files, manifest = bundled
    per_format = {}
    for item in manifest["widened"]:
        per_format.setdefault(manifest["files"][item["file"]]["format"], set()).add(entry_kind(item["catalog_entry"])[0])
    # Exact forms exist for names in every product but Umbrella; only Zscaler and Umbrella add the apex of *.x.
    assert per_format["paloalto-domain"] == per_format["paloalto-url"] == {"label_glob"}
    assert per_format["secure_firewall-url"] == per_format["fortigate-domain"] == {"label_glob"}
    assert per_format["zscaler-url"] == {"subdomains", "label_glob"}
    assert per_format["umbrella-destination"] == {"exact", "subdomains", "label_glob"}
    narrowed = set(manifest["files"][n["file"]]["format"] for n in manifest["narrowed"])
    assert narrowed == {"zscaler-url"}


def test_apex_widening_disappears_when_the_apex_is_an_entry():
    files = build_feed_set(["*.example.com", "example.com"], vendors=["zscaler", "umbrella"], pinned=False,
                           decryption_hosts=[{"host": "a.example.com", "bypass_https_interception": True}])
    manifest = json.loads(files["feeds.json"])
    assert [w for w in manifest["widened"] if w["file"].endswith("hosts-url.txt")] == []
    assert files["zscaler/hosts-url.txt"] == "." + "example.com\nexample.com\n"
    assert files["umbrella/hosts-destination.txt"] == "example.com\n"
    # Umbrella's exact example.com covers its subdomains, which *.example.com covers too: nothing widened.
    assert [w for w in manifest["widened"] if w["file"] == "umbrella/hosts-destination.txt"] == []


@pytest.mark.parametrize("key, entry, line", [
    ("paloalto-domain", "swscan.apple.com", "^swscan.apple.com"),
    ("paloalto-domain", "*.apple.com", "*.apple.com"),
    ("paloalto-url", "swscan.apple.com", "swscan.apple.com/"),
    ("fortigate-domain", "gg*.apple.com", "gg*.apple.com"),
    ("zscaler-url", "*.apple.com", ".apple.com"),
    ("umbrella-destination", "*.apple.com", "apple.com"),
    ("secure_firewall-url", "swscan.apple.com", "swscan.apple.com/"),
    ("secure_firewall-url", "*.apple.com", "*.apple.com"),
])
def test_lines(key, entry, line):
    fmt = [f for f in formats.FORMATS if f.key == key][0]
    kind, first, suffix = entry_kind(entry)
    assert fmt.translate(kind, first, suffix, entry)[0] == line


@pytest.mark.parametrize("matcher, name, line, expected", [
    # The vendors' own examples, as their pages give them.
    ("paloalto-domain", "eng.tools.company.com", "*.company.com", True),
    ("paloalto-domain", "company.com", "*.company.com", False),
    ("paloalto-domain", "paloaltonetworks.com", "^paloaltonetworks.com", True),
    ("paloalto-domain", "docs.paloaltonetworks.com", "^paloaltonetworks.com", False),
    ("paloalto-url", "example.com.test.info", "example.com", True),
    ("paloalto-url", "example.com.test.info", "example.com/", False),
    ("fortigate-domain", "mail.x.example.com", "mail.*.example.com", True),
    ("fortigate-domain", "a-special.example.com", "*-special.example.com", True),
    ("zscaler-url", "serv3.serv2.serv1.atlanta.example.com", ".example.com", True),
    ("zscaler-url", "example.com", ".example.com", True),
    ("zscaler-url", "a.b.c.d.e.f.example.com", ".example.com", False),
    ("zscaler-url", "www.safemarch.com", "safemarch.com", False),
    ("umbrella-destination", "mail.domain.com", "domain.com", True),
    ("secure_firewall-url", "eu.example.com", "example.com", True),
    ("secure_firewall-url", "example.com.malicious-site.com", "example.com", False),
    ("secure_firewall-url", "examplexyz.com", "example.com", False),
    ("secure_firewall-url", "www.example.com", "example.com/", False),
])
def test_matchers_follow_the_vendor_examples(matcher, name, line, expected):
    assert MATCHERS[matcher](name, line) is expected
