# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.rule import (
    bypass_entries,
    bypass_match,
    macos_bypass_entries,
    parse_network,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.hostnames import HostnameError


def test_host_pattern_entries_normalise_and_deduplicate():
    assert bypass_entries(["SWSCAN.apple.com.", {"host": "swscan.apple.com"}, "*.Apple.com"], include_apex=True,
                          allow_networks=False) == ["swscan.apple.com", "*.apple.com", "apple.com"]
    assert bypass_entries(["*.apple.com"], allow_networks=False) == ["*.apple.com", "apple.com"]
    assert bypass_entries(["*.apple.com"], include_apex=False, allow_networks=False) == ["*.apple.com"]
    assert bypass_entries(["gg*.apple.com"], include_apex=True, allow_networks=False) == ["gg*.apple.com"]


def test_macos_entries():
    assert macos_bypass_entries(["*.mzstatic.com"]) == ["*.mzstatic.com", "mzstatic.com"]
    assert macos_bypass_entries(["10.0.0.0/8", "fd00::/8", "10.1.2.3", "169.254.0.0/16", "3com.com", "*.local",
                                 "169.254/16", "10.1.2.3/32", "fd00::1/128", "10.1.2.3/8"], include_apex=False) == [
        "10.0.0.0/8", "fd00::/8", "10.1.2.3", "169.254.0.0/16", "3com.com", "*.local", "fd00::1"]
    with pytest.raises(HostnameError, match="host patterns only"):
        macos_bypass_entries(["10.0.0.0/8"], allow_networks=False)
    with pytest.raises(HostnameError, match="neither"):
        macos_bypass_entries(["10.0.0.0/33"])


@pytest.mark.parametrize("text, network", [
    ("169.254/16", "169.254.0.0/16"), ("10/8", "10.0.0.0/8"), ("10.1.2.3", "10.1.2.3/32"), ("fd00::/8", "fd00::/8"),
    ("2001:db8::1", "2001:db8::1/128"), ("3com.com", None), ("swscan.apple.com", None), ("*.10.in-addr.arpa", None),
])
def test_parse_network(text, network):
    parsed = parse_network(text)
    assert (str(parsed) if parsed else None) == network


@pytest.mark.parametrize("bad", ["10.1", "10", "010.1.2.3", "10.0.0.0/33", "10.0.0.0/x", "256.1.1.1", "fd00::/129",
                                 "fd00:::1", "swscan.apple.com/24", "swscan.apple.com:443", "10.1.2.3:80", "[fd00::1]",
                                 "1.2.3.4.5", "*.4", "a.10", "gg*.1"])
def test_entries_that_are_neither(bad):
    with pytest.raises(HostnameError) as exc:
        bypass_entries([bad])
    assert repr(bad) in str(exc.value)


@pytest.mark.parametrize("host, entry", [
    ("apple.com", "apple.com"), ("a.apple.com", "*.apple.com"), ("A.B.APPLE.COM.", "*.apple.com"),
    ("evilapple.com", None), ("gg3.apple.com", "gg*.apple.com"), ("a.gg3.apple.com", "*.apple.com"),
    ("intranet", "intranet"), ("intranet.example.com", None), ("10.2.3.4", "10.0.0.0/8"), ("[fd00::1]", "fd00::/8"),
    ("fd00::1%en0", "fd00::/8"), ("169.254.9.9", "169.254.0.0/16"), ("11.0.0.1", None), ("::ffff:10.1.1.1", None),
    ("1.2.3.4", None),
])
def test_the_reference_match(host, entry):
    entries = bypass_entries(["gg*.apple.com", "*.apple.com", "intranet", "10.0.0.0/8", "fd00::/8", "169.254/16"])
    assert bypass_match(entries, host) == entry


@pytest.mark.parametrize("bad", ['a"b.com', "a\\b.com", "a.com\n", "a b.com", "a'b.com", "a.com\t"])
def test_breakout_characters_fail_with_the_value(bad):
    with pytest.raises(HostnameError) as exc:
        macos_bypass_entries(["swscan.apple.com", bad])
    assert repr(bad) in str(exc.value)


@pytest.mark.parametrize("selection", ["swscan.apple.com", {"host": "a"}, None, [1], [{"nohost": 1}]])
def test_selection_shape(selection):
    with pytest.raises(HostnameError):
        bypass_entries(selection, allow_networks=False)
