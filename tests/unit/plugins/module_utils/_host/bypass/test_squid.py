# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Squid drop-in rendering (squid itself evaluates it in tests/system/proxy_bypass)."""

from __future__ import annotations

import ipaddress
import re

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.squid import (
    BypassRenderError,
    render_squid,
    squid_values,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.rule import bypass_entries, bypass_match
from ansible_collections.macfleet.apple_network.tests.unit.plugins.module_utils._host.bypass.pac_cases import (
    APEXES,
    PROXIED,
    catalog_names,
    catalog_patterns,
)


def squid_semantics(domains, regexes, networks, host):
    """squid's documented dstdomain/dstdom_regex/dst matching with -n, for a host squid has lower-cased and stripped."""
    host = host.lower().rstrip(".")
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    if address is not None:  # -n: name ACLs never match an IP literal, dst never resolves a name
        return any(address in ipaddress.ip_network(value) for value in networks
                   if ipaddress.ip_network(value).version == address.version)
    for value in domains:
        if value.startswith(".") and (host == value[1:] or host.endswith(value)):
            return True
        if host == value:
            return True
    return any(re.search(regex, host, re.I) for regex in regexes)


@pytest.mark.parametrize("include_apex", [False, True])
def test_values_encode_the_bypass_rule(include_apex):
    patterns = catalog_patterns() + ["*.apple.com", "a*b.example.org", "10.0.0.0/8", "169.254/16", "fd00::/8"]
    domains, regexes, networks = squid_values(patterns, include_apex)
    entries = bypass_entries(patterns, include_apex)
    for name in catalog_names() + PROXIED + APEXES + ["apple.com", "x.apple.com", "ab.example.org", "a.b.example.org",
                                                      "10.9.9.9", "11.0.0.1", "169.254.1.1", "fd00::5", "[fd00::5]",
                                                      "fe80::1"]:
        assert squid_semantics(domains, regexes, networks, name) == (bypass_match(entries, name) is not None), name


def test_wildcard_without_apex_is_a_regex_never_a_dot_domain():
    domains, regexes, networks = squid_values(["*.mzstatic.com", "gg*.apple.com", "swscan.apple.com"], include_apex=False)
    assert domains == ["swscan.apple.com"]
    assert regexes == [r"^.+\.mzstatic\.com$", r"^gg[^.]*\.apple\.com$"]
    assert networks == []


def test_apex_turns_the_wildcard_into_a_dot_domain_and_drops_covered_names():
    domains, regexes, networks = squid_values(["swscan.apple.com", "*.apple.com", "*.itunes.apple.com", "gg*.apple.com"])
    assert domains == [".apple.com"]
    assert regexes == [r"^gg[^.]*\.apple\.com$"]  # .itunes.apple.com is inside .apple.com
    assert networks == []


def test_networks_are_dst_acls_without_lookups():
    text = render_squid(["swscan.apple.com", "169.254/16", "fd00::1"], acl_name="apple", ssl_bump=True, always_direct=True)
    assert "acl apple_net dst -n 169.254.0.0/16\nacl apple_net dst -n fd00::1\n" in text
    assert "ssl_bump splice apple_net\n" in text and "always_direct allow apple_net\n" in text


def test_render_with_rules():
    text = render_squid(["swscan.apple.com", "*.mzstatic.com"], acl_name="apple", ssl_bump=True, always_direct=True,
                        include_apex=False)
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert lines == [
        "acl apple dstdomain -n swscan.apple.com",
        r"acl apple_regex dstdom_regex -n -i ^.+\.mzstatic\.com$",
        "acl apple_sni ssl::server_name swscan.apple.com",
        r"acl apple_sni_regex ssl::server_name_regex -i ^.+\.mzstatic\.com$",
        "ssl_bump splice apple_sni",
        "ssl_bump splice apple_sni_regex",
        "always_direct allow apple",
        "always_direct allow apple_regex",
    ]
    plain = render_squid(["swscan.apple.com"])
    assert "ssl_bump" not in plain.replace("# Include it before the site's own ssl_bump", "")
    assert "always_direct allow" not in plain
    assert "_regex" not in plain


@pytest.mark.parametrize("bad", ["a.com b.com", "a.com\nhttp_access allow all", 'a.com"', "a.com\\", "a.com#"])
def test_injection_is_rejected(bad):
    with pytest.raises(BypassRenderError) as exc:
        render_squid(["swscan.apple.com", bad])
    assert repr(bad) in str(exc.value)


@pytest.mark.parametrize("name", ["", "1abc", "a b", "a\n", "a-b", "x" * 42, None])
def test_acl_name_is_checked(name):
    with pytest.raises(BypassRenderError, match="acl_name"):
        render_squid(["swscan.apple.com"], acl_name=name)


def test_empty_selection_is_refused():
    with pytest.raises(BypassRenderError, match="empty"):
        render_squid([])


COLUMN_SELECTION = [
    {"host": "iprofiles.apple.com", "supports_proxies": "yes"},
    {"host": "*.itunes.apple.com", "supports_proxies": "yes"},
    {"host": "deviceenrollment.apple.com", "supports_proxies": "not_stated"},
    {"host": "*.push.apple.com", "supports_proxies": "see_note"},
    {"host": "gg*.apple.com", "supports_proxies": "not_stated"},
    "10.0.0.0/8",
]


def acl_values(text, name):
    return [line.split()[-1] for line in text.splitlines() if line.startswith("acl %s " % name)]


def test_squid_splices_every_entry_and_sends_only_the_not_stated_ones_direct():
    text = render_squid(COLUMN_SELECTION, ssl_bump=True, always_direct=True)
    assert acl_values(text, "macfleet_bypass") == ["iprofiles.apple.com", ".itunes.apple.com",
                                                   "deviceenrollment.apple.com", ".push.apple.com"]
    assert acl_values(text, "macfleet_bypass_sni") == acl_values(text, "macfleet_bypass")
    assert acl_values(text, "macfleet_bypass_direct") == ["deviceenrollment.apple.com", ".push.apple.com"]
    assert acl_values(text, "macfleet_bypass_direct_regex") == ["^gg[^.]*\\.apple\\.com$"]
    assert acl_values(text, "macfleet_bypass_direct_net") == ["10.0.0.0/8"]
    rules = [line for line in text.splitlines() if line.startswith(("ssl_bump", "always_direct"))]
    assert rules == [
        "ssl_bump splice macfleet_bypass_sni",
        "ssl_bump splice macfleet_bypass_sni_regex",
        "ssl_bump splice macfleet_bypass_net",
        "always_direct allow macfleet_bypass_direct",
        "always_direct allow macfleet_bypass_direct_regex",
        "always_direct allow macfleet_bypass_direct_net",
    ]
    assert "#   iprofiles.apple.com\n#   *.itunes.apple.com\n#   itunes.apple.com\n" in text


def test_squid_without_proxy_capable_entries_is_unchanged():
    strings = [item if isinstance(item, str) else item["host"] for item in COLUMN_SELECTION]
    expected = render_squid(strings, ssl_bump=True, always_direct=True)
    assert render_squid(COLUMN_SELECTION, ssl_bump=True, always_direct=True, direct="all") == expected
    assert "always_direct allow macfleet_bypass\n" in expected and "acl macfleet_bypass_direct" not in expected


def test_squid_with_every_entry_proxy_capable_has_no_always_direct():
    text = render_squid([{"host": "iprofiles.apple.com", "supports_proxies": "yes"}], ssl_bump=True, always_direct=True)
    assert "ssl_bump splice macfleet_bypass_sni" in text
    assert not [line for line in text.splitlines() if line.startswith("always_direct")]
