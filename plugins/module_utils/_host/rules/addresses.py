# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The address rule: host, IP address, network and port, one grammar each for the whole collection.

Standard library only (imported by code that runs on the managed Mac, Python 3.9+).

Every value that can end up in a ruleset (nft, iptables-restore, pf), a squid configuration, a PAC file, a
plist or an HTTP request line passes one of these parsers first; the renderers only ever write what they
return (``ipaddress`` objects, ints, or host names from ``hostnames.py``):

* IP address: ASCII digits, hex letters, ``.`` and ``:`` only, as Python's ``ipaddress`` reads them. No IPv6
  zone ID (``fe80::1%en0``): ``ipaddress`` accepts any text after ``%`` (newlines included) and keeps it in
  ``str()``, and a rule matches an address, not a zone. No whitespace or control character anywhere (no
  trimming either: a value is taken as written or refused).
* network: an IP address, optionally ``/prefix`` (the same characters), host bits allowed unless ``strict``.
* host: a host name in the grammar of ``hostnames.parse_hostname`` or an IP address as above.
* port: the port rule of ``ports.py``, with :class:`AddressError` by default.

Errors name the field and show the value with ``repr()`` (a newline shows as ``\\n``). Each parser takes
``error=``, the exception class the caller raises (``FirewallInputError``, ``ProbeInputError``, ...), so a
call site keeps its module's error type; all of them are ``ValueError`` subclasses.

Readers of the operating system's own output (``resolv.conf``, ``getaddrinfo``) may meet a zone on a
link-local address; they drop it explicitly with :func:`without_zone` and use the address alone.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.hostnames import (
    HostnameError,
    parse_hostname,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules import ports

_ADDRESS_CHARS = re.compile(r"^[0-9A-Fa-f:.]+\Z")
_NETWORK_CHARS = re.compile(r"^[0-9A-Fa-f:.]+(?:/[0-9A-Fa-f:.]+)?\Z")


class AddressError(ValueError):
    """A host, address, network or port that does not fit the address rule (names the field and the value)."""


def _bad_character(text):
    """Why *text* cannot be an address because of one character (white space, a control character), or None."""
    for ch in text:
        if ch.isspace():
            return "it contains white space (%r)" % ch
        if not ch.isprintable():
            return "it contains the control character %r" % ch
    return None


def _text(value, field, what, error):
    """*value* as text that may be an address: a non-empty string without a zone ID, white space or control character."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise error("%s: %r is not %s: a string is expected, got %s" % (field, value, what, type(value).__name__))
    if "%" in value:
        raise error("%s: %r is not %s: it has an IPv6 zone ID (%r); zone IDs are not accepted, write the address "
                    "without '%%zone'" % (field, value, what, value[value.index("%"):]))
    why = "it is empty" if value == "" else _bad_character(value)
    if why:
        raise error("%s: %r is not %s: %s" % (field, value, what, why))
    return value


def without_zone(text):
    """The address part of an address read from the OS (``fe80::1%en0`` -> ``fe80::1``); other text unchanged."""
    return text.split("%", 1)[0] if isinstance(text, str) else text


def parse_ip_address(value, field, error=AddressError, brackets=False):
    """An IPv4 or IPv6 address -> ``ipaddress`` object. ``brackets``: ``[2001:db8::1]`` is accepted too."""
    text = _text(value, field, "an IP address", error)
    if brackets and text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if not _ADDRESS_CHARS.match(text):
        raise error("%s: %r is not an IP address" % (field, value))
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise error("%s: %r is not an IP address" % (field, value)) from None


def parse_ip_network(value, field, error=AddressError, strict=False):
    """An address or network (``17.0.0.0/8``, ``2620:149::/32``, ``17.253.144.10``) -> ``ipaddress`` network.

    With ``strict`` host bits must be zero (``10.0.0.1/8`` is refused); otherwise they are cleared.
    """
    text = _text(value, field, "an IP address or network", error)
    if not _NETWORK_CHARS.match(text):
        raise error("%s: %r is not an IP address or network" % (field, value))
    try:
        return ipaddress.ip_network(text, strict=strict)
    except ValueError as exc:
        raise error("%s: %r is not an IP address or network%s" % (field, value, ": %s" % exc if strict else "")) from None


def is_ip_address(value):
    """Whether *value* is an IP address under this rule (no zone, no spaces)."""
    try:
        parse_ip_address(value, "address")
    except AddressError:
        return False
    return True


def parse_host(value, field, error=AddressError, brackets=False):
    """A host name (``hostnames.parse_hostname``) or an IP address -> ``(normalised text, is_address)``.

    ``brackets``: an IPv6 address may be given as ``[2001:db8::1]`` (the brackets are dropped).
    """
    text = _text(value, field, "a host name or IP address", error)
    if brackets and text.startswith("[") and text.endswith("]"):
        address = parse_ip_address(text, field, error, brackets=True)
        if address.version != 6:
            raise error("%s: %r: only an IPv6 address is written in brackets" % (field, value))
        return str(address), True
    inner = text
    if ":" in inner or "%" in inner:
        # Only an IPv6 address has a ':' (a zone ID has a '%'); no host name has either.
        return str(parse_ip_address(inner, field, error)), True
    if _ADDRESS_CHARS.match(inner):
        try:
            return str(ipaddress.ip_address(inner)), True
        except ValueError:
            pass
    try:
        return parse_hostname(text, field), False
    except HostnameError as exc:
        raise error(str(exc)) from None


def parse_port(value, field, error=AddressError):
    """A port: :func:`ports.parse_port` raising ``error``."""
    return ports.parse_port(value, field, error)


def format_host(host):
    """A validated host as written in a URL authority, Host: header or CONNECT line (IPv6 in brackets)."""
    return "[%s]" % host if ":" in host else host


def format_authority(host, port):
    """``host:port`` with an IPv6 address in brackets (``[2001:db8::1]:443``)."""
    return "%s:%d" % (format_host(host), port)
