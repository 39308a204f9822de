# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A user catalog with a wildcard on a public suffix stops the proxy_bypass role before anything is written."""

from __future__ import annotations

import os
import sys

from fake_mac import FakeMac

PLAY = """
- hosts: localhost
  gather_facts: false
  roles:
    - role: macfleet.apple_network.proxy_bypass
      vars:
        proxy_bypass_targets: [pac, squid, macos]
"""


def test_star_dot_com_in_a_user_catalog_fails_the_role_and_writes_nothing(play, scratch):
    catalog = scratch / "corp.yml"
    catalog.write_text("catalog_format: 1\nsources: {corp: {title: Corp hosts}}\nhosts:\n"
                       "  - {source: corp, host: mdm.corp.example.org, bypass_https_interception: true}\n"
                       "  - {source: corp, host: '*.com', bypass_https_interception: true}\n")
    mac = FakeMac(scratch, [{"name": "Wi-Fi", "bypass": ["*.local"]}])
    pac_path = scratch / "www" / "proxy.pac"
    dropin = scratch / "squid" / "bypass.conf"
    result = play(PLAY, extra_vars={
        "proxy_bypass_catalog_files": [str(catalog)],
        "proxy_bypass_pac_path": str(pac_path), "proxy_bypass_pac_proxy": "proxy.example.com:3128",
        "proxy_bypass_squid_dropin_path": str(dropin), "proxy_bypass_squid_config": str(scratch / "squid.conf"),
        "proxy_bypass_squid_reload": False,
        "proxy_bypass_macos_networksetup_path": str(mac.path),
    }, env={"MACFLEET_APPLE_NETWORK_CACHE_DIR": str(scratch / "cache"),
            "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]})
    assert result.rc != 0, result
    output = result.proc.stdout + result.stderr
    assert "%s: hosts[1] (*.com): field 'host': '*.com' would match every name under 'com'" % catalog in output, result
    assert "allow_public_suffix_wildcard" in output
    assert not pac_path.exists() and not pac_path.parent.exists()
    assert not dropin.exists()
    assert mac.calls() == []
    assert mac.state["Wi-Fi"]["bypass"] == ["*.local"]
