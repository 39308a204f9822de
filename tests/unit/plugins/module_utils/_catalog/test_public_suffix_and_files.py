# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Catalog files: wildcards on a public suffix, duplicate keys, deep nesting."""

from __future__ import annotations

import json
import os
import sys

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog import public_suffix
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.cache import EDITIONS_DIR, bundled_editions
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.reading import MAX_DEPTH
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.errors import CatalogError
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.schema import validate_document

HEAD = "catalog_format: 1\nsources: {acme: {}}\nhosts:\n"


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    # Validated documents are cached per user: a test must validate, not read an earlier answer.
    monkeypatch.setenv("MACFLEET_APPLE_NETWORK_CACHE_DIR", str(tmp_path / "cache"))


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def hosts_file(tmp_path, *entries):
    return write(tmp_path, "acme.yml", HEAD + "".join("  - %s\n" % entry for entry in entries))


@pytest.mark.parametrize("host, suffix, kind", [
    ("*.com", "com", "a top-level domain"),
    ("*.co.uk", "co.uk", "ICANN section"),
    ("*.cloudfront.net", "cloudfront.net", "PRIVATE section"),
    ("*.github.io", "github.io", "PRIVATE section"),
    ("*.s3.amazonaws.com", "s3.amazonaws.com", "PRIVATE section"),
    ("gg*.com", "com", "a top-level domain"),
    ("*.local", "local", "a top-level domain"),
    ("*.COM.", "com", "a top-level domain"),
    # Internationalised suffixes written in punycode, as the host grammar allows: .рф and упр.срб.
    ("*.xn--p1ai", "xn--p1ai", "a top-level domain"),
    ("*.xn--o1ach.xn--90a3ac", "xn--o1ach.xn--90a3ac", "ICANN section"),
])
def test_wildcard_on_a_public_suffix_is_refused(tmp_path, host, suffix, kind):
    path = hosts_file(tmp_path, "{source: acme, host: 'a.example.org'}", "{source: acme, host: '%s'}" % host)
    with pytest.raises(CatalogError) as exc:
        load_catalog([path])
    message = str(exc.value)
    assert message.startswith("%s: hosts[1] (%s): field 'host': " % (path, host))
    assert "every name under %r" % suffix in message and kind in message
    assert "allow_public_suffix_wildcard" in message


@pytest.mark.parametrize("host", ["*.apple.com", "*.cdn-apple.com", "gg*.apple.com", "*.mdm.acme.co.uk", "*.amazonaws.com",
                                  "*.d1234.cloudfront.net", "com", "co.uk", "*.xn--90a3ac.xn--p1ai", "*.xn--zz--bad.com.xn--zz"])
def test_wildcards_below_a_registrable_domain_and_exact_names_pass(tmp_path, host):
    catalog = load_catalog([hosts_file(tmp_path, "{source: acme, host: '%s'}" % host)])
    (record,) = catalog.hosts(source="acme")
    assert record["allow_public_suffix_wildcard"] is False and record["public_suffix_wildcard_reason"] is None


def test_the_override_lets_one_entry_through_and_is_recorded(tmp_path):
    path = hosts_file(tmp_path, "{source: acme, host: '*.cloudfront.net', allow_public_suffix_wildcard: true, "
                                "public_suffix_wildcard_reason: 'Our CDN distributions rotate daily'}")
    (record,) = load_catalog([path]).hosts(source="acme")
    assert record["allow_public_suffix_wildcard"] is True
    assert record["public_suffix_wildcard_reason"] == "Our CDN distributions rotate daily"


@pytest.mark.parametrize("entry, field, fragment", [
    ("{source: acme, host: '*.com', allow_public_suffix_wildcard: true}", "public_suffix_wildcard_reason", "is required"),
    ("{source: acme, host: '*.com', allow_public_suffix_wildcard: true, public_suffix_wildcard_reason: ' '}",
     "public_suffix_wildcard_reason", "is required"),
    ("{source: acme, host: a.example.com, allow_public_suffix_wildcard: true, public_suffix_wildcard_reason: x}",
     "allow_public_suffix_wildcard", "wildcard hosts only"),
    ("{source: acme, host: '*.com', public_suffix_wildcard_reason: because}", "public_suffix_wildcard_reason",
     "only used with"),
    ("{source: acme, host: '*.com', allow_public_suffix_wildcard: 'yes', public_suffix_wildcard_reason: x}",
     "allow_public_suffix_wildcard", "must be true or false"),
])
def test_the_override_is_checked(tmp_path, entry, field, fragment):
    path = hosts_file(tmp_path, entry)
    with pytest.raises(CatalogError) as exc:
        load_catalog([path])
    assert str(exc.value).startswith(path + ": hosts[0]")
    assert "field '%s'" % field in str(exc.value) and fragment in str(exc.value)


