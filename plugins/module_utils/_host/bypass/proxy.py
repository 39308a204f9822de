# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Shared pieces of the bypass renderers: the error type and the proxy endpoint grammar."""

from __future__ import annotations

import re

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules import addresses as address_rule
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.ports import parse_port

_ENDPOINT = re.compile(r"^(?:\[([0-9A-Fa-f:.]+)\]|([^:\[\]]+)):([0-9]{1,5})\Z")


class BypassRenderError(ValueError):
    """Input that a bypass renderer refuses (names the field and the value)."""


def parse_proxy_host(value, what="proxy host"):
    """A proxy host: a DNS name or an IP address (the address rule, ``_host/rules/addresses.py``); normalised."""
    return address_rule.parse_host(value, what, BypassRenderError)[0]


def parse_proxy_endpoint(value, what="proxy"):
    """``host:port`` (``[v6]:port`` for IPv6) -> normalised ``host:port``."""
    if not isinstance(value, str):
        raise BypassRenderError("%s must be a string host:port, got %s %r" % (what, type(value).__name__, value))
    match = _ENDPOINT.match(value)
    if not match:
        raise BypassRenderError("%s %r must have the form host:port (or [IPv6]:port)" % (what, value))
    v6, host, port = match.groups()
    port = parse_port(port, "%s %r: port" % (what, value), BypassRenderError)
    if v6 is not None:
        address = address_rule.parse_ip_address(v6, "%s %r: host" % (what, value), BypassRenderError)
        if address.version != 6:
            raise BypassRenderError("%s %r: %r is not an IPv6 address" % (what, value, v6))
        return "[%s]:%d" % (address, port)
    host = parse_proxy_host(host, "%s %r: host" % (what, value))
    if ":" in host:
        raise BypassRenderError("%s %r: write an IPv6 address in brackets, [addr]:port" % (what, value))
    return "%s:%d" % (host, port)
