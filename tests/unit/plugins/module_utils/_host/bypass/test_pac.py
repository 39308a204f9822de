# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The rendered PAC file, evaluated by a real PAC engine (pacparser)."""

from __future__ import annotations

import ipaddress
import random
import re

import pacparser
import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.pac import (
    BypassRenderError,
    parse_pac_fallback,
    render_pac,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.rule import bypass_entries, bypass_match
from ansible_collections.macfleet.apple_network.tests.unit.plugins.module_utils._host.bypass.pac_cases import (
    APEXES,
    PROXIED,
    catalog_names,
    catalog_patterns,
)

FALLBACK = "PROXY proxy.example.com:3128; DIRECT"


class Pac:
    """One pacparser context (pacparser keeps global state, so one at a time)."""

    def __init__(self, text):
        self.text = text

    def __enter__(self):
        pacparser.init()
        pacparser.parse_pac_string(self.text)
        return self

    def __exit__(self, *exc):
        pacparser.cleanup()

    @staticmethod
    def verdict(host, scheme="https"):
        return pacparser.find_proxy("%s://%s/path?q=1" % (scheme, host), host)


@pytest.fixture(scope="module")
def catalog_pac():
    return render_pac(catalog_patterns(), proxy="proxy.example.com:3128")


def test_every_catalog_host_and_probe_name_goes_direct(catalog_pac):
    names = catalog_names()
    assert len(names) > 25
    with Pac(catalog_pac) as pac:
        for name in names:
            for variant in (name, name.upper(), name + ".", name.title() + "."):
                for scheme in ("http", "https"):
                    assert pac.verdict(variant, scheme) == "DIRECT", (variant, scheme)


@pytest.mark.parametrize("name", PROXIED)
def test_lookalikes_go_to_the_proxy(catalog_pac, name):
    with Pac(catalog_pac) as pac:
        for variant in (name, name.upper(), name + "."):
            assert pac.verdict(variant) == FALLBACK, variant


def test_apex_by_default_and_left_out_when_asked():
    patterns = catalog_patterns() + ["*.apple.com"]
    with Pac(render_pac(patterns, proxy="proxy.example.com:3128", include_apex=False)) as pac:
        assert pac.verdict("apple.com") == FALLBACK
        for apex in APEXES:
            assert pac.verdict(apex) == FALLBACK
        assert pac.verdict("a.b.apple.com") == "DIRECT"
        assert pac.verdict("evilapple.com") == FALLBACK
    with Pac(render_pac(patterns, proxy="proxy.example.com:3128")) as pac:
        assert pac.verdict("apple.com") == "DIRECT"
        assert pac.verdict("APPLE.COM.") == "DIRECT"
        assert pac.verdict("mzstatic.com") == "DIRECT"
        assert pac.verdict("evilapple.com") == FALLBACK
        assert pac.verdict("apple.com.evil.net") == FALLBACK
    with Pac(render_pac(catalog_patterns() + ["apple.com"], proxy="proxy.example.com:3128", include_apex=False)) as pac:
        assert pac.verdict("apple.com") == "DIRECT"
        assert pac.verdict("evilapple.com") == FALLBACK


def test_one_label_glob_never_crosses_dots():
    with Pac(render_pac(["gg*.apple.com", "a*b.example.com"], proxy="p.example.com:8080")) as pac:
        assert pac.verdict("gg.apple.com") == "DIRECT"
        assert pac.verdict("gg3-x.apple.com") == "DIRECT"
        assert pac.verdict("gg.x.apple.com") != "DIRECT"
        assert pac.verdict("x.gg.apple.com") != "DIRECT"
        assert pac.verdict("ggx.apple.com.evil.net") != "DIRECT"
        assert pac.verdict("g.apple.com") != "DIRECT"
        assert pac.verdict("ab.example.com") == "DIRECT"
        assert pac.verdict("a-x-b.example.com") == "DIRECT"
        assert pac.verdict("a.b.example.com") != "DIRECT"


def _random_names(rng, count):
    labels = ["apple", "gg", "ggx", "gg3", "com", "cdn-apple", "mzstatic", "evil", "net", "x", "a", "itunes",
              "swscan", "evilapple", "g", "example", "org", "symcb", "digicert", "amazonaws", "s3", "xp", "mesu"]
    names = []
    for _count in range(count):
        parts = [rng.choice(labels) for _label in range(rng.randint(1, 5))]
        if rng.random() < 0.3:
            parts[-2:] = rng.choice([["apple", "com"], ["cdn-apple", "com"], ["mzstatic", "com"]])
        if rng.random() < 0.2:
            parts[0] = parts[0] + rng.choice(["apple", "gg", "-1", "x"])
        name = ".".join(parts)
        if rng.random() < 0.2:
            name = name.upper()
        if rng.random() < 0.2:
            name += "."
        names.append(name)
    return names


def _random_addresses(rng, count):
    """IP literals in and around the test networks, in the spellings a URL may carry."""
    addresses = []
    for _count in range(count):
        if rng.random() < 0.5:
            first = rng.choice([10, 11, 169, 172, 192, 9])
            second = rng.choice([254, 253, 16, 31, 32, 168, rng.randint(0, 255)])
            addresses.append("%d.%d.%d.%d" % (first, second, rng.randint(0, 255), rng.randint(0, 255)))
        else:
            words = [rng.choice([0, 0xfd00, 0xfdff, 0xfe80, 0x2001, 0xdb8, rng.randint(0, 0xffff)]) for _word in range(8)]
            text = str(ipaddress.IPv6Address(b"".join(w.to_bytes(2, "big") for w in words)))
            addresses.append(rng.choice([text, "[%s]" % text, text.upper(), text + "%en0"]))
    return addresses


NETWORKS = ["10.0.0.0/8", "169.254/16", "172.16.0.0/12", "192.168.1.7", "fd00::/8", "2001:db8::/33", "fe80::1"]


@pytest.mark.parametrize("include_apex", [False, True])
def test_pac_verdicts_equal_the_bypass_rule_for_generated_destinations(include_apex):
    """Property check: for many generated names and IP literals the PAC engine agrees with bypass_match."""
    patterns = catalog_patterns() + ["*.apple.com", "a*b.example.org", "*x*.example.org", "**.example.net"] + NETWORKS
    entries = bypass_entries(patterns, include_apex)
    rng = random.Random(5)
    names = _random_names(rng, 3000) + _random_addresses(rng, 2000) + catalog_names() + PROXIED + APEXES
    mismatches = []
    with Pac(render_pac(patterns, proxy="proxy.example.com:3128", include_apex=include_apex)) as pac:
        for name in names:
            expected = "DIRECT" if bypass_match(entries, name) else FALLBACK
            if pac.verdict(name) != expected:
                mismatches.append((name, expected))
    assert not mismatches


def test_ip_literals_match_networks_only():
    with Pac(render_pac(["*.apple.com", "10.0.0.0/8", "169.254/16", "fd00::/8", "*.in-addr.arpa"],
                        proxy="p.example.com:1")) as pac:
        assert pac.verdict("10.1.2.3") == "DIRECT"
        assert pac.verdict("169.254.10.1") == "DIRECT"
        assert pac.verdict("[fd00::1]") == "DIRECT"
        assert pac.verdict("fd12:3456::10.0.0.1") == "DIRECT"
        assert pac.verdict("010.1.2.3") != "DIRECT"  # not an IP literal (octal in C)
        assert pac.verdict("4.3.2.1.in-addr.arpa") == "DIRECT"  # a name below a name pattern
        assert pac.verdict("::ffff:10.1.2.3") != "DIRECT"  # an IPv6 address, outside fd00::/8
        assert pac.verdict("10.in-addr.example") != "DIRECT"


@pytest.mark.parametrize("extra", [[], ["10.0.0.0/8", "fd00::/8"]])
def test_no_dns_functions(extra):
    text = render_pac(catalog_patterns() + extra, proxy="proxy.example.com:3128")
    for function in ("dnsResolve", "isInNet", "isResolvable", "myIpAddress"):
        assert function not in text


@pytest.mark.parametrize("bad", [
    'swscan.apple.com"', "swscan.apple.com\\", "swscan.apple.com\n", "swscan .apple.com", "swscan.apple.com'",
    '"; return "DIRECT"; //', "a.com\r", "*.apple.com/*", "</script>", "ap\u0440le.com", "", "*", "a.*.com",
])
def test_injection_is_rejected(bad):
    with pytest.raises(BypassRenderError) as exc:
        render_pac(["swscan.apple.com", bad], proxy="proxy.example.com:3128")
    assert repr(bad) in str(exc.value) or bad == ""


def test_records_and_strings_render_the_same():
    records = [{"host": "swscan.apple.com", "group": "apple"}, {"host": "*.mzstatic.com"}]
    assert render_pac(records, proxy="p.example.com:1") == render_pac(["swscan.apple.com", "*.mzstatic.com"],
                                                                      proxy="p.example.com:1")
    with pytest.raises(BypassRenderError, match="no 'host' key"):
        render_pac([{"name": "x"}], proxy="p.example.com:1")
    with pytest.raises(BypassRenderError, match="must be a list"):
        render_pac("swscan.apple.com", proxy="p.example.com:1")


@pytest.mark.parametrize("value, expected", [
    ("PROXY a.example.com:3128; DIRECT", "PROXY a.example.com:3128; DIRECT"),
    ("PROXY a.example.com:3128;PROXY 10.0.0.1:8080", "PROXY a.example.com:3128; PROXY 10.0.0.1:8080"),
    ("SOCKS5 [fd00::1]:1080; direct", "SOCKS5 [fd00::1]:1080; DIRECT"),
    ("HTTPS Proxy.Example.com:443", "HTTPS proxy.example.com:443"),
])
def test_fallback_grammar(value, expected):
    assert parse_pac_fallback(value) == expected


@pytest.mark.parametrize("value", [
    'PROXY a.example.com:3128"; DIRECT', "PROXY a.example.com", "PROXY a.example.com:0", "PROXY a.example.com:70000",
    "FOO a.example.com:1", "DIRECT a:1", "PROXY a b:1", "PROXY a.example.com:3128\n", "", "PROXY a\\b:1", ";",
])
def test_fallback_grammar_rejects(value):
    with pytest.raises(BypassRenderError):
        parse_pac_fallback(value)


def test_exactly_one_of_proxy_and_fallback():
    with pytest.raises(BypassRenderError, match="exactly one"):
        render_pac(["a.example.com"])
    with pytest.raises(BypassRenderError, match="exactly one"):
        render_pac(["a.example.com"], proxy="p.example.com:1", fallback="DIRECT")
    with pytest.raises(BypassRenderError, match="host:port"):
        render_pac(["a.example.com"], proxy='p.example.com:1"')


def test_fail_closed_fallback_is_returned_verbatim():
    text = render_pac(["swscan.apple.com"], fallback="PROXY a.example.com:3128; PROXY b.example.com:3128")
    with Pac(text) as pac:
        assert pac.verdict("example.org") == "PROXY a.example.com:3128; PROXY b.example.com:3128"
        assert pac.verdict("swscan.apple.com") == "DIRECT"


def test_output_is_plain_ascii_without_trailing_commas(catalog_pac):
    assert catalog_pac.isascii()
    assert not re.search(r",\s*\]", catalog_pac)


COLUMN_SELECTION = [
    {"host": "iprofiles.apple.com", "supports_proxies": "yes"},
    {"host": "deviceenrollment.apple.com", "supports_proxies": "not_stated"},
    {"host": "*.push.apple.com", "supports_proxies": "see_note"},
    {"host": "*.itunes.apple.com", "supports_proxies": "yes"},
    {"host": "albert.apple.com"},
    "swscan.apple.com",
]


@pytest.mark.parametrize("direct, proxied", [
    ("not_stated", ["iprofiles.apple.com", "a.itunes.apple.com", "itunes.apple.com"]),
    ("all", []),
])
def test_pac_follows_the_supports_proxies_column(direct, proxied):
    text = render_pac(COLUMN_SELECTION, proxy="proxy.example.com:3128", direct=direct)
    names = ["iprofiles.apple.com", "a.itunes.apple.com", "itunes.apple.com", "deviceenrollment.apple.com",
             "1-courier.push.apple.com", "push.apple.com", "albert.apple.com", "swscan.apple.com"]
    with Pac(text) as pac:
        verdicts = dict((name, pac.verdict(name)) for name in names)
    assert verdicts == dict((name, FALLBACK if name in proxied else "DIRECT") for name in names)
    for entry in ("iprofiles.apple.com", "*.itunes.apple.com", "itunes.apple.com"):
        assert ("// May use the proxy (Apple: supports proxies; the proxy must not intercept it): %s\n" % entry
                in text) is (direct == "not_stated")


def test_pac_with_every_host_proxy_capable_sends_nothing_direct():
    text = render_pac([{"host": "iprofiles.apple.com", "supports_proxies": "yes"}], proxy="proxy.example.com:3128")
    assert "// 0 bypass entries go DIRECT" in text
    with Pac(text) as pac:
        assert pac.verdict("iprofiles.apple.com") == FALLBACK
