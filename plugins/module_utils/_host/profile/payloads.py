# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Payload builders: typed options in, Apple payload dictionaries out.

Key names and value types follow Apple's device-management schemas (see the schema test), with one
deliberate difference: the SOCKS port key is ``SOCKSPort`` (the SystemConfiguration key); the schema's
``SOCKSPortinteger`` is a typo in Apple's YAML.
"""

from __future__ import annotations

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.rule import macos_bypass_entries
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules import addresses as address_rule
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.hostnames import HostnameError
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.profile.spec import (
    Field,
    ProfileError,
    check_bundle_id,
    check_http_url,
    check_options,
    check_port,
)

CATALOG_URL_WARNING = (
    "software_update.catalog_url is set: macOS 11 and later ignore CatalogURL (Apple deprecated it in macOS 11), "
    "so it only affects Macs running macOS 10.15 or older"
)


def _check_host(value, path):
    """A proxy host: a host name or an IP address (the address rule), as macOS's proxy settings take it."""
    return address_rule.parse_host(value, path, ProfileError)[0]


def _server():
    fields = {
        "host": Field("str", required=True, check=_check_host),
        "port": Field("int", required=True, check=check_port),
    }
    return Field("dict", fields=fields)


PROXY_FIELDS = {
    "web_proxy": _server(),
    "secure_web_proxy": _server(),
    "socks_proxy": _server(),
    "auto_proxy_url": Field("str", check=check_http_url),
    "bypass_domains": Field("list", elements=Field("str")),
    "bypass_include_apex": Field("bool"),
    "fallback_allowed": Field("bool"),
    "captive_login_allowed": Field("bool"),
}

GLOBAL_PROXY_FIELDS = {
    "type": Field("str", choices=["manual", "auto"]),
    "host": Field("str", check=_check_host),
    "port": Field("int", check=check_port),
    "username": Field("str"),
    "password": Field("str", secret=True),
    "pac_url": Field("str", check=check_http_url),
    "pac_fallback_allowed": Field("bool"),
    "captive_login_allowed": Field("bool"),
}

FIREWALL_FIELDS = {
    "enable_firewall": Field("bool", required=True),
    "block_all_incoming": Field("bool"),
    "enable_stealth_mode": Field("bool"),
    "applications": Field("list", elements=Field("dict", fields={
        "bundle_id": Field("str", required=True, check=check_bundle_id),
        "allowed": Field("bool", required=True),
    })),
    "allow_signed": Field("bool"),
    "allow_signed_app": Field("bool"),
    "enable_logging": Field("bool"),
    "logging_option": Field("str", choices=["throttled", "brief", "detail"]),
}

# option name -> Apple key, all booleans
SOFTWARE_UPDATE_BOOLEANS = {
    "automatic_check_enabled": "AutomaticCheckEnabled",
    "automatic_download": "AutomaticDownload",
    "automatically_install_macos_updates": "AutomaticallyInstallMacOSUpdates",
    "automatically_install_app_updates": "AutomaticallyInstallAppUpdates",
    "critical_update_install": "CriticalUpdateInstall",
    "config_data_install": "ConfigDataInstall",
    "allow_prerelease_installation": "AllowPreReleaseInstallation",
    "require_admin_to_install": "restrict-software-update-require-admin-to-install",
}
SOFTWARE_UPDATE_FIELDS = dict({"catalog_url": Field("str", check=check_http_url)},
                              **{name: Field("bool") for name in SOFTWARE_UPDATE_BOOLEANS})


def _flag(value):
    return 1 if value else 0


def build_proxy(options, path="proxy"):
    """``com.apple.SystemConfiguration`` payload content: ``{"Proxies": {...}}``."""
    opts = check_options(options, PROXY_FIELDS, path)
    if not any(key in opts for key in ("web_proxy", "secure_web_proxy", "socks_proxy", "auto_proxy_url")):
        raise ProfileError("%s: set at least one of web_proxy, secure_web_proxy, socks_proxy, auto_proxy_url" % path)
    proxies = {}
    for option, prefix, port_key in (("web_proxy", "HTTP", "HTTPPort"), ("secure_web_proxy", "HTTPS", "HTTPSPort"),
                                     ("socks_proxy", "SOCKS", "SOCKSPort")):
        server = opts.get(option)
        proxies[prefix + "Enable"] = _flag(server)
        if server:
            proxies[prefix + "Proxy"] = server["host"]
            proxies[port_key] = server["port"]
    proxies["ProxyAutoConfigEnable"] = _flag("auto_proxy_url" in opts)
    if "auto_proxy_url" in opts:
        proxies["ProxyAutoConfigURLString"] = opts["auto_proxy_url"]
    if "bypass_domains" in opts:
        try:
            entries = macos_bypass_entries(opts["bypass_domains"], include_apex=opts.get("bypass_include_apex", True))
        except HostnameError as exc:
            raise ProfileError("%s.bypass_domains: %s" % (path, exc)) from None
        proxies["ExceptionsList"] = entries
    if "fallback_allowed" in opts:
        proxies["FallBackAllowed"] = _flag(opts["fallback_allowed"])
    if "captive_login_allowed" in opts:
        proxies["ProxyCaptiveLoginAllowed"] = _flag(opts["captive_login_allowed"])
    return {"Proxies": proxies}


