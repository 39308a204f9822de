# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""macos_proxy and the proxy_bypass role's macos target against the stateful networksetup stand-in."""

from __future__ import annotations

import json
import os
import sys

import pytest

from fake_mac import FakeMac

CATALOG_SAMPLE = ["swscan.apple.com", "*.mzstatic.com", "gg*.apple.com", "*.cdn-apple.com", "swcdn.apple.com"]
# What the bypass rule makes of it (the apex follows each *.domain).
CATALOG_ENTRIES = ["swscan.apple.com", "*.mzstatic.com", "mzstatic.com", "gg*.apple.com", "*.cdn-apple.com", "cdn-apple.com",
                   "swcdn.apple.com"]


@pytest.fixture
def mac(scratch):
    return FakeMac(scratch, [
        {"name": "Wi-Fi", "bypass": ["*.local", "169.254/16", "intranet.example.com"]},
        {"name": "USB 10/100/1000 LAN", "bypass": []},
        {"name": "Thunderbolt Bridge", "enabled": False},
    ])


@pytest.fixture(autouse=True)
def python_on_path(monkeypatch):
    # the stand-in runs with "#!/usr/bin/env python"
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])


ROLE_PLAY = """
- hosts: localhost
  gather_facts: false
  roles:
    - role: macfleet.apple_network.proxy_bypass
      vars:
        proxy_bypass_targets: [macos]
"""

MODULE_PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: proxy
      macfleet.apple_network.macos_proxy: "{{ proxy_args }}"
