# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One selection through all four bypass views, and what each one bypasses.

The selection is a user catalog file whose hosts carry the supports_proxies column (yes, not_stated, see_note,
and one host in two rows that disagree) plus pattern strings. The proxy_bypass role writes the PAC file, the
squid drop-in (ssl_bump splice and always_direct) and the networksetup bypass list (stand-in), and the
mobileconfig module renders a profile from the same catalog query, in one run. Then every view decides the same
destinations:

* the PAC file: pacparser, a real PAC engine;
* squid: a real squid with the drop-in (``squid -k parse`` first), allowing only the bypass ACLs: a request it
  does not answer with 403 was matched (spliced). It has a parent squid and ``never_direct allow all``, so its
  access.log says per request whether ``always_direct`` sent it DIRECT (``HIER_DIRECT``) or to the parent.
  Every destination it lets through is on loopback (names map to 127.0.0.1 in both hosts_files, IP literals are
  in 127.0.0.0/8 or ::1), so no traffic leaves the machine;
* the networksetup argument list and the profile's ExceptionsList: the collection's model of macOS's matching
  (``_probe/sysproxy.py``, the conservative reading of undocumented CFNetwork behaviour).

Each must equal the bypass rule's reference matcher (``_catalog/bypass.py``) on the entries that go DIRECT
(``split_by_proxy_support``), squid's splice on all entries, except the one case the rule documents: how macOS
reads a one-label glob (``gg*.apple.com``) is unknown, and the model does not evaluate it.
"""

from __future__ import annotations

import os
import plistlib
import subprocess
import sys

import pacparser
import pytest

from fake_mac import FakeMac
from squid_env import SQUID, Squid, http_status, parent_squid

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.rule import (
    bypass_entries,
    bypass_match,
    destination_address,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.sysproxy import exception_matches

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists(SQUID), reason="needs root and squid")

# Every case of the rule: exact name, wildcard (apex included), one-label glob, plain host name, IP address and
# network in the BSD short form, IPv6. Spelled the way users write them (case, trailing dot).
SELECTION = ["SWSCAN.apple.com.", "*.cdn-apple.com", "gg*.apple.com", "*.mzstatic.com", "intranet", "127.1/16",
             "127.3.0.9", "::1"]
DESTINATIONS = [
    "swscan.apple.com", "SWSCAN.Apple.COM.", "xswscan.apple.com", "a.swscan.apple.com", "cdn-apple.com",
    "updates.cdn-apple.com", "a.b.cdn-apple.com", "evilcdn-apple.com", "cdn-apple.com.evil.net", "mzstatic.com",
    "is1.mzstatic.com", "gg3.apple.com", "a.gg3.apple.com", "apple.com", "intranet", "intranet.example.com",
    "example.org", "127.1.2.3", "127.1.255.255", "127.2.0.1", "127.3.0.9", "127.3.0.10", "[::1]", "[::2]",
]
# Catalog rows with Apple's "Supports proxies" column: gdmf is yes in one section and not stated in another.
CATALOG = """catalog_format: 1
sources: {column: {title: Rows with the Supports proxies column}}
hosts:
  - {source: column, group: column, section: Device management, host: proxied.apple.com, supports_proxies: "yes"}
  - {source: column, group: column, section: Device management, host: notstated.apple.com, supports_proxies: not_stated}
  - {source: column, group: column, section: Device management, host: "*.push.apple.com", supports_proxies: see_note}
  - {source: column, group: column, section: Apps, host: "*.itunes.apple.com", supports_proxies: "yes"}
  - {source: column, group: column, section: Device management, host: gdmf.apple.com, supports_proxies: "yes", id: column/dm/gdmf}
  - {source: column, group: column, section: Software updates, host: gdmf.apple.com, supports_proxies: not_stated, id: column/su/gdmf}
"""
COLUMN_DESTINATIONS = ["proxied.apple.com", "notstated.apple.com", "courier1.push.apple.com", "push.apple.com",
                       "a.itunes.apple.com", "itunes.apple.com", "gdmf.apple.com"]
# The documented difference: only the glob covers these, and macOS's reading of a glob is unknown.
GLOB_ONLY = {"gg3.apple.com"}

PLAY = """
- hosts: localhost
  gather_facts: false
  roles:
    - role: macfleet.apple_network.proxy_bypass
      vars:
        proxy_bypass_targets: [pac, squid, macos]
  tasks:
    - name: Render the profile
      macfleet.apple_network.mobileconfig:
        path: "{{ profile_path }}"
        identifier: com.example.macfleet.rule
        proxy:
          web_proxy: {host: proxy.example.com, port: 3128}
          bypass_domains: >-
            {{ (query('macfleet.apple_network.hosts', group=proxy_bypass_catalog_groups,
                      catalog_files=proxy_bypass_catalog_files) + proxy_bypass_extra_hosts)
               | macfleet.apple_network.macos_bypass_list }}
