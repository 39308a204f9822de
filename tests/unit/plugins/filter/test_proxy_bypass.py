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
