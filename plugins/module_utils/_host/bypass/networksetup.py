# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Parse ``networksetup`` output and plan the calls that bring a service's proxy settings to a wanted state.

Pure functions (no process is run here), used by the ``macos_proxy`` module. The output texts
follow the networksetup man page as reproduced by several projects:

* ``-listallnetworkservices``: a header sentence, then one service per line, ``*`` in front of a
  disabled one; names may contain spaces and slashes;
* ``-getproxybypassdomains``: one entry per line, or the sentence
  ``There aren't any bypass domains set on <service>.`` (detected as "a line with a space");
* ``-getwebproxy`` / ``-getsecurewebproxy``: ``Enabled:``, ``Server:``, ``Port:``,
  ``Authenticated Proxy Enabled:`` lines;
* ``-getautoproxyurl``: ``URL: <url>`` (``(null)`` when unset) and ``Enabled: Yes|No``;
* errors: ``<x> is not a recognized network service.`` and ``** Error: ...`` lines, possibly with
  exit status 0, so the output decides.
"""

from __future__ import annotations

import re

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.rule import format_network, parse_network
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.proxy import BypassRenderError, parse_proxy_host
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.ports import parse_port

LIST_HEADER = "An asterisk (*) denotes that a network service is disabled."
_URL = re.compile(r"^(https?)://(\[[0-9A-Fa-f:.]+\]|[^/:?#\[\]]+)(?::([0-9]{1,5}))?(/[A-Za-z0-9._~!$&()*+,;=:@%/?-]*)?\Z")


class NetworksetupError(Exception):
    """networksetup reported an error (in its output or its exit status)."""


def output_error(rc, stdout, stderr):
    """The error networksetup reported, or None. ``** Error`` counts even when the exit status is 0."""
    lines = [line.strip() for line in (stdout or "").splitlines() + (stderr or "").splitlines() if line.strip()]
    bad = [line for line in lines if line.startswith("** Error") or line.endswith("is not a recognized network service.")]
    if bad:
        return " ".join(bad)
    if rc != 0:
        return "exit status %s: %s" % (rc, " ".join(lines) or "(no output)")
    return None


def parse_service_list(stdout):
    """``-listallnetworkservices`` output -> list of ``{"name", "enabled"}`` in listed order."""
    services = []
    for line in stdout.splitlines():
        if not line.strip() or line.strip() == LIST_HEADER or line.startswith("An asterisk"):
            continue
        enabled = not line.startswith("*")
        name = line[1:] if not enabled else line
        services.append({"name": name, "enabled": enabled})
    return services


def parse_bypass_domains(stdout):
    """``-getproxybypassdomains`` output -> list of entries (the "There aren't any ..." sentence -> [])."""
    entries = []
    for line in stdout.splitlines():
        line = line.strip()
        if not line:
            continue
        if " " in line:  # the empty-list sentence, which embeds the service name
            return []
        entries.append(line)
    return entries


def _fields(stdout):
    fields = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip().lower()] = value.strip()
    return fields


def parse_web_proxy(stdout):
    """``-getwebproxy``/``-getsecurewebproxy`` output -> ``{"enabled", "server", "port"}``."""
    fields = _fields(stdout)
    port = fields.get("port", "")
    return {
        "enabled": fields.get("enabled", "No").lower() in ("yes", "1", "on"),
        "server": fields.get("server", "") or None,
        "port": int(port) if port.isdigit() and int(port) > 0 else None,
    }


def parse_auto_proxy(stdout):
    """``-getautoproxyurl`` output -> ``{"enabled", "url"}``."""
    fields = _fields(stdout)
    url = fields.get("url", "")
    return {
        "enabled": fields.get("enabled", "No").lower() in ("yes", "1", "on"),
        "url": None if url in ("", "(null)") else url,
    }


def parse_pac_url(value, what="auto_proxy.url"):
    """An http(s) URL for the proxy auto-config file (macOS 10.15+ accepts nothing else)."""
    if not isinstance(value, str) or not _URL.match(value):
        raise BypassRenderError("%s must be an http:// or https:// URL without spaces, quotes or backslashes, got %r"
                                % (what, value))
    match = _URL.match(value)
    host = match.group(2)
    parse_proxy_host(host[1:-1] if host.startswith("[") else host, "%s %r: host" % (what, value))
    if match.group(3) is not None:
        parse_port(match.group(3), "%s %r: port" % (what, value), BypassRenderError)
    return value


def _key(entry):
    """What an entry means, for comparing lists: ``169.254/16`` and ``169.254.0.0/16`` are one network."""
    try:
        network = parse_network(entry)
    except ValueError:
        network = None
    if network is not None:
        return format_network(network)
    entry = entry.lower()
    return entry[:-1] if entry.endswith(".") else entry


def plan_bypass_domains(current, wanted, mode):
    """The list to set (or None when nothing changes).

    ``merge`` keeps current entries first and appends the missing ones; ``remove`` keeps every current
    entry except the wanted ones; ``replace`` sets exactly the wanted list.
    """
    if mode == "remove":
        unwanted = set(_key(entry) for entry in wanted)
        kept = [entry for entry in current if _key(entry) not in unwanted]
        return kept if len(kept) != len(current) else None
    if mode == "merge":
        known = set(_key(entry) for entry in current)
        added = [entry for entry in wanted if _key(entry) not in known]
        return current + added if added else None
    if sorted(_key(entry) for entry in current) == sorted(_key(entry) for entry in wanted) \
            and len(current) == len(wanted):
        return None
    return list(wanted)


def bypass_domains_args(service, entries):
    """Arguments for ``-setproxybypassdomains`` (``Empty`` clears the list)."""
    return ["-setproxybypassdomains", service] + (list(entries) if entries else ["Empty"])


def plan_web_proxy(kind, service, current, wanted):
    """Calls (argument lists) that bring a web (``kind='web'``) or secure web (``'secureweb'``) proxy to ``wanted``.

    ``wanted`` is ``{"enabled", "server", "port"}``; server and port are ignored when disabling.
    Returns ``(calls, after_state)``.
    """
    if wanted["enabled"]:
        after = {"enabled": True, "server": wanted["server"], "port": wanted["port"]}
        if current["server"] != wanted["server"] or current["port"] != wanted["port"]:
            return [["-set%sproxy" % kind, service, wanted["server"], str(wanted["port"])]], after
        if not current["enabled"]:
            return [["-set%sproxystate" % kind, service, "on"]], after
        return [], after
    after = dict(current, enabled=False)
    if current["enabled"]:
        return [["-set%sproxystate" % kind, service, "off"]], after
    return [], after


def plan_auto_proxy(service, current, wanted):
    """Calls for the proxy auto-config URL; ``wanted`` is ``{"enabled", "url"}``. Returns ``(calls, after_state)``."""
    if wanted["enabled"]:
        after = {"enabled": True, "url": wanted["url"]}
        if current["url"] != wanted["url"]:
            return [["-setautoproxyurl", service, wanted["url"]]], after
        if not current["enabled"]:
            return [["-setautoproxystate", service, "on"]], after
        return [], after
    after = dict(current, enabled=False)
    if current["enabled"]:
        return [["-setautoproxystate", service, "off"]], after
    return [], after
