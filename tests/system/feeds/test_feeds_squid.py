# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""squid reading a published domain feed as an external ACL file (``dstdomain "<file>"``) and splicing exactly its
hosts, checked with real CONNECT requests through an SSL-bumping squid.

The feed read is the Zscaler custom URL category file: squid's dstdomain syntax is the same ('.example.com' is the
domain and every subdomain, a name without the dot is that name), so squid is a stand-in consumer that runs here.
Names the feed covers beyond the catalog's rule must be the manifest's ``widened`` entries of that file.
"""

from __future__ import annotations

import os
import ssl
import subprocess

import pytest
import trustme

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.hostnames import host_matches
from feeds_env import feeds_vars, load_proxy_bypass_module, manifest_of, run_feeds

# The squid and TLS helpers of the proxy_bypass system tests, loaded by path (sys.path is left as pytest set it).
squid_env = load_proxy_bypass_module("squid_env")
proxy_bypass_squid = load_proxy_bypass_module("test_squid", "feeds_proxy_bypass_test_squid")
SQUID, Squid = squid_env.SQUID, squid_env.Squid
TLSServer, bumping_cas, connect_through = (proxy_bypass_squid.TLSServer, proxy_bypass_squid.bumping_cas,
                                           proxy_bypass_squid.connect_through)

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists(SQUID), reason="needs root and squid")

CATALOG = """catalog_format: 1
sources: {corp: {title: Corporate hosts}}
hosts:
  - {source: corp, group: corp, host: exact.corp.example.com, supports_proxies: not_stated}
  - {source: corp, group: corp, host: "*.wild.corp.example.com", supports_proxies: not_stated}
  - {source: corp, group: corp, host: "gg*.glob.example.net", supports_proxies: not_stated}
"""
# What the catalog's rule sends direct, and what it does not.
CATALOG_DIRECT = ["exact.corp.example.com", "a.wild.corp.example.com", "b.a.wild.corp.example.com", "gg1.glob.example.net"]
NOT_DIRECT = ["wild.corp.example.com", "zz.glob.example.net", "corp.example.com", "evilexact.corp.example.com",
              "exact.corp.example.com.evil.net", "evilwild.corp.example.com", "a.wild.corp.example.com.evil.net",
              "evilapple.com", "apple.com.evil.net", "x.exact.corp.example.com"]


def test_squid_splices_exactly_the_feed_hosts(run_playbook, scratch, processes):
    catalog = scratch / "corp.yml"
    catalog.write_text(CATALOG)
    dest = scratch / "feeds"
    result = run_feeds(run_playbook, scratch, feeds_vars(dest, catalog, feeds_vendors=["zscaler"]))
    assert result.rc == 0, result
    feed = dest / "current" / "zscaler" / "hosts-url.txt"
    widened = [w["also_matches"] for w in manifest_of(dest / "current")["widened"]
               if w["file"] == "zscaler/hosts-url.txt"]

    ca = trustme.CA()
    names = CATALOG_DIRECT + NOT_DIRECT
    servers = dict((name, TLSServer(ca, name)) for name in names)
    try:
        proxy_ca, bump = bumping_cas(scratch, ca)
        dropin = scratch / "feed-acl.conf"
        dropin.write_text('acl apple_feed dstdomain "%s"\n' % feed)
        squid = Squid(scratch, processes, dropin, [
            "acl step1 at_step SslBump1",
            "ssl_bump peek step1",
            "ssl_bump splice apple_feed",
            "ssl_bump bump all",
            "http_access allow localhost",
            "http_access deny all",
        ])
        squid.write(names, ssl_bump=bump)
        subprocess.run([SQUID, "-k", "parse", "-f", str(squid.config)], check=True, capture_output=True)
        squid.start()
        spliced = []
        for name, server in servers.items():
            status, cert, body = _either(squid.port, name, server, ca, proxy_ca)
            assert status == 200 and body == name.encode(), (name, (squid.dir / "cache.log").read_text()[-2000:])
            if cert == server.der:
                spliced.append(name)
    finally:
        for server in servers.values():
            server.close()
    # Every name the catalog sends direct is spliced; every other name squid splices is one the manifest lists.
    assert set(CATALOG_DIRECT) <= set(spliced)
    extra = sorted(set(spliced) - set(CATALOG_DIRECT))
    assert extra == ["wild.corp.example.com", "zz.glob.example.net"]
    assert all(any(host_matches(name, pattern) for pattern in widened) for name in extra), (extra, widened)
    for look_alike in ("evilexact.corp.example.com", "exact.corp.example.com.evil.net", "evilwild.corp.example.com",
                       "evilapple.com", "apple.com.evil.net"):
        assert look_alike not in spliced


def _either(proxy_port, name, server, ca, proxy_ca):
    """CONNECT trusting squid's CA first (a bumped name), else the servers' CA (a spliced one)."""

    try:
        return connect_through(proxy_port, name, server.port, proxy_ca)
    except ssl.SSLCertVerificationError:
        return connect_through(proxy_port, name, server.port, ca)
