# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters that render a host selection into the places a proxy bypass list lives.

All three follow the one bypass rule of module_utils/_host/bypass/rule.py, including which entries go DIRECT
(the supports_proxies column of host records, the ``direct`` option).

The documentation of each filter is in plugins/filter/<name>.yml.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.pac import render_pac
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.proxy import BypassRenderError
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.squid import render_squid
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.rule import DIRECT_CHOICES, split_by_proxy_support
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.hostnames import HostnameError
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._catalog_lookup import keyword_checked


def _bool(name, option, value):
    if not isinstance(value, bool):
        raise AnsibleFilterError("macfleet.apple_network.%s: %s must be a boolean, got %r" % (name, option, value))
    return value


def _direct(name, value):
    if value not in DIRECT_CHOICES:
        raise AnsibleFilterError("macfleet.apple_network.%s: direct must be one of %s, got %r"
                                 % (name, ", ".join(DIRECT_CHOICES), value))
    return value


def _run(name, func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except (HostnameError, BypassRenderError) as exc:
        raise AnsibleFilterError("macfleet.apple_network.%s: %s" % (name, exc))


def pac_file(selection, proxy=None, fallback=None, include_apex=True, direct="not_stated"):
    return _run("pac_file", render_pac, selection, proxy=proxy, fallback=fallback,
                include_apex=_bool("pac_file", "include_apex", include_apex), direct=_direct("pac_file", direct))


def macos_bypass_list(selection, include_apex=True, allow_networks=True, direct="not_stated"):
    direct_entries, _proxy_capable = _run(
        "macos_bypass_list", split_by_proxy_support, selection, direct=_direct("macos_bypass_list", direct),
        include_apex=_bool("macos_bypass_list", "include_apex", include_apex),
        allow_networks=_bool("macos_bypass_list", "allow_networks", allow_networks))
    return direct_entries


def squid_acl(selection, acl_name="macfleet_bypass", ssl_bump=False, always_direct=False, include_apex=True,
              direct="not_stated"):
    return _run("squid_acl", render_squid, selection, acl_name=acl_name,
                ssl_bump=_bool("squid_acl", "ssl_bump", ssl_bump),
                always_direct=_bool("squid_acl", "always_direct", always_direct),
                include_apex=_bool("squid_acl", "include_apex", include_apex), direct=_direct("squid_acl", direct))


class FilterModule:
    def filters(self):
        return {
            "pac_file": keyword_checked("macfleet.apple_network.pac_file", pac_file),
            "macos_bypass_list": keyword_checked("macfleet.apple_network.macos_bypass_list", macos_bypass_list),
            "squid_acl": keyword_checked("macfleet.apple_network.squid_acl", squid_acl),
        }
