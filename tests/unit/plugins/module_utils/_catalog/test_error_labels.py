# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A bad network entry is named by its network, and a host:port where a network belongs says ports are not allowed."""

from __future__ import annotations

import json
import re

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.errors import CatalogError
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog


def _file(tmp_path, network):
    path = tmp_path / "corp.json"
    path.write_text(json.dumps({"catalog_format": 1, "sources": {"example-corp": {"title": "x"}},
                                "networks": [dict({"source": "example-corp", "purpose": "office", "ports": 443}, **network)]}))
    return str(path)


def test_network_entry_is_named_by_its_network(tmp_path):
    with pytest.raises(CatalogError, match=r"networks\[0\] \(10\.0\.0\.0/8\): field 'zzz'"):
        load_catalog([_file(tmp_path, {"network": "10.0.0.0/8", "zzz": 1})], editions=[])


@pytest.mark.parametrize("text", ["apple.com:443", "17.0.0.1:443", "[2620:149::1]:443"])
def test_a_port_where_a_network_belongs(tmp_path, text):
    with pytest.raises(CatalogError, match=re.escape("field 'network': %r: ports are not allowed here" % text)):
        load_catalog([_file(tmp_path, {"network": text})], editions=[])


def test_other_bad_networks_keep_the_cidr_message(tmp_path):
    with pytest.raises(CatalogError, match="an IPv4 or IPv6 network in CIDR form is expected"):
        load_catalog([_file(tmp_path, {"network": "17.0.0.0/33"})], editions=[])


@pytest.mark.parametrize("character", ["\u202e", "\u2066", "\u200b", "\ufeff", "\u00ad", "\U000e0041"])
def test_invisible_format_characters_in_catalog_text_are_refused(tmp_path, character):
    """A bidi override or zero-width character makes a purpose read as something else in the report and PAC comments."""
    with pytest.raises(CatalogError, match="field 'purpose': .*invisible format character") as exc:
        load_catalog([_file(tmp_path, {"network": "10.0.0.0/8", "purpose": "office" + character + "lan"})], editions=[])
    assert character not in str(exc.value)
