# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The proxy settings of macOS network services, as the ``macos_proxy`` module manages them.

Its argument spec, the wanted settings validated from its options, the services to manage, and per service the
``networksetup`` calls that bring the settings to the wanted state (parsing and planning are in ``networksetup.py``).
"""

from __future__ import annotations

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.networksetup import (
    NetworksetupError,
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
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.proxy import BypassRenderError, parse_proxy_host
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.rule import macos_bypass_entries
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.ports import parse_port

# (option, networksetup's name of the proxy kind)
PROXY_KINDS = (("web_proxy", "web"), ("secure_web_proxy", "secureweb"))


class UnknownServiceError(ValueError):
    """A requested network service that networksetup does not list."""


def argument_spec():
    proxy_options = dict(
        enabled=dict(type="bool", default=True),
        server=dict(type="str"),
        port=dict(type="int"),
    )
    return dict(
        services=dict(type="list", elements="str"),
        include_disabled=dict(type="bool", default=True),
        bypass_domains=dict(type="list", elements="str", no_log=False),
        bypass_mode=dict(type="str", choices=["merge", "replace", "remove"], default="merge"),
        include_apex=dict(type="bool", default=True),
        web_proxy=dict(type="dict", options=proxy_options,
                       required_if=[("enabled", True, ("server", "port"))]),
        secure_web_proxy=dict(type="dict", options=proxy_options,
                              required_if=[("enabled", True, ("server", "port"))]),
        auto_proxy=dict(type="dict", options=dict(enabled=dict(type="bool", default=True), url=dict(type="str")),
                        required_if=[("enabled", True, ("url",))]),
        networksetup_path=dict(type="path", default="/usr/sbin/networksetup"),
    )


class Networksetup:
    """Runs ``networksetup`` through the module; an error in its output or exit status raises NetworksetupError."""

    def __init__(self, module, path):
        self.module = module
        self.path = path

    def run(self, *args):
        cmd = [self.path] + list(args)
        rc, out, err = self.module.run_command(cmd)
        error = output_error(rc, out, err)
        if error:
            raise NetworksetupError("%s failed: %s" % (" ".join(cmd[1:3]), error))
        return out


def wanted_state(params):
    """The wanted settings, every value validated before any change.

    Raises :class:`HostnameError` or :class:`BypassRenderError` naming the option and the value.
    """
    wanted = {}
    if params["bypass_domains"] is not None:
        wanted["bypass_domains"] = macos_bypass_entries(params["bypass_domains"], include_apex=params["include_apex"])
    for option, kind in PROXY_KINDS:
        value = params[option]
        if value is None:
            continue
        if value["enabled"]:
            wanted[kind] = {
                "enabled": True,
                "server": parse_proxy_host(value["server"], "%s.server" % option),
                "port": parse_port(value["port"], "%s.port" % option, BypassRenderError),
            }
        else:
            wanted[kind] = {"enabled": False}
    if params["auto_proxy"] is not None:
        value = params["auto_proxy"]
        wanted["auto"] = ({"enabled": True, "url": parse_pac_url(value["url"], "auto_proxy.url")}
                          if value["enabled"] else {"enabled": False})
    return wanted


def select_services(params, tool):
    """The services to manage, in the order networksetup lists them; raises :class:`UnknownServiceError`."""
    listed = parse_service_list(tool.run("-listallnetworkservices"))
    requested = params["services"]
    if requested is None:
        return [s for s in listed if s["enabled"] or params["include_disabled"]]
    by_name = dict((s["name"], s) for s in listed)
    unknown = [name for name in requested if name not in by_name]
    if unknown:
        raise UnknownServiceError("Unknown network service(s) %s; networksetup lists: %s"
                                  % (", ".join(repr(n) for n in unknown), ", ".join(repr(s["name"]) for s in listed)))
    selected = []
    for name in requested:
        if by_name[name] not in selected:
            selected.append(by_name[name])
    return selected


def plan_service(tool, name, wanted, mode):
    """Read one service's current settings; returns ``(before, after, calls)`` for the kinds in ``wanted``."""
    before, after, calls = {}, {}, []
    if "bypass_domains" in wanted:
        current = parse_bypass_domains(tool.run("-getproxybypassdomains", name))
        new = plan_bypass_domains(current, wanted["bypass_domains"], mode)
        before["bypass_domains"] = current
        after["bypass_domains"] = current if new is None else new
        if new is not None:
            calls.append(bypass_domains_args(name, new))
    for _option, kind in PROXY_KINDS:
        if kind in wanted:
            current = parse_web_proxy(tool.run("-get%sproxy" % kind, name))
            kind_calls, kind_after = plan_web_proxy(kind, name, current, wanted[kind])
            before[kind + "_proxy"], after[kind + "_proxy"] = current, kind_after
            calls.extend(kind_calls)
    if "auto" in wanted:
        current = parse_auto_proxy(tool.run("-getautoproxyurl", name))
        auto_calls, auto_after = plan_auto_proxy(name, current, wanted["auto"])
        before["auto_proxy"], after["auto_proxy"] = current, auto_after
        calls.extend(auto_calls)
    return before, after, calls


def apply_service(tool, service, wanted, after, calls):
    """Run a service's calls, then read its bypass domains back: a list macOS stored differently raises."""
    for call in calls:
        tool.run(*call)
    if "bypass_domains" in wanted:
        check = parse_bypass_domains(tool.run("-getproxybypassdomains", service["name"]))
        if check != after["bypass_domains"]:
            raise NetworksetupError("the bypass domains of %r read back as %r instead of %r"
                                    % (service["name"], check, after["bypass_domains"]))
