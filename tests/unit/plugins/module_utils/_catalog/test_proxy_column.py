# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which entries of a selection go DIRECT: the supports_proxies column (split_by_proxy_support)."""

from __future__ import annotations

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.rule import (
    bypass_entries,
    split_by_proxy_support,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.hostnames import HostnameError


def record(host, supports_proxies, record_id=None):
    return {"host": host, "supports_proxies": supports_proxies, "id": record_id or "test/" + host}


def test_each_value_of_the_column():
    selection = [record("a.example.com", "yes"), record("b.example.com", "not_stated"),
                 record("*.push.example.com", "see_note"), {"host": "c.example.com"}, "d.example.com"]
    assert split_by_proxy_support(selection) == (
        ["b.example.com", "*.push.example.com", "push.example.com", "c.example.com", "d.example.com"],
        ["a.example.com"])


def test_direct_all_sends_every_entry_direct_as_before_the_column():
    selection = [record("a.example.com", "yes"), record("*.b.example.com", "yes"), "c.example.com"]
    assert split_by_proxy_support(selection, direct="all") == (bypass_entries(selection), [])


def test_a_wildcard_and_its_apex_share_the_reading():
    assert split_by_proxy_support([record("*.itunes.example.com", "yes")]) == (
        [], ["*.itunes.example.com", "itunes.example.com"])
    assert split_by_proxy_support([record("*.itunes.example.com", "yes")], include_apex=False) == (
        [], ["*.itunes.example.com"])
    # The apex listed on its own as not stated goes DIRECT; the wildcard below it still may use the proxy.
    assert split_by_proxy_support([record("*.itunes.example.com", "yes"), record("itunes.example.com", "not_stated")]) == (
        ["itunes.example.com"], ["*.itunes.example.com"])


def test_direct_wins_when_records_disagree():
    selection = [record("gdmf.example.com", "yes", "x/device-management/gdmf"),
                 record("gdmf.example.com", "not_stated", "x/software-updates/gdmf")]
    assert split_by_proxy_support(selection) == (["gdmf.example.com"], [])
    assert split_by_proxy_support(list(reversed(selection))) == (["gdmf.example.com"], [])


def test_a_name_a_direct_entry_covers_goes_direct_with_it():
    selection = [record("*.example.com", "not_stated"), record("gdmf.example.com", "yes"),
                 record("*.sub.example.com", "yes"), "10.0.0.0/8", record("10.1.0.0/16", "yes"),
                 record("10.1.2.3", "yes"), record("11.0.0.0/8", "yes"), record("fd00::1", "yes")]
    direct, proxy_capable = split_by_proxy_support(selection)
    assert direct == ["*.example.com", "example.com", "10.0.0.0/8"]
    # A wildcard under a DIRECT wildcard is not reported covered (documented); addresses and networks are compared.
    assert proxy_capable == ["*.sub.example.com", "11.0.0.0/8", "fd00::1"]


def test_every_item_is_validated_whichever_list_it_ends_in():
    with pytest.raises(HostnameError, match="'x\"y.example.com'"):
        split_by_proxy_support([record('x"y.example.com', "yes")])
    with pytest.raises(HostnameError, match="neither"):
        split_by_proxy_support([record("10.0.0.0/33", "yes")])
    with pytest.raises(HostnameError, match="host patterns only"):
        split_by_proxy_support([record("10.0.0.0/8", "yes")], allow_networks=False)


@pytest.mark.parametrize("value", ["no", "Yes", True, None, ""])
def test_an_unknown_column_value_names_the_record_and_the_value(value):
    with pytest.raises(HostnameError) as exc:
        split_by_proxy_support(["a.example.com", record("b.example.com", value, "user/b")])
    assert "record #1 (user/b) supports_proxies: %r" % (value,) in str(exc.value)
    assert "yes, not_stated, see_note" in str(exc.value)
    with pytest.raises(HostnameError, match="supports_proxies"):
        split_by_proxy_support([record("b.example.com", value)], direct="all")


@pytest.mark.parametrize("selection", ["a.example.com", {"host": "a"}, None, [1], [{"nohost": 1}]])
def test_selection_shape(selection):
    with pytest.raises(HostnameError):
        split_by_proxy_support(selection)


def test_an_unknown_switch_value_is_refused():
    with pytest.raises(HostnameError, match="direct: 'some' is not one of not_stated, all"):
        split_by_proxy_support(["a.example.com"], direct="some")


def test_a_generator_is_read_once():
    direct, proxy_capable = split_by_proxy_support(item for item in [record("a.example.com", "yes"), "b.example.com"])
    assert (direct, proxy_capable) == (["b.example.com"], ["a.example.com"])


def test_the_bundled_catalog():
    catalog = load_catalog()
    # The seed sources have no column: every host reads not_stated and goes DIRECT, as before.
    seeds = catalog.hosts(source=["enterprise-networks", "software-update-servers"])
    assert seeds and split_by_proxy_support(seeds) == (bypass_entries(seeds), [])
    # APNs (see_note) goes DIRECT; a host Apple marks yes may use the proxy unless another selected row says otherwise.
    management = catalog.hosts(section=["Device management"])
    direct, proxy_capable = split_by_proxy_support(management)
    assert "*.push.apple.com" in direct and "push.apple.com" in direct
    assert "iprofiles.apple.com" in proxy_capable and "gdmf.apple.com" in proxy_capable
    both = catalog.hosts(section=["Device management", "Software updates"])
    direct, proxy_capable = split_by_proxy_support(both)
    assert "gdmf.apple.com" in direct and "gdmf.apple.com" not in proxy_capable
    # Together the two lists are the whole selection.
    assert sorted(direct + proxy_capable) == sorted(bypass_entries(both))
