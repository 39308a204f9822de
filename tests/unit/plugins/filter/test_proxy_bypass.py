# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.macfleet.apple_network.plugins.filter.proxy_bypass import FilterModule

FILTERS = FilterModule().filters()


def test_filters_are_registered():
    assert sorted(FILTERS) == ["macos_bypass_list", "pac_file", "squid_acl"]


@pytest.mark.parametrize("name, kwargs", [
    ("pac_file", {"proxy": "p.example.com:3128"}),
    ("macos_bypass_list", {}),
    ("squid_acl", {}),
])
def test_bad_host_names_the_filter_and_the_value(name, kwargs):
    with pytest.raises(AnsibleFilterError) as exc:
        FILTERS[name](["swscan.apple.com", 'x"y.com'], **kwargs)
    assert "macfleet.apple_network.%s" % name in str(exc.value)
    assert "'x\"y.com'" in str(exc.value)


def test_boolean_options_are_checked():
    with pytest.raises(AnsibleFilterError, match="include_apex must be a boolean"):
        FILTERS["macos_bypass_list"](["a.example.com"], include_apex="yes")


def test_outputs():
    assert FILTERS["macos_bypass_list"]([{"host": "*.mzstatic.com"}], include_apex=True) == ["*.mzstatic.com", "mzstatic.com"]
    assert "ssl_bump splice macfleet_bypass_sni" in FILTERS["squid_acl"](["swscan.apple.com"], ssl_bump=True)
    assert 'return "PROXY p.example.com:3128; DIRECT";' in FILTERS["pac_file"](["swscan.apple.com"], proxy="p.example.com:3128")


def test_the_direct_switch_is_checked_and_followed():
    selection = [{"host": "iprofiles.apple.com", "supports_proxies": "yes"}, {"host": "*.push.apple.com", "supports_proxies": "see_note"}]
    assert FILTERS["macos_bypass_list"](selection) == ["*.push.apple.com", "push.apple.com"]
    assert FILTERS["macos_bypass_list"](selection, direct="all") == ["iprofiles.apple.com", "*.push.apple.com", "push.apple.com"]
    for name, kwargs in (("pac_file", {"proxy": "p.example.com:3128"}), ("macos_bypass_list", {}), ("squid_acl", {})):
        with pytest.raises(AnsibleFilterError, match="macfleet.apple_network.%s: direct must be one of not_stated, all, got 'none'" % name):
            FILTERS[name](selection, direct="none", **kwargs)
    with pytest.raises(AnsibleFilterError, match="record #0 .* supports_proxies: 'maybe'"):
        FILTERS["macos_bypass_list"]([{"host": "a.example.com", "supports_proxies": "maybe"}])
