# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.networksetup import (
    BypassRenderError,
    bypass_domains_args,
    output_error,
    parse_auto_proxy,
    parse_bypass_domains,
    parse_pac_url,
    parse_service_list,
    parse_web_proxy,
    plan_auto_proxy,
    plan_bypass_domains,
    plan_web_proxy,
)


def test_service_list():
    out = ("An asterisk (*) denotes that a network service is disabled.\n"
           "Wi-Fi\nUSB 10/100/1000 LAN\n*Thunderbolt Bridge\n")
    assert parse_service_list(out) == [
        {"name": "Wi-Fi", "enabled": True},
        {"name": "USB 10/100/1000 LAN", "enabled": True},
        {"name": "Thunderbolt Bridge", "enabled": False},
    ]


def test_bypass_domains():
    assert parse_bypass_domains("*.local\n169.254/16\n") == ["*.local", "169.254/16"]
    assert parse_bypass_domains("There aren't any bypass domains set on USB 10/100/1000 LAN.\n") == []
    assert parse_bypass_domains("There aren't any bypass domains set on FireWire.\n") == []
    assert parse_bypass_domains("") == []


def test_errors_count_even_with_exit_status_zero():
    out = "Nope is not a recognized network service.\n** Error: The parameters were not valid.\n"
    assert "not a recognized network service" in output_error(0, out, "")
    assert output_error(0, "", "** Error: The parameters were not valid.") is not None
    assert output_error(4, "", "") == "exit status 4: (no output)"
    assert output_error(0, "Enabled: No\n", "") is None


def test_web_and_auto_proxy():
    assert parse_web_proxy("Enabled: No\nServer: \nPort: 0\nAuthenticated Proxy Enabled: 0\n") == {
        "enabled": False, "server": None, "port": None}
    assert parse_web_proxy("Enabled: Yes\nServer: proxy.example.com\nPort: 3128\n") == {
        "enabled": True, "server": "proxy.example.com", "port": 3128}
    assert parse_auto_proxy("URL: (null)\nEnabled: No\n") == {"enabled": False, "url": None}
    assert parse_auto_proxy("URL: http://wpad.example.com:8080/p.pac\nEnabled: Yes\n") == {
        "enabled": True, "url": "http://wpad.example.com:8080/p.pac"}


def test_merge_keeps_existing_entries_and_is_idempotent():
    current = ["*.local", "169.254/16", "SWSCAN.apple.com"]
    assert plan_bypass_domains(current, ["swscan.apple.com", "*.mzstatic.com"], "merge") == current + ["*.mzstatic.com"]
    assert plan_bypass_domains(current + ["*.mzstatic.com"], ["swscan.apple.com", "*.mzstatic.com"], "merge") is None


def test_replace():
    assert plan_bypass_domains(["*.local"], ["a.example.com"], "replace") == ["a.example.com"]
    assert plan_bypass_domains(["b.example.com", "a.example.com"], ["a.example.com", "b.example.com"], "replace") is None
    assert plan_bypass_domains(["a.example.com"], [], "replace") == []
    assert bypass_domains_args("Wi-Fi", []) == ["-setproxybypassdomains", "Wi-Fi", "Empty"]


def test_web_proxy_plans():
    off = {"enabled": False, "server": None, "port": None}
    on = {"enabled": True, "server": "p.example.com", "port": 3128}
    assert plan_web_proxy("web", "Wi-Fi", off, on)[0] == [["-setwebproxy", "Wi-Fi", "p.example.com", "3128"]]
    assert plan_web_proxy("secureweb", "Wi-Fi", dict(on, enabled=False), on)[0] == [
        ["-setsecurewebproxystate", "Wi-Fi", "on"]]
    assert plan_web_proxy("web", "Wi-Fi", on, on)[0] == []
    assert plan_web_proxy("web", "Wi-Fi", on, {"enabled": False})[0] == [["-setwebproxystate", "Wi-Fi", "off"]]
    assert plan_web_proxy("web", "Wi-Fi", off, {"enabled": False})[0] == []


def test_auto_proxy_plans():
    url = "http://wpad.example.com/proxy.pac"
    unset = {"enabled": False, "url": None}
    assert plan_auto_proxy("Wi-Fi", unset, {"enabled": True, "url": url})[0] == [["-setautoproxyurl", "Wi-Fi", url]]
    assert plan_auto_proxy("Wi-Fi", {"enabled": True, "url": url}, {"enabled": True, "url": url})[0] == []
    assert plan_auto_proxy("Wi-Fi", {"enabled": True, "url": url}, {"enabled": False})[0] == [
        ["-setautoproxystate", "Wi-Fi", "off"]]


@pytest.mark.parametrize("url", ["http://wpad.example.com/proxy.pac", "https://10.0.0.1:8443/a/b.pac?x=1",
                                 "http://[fd00::1]/p.pac"])
def test_pac_url(url):
    assert parse_pac_url(url) == url


@pytest.mark.parametrize("url", ["file:///etc/p.pac", "http://a b/", 'http://a/"', "http://a/\n", "http://a:99999/",
                                 "http://a/\\", "ftp://a/", "http://-bad-/", None])
def test_pac_url_rejects(url):
    with pytest.raises(BypassRenderError):
        parse_pac_url(url)