def build_global_proxy(options, path="global_proxy"):
    """``com.apple.proxy.http.global`` payload content."""
    opts = check_options(options, GLOBAL_PROXY_FIELDS, path)
    kind = opts.get("type", "manual")
    content = {"ProxyType": "Manual" if kind == "manual" else "Auto"}
    manual_only = [key for key in ("host", "port", "username", "password") if key in opts]
    if kind == "manual":
        for key in ("host", "port"):
            if key not in opts:
                raise ProfileError("%s.%s is required when %s.type is manual" % (path, key, path))
        if "pac_url" in opts or "pac_fallback_allowed" in opts:
            raise ProfileError("%s.pac_url and pac_fallback_allowed apply only when %s.type is auto" % (path, path))
        if "password" in opts and "username" not in opts:
            raise ProfileError("%s.password needs %s.username" % (path, path))
        content["ProxyServer"] = opts["host"]
        content["ProxyServerPort"] = opts["port"]
        if "username" in opts:
            content["ProxyUsername"] = opts["username"]
        if "password" in opts:
            content["ProxyPassword"] = opts["password"]
    else:
        if "pac_url" not in opts:
            raise ProfileError("%s.pac_url is required when %s.type is auto" % (path, path))
        if manual_only:
            raise ProfileError("%s: %s apply only when %s.type is manual"
                               % (path, ", ".join(manual_only), path))
        content["ProxyPACURL"] = opts["pac_url"]
        if "pac_fallback_allowed" in opts:
            content["ProxyPACFallbackAllowed"] = opts["pac_fallback_allowed"]
    if "captive_login_allowed" in opts:
        content["ProxyCaptiveLoginAllowed"] = opts["captive_login_allowed"]
    return content


def build_firewall(options, path="firewall"):
    """``com.apple.security.firewall`` payload content."""
    opts = check_options(options, FIREWALL_FIELDS, path)
    content = {"EnableFirewall": opts["enable_firewall"]}
    for option, key in (("block_all_incoming", "BlockAllIncoming"), ("enable_stealth_mode", "EnableStealthMode"),
                        ("allow_signed", "AllowSigned"), ("allow_signed_app", "AllowSignedApp"),
                        ("enable_logging", "EnableLogging"), ("logging_option", "LoggingOption")):
        if option in opts:
            content[key] = opts[option]
    if "applications" in opts:
        seen = set()
        apps = []
        for index, app in enumerate(opts["applications"]):
            if app["bundle_id"] in seen:
                raise ProfileError("%s.applications[%d].bundle_id %r is listed twice" % (path, index, app["bundle_id"]))
            seen.add(app["bundle_id"])
            apps.append({"BundleID": app["bundle_id"], "Allowed": app["allowed"]})
        content["Applications"] = apps
    return content


def build_software_update(options, path="software_update"):
    """``com.apple.SoftwareUpdate`` payload content and warnings."""
    opts = check_options(options, SOFTWARE_UPDATE_FIELDS, path)
    if not opts:
        raise ProfileError("%s: set at least one of %s" % (path, ", ".join(sorted(SOFTWARE_UPDATE_FIELDS))))
    content = {}
    warnings = []
    if "catalog_url" in opts:
        content["CatalogURL"] = opts["catalog_url"]
        warnings.append(CATALOG_URL_WARNING)
    for option, key in SOFTWARE_UPDATE_BOOLEANS.items():
        if option in opts:
            content[key] = opts[option]
    return content, warnings


# option name -> (payload type, identifier suffix, display name, builder)
PAYLOADS = {
    "proxy": ("com.apple.SystemConfiguration", "proxy", "Network proxy", build_proxy),
    "global_proxy": ("com.apple.proxy.http.global", "globalproxy", "Global HTTP proxy", build_global_proxy),
    "firewall": ("com.apple.security.firewall", "firewall", "Application firewall", build_firewall),
    "software_update": ("com.apple.SoftwareUpdate", "softwareupdate", "Software Update", build_software_update),
}

# Keys whose values are secrets: never shown in a diff, never compared with `profiles show` output.
SECRET_KEYS = frozenset(["ProxyPassword"])
