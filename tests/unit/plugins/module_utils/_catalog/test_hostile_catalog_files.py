# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Hostile catalog files: YAML anchors, aliases, merge keys and tags, the size limit."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog import reading
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.errors import CatalogError

HEAD = "catalog_format: 1\nsources: {acme: {}}\n"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def laughs(levels):
    """The "billion laughs" shape: each level an anchored list of ten aliases of the level below (10**levels values)."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += ["a%d: &a%d [%s]" % (level, level, ",".join(["*a%d" % (level - 1)] * 10)) for level in range(1, levels)]
    return HEAD + "notes:\n" + "".join("  %s\n" % line for line in lines)


LOAD_IN_CHILD = """
import sys
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.errors import CatalogError
try:
    load_catalog([sys.argv[1]], editions=[])
except CatalogError as exc:
    print(exc)
"""


@pytest.mark.parametrize("levels", [8, 12])
def test_alias_bomb_is_refused_at_once(tmp_path, levels):
    # In a child process with a timeout: a loader that expands the aliases would not come back for minutes or hours.
    path = write(tmp_path, "laughs.yml", laughs(levels))
    env = dict(os.environ, MACFLEET_APPLE_NETWORK_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=os.pathsep.join(sys.path))
    try:
        out = subprocess.run([sys.executable, "-c", LOAD_IN_CHILD, path], capture_output=True, text=True, timeout=15,
                             env=env, check=True)
    except subprocess.TimeoutExpired:
        pytest.fail("a %d-level alias file of %d bytes was not refused within 15 s" % (levels, os.path.getsize(path)))
    assert out.stdout.startswith("%s: line 4: YAML anchor &a0: catalog files may not use YAML anchors, aliases" % path), out


@pytest.mark.parametrize("body, line, found", [
    ("hosts:\n  - &h {source: acme, host: a.example.com}\n  - *h\n", 4, "anchor &h"),
    ("hosts:\n  - {source: acme, host: &h a.example.com}\n", 4, "anchor &h"),
    ("hosts:\n  - {source: acme, host: a.example.com, used_by: [x, *nothing]}\n", 4, "alias *nothing"),
    ("notes: &loop [*loop]\n", 3, "anchor &loop"),
    ("hosts:\n  - {source: acme, host: !!python/object/apply:os.system [id]}\n", 4,
     "tag tag:yaml.org,2002:python/object/apply:os.system"),
    ("hosts:\n  - {source: acme, host: !acme a.example.com}\n", 4, "tag !acme"),
    ("hosts:\n  - {source: acme, host: ! a.example.com}\n", 4, "tag !"),
    ("hosts:\n  - {source: acme,\thost: !!binary YS5leGFtcGxlLmNvbQ==}\n", 4, "tag tag:yaml.org,2002:binary"),
])
def test_anchors_aliases_and_tags_are_refused_with_file_and_line(tmp_path, body, line, found):
    path = write(tmp_path, "refs.yml", HEAD + body)
    with pytest.raises(CatalogError) as exc:
        load_catalog([path], editions=[])
    assert str(exc.value).startswith("%s: line %d: YAML %s: catalog files may not use" % (path, line, found))


def test_tag_handle_redefined_is_refused(tmp_path):
    path = write(tmp_path, "tags.yml", "%TAG !! tag:example.com,2026:\n---\n" + HEAD
                 + "hosts:\n  - {source: acme, host: !!str a.example.com}\n")
    with pytest.raises(CatalogError, match=r"tags\.yml: line 6: YAML tag tag:example\.com,2026:str: catalog files"):
        load_catalog([path], editions=[])


@pytest.mark.parametrize("merge", ["{source: acme, host: evil.example.com}", "[{source: acme}, {host: b.example.com}]"])
def test_merge_keys_are_refused(tmp_path, merge):
    # The keys a merge brings in lose silently against the mapping's own: the duplicate key check cannot see them.
    path = write(tmp_path, "merge.yml", HEAD + "hosts:\n  - source: acme\n    host: a.example.com\n    <<: %s\n" % merge)
    with pytest.raises(CatalogError, match=r"merge\.yml: line 6: YAML merge key '<<': catalog files may not use"):
        load_catalog([path], editions=[])


def test_standard_tags_and_ampersands_in_text_are_kept(tmp_path):
    path = write(tmp_path, "ok.yml", HEAD + "hosts:\n  - {source: acme, host: !!str a.example.com, notes: 'AT &T *x !y',"
                                            " ports: [!!int 443], used_by: [R&D *, Q&A]}\n"
                                            '  - {source: acme, host: "*.b.example.com", probe_host: c.b.example.com}\n')
    hosts = load_catalog([path], editions=[]).hosts(source="acme")
    assert [(h["host"], h["notes"], h["used_by"]) for h in hosts] == [
        ("a.example.com", "AT &T *x !y", ["R&D *", "Q&A"]), ("*.b.example.com", None, [])]


def test_file_larger_than_the_limit_is_refused_before_parsing(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 200)
    fits = write(tmp_path, "fits.yml", HEAD + "hosts: [{source: acme, host: a.example.com}]\n#" + "x" * 100 + "\n")
    assert os.path.getsize(fits) <= 200
    assert [h["host"] for h in load_catalog([fits], editions=[]).hosts()] == ["a.example.com"]
    # Invalid YAML past the limit: the size is what is reported, nothing was parsed.
    big = write(tmp_path, "big.yml", HEAD + "hosts: [" + "x" * 200)
    with pytest.raises(CatalogError) as exc:
        load_catalog([big], editions=[])
    assert str(exc.value) == "%s: catalog file is larger than 200 bytes (0 MiB); split it into several files" % big


def test_size_limit_is_eight_mebibytes(tmp_path):
    path = tmp_path / "huge.json"
    path.write_bytes(b'{"catalog_format": 1, "notes": "' + b"x" * (8 * 1024 * 1024) + b'"}')
    with pytest.raises(CatalogError, match=r"huge\.json: catalog file is larger than 8388608 bytes \(8 MiB\)"):
        load_catalog([str(path)], editions=[])
