# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every rendered payload validates against Apple's YAML schemas (keys, types, values, ranges, required, macOS)."""

from __future__ import annotations

import copy
import plistlib

import pytest

from apple_schema import Schemas
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.profile.render import build_profile, render

FULL = {
    "identifier": "com.example.macfleet.full",
    "display_name": "Full",
    "description": "All payloads",
    "organization": "Example",
    "scope": "System",
    "removal_disallowed": False,
    "proxy": {
        "web_proxy": {"host": "proxy.example.com", "port": 3128},
        "secure_web_proxy": {"host": "proxy.example.com", "port": 3129},
        "socks_proxy": {"host": "socks.example.com", "port": 1080},
        "auto_proxy_url": "https://pac.example.com/proxy.pac",
        "bypass_domains": ["*.apple.com", "swscan.apple.com", "*.local"],
        "bypass_include_apex": True,
        "fallback_allowed": False,
        "captive_login_allowed": True,
    },
    "global_proxy": {"type": "manual", "host": "proxy.example.com", "port": 8080, "username": "u", "password": "p"},
    "firewall": {
        "enable_firewall": True, "block_all_incoming": False, "enable_stealth_mode": True,
        "applications": [{"bundle_id": "com.apple.Safari", "allowed": True}, {"bundle_id": "org.example.app", "allowed": False}],
        "allow_signed": True, "allow_signed_app": False, "enable_logging": True, "logging_option": "brief",
    },
    "software_update": {
        "automatic_check_enabled": True, "automatic_download": False, "automatically_install_macos_updates": False,
        "automatically_install_app_updates": True, "critical_update_install": True, "config_data_install": True,
        "allow_prerelease_installation": False, "require_admin_to_install": True,
    },
}


@pytest.fixture(scope="module")
def schemas():
    return Schemas()


def _roundtrip(options):
    """Render to bytes and parse back: validate what is in the file, not the Python dict."""
    profile, _warnings = build_profile(options)
    return plistlib.loads(render(profile))


def test_schemas_cover_every_payload_type(schemas):
    for payload_type in ("TopLevel", "CommonPayloadKeys", "com.apple.SystemConfiguration", "com.apple.proxy.http.global",
                         "com.apple.security.firewall", "com.apple.SoftwareUpdate"):
        assert payload_type in schemas.by_type


@pytest.mark.parametrize("target", ["12.3", "14.4"])
def test_full_profile_validates(schemas, target):
    profile = _roundtrip(FULL)
    assert [p["PayloadType"] for p in profile["PayloadContent"]] == [
        "com.apple.SystemConfiguration", "com.apple.proxy.http.global", "com.apple.security.firewall", "com.apple.SoftwareUpdate"]
    assert schemas.validate_profile(profile, target) == []


@pytest.mark.parametrize("payload", ["proxy", "global_proxy", "firewall", "software_update"])
def test_each_payload_alone_validates(schemas, payload):
    options = {"identifier": "com.example.one", payload: FULL[payload]}
    if payload == "firewall":
        options[payload] = {"enable_firewall": False}
    profile = _roundtrip(options)
    assert len(profile["PayloadContent"]) == 1
    assert schemas.validate_profile(profile, "10.15") == []


def test_auto_global_proxy_validates(schemas):
    profile = _roundtrip({"identifier": "com.example.pac", "global_proxy": {
        "type": "auto", "pac_url": "http://wpad.example.com/wpad.dat", "pac_fallback_allowed": True}})
    assert schemas.validate_profile(profile, "14.0") == []
    assert profile["PayloadContent"][0]["ProxyType"] == "Auto"


def test_catalog_url_is_flagged_for_macos_11(schemas):
    profile = _roundtrip({"identifier": "com.example.su", "software_update": {"catalog_url": "http://su.example.com/index.sucatalog"}})
    assert schemas.validate_profile(profile, "10.15") == []
    # deprecated, not removed, in the schema: the module warns instead (see the module tests)
    assert profile["PayloadContent"][0]["CatalogURL"].startswith("http://")


def test_firewall_logging_keys_are_gone_in_macos_15(schemas):
    profile = _roundtrip({"identifier": "com.example.fw", "firewall": {"enable_firewall": True, "enable_logging": True}})
    assert schemas.validate_profile(profile, "14.0") == []
    assert any("removed in macOS 15.0" in e for e in schemas.validate_profile(profile, "15.0"))


def test_proxy_flags_are_integers_and_key_names_exact():
    proxies = _roundtrip(FULL)["PayloadContent"][0]["Proxies"]
    for key in ("HTTPEnable", "HTTPSEnable", "SOCKSEnable", "ProxyAutoConfigEnable", "FallBackAllowed", "ProxyCaptiveLoginAllowed"):
        assert isinstance(proxies[key], int) and not isinstance(proxies[key], bool) and proxies[key] in (0, 1), key
    assert proxies["SOCKSPort"] == 1080 and "SOCKSPortinteger" not in proxies
    assert "Exceptions" not in proxies
    assert proxies["ExceptionsList"] == ["*.apple.com", "apple.com", "swscan.apple.com", "*.local", "local"]


def test_validator_catches_what_it_must(schemas):
    """The validator itself must not be a rubber stamp."""
    good = _roundtrip(FULL)
    cases = {
        "key not in Apple's schema": lambda p: p["PayloadContent"][0]["Proxies"].__setitem__("Exceptions", "a, b"),
        "expected <integer>": lambda p: p["PayloadContent"][0]["Proxies"].__setitem__("HTTPEnable", True),
        "not in": lambda p: p.__setitem__("PayloadScope", "Device"),
        "required key EnableFirewall missing": lambda p: p["PayloadContent"][2].pop("EnableFirewall"),
        "required key PayloadUUID missing": lambda p: p["PayloadContent"][3].pop("PayloadUUID"),
        "expected <string>": lambda p: p["PayloadContent"][0]["Proxies"]["ExceptionsList"].append(7),
        "introduced in macOS 10.15": lambda p: None,
    }
    for expected, mutate in cases.items():
        broken = copy.deepcopy(good)
        mutate(broken)
        target = "10.14" if "introduced" in expected else "14.0"
        errors = schemas.validate_profile(broken, target)
        assert any(expected in e for e in errors), (expected, errors)
