# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.bypass import (
    bypass_patterns,
    macos_bypass_entries,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.hostnames import HostnameError


def test_bypass_patterns_normalise_and_deduplicate():
    assert bypass_patterns(["SWSCAN.apple.com.", {"host": "swscan.apple.com"}, "*.Apple.com"], include_apex=True) == [
        "swscan.apple.com", "*.apple.com", "apple.com"]
    assert bypass_patterns(["*.apple.com"]) == ["*.apple.com"]
    assert bypass_patterns(["gg*.apple.com"], include_apex=True) == ["gg*.apple.com"]


def test_macos_entries():
    assert macos_bypass_entries(["*.mzstatic.com"], include_apex=True) == ["*.mzstatic.com", "mzstatic.com"]
    assert macos_bypass_entries(["10.0.0.0/8", "fd00::/8", "10.1.2.3", "169.254.0.0/16", "3com.com", "*.local"],
                                allow_networks=True) == [
        "10.0.0.0/8", "fd00::/8", "10.1.2.3", "169.254.0.0/16", "3com.com", "*.local"]
    with pytest.raises(HostnameError):
        macos_bypass_entries(["10.0.0.0/8"])
    with pytest.raises(HostnameError, match="neither"):
        macos_bypass_entries(["10.0.0.0/33"], allow_networks=True)


@pytest.mark.parametrize("bad", ['a"b.com', "a\\b.com", "a.com\n", "a b.com", "a'b.com", "a.com\t"])
def test_breakout_characters_fail_with_the_value(bad):
    with pytest.raises(HostnameError) as exc:
        macos_bypass_entries(["swscan.apple.com", bad], allow_networks=True)
    assert repr(bad) in str(exc.value)


@pytest.mark.parametrize("selection", ["swscan.apple.com", {"host": "a"}, None, [1], [{"nohost": 1}]])
def test_selection_shape(selection):
    with pytest.raises(HostnameError):
        bypass_patterns(selection)