"""
FALLBACK = "PROXY proxy.example.com:3128; DIRECT"


def pac_bypasses(path, destination):
    # A URL carries an IPv6 literal in brackets; PAC engines differ in whether the host keeps them: ask both.
    hosts = {destination, destination.strip("[]")}
    verdicts = set(pacparser.find_proxy("http://%s/" % host, host) for host in hosts)
    assert len(verdicts) == 1 and verdicts <= {"DIRECT", FALLBACK}, (destination, verdicts)
    return verdicts == {"DIRECT"}


def macos_bypasses(entries, destination):
    is_address = destination_address(destination) is not None
    return any(exception_matches(entry, destination, is_address) for entry in entries)


def test_the_same_selection_bypasses_the_same_destinations_in_every_view(play, scratch, processes, web_server):
    mac = FakeMac(scratch, [{"name": "Wi-Fi", "bypass": ["*.local", "169.254/16"]}])
    pac_path = scratch / "proxy.pac"
    dropin = scratch / "bypass.conf"
    profile_path = scratch / "rule.mobileconfig"
    catalog = scratch / "column.yml"
    catalog.write_text(CATALOG)
    destinations = DESTINATIONS + COLUMN_DESTINATIONS
    names = [d.lower().rstrip(".") for d in destinations if not d[0].isdigit() and not d.startswith("[")]
    parent = parent_squid(scratch, processes, names)
    squid = Squid(scratch, processes, dropin, parent.parent_lines() + [
        "http_access allow macfleet_bypass",
        "http_access allow macfleet_bypass_regex",
        "http_access allow macfleet_bypass_net",
        "http_access deny all",
    ])
    squid.write(names)
    result = play(PLAY, extra_vars={
        "proxy_bypass_catalog_files": [str(catalog)], "proxy_bypass_catalog_groups": ["column"],
        "proxy_bypass_extra_hosts": SELECTION,
        "proxy_bypass_pac_path": str(pac_path), "proxy_bypass_pac_proxy": "proxy.example.com:3128",
        "proxy_bypass_squid_dropin_path": str(dropin), "proxy_bypass_squid_config": str(squid.config),
        "proxy_bypass_squid_binary": SQUID, "proxy_bypass_squid_reload": False,
        "proxy_bypass_squid_always_direct": True,
        "proxy_bypass_macos_networksetup_path": str(mac.path), "proxy_bypass_macos_bypass_mode": "replace",
        "profile_path": str(profile_path),
    }, env={"PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
            "MACFLEET_APPLE_NETWORK_CACHE_DIR": str(scratch / "cache")})
    assert result.rc == 0, result

    expected_entries = ["swscan.apple.com", "*.cdn-apple.com", "cdn-apple.com", "gg*.apple.com", "*.mzstatic.com",
                        "mzstatic.com", "intranet", "127.1.0.0/16", "127.3.0.9", "::1"]
    assert bypass_entries(SELECTION) == expected_entries
    # The catalog rows that go DIRECT come first (the role's selection: catalog, then the extra hosts).
    direct_entries = ["notstated.apple.com", "*.push.apple.com", "push.apple.com", "gdmf.apple.com"] + expected_entries
    all_entries = ["proxied.apple.com", "notstated.apple.com", "*.push.apple.com", "push.apple.com",
                   "*.itunes.apple.com", "itunes.apple.com", "gdmf.apple.com"] + expected_entries
    # The networksetup argument list and the profile's ExceptionsList: the same DIRECT entries, in the same order.
    (call,) = [c for c in mac.set_calls() if c[0] == "-setproxybypassdomains"]
    assert call == ["-setproxybypassdomains", "Wi-Fi"] + direct_entries
    with open(profile_path, "rb") as handle:
        profile = plistlib.load(handle)
    (payload,) = [p for p in profile["PayloadContent"] if p["PayloadType"] == "com.apple.SystemConfiguration"]
    assert payload["Proxies"]["ExceptionsList"] == direct_entries

    subprocess.run([SQUID, "-k", "parse", "-f", str(squid.config)], check=True, capture_output=True)
    parent.start()
    squid.start()
    pacparser.init()
    try:
        pacparser.parse_pac_file(str(pac_path))
        views = {}
        for destination in destinations:
            views[destination] = {
                "rule": bypass_match(direct_entries, destination) is not None,
                "spliced": bypass_match(all_entries, destination) is not None,
                "pac": pac_bypasses(pac_path, destination),
                "squid": http_status(squid.port, destination, web_server) != 403,
                "networksetup": macos_bypasses(call[2:], destination),
                "profile": macos_bypasses(payload["Proxies"]["ExceptionsList"], destination),
            }
    finally:
        pacparser.cleanup()
    log = squid.hierarchy(len(destinations))
    for destination, (_method, _url, status, code) in zip(destinations, log):
        views[destination]["squid_status"] = status
        views[destination]["squid_direct"] = code == "HIER_DIRECT"
        views[destination]["squid_parent"] = code.endswith("_PARENT")

    bypassed = sorted(d for d, v in views.items() if v["rule"])
    assert bypassed == sorted([
        "swscan.apple.com", "SWSCAN.Apple.COM.", "cdn-apple.com", "updates.cdn-apple.com", "a.b.cdn-apple.com",
        "mzstatic.com", "is1.mzstatic.com", "gg3.apple.com", "intranet", "127.1.2.3", "127.1.255.255", "127.3.0.9",
        "[::1]", "notstated.apple.com", "courier1.push.apple.com", "push.apple.com", "gdmf.apple.com"])
    proxy_capable = sorted(d for d, v in views.items() if v["spliced"] and not v["rule"])
    assert proxy_capable == ["a.itunes.apple.com", "itunes.apple.com", "proxied.apple.com"]
    for destination, verdicts in views.items():
        assert verdicts["pac"] == verdicts["rule"], (destination, verdicts)
        assert verdicts["squid"] == verdicts["spliced"], (destination, verdicts)
        if destination in GLOB_ONLY:
            assert verdicts["networksetup"] is verdicts["profile"] is False, (destination, verdicts)
        else:
            assert verdicts["networksetup"] == verdicts["profile"] == verdicts["rule"], (destination, verdicts)
        # Every name squid let through reached the web server: DIRECT when the rule says so, else via the parent.
        if verdicts["spliced"] and destination_address(destination) is None:
            assert verdicts["squid_status"] == 200, (destination, verdicts)
            assert verdicts["squid_direct"] == verdicts["rule"] != verdicts["squid_parent"], (destination, verdicts)