@pytest.fixture
def without_the_library(monkeypatch):
    monkeypatch.setitem(sys.modules, "publicsuffixlist", None)  # import publicsuffixlist -> ImportError
    monkeypatch.setattr(public_suffix, "_LISTS", {})


def test_missing_library_fails_only_where_a_wildcard_needs_checking(tmp_path, without_the_library):
    path = hosts_file(tmp_path, "{source: acme, host: a.example.com}", "{source: acme, host: '*.mdm.example.com'}")
    with pytest.raises(CatalogError) as exc:
        load_catalog([path])
    message = str(exc.value)
    assert message.startswith("%s: hosts[1] (*.mdm.example.com): field 'host': " % path)
    assert "needs the Python library publicsuffixlist on the controller" in message
    exact_only = write(tmp_path, "exact.yml", HEAD + "  - {source: acme, host: a.example.com}\n")
    assert [h["host"] for h in load_catalog([exact_only]).hosts(source="acme")] == ["a.example.com"]
    overridden = write(tmp_path, "override.yml", HEAD + "  - {source: acme, host: '*.example.com', "
                                                        "allow_public_suffix_wildcard: true, public_suffix_wildcard_reason: x}\n")
    assert len(load_catalog([overridden]).hosts(source="acme")) == 1
    # The bundled editions (wildcards included) are read without the library: the next test checks them.
    assert any(h["wildcard"] for h in load_catalog().hosts())


@pytest.mark.parametrize("edition", bundled_editions())
def test_bundled_editions_pass_the_public_suffix_check(edition):
    with open(os.path.join(EDITIONS_DIR, edition + ".json")) as handle:
        doc = json.load(handle)
    document = validate_document(doc, edition, public_suffix_check=True)
    assert any(host["wildcard"] for host in document["hosts"])


def test_private_section_suffixes_are_in_the_list_used():
    # cloudfront.net is in the PRIVATE section only: the check must not be limited to ICANN suffixes.
    assert public_suffix.wildcard_public_suffix("*.cloudfront.net") == "cloudfront.net"
    assert public_suffix.wildcard_public_suffix("*.apple.com") is None


# -- duplicate keys and deep nesting -------------------------------------------------------------

def test_duplicate_yaml_key_is_refused_with_file_line_and_key(tmp_path):
    path = write(tmp_path, "dup.yml", "catalog_format: 1\nsources: {acme: {}}\nhosts:\n"
                                      "  - source: acme\n    host: a.example.com\n    host: '*.com'\n")
    with pytest.raises(CatalogError) as exc:
        load_catalog([path])
    assert str(exc.value).startswith("%s: line 6: duplicate key 'host' (already on line 5)" % path)


def test_duplicate_top_level_yaml_key(tmp_path):
    path = write(tmp_path, "dup.yml", "catalog_format: 1\nsources: {acme: {}}\nhosts: []\nhosts:\n"
                                      "  - {source: acme, host: a.example.com}\n")
    with pytest.raises(CatalogError, match=r"dup\.yml: line 4: duplicate key 'hosts' \(already on line 3\)"):
        load_catalog([path])


def test_yaml_merge_keys_are_refused(tmp_path):
    # Anchors, aliases and merge keys are refused (test_hostile_catalog_files.py): a merged key could hide a duplicate.
    path = write(tmp_path, "merge.yml", "catalog_format: 1\nsources: {acme: {}}\nhosts:\n"
                                        "  - &base {source: acme, host: a.example.com}\n"
                                        "  - {<<: *base, host: b.example.com}\n")
    with pytest.raises(CatalogError, match=r"merge\.yml: line 4: YAML anchor &base: catalog files may not use"):
        load_catalog([path])


def test_duplicate_json_key_is_refused(tmp_path):
    path = write(tmp_path, "dup.json", '{"catalog_format": 1, "sources": {"acme": {}}, "hosts": [], "hosts": []}')
    with pytest.raises(CatalogError, match=r"dup\.json: duplicate key 'hosts'"):
        load_catalog([path])


@pytest.mark.parametrize("name, text", [
    ("deep.yml", "catalog_format: 1\nnotes: " + "[" * 5000 + "]" * 5000 + "\n"),
    ("deep.json", '{"catalog_format": 1, "notes": ' + "[" * 100000 + "]" * 100000 + "}"),
    ("medium.yml", "catalog_format: 1\nsources: {acme: {}}\nhosts:\n  - {source: acme, host: a.example.com, notes: "
                   + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}\n"),
    ("medium.json", '{"catalog_format": 1, "x": ' + "[" * 900 + "]" * 900 + "}"),
])
def test_deep_nesting_names_the_file(tmp_path, name, text):
    path = write(tmp_path, name, text)
    with pytest.raises(CatalogError) as exc:
        load_catalog([path])
    assert str(exc.value).startswith(path + ": the document is nested")
