# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One selection through all four bypass views, and what each one bypasses.

The proxy_bypass role writes the PAC file, the squid drop-in and the networksetup bypass list (stand-in), and
the mobileconfig module renders a profile, in one run. Then every view decides the same destinations:

* the PAC file: pacparser, a real PAC engine;
* squid: a real squid with the drop-in (``squid -k parse`` first), allowing only the bypass ACLs: a request it
  does not answer with 403 was matched. Every destination it lets through is on loopback (names map to
  127.0.0.1 in its hosts_file, IP literals are in 127.0.0.0/8 or ::1), so no traffic leaves the machine;
* the networksetup argument list and the profile's ExceptionsList: the collection's model of macOS's matching
  (``_probe/sysproxy.py``, the conservative reading of undocumented CFNetwork behaviour).

Each must equal the bypass rule's reference matcher (``_catalog/bypass.py``), except the one case the rule
documents: how macOS reads a one-label glob (``gg*.apple.com``) is unknown, and the model does not evaluate it.
"""

from __future__ import annotations

import os
import plistlib
import subprocess
import sys

import pacparser
import pytest

from fake_mac import FakeMac
from squid_env import SQUID, Squid, http_status

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.bypass import (
    bypass_entries,
    bypass_match,
    destination_address,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._probe.sysproxy import exception_matches

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
          bypass_domains: "{{ proxy_bypass_extra_hosts }}"
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
    squid = Squid(scratch, processes, dropin, [
        "http_access allow macfleet_bypass",
        "http_access allow macfleet_bypass_regex",
        "http_access allow macfleet_bypass_net",
        "http_access deny all",
    ])
    squid.write([d.lower().rstrip(".") for d in DESTINATIONS if not d[0].isdigit() and not d.startswith("[")])
    result = play(PLAY, extra_vars={
        "proxy_bypass_use_catalog": False, "proxy_bypass_extra_hosts": SELECTION,
        "proxy_bypass_pac_path": str(pac_path), "proxy_bypass_pac_proxy": "proxy.example.com:3128",
        "proxy_bypass_squid_dropin_path": str(dropin), "proxy_bypass_squid_config": str(squid.config),
        "proxy_bypass_squid_binary": SQUID, "proxy_bypass_squid_reload": False,
        "proxy_bypass_macos_networksetup_path": str(mac.path), "proxy_bypass_macos_bypass_mode": "replace",
        "profile_path": str(profile_path),
    }, env={"PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]})
    assert result.rc == 0, result

    expected_entries = ["swscan.apple.com", "*.cdn-apple.com", "cdn-apple.com", "gg*.apple.com", "*.mzstatic.com",
                        "mzstatic.com", "intranet", "127.1.0.0/16", "127.3.0.9", "::1"]
    assert bypass_entries(SELECTION) == expected_entries
    # The networksetup argument list and the profile's ExceptionsList: the same entries, in the same order.
    (call,) = [c for c in mac.set_calls() if c[0] == "-setproxybypassdomains"]
    assert call == ["-setproxybypassdomains", "Wi-Fi"] + expected_entries
    with open(profile_path, "rb") as handle:
        profile = plistlib.load(handle)
    (payload,) = [p for p in profile["PayloadContent"] if p["PayloadType"] == "com.apple.SystemConfiguration"]
    assert payload["Proxies"]["ExceptionsList"] == expected_entries

    subprocess.run([SQUID, "-k", "parse", "-f", str(squid.config)], check=True, capture_output=True)
    squid.start()
    pacparser.init()
    try:
        pacparser.parse_pac_file(str(pac_path))
        views = {}
        for destination in DESTINATIONS:
            views[destination] = {
                "rule": bypass_match(expected_entries, destination) is not None,
                "pac": pac_bypasses(pac_path, destination),
                "squid": http_status(squid.port, destination, web_server) != 403,
                "networksetup": macos_bypasses(call[2:], destination),
                "profile": macos_bypasses(payload["Proxies"]["ExceptionsList"], destination),
            }
    finally:
        pacparser.cleanup()

    bypassed = sorted(d for d, v in views.items() if v["rule"])
    assert bypassed == sorted([
        "swscan.apple.com", "SWSCAN.Apple.COM.", "cdn-apple.com", "updates.cdn-apple.com", "a.b.cdn-apple.com",
        "mzstatic.com", "is1.mzstatic.com", "gg3.apple.com", "intranet", "127.1.2.3", "127.1.255.255", "127.3.0.9",
        "[::1]"])
    for destination, verdicts in views.items():
        assert verdicts["pac"] == verdicts["squid"] == verdicts["rule"], (destination, verdicts)
        if destination in GLOB_ONLY:
            assert verdicts["networksetup"] is verdicts["profile"] is False, (destination, verdicts)
        else:
            assert verdicts["networksetup"] == verdicts["profile"] == verdicts["rule"], (destination, verdicts)
