# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.hostnames import (
    HostnameError,
    host_matches,
    parse_hostname,
    parse_pattern,
)


@pytest.mark.parametrize("host, pattern, expected", [
    ("a.apple.com", "*.apple.com", True),
    ("a.b.apple.com", "*.apple.com", True),
    ("apple.com", "*.apple.com", False),
    ("evilapple.com", "*.apple.com", False),
    ("apple.com.evil.net", "*.apple.com", False),
    ("A.Apple.COM", "*.apple.com", True),
    ("a.apple.com.", "*.apple.com", True),
    ("a.apple.com", "*.APPLE.com.", True),
    ("gg3.apple.com", "gg*.apple.com", True),
    ("gg.apple.com", "gg*.apple.com", True),
    ("ggx.apple.com", "gg*.apple.com", True),
    ("gg.apple.com.evil.net", "gg*.apple.com", False),
    ("ggx.apple.com.evil.net", "gg*.apple.com", False),
    ("a.gg3.apple.com", "gg*.apple.com", False),
    ("xgg3.apple.com", "gg*.apple.com", False),
    ("g.apple.com", "gg*.apple.com", False),
    ("swscan.apple.com", "swscan.apple.com", True),
    ("SWSCAN.apple.com.", "swscan.apple.com", True),
    ("swscan.apple.com.evil.net", "swscan.apple.com", False),
    ("xswscan.apple.com", "swscan.apple.com", False),
    ("", "*.apple.com", False),
])
def test_host_matches(host, pattern, expected):
    assert host_matches(host, pattern) is expected


@pytest.mark.parametrize("bad", [
    "a'b.apple.com", 'a"b.apple.com', "a b.apple.com", "a;b.apple.com", "a\nb.apple.com", "a\\b.apple.com",
    "apple..com", ".apple.com", "", "a.*.apple.com", "*", "-a.apple.com", "a" * 64 + ".com", "x." * 130 + "com",
])
def test_bad_patterns_rejected(bad):
    with pytest.raises(HostnameError) as exc:
        parse_pattern(bad)
    assert "host pattern" in str(exc.value)


def test_pattern_normalised():
    assert parse_pattern("GG*.Apple.COM.") == "gg*.apple.com"


def test_concrete_name_refuses_wildcard():
    with pytest.raises(HostnameError, match="invalid label"):
        parse_hostname("*.apple.com")


def test_non_string_rejected():
    with pytest.raises(HostnameError, match="must be a string"):
        parse_pattern(42)
