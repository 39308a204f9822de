# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import hashlib
import ipaddress
import json

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._feeds.formats import VENDORS, FeedError
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._feeds.pinned import PINNED_HOSTS
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._feeds.render import build_feed_set


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def _bundled_set(catalog, **options):
    hosts = catalog.hosts()
    return build_feed_set(hosts, catalog.networks(), hosts, edition=catalog.edition,
                          selection={"sources": [], "sections": []}, **options)


def test_one_set_per_vendor_byte_identical_and_hashes_in_manifest(catalog):
    first, second = _bundled_set(catalog), _bundled_set(catalog)
    assert first == second
    manifest = json.loads(first["feeds.json"])
    assert manifest["vendors"] == list(VENDORS)
    assert sorted(set(path.split("/")[0] for path in manifest["files"])) == list(VENDORS)
    for path, described in manifest["files"].items():
        assert hashlib.sha256(first[path].encode()).hexdigest() == described["sha256"], path
        assert described["entries"] == len(first[path].splitlines())
    sums = dict(reversed(line.split("  ")) for line in first["SHA256SUMS"].splitlines())
    assert set(sums) == set(first) - {"SHA256SUMS"}
    for path, digest in sums.items():
        assert hashlib.sha256(first[path].encode()).hexdigest() == digest
    assert manifest["edition"] == catalog.edition
    # No time anywhere: the same input is the same bytes (and the same set id) on any day.
    assert set(manifest) == {"manifest_format", "edition", "selection", "vendors", "include_apex", "counts", "files",
                             "checksum_files", "widened", "narrowed", "set_id"}


def test_checksum_files_for_the_product_that_polls_one(catalog):
    files = _bundled_set(catalog)
    md5s = [p for p in files if p.endswith(".md5")]
    assert md5s and all(p.startswith("secure_firewall/") for p in md5s)
    for path in md5s:
        assert files[path] == hashlib.md5(files[path[:-4]].encode()).hexdigest() + "\n"


def test_ip_lists_are_the_catalog_networks_aggregated_families_apart(catalog):
    files = _bundled_set(catalog)
    nets = [ipaddress.ip_network(r["network"]) for r in catalog.networks()]
    for family in (4, 6):
        expected = [str(n) for n in ipaddress.collapse_addresses(n for n in nets if n.version == family)]
        for vendor in ("paloalto", "fortigate", "secure_firewall"):
            assert files["%s/networks-ipv%d.txt" % (vendor, family)].splitlines() == expected
    assert files["paloalto/networks-ipv4.txt"] == "17.0.0.0/8\n"
    assert ":" not in files["paloalto/networks-ipv4.txt"] and "." not in files["paloalto/networks-ipv6.txt"]
    # APNs' ranges lie inside Apple's blocks: the aggregate is the blocks.
    assert len(files["paloalto/networks-ipv6.txt"].splitlines()) == 3


def test_decryption_list_is_its_own_feed(catalog):
    files = _bundled_set(catalog)
    decryption = files["paloalto/decryption-domain.txt"].splitlines()
    intercept = [h["host"] for h in catalog.hosts(bypass_https_interception=True)]
    updates = [h["host"] for h in catalog.hosts(section="Software updates")]
    for host in intercept + updates + list(PINNED_HOSTS):
        line = "^" + host if "*" not in host else "*." + host.split(".", 1)[1]
        assert line in decryption, host
    marked = set(intercept + updates + list(PINNED_HOSTS))
    no_pin = [h["host"] for h in catalog.hosts() if h["host"] not in marked and "*" not in h["host"]]
    assert no_pin and not any("^" + host in decryption for host in no_pin)
    without_pins = build_feed_set(catalog.hosts(), [], catalog.hosts(), pinned=False)
    assert "^tbsc.apple.com" in without_pins["paloalto/decryption-domain.txt"].splitlines()  # the catalog marks it too


def test_supports_proxies_filters_the_host_list():
    hosts = [{"host": "a.example.com", "supports_proxies": "yes"}, {"host": "b.example.com", "supports_proxies": "not_stated"}]
    files = build_feed_set(hosts, vendors=["zscaler"], supports_proxies=["not_stated", "see_note"])
    assert files["zscaler/hosts-url.txt"] == "b.example.com\n"


@pytest.mark.parametrize("kwargs, message", [
    (dict(hosts=[]), "hosts: the selection yields no hosts"),
    (dict(hosts=[{"host": "a.example.com", "supports_proxies": "yes"}], supports_proxies=["not_stated"]),
     "hosts: the selection yields no hosts"),
    (dict(hosts=["a.example.com"], vendors=["checkpoint"]), "vendors: 'checkpoint' is not a supported vendor"),
    (dict(hosts=["a.example.com"], vendors="paloalto"), "vendors must be a list"),
    (dict(hosts=["bad_host.example.com"]), "hosts 'bad_host.example.com' contains the character '_'"),
    (dict(hosts=["a.example.com"], decryption_hosts=[{"host": "caf\u00e9.example.com", "bypass_https_interception": True}]),
     "decryption_hosts 'caf\u00e9.example.com' contains the character"),
    (dict(hosts=["10.0.0.0/8"]), "hosts '10.0.0.0/8' is an IP address or network"),
    (dict(hosts=["*.example"], vendors=["zscaler"]), "vendors: zscaler cannot carry '\\*.example'"),
    (dict(hosts=["a.example.com"], networks=["17.0.0.0/33"]), "networks #0: '17.0.0.0/33' is not an IP network"),
    (dict(hosts=["a.example.com"], supports_proxies=["maybe"]), "supports_proxies: 'maybe'"),
])
def test_bad_input_names_the_option(kwargs, message):
    with pytest.raises(FeedError, match=message):
        build_feed_set(**kwargs)
