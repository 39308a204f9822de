# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Shared pieces of the bypass renderers: the error type and the proxy endpoint grammar."""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.hostnames import (
    HostnameError,
    parse_hostname,
)

_ENDPOINT = re.compile(r"^(?:\[([0-9A-Fa-f:.]+)\]|([^:\[\]]+)):([0-9]{1,5})\Z")


class BypassRenderError(ValueError):
    """Input that a bypass renderer refuses (names the field and the value)."""


def parse_proxy_host(value, what="proxy host"):
    """A proxy host: a DNS name (the host grammar), an IPv4 address or an IPv6 address; normalised."""
    if not isinstance(value, str):
        raise BypassRenderError("%s must be a string, got %s %r" % (what, type(value).__name__, value))
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    try:
        return parse_hostname(value, what)
    except HostnameError as exc:
        raise BypassRenderError(str(exc))


def parse_port(value, what="proxy port"):
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise BypassRenderError("%s must be a number from 1 to 65535, got %r" % (what, value))
    port = int(value)
    if not 1 <= port <= 65535:
        raise BypassRenderError("%s must be a number from 1 to 65535, got %r" % (what, value))
    return port


def parse_proxy_endpoint(value, what="proxy"):
    """``host:port`` (``[v6]:port`` for IPv6) -> normalised ``host:port``."""
    if not isinstance(value, str):
        raise BypassRenderError("%s must be a string host:port, got %s %r" % (what, type(value).__name__, value))
    match = _ENDPOINT.match(value)
    if not match:
        raise BypassRenderError("%s %r must have the form host:port (or [IPv6]:port)" % (what, value))
    v6, host, port = match.groups()
    port = parse_port(port, "%s %r: port" % (what, value))
    if v6 is not None:
        try:
            address = ipaddress.IPv6Address(v6)
        except ValueError:
            raise BypassRenderError("%s %r: %r is not an IPv6 address" % (what, value, v6))
        return "[%s]:%d" % (address, port)
    host = parse_proxy_host(host, "%s %r: host" % (what, value))
    if ":" in host:
        raise BypassRenderError("%s %r: write an IPv6 address in brackets, [addr]:port" % (what, value))
    return "%s:%d" % (host, port)