"""

ROLE_TASK = "macfleet.apple_network.proxy_bypass : Set the proxy settings of the network services"


def role_vars(mac, **extra):
    values = {"proxy_bypass_macos_networksetup_path": str(mac.path), "proxy_bypass_use_catalog": False,
              "proxy_bypass_extra_hosts": CATALOG_SAMPLE}
    values.update(extra)
    return values


def test_merge_keeps_existing_entries_on_every_service_and_is_idempotent(play, mac):
    result = play(ROLE_PLAY, extra_vars=role_vars(mac), diff=True)
    assert result.rc == 0, result
    task = result.results(ROLE_TASK)["localhost"]
    assert task["changed"] is True
    assert [s["name"] for s in task["services"]] == ["Wi-Fi", "USB 10/100/1000 LAN", "Thunderbolt Bridge"]
    state = mac.state
    assert state["Wi-Fi"]["bypass"] == ["*.local", "169.254/16", "intranet.example.com"] + CATALOG_ENTRIES
    assert state["USB 10/100/1000 LAN"]["bypass"] == CATALOG_ENTRIES
    assert state["Thunderbolt Bridge"]["bypass"] == ["*.local", "169.254/16"] + CATALOG_ENTRIES
    assert task["diff"]["before"]["USB 10/100/1000 LAN"] == {"bypass_domains": []}
    # the service name with spaces and slashes reached networksetup as one argument
    assert ["-setproxybypassdomains", "USB 10/100/1000 LAN"] + CATALOG_ENTRIES in mac.set_calls()

    before = mac.state_file.read_bytes()
    calls = len(mac.calls())
    second = play(ROLE_PLAY, extra_vars=role_vars(mac))
    assert second.rc == 0, second
    assert second.results(ROLE_TASK)["localhost"]["changed"] is False
    assert mac.state_file.read_bytes() == before
    assert not [c for c in mac.calls()[calls:] if c[0].startswith("-set")]
    assert ["-getproxybypassdomains", "USB 10/100/1000 LAN"] in mac.calls()[calls:]


def test_check_mode_changes_nothing_but_reports_the_change(play, mac):
    before = mac.state_file.read_bytes()
    result = play(ROLE_PLAY, extra_vars=role_vars(mac), check=True, diff=True)
    assert result.rc == 0, result
    task = result.results(ROLE_TASK)["localhost"]
    assert task["changed"] is True
    assert task["diff"]["after"]["Wi-Fi"]["bypass_domains"][-1] == "swcdn.apple.com"
    assert mac.state_file.read_bytes() == before
    assert mac.set_calls() == []
    assert mac.calls(), "check mode still reads the state"


def test_replace_web_proxies_and_auto_proxy_on_one_named_service(play, mac):
    args = {
        "networksetup_path": str(mac.path), "services": ["USB 10/100/1000 LAN"], "bypass_mode": "replace",
        "bypass_domains": ["*.local", "169.254.0.0/16", "*.apple.com"], "include_apex": True,
        "web_proxy": {"server": "proxy.example.com", "port": 3128},
        "secure_web_proxy": {"server": "10.0.0.8", "port": 3129},
        "auto_proxy": {"url": "http://wpad.example.com/proxy.pac"},
    }
    result = play(MODULE_PLAY, extra_vars={"proxy_args": args})
    assert result.rc == 0, result
    assert result.results("proxy")["localhost"]["changed"] is True
    usb = mac.state["USB 10/100/1000 LAN"]
    assert usb["bypass"] == ["*.local", "local", "169.254.0.0/16", "*.apple.com", "apple.com"]
    assert usb["web"] == {"enabled": True, "server": "proxy.example.com", "port": 3128, "auth": False}
    assert usb["secureweb"]["server"] == "10.0.0.8" and usb["secureweb"]["enabled"] is True
    assert usb["auto"] == {"enabled": True, "url": "http://wpad.example.com/proxy.pac"}
    assert mac.state["Wi-Fi"]["bypass"] == ["*.local", "169.254/16", "intranet.example.com"]

    again = play(MODULE_PLAY, extra_vars={"proxy_args": args})
    assert again.results("proxy")["localhost"]["changed"] is False, again

    args_off = dict(args, web_proxy={"enabled": False}, auto_proxy={"enabled": False}, bypass_domains=[])
    off = play(MODULE_PLAY, extra_vars={"proxy_args": args_off})
    assert off.rc == 0, off
    usb = mac.state["USB 10/100/1000 LAN"]
    assert usb["web"]["enabled"] is False and usb["auto"]["enabled"] is False and usb["secureweb"]["enabled"] is True
    assert usb["bypass"] == []
    assert ["-setproxybypassdomains", "USB 10/100/1000 LAN", "Empty"] in mac.set_calls()


def test_unknown_service_fails_before_any_change(play, mac):
    args = {"networksetup_path": str(mac.path), "services": ["Wi-Fi", "Ethernet 9"], "bypass_domains": ["a.example.com"]}
    result = play(MODULE_PLAY, extra_vars={"proxy_args": args})
    assert result.rc != 0
    task = result.results("proxy")["localhost"]
    assert "'Ethernet 9'" in task["msg"] and "'USB 10/100/1000 LAN'" in task["msg"]
    assert mac.set_calls() == []


def test_error_output_with_exit_status_zero_fails(play, mac):
    state = json.loads(mac.state_file.read_text())
    state["faults"] = {"-setproxybypassdomains": "Wi-Fi is not a recognized network service.\n"
                                                 "** Error: The parameters were not valid."}
    mac.state_file.write_text(json.dumps(state))
    args = {"networksetup_path": str(mac.path), "services": ["Wi-Fi"], "bypass_domains": ["a.example.com"]}
    result = play(MODULE_PLAY, extra_vars={"proxy_args": args})
    assert result.rc != 0
    task = result.results("proxy")["localhost"]
    assert task["failed"] is True
    assert "** Error: The parameters were not valid." in task["msg"]


@pytest.mark.parametrize("bad", ['evil".apple.com', "evil\\.apple.com", "evil\n.apple.com", "evil .apple.com"])
def test_bad_host_pattern_fails_before_anything_is_written(play, mac, bad):
    before = mac.state_file.read_bytes()
    result = play(ROLE_PLAY, extra_vars=role_vars(mac, proxy_bypass_extra_hosts=CATALOG_SAMPLE + [bad]))
    assert result.rc != 0
    assert "bypass host %r" % bad in result.proc.stdout.encode().decode("unicode_escape") or repr(bad) in result.proc.stdout
    assert mac.calls() == []
    args = {"networksetup_path": str(mac.path), "bypass_domains": ["swscan.apple.com", bad]}
    direct = play(MODULE_PLAY, extra_vars={"proxy_args": args})
    assert direct.rc != 0
    assert "nothing was changed" in direct.results("proxy")["localhost"]["msg"]
    assert mac.calls() == []
    assert mac.state_file.read_bytes() == before


@pytest.mark.parametrize("variable, value, named", [
    ("proxy_bypass_extra_hosts", "fd00::1%en0", "bypass host"),
    ("proxy_bypass_extra_hosts", "fd00::%x\n}/8", "bypass host"),
    ("proxy_bypass_macos_extra_entries", "fe80::1%en0", "bypass host"),
    ("proxy_bypass_macos_web_proxy", {"server": "fe80::1%en0", "port": 3128}, "web_proxy.server"),
    ("proxy_bypass_macos_secure_web_proxy", {"server": "2001:db8::1%x\nX", "port": 3128}, "secure_web_proxy.server"),
])
def test_a_zone_id_in_a_role_variable_fails_before_networksetup_runs(play, mac, variable, value, named):
    """An IPv6 zone ID is refused with the option named and the value shown escaped; nothing is set."""
    before = mac.state_file.read_bytes()
    extra = {variable: (CATALOG_SAMPLE + [value]) if variable == "proxy_bypass_extra_hosts"
             else ([value] if isinstance(value, str) else value)}
    result = play(ROLE_PLAY, extra_vars=role_vars(mac, **extra))
    assert result.rc != 0
    zoned = value if isinstance(value, str) else value["server"]
    assert named in result.proc.stdout and "zone ID" in result.proc.stdout, result.proc.stdout
    assert repr(zoned)[1:-1].replace("\\", "\\\\") in result.proc.stdout or repr(zoned) in result.proc.stdout, \
        result.proc.stdout
    assert mac.calls() == []
    assert mac.state_file.read_bytes() == before
