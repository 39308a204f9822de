# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog import answers, cache, loader, public_suffix
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.answers import cached_answer
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.errors import CatalogError, CatalogQueryError
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._firewall_selection import catalog_selection

ORG = "catalog_format: 1\nsources: {org: {}}\nports: [{source: org, ports: '%d', protocols: [tcp], service: Org app, used_by: [Org]}]\n"


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    monkeypatch.setenv("MACFLEET_APPLE_NETWORK_CACHE_DIR", str(directory))
    return directory


def forbid_core(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("the catalog core was asked although the answer is cached")
    monkeypatch.setattr(loader, "load_catalog", refuse)


def answer_files(directory):
    return sorted(name for name in os.listdir(str(directory)) if name.startswith("answer-"))


@pytest.mark.parametrize("query, options", [
    ("ports", {"used_by": "Software Update", "protocol": "tcp", "source": None, "port": None}),
    ("ports", {"port": 5223}),
    ("hosts", {"group": "software-update"}),
    ("hosts", {"section": ["Device management"]}),
    ("networks", {"family": 6, "source": None, "section": None}),
    ("summary", {"section": "Firewalls"}),
    ("processes", {"depends_on_sync_configuration": True}),
    ("conflicts", {}),
    ("summary", {}),
])
def test_answer_is_the_cores_answer_then_served_without_it(query, options, cache_dir, monkeypatch):
    expected = getattr(loader.load_catalog(), query)(**options)
    assert cached_answer(query, options) == expected
    assert len(answer_files(cache_dir)) == 1
    forbid_core(monkeypatch)
    assert cached_answer(query, options) == expected  # read back from the cache file, as a new worker does


def test_each_answer_is_a_fresh_copy():
    first = cached_answer("ports", {"port": 443})
    first[0]["ports"][0]["start"] = 1
    assert cached_answer("ports", {"port": 443})[0]["ports"][0]["start"] == 443


def test_different_options_are_different_answers(cache_dir):
    tcp = cached_answer("ports", {"used_by": "Software Update", "protocol": "tcp"})
    udp = cached_answer("ports", {"used_by": "Software Update", "protocol": "udp"})
    assert tcp != udp and len(answer_files(cache_dir)) == 2


def test_changed_user_file_is_asked_again(tmp_path, monkeypatch):
    path = tmp_path / "org.yml"
    path.write_text(ORG % 7000)
    assert [r["ports"] for r in cached_answer("ports", {"source": "org"}, [str(path)])] == [[{"start": 7000, "end": 7000}]]
    path.write_text(ORG % 7001 + "# longer, so the size changes too\n")
    assert [r["ports"] for r in cached_answer("ports", {"source": "org"}, [str(path)])] == [[{"start": 7001, "end": 7001}]]
    forbid_core(monkeypatch)
    os.utime(str(path), ns=(1, 1))  # same size and text, another modification time
    with pytest.raises(AssertionError, match="core was asked"):
        cached_answer("ports", {"source": "org"}, [str(path)])


def test_errors_come_from_the_core_and_are_not_cached(cache_dir, tmp_path):
    for _attempt in range(2):
        with pytest.raises(CatalogQueryError, match="'icmp' is not supported"):
            cached_answer("ports", {"protocol": "icmp"})
    with pytest.raises(CatalogError, match="cannot read catalog file"):
        cached_answer("ports", {}, [str(tmp_path / "missing.yml")])
    with pytest.raises(CatalogQueryError, match="editions: 'apple-1999' is not a bundled edition"):
        cached_answer("ports", {}, (), ["apple-1999"])
    assert not os.path.isdir(str(cache_dir)) or answer_files(cache_dir) == []


def test_corrupt_cache_entry_is_recomputed(cache_dir):
    expected = cached_answer("conflicts", {})
    (name,) = answer_files(cache_dir)
    (cache_dir / name).write_text('[{"half": ')
    assert cached_answer("conflicts", {}) == expected
    assert json.loads((cache_dir / name).read_text()) == expected


def test_unwritable_cache_only_costs_speed(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("MACFLEET_APPLE_NETWORK_CACHE_DIR", str(blocker / "cache"))
    assert cached_answer("ports", {"port": 123}) == loader.load_catalog().ports(port=123)


def test_a_directory_others_may_write_is_not_read(cache_dir, monkeypatch):
    expected = cached_answer("hosts", {"group": "apple"})
    os.chmod(str(cache_dir), 0o777)
    forbid_core(monkeypatch)
    with pytest.raises(AssertionError, match="core was asked"):
        cached_answer("hosts", {"group": "apple"})
    os.chmod(str(cache_dir), 0o700)
    assert cached_answer("hosts", {"group": "apple"}) == expected


def test_answers_are_pruned_to_the_newest(cache_dir, monkeypatch):
    monkeypatch.setattr(cache, "MAX_ANSWERS", 3)
    for port in range(1, 7):
        cached_answer("ports", {"port": port})
    assert len(answer_files(cache_dir)) == 3


def test_only_catalog_queries_are_answerable():
    with pytest.raises(ValueError, match="'changes' is not a cacheable catalog query"):
        cached_answer("changes", {})


def test_a_cache_hit_does_not_import_the_core(cache_dir):
    """What the cache is for: a forked worker answering a lookup never compiles catalog.py, reading.py or schema.py."""
    cached_answer("ports", {"used_by": "Software Update"})
    collections_root = os.path.abspath(cache.__file__).split(os.sep + "ansible_collections" + os.sep)[0]
    probe = (
        "import sys, json\n"
        "from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.answers import cached_answer\n"
        "records = cached_answer('ports', {'used_by': 'Software Update'})\n"
        "prefix = 'ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.'\n"
        "loaded = sorted(m[len(prefix):] for m in sys.modules if m.startswith(prefix))\n"
        "print(json.dumps([len(records), loaded]))\n"
    )
    env = dict(os.environ, PYTHONPATH=collections_root)
    output = subprocess.run([sys.executable, "-c", probe], env=env, check=True, capture_output=True, text=True).stdout
    count, loaded = json.loads(output)
    assert count == len(loader.load_catalog().ports(used_by="Software Update"))
    assert loaded == ["answers", "cache", "errors"]


FIREWALL_OPTIONS = {"directions": ["egress"], "egress": {"sections": ["Device management"]}, "ingress": {},
                    "restrict_destinations": True, "destinations": []}


def test_the_firewall_selection_view_is_answered_then_served_without_the_core(cache_dir, monkeypatch):
    expected = catalog_selection(loader.load_catalog(), **FIREWALL_OPTIONS)
    assert expected["rules"] and expected["destinations"]
    assert cached_answer("firewall_selection", FIREWALL_OPTIONS, view=catalog_selection) == expected
    forbid_core(monkeypatch)
    assert cached_answer("firewall_selection", FIREWALL_OPTIONS, view=catalog_selection) == expected


def test_a_view_errors_like_a_catalog_query_and_is_not_cached(cache_dir):
    with pytest.raises(CatalogQueryError, match="'No such section' is not a section of the catalog"):
        cached_answer("firewall_selection", dict(FIREWALL_OPTIONS, egress={"sections": ["No such section"]}),
                      view=catalog_selection)
    assert not cache_dir.exists() or answer_files(cache_dir) == []


def test_a_views_answer_is_keyed_by_its_own_code_too(monkeypatch):
    """An answer of the firewall view goes stale when the selection code changes, not only the catalog core."""
    files = answers.view_code_files(catalog_selection)
    assert {"_firewall_selection.py", "spec.py"} <= set(os.path.basename(path) for path in files)
    before = cache.cache_path("answer", ("k",), files)
    real_file_key = cache.file_key
    monkeypatch.setattr(cache, "file_key", lambda path: real_file_key(path) + (("edited",) if path.endswith("_firewall_selection.py") else ()))
    assert cache.cache_path("answer", ("k",), files) != before
    assert cache.cache_path("answer", ("k",)) == cache.cache_path("answer", ("k",), ())


@pytest.mark.parametrize("collector_on", [True, False])
def test_the_garbage_collector_is_left_as_it_was(tmp_path, collector_on):
    """Loading pauses Python's cyclic garbage collector; it is on again afterwards, after a refused file too."""
    import gc

    bad = tmp_path / "bad.yml"
    bad.write_text("catalog_format: 1\nsources: {org: {}}\nports: [{source: nobody, ports: '1'}]\n")
    was = gc.isenabled()
    (gc.enable if collector_on else gc.disable)()
    try:
        loader.load_catalog()
        assert gc.isenabled() is collector_on
        with pytest.raises(CatalogError, match="'nobody' is not declared"):
            loader.load_catalog([str(bad)])
        assert gc.isenabled() is collector_on
    finally:
        (gc.enable if was else gc.disable)()


def test_a_refreshed_public_suffix_list_validates_user_files_again(tmp_path, monkeypatch):
    """User files are checked against the Public Suffix List: a new list (upgrade, refresh in place) is a new key."""
    user = tmp_path / "org.yml"
    user.write_text(ORG % 7000)
    with_user, bundled = cache.catalog_paths([str(user)]), cache.catalog_paths()
    assert any(key[0].endswith("public_suffix_list.dat") for key in cache.files_key(with_user))  # the library's own copy
    listed = tmp_path / "public_suffix_list.dat"
    listed.write_text("com\n")
    monkeypatch.setattr(public_suffix, "public_suffix_list_files", lambda: (str(listed),))
    before_user, before_bundled = cache.files_key(with_user), cache.files_key(bundled)
    listed.write_text("com\nexample\n")
    assert cache.files_key(with_user) != before_user
    assert cache.files_key(bundled) == before_bundled  # the bundled editions are not checked against the list
