# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Mac's own proxy settings, read from ``scutil --proxy``, and the path a probe must take.

Standard library only (runs on the managed Mac, Python 3.9+).

Output format (what :func:`parse_scutil_proxy` accepts): one ``key : value`` per line, nested values
opened by ``key : <dictionary> {`` or ``key : <array> {`` (elements keyed ``0``, ``1``, ...) and closed by
``}``; numbers (every ``*Enable`` flag and port) come back as ``int``, everything else as a string;
``No proxy configuration available`` is an empty dictionary. The scoped keys ``scutil -d --proxy`` prints
(``__SCOPED__``, ...) are parsed and ignored. Anything else raises :class:`SystemProxyError` with the line
number. A proxy host (``HTTPProxy``, ``HTTPSProxy``) must pass the collection's address rule like any
option, else :class:`SystemProxyError` names the key: the probe never connects or sends credentials to it.

Matching ``ExceptionsList`` entries (:func:`exception_matches`). Apple documents no rule and the
published tests disagree (``docs/docsite/rst/proxy_bypass_guide.rst``), so an entry bypasses the proxy
only where every reading agrees, and :func:`choose_path` says in its note when macOS might bypass more:

* ``*.example.com`` matches names under ``example.com``, never ``evilexample.com``, and not the apex
  (the collection's host rule, :func:`host_matches`; macOS may also bypass the apex);
* ``example.com`` matches that name only (macOS may treat it as a domain suffix);
* any other ``*`` (``gg*.apple.com``, ``*example.com``, ``example.*``) is ignored with a note;
* IP entries (``192.168.1.1``, ``10.0.0.0/8``, ``fd00::/8``, the BSD shorthand ``169.254/16``) match
  literal IP targets only, read by the bypass rule's ``parse_network``; a host name is never resolved to
  test it against them;
* entries that are no valid pattern (``<local>``, ``.example.com``, ``host:8080``, a zone ID) are
  ignored with a note, never an exception;
* ``ExcludeSimpleHostnames`` = 1 bypasses names without a dot, not addresses.

Which proxy a probe uses (:func:`choose_path`):

* a PAC URL or automatic proxy discovery: mode ``pac``, the probe goes direct and the note starts with
  ``PAC not evaluated: <url>``; no bypass entry is consulted;
* TLS targets use the HTTPS proxy through ``CONNECT``, a plain HTTP check the HTTP proxy, any other
  TCP target goes direct (the SOCKS proxy is not used);
* a matching ``ExceptionsList`` entry, then ``ExcludeSimpleHostnames``, gives mode ``bypassed``.
"""

from __future__ import annotations

import re

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules import addresses as address_rule
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.rule import destination_address, parse_network
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.hostnames import (
    HostnameError,
    host_matches,
    normalise_host_for_match,
    parse_pattern,
)

NO_CONFIGURATION = "No proxy configuration available"
SIMPLE_HOSTNAMES = "ExcludeSimpleHostnames"
PATH_MODES = ("direct", "proxy", "bypassed", "pac")

_OPEN = re.compile(r"^(?P<key>\S+) : <(?P<kind>dictionary|array)> \{$")
_ITEM = re.compile(r"^(?P<key>\S+) :(?: (?P<value>.*))?$")
# CFNumbers print as at most 20 digits; a longer run of digits stays text (int() of thousands of digits
# would raise Python's own digit-limit ValueError, or cost CPU where that limit is off).
_INTEGER = re.compile(r"^-?[0-9]{1,20}$")


class SystemProxyError(ValueError):
    """``scutil --proxy`` output or settings that cannot be used."""


def _line_error(number, line, why):
    shown = line if len(line) <= 80 else line[:77] + "..."
    return SystemProxyError("scutil --proxy output line %d: %s: %r" % (number, why, shown))


def _scalar(text):
    return int(text) if _INTEGER.match(text) else text


def parse_scutil_proxy(text):
    """Parse the text ``scutil --proxy`` prints into a dict (arrays become lists, numbers ints)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not isinstance(text, str):
        raise SystemProxyError("scutil --proxy output must be text, got %s" % type(text).__name__)
    if text.strip() == NO_CONFIGURATION:
        return {}
    root = None
    stack = []  # [container, kind, opened_on_line]
    closed_on = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if closed_on is not None:
            raise _line_error(number, line, "text after the dictionary closed on line %d" % closed_on)
        if root is None:
            if line != "<dictionary> {":
                raise _line_error(number, line, "expected '<dictionary> {'")
            root = {}
            stack.append([root, "dictionary", number])
            continue
        container, kind, _opened = stack[-1]
        if line == "}":
            stack.pop()
            if not stack:
                closed_on = number
            continue
        opened = _OPEN.match(line)
        item = None if opened else _ITEM.match(line)
        if not opened and not item:
            raise _line_error(number, line, "expected 'key : value', 'key : <array> {', 'key : <dictionary> {' or '}'")
        key = (opened or item).group("key")
        if opened:
            value = {} if opened.group("kind") == "dictionary" else []
        else:
            value = _scalar(item.group("value") or "")
        if kind == "array":
            if key != str(len(container)):
                raise _line_error(number, line, "array element %s where element %d was expected" % (key, len(container)))
            container.append(value)
        else:
            if key in container:
                raise _line_error(number, line, "key %s appears twice" % key)
            container[key] = value
        if opened:
            stack.append([value, opened.group("kind"), number])
    if root is None:
        raise SystemProxyError("scutil --proxy printed nothing (expected '<dictionary> {' or %r)" % NO_CONFIGURATION)
    if stack:
        raise SystemProxyError(
            "scutil --proxy output ends inside the <%s> opened on line %d" % (stack[-1][1], stack[-1][2])
        )
    return root


def _enabled(parsed, key):
    value = parsed.get(key, 0)
    if value in (0, 1, False, True):
        return bool(value)
    raise SystemProxyError("%s must be 0 or 1, got %r" % (key, value))


def _proxy(parsed, prefix):
    if not _enabled(parsed, prefix + "Enable"):
        return None
    host = parsed.get(prefix + "Proxy")
    if isinstance(host, int) and not isinstance(host, bool):
        host = str(host)
    if not isinstance(host, str) or not host.strip():
        raise SystemProxyError("%sEnable is 1 but %sProxy is missing or empty" % (prefix, prefix))
    # The host goes into the probe's connection and its results: the address rule applies to it as to an option.
    host = address_rule.parse_host(host.strip(), prefix + "Proxy", SystemProxyError, brackets=True)[0]
    port = parsed.get(prefix + "Port")
    if port is None or port == "":
        raise SystemProxyError("%sEnable is 1 but %sPort is missing" % (prefix, prefix))
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise SystemProxyError("%sPort %r is not a port number (1-65535)" % (prefix, port))
    return {"host": host, "port": port}


def system_proxy_settings(parsed):
    """Normalise a :func:`parse_scutil_proxy` dict (enable flags honoured, ``__SCOPED__`` ignored).

    Returns ``{"https": {"host", "port"} or None, "http": {...} or None, "pac_url": str or None,
    "auto_discovery": bool, "exceptions": [str, ...], "exclude_simple_hostnames": bool}``.
    ``pac_url`` is the ``ProxyAutoConfigURLString``, or ``"(inline ProxyAutoConfigJavaScript)"``
    when the PAC script is stored in the settings instead of a URL. A proxy or PAC that is enabled
    without its host, port or URL raises :class:`SystemProxyError` naming the key.
    """
    if not isinstance(parsed, dict):
        raise SystemProxyError("the proxy settings must be a dictionary, got %s" % type(parsed).__name__)
    pac_url = None
    if _enabled(parsed, "ProxyAutoConfigEnable"):
        url = parsed.get("ProxyAutoConfigURLString")
        if isinstance(url, str) and url.strip():
            pac_url = url.strip()
        elif parsed.get("ProxyAutoConfigJavaScript"):
            pac_url = "(inline ProxyAutoConfigJavaScript)"
        else:
            raise SystemProxyError("ProxyAutoConfigEnable is 1 but ProxyAutoConfigURLString is missing or empty")
    exceptions = parsed.get("ExceptionsList", [])
    if not isinstance(exceptions, list):
        raise SystemProxyError("ExceptionsList must be an array, got %r" % (exceptions,))
    return {
        "https": _proxy(parsed, "HTTPS"),
        "http": _proxy(parsed, "HTTP"),
        "pac_url": pac_url,
        "auto_discovery": _enabled(parsed, "ProxyAutoDiscoveryEnable"),
        "exceptions": [str(entry) for entry in exceptions],
        "exclude_simple_hostnames": _enabled(parsed, SIMPLE_HOSTNAMES),
    }


def parse_exception(entry):
    """Classify one ``ExceptionsList`` entry: ``("network", ip_network)`` or ``("name", pattern)``.

    Raises :class:`SystemProxyError` (the reason the entry is ignored) for entries this module
    does not evaluate; see the module docstring for the rules.
    """
    if not isinstance(entry, str) or not entry.strip():
        raise SystemProxyError("an empty entry")
    text = entry.strip()
    if any(ch.isspace() for ch in text):
        raise SystemProxyError("%r contains white space" % text)
    try:
        network = parse_network(text[1:-1] if text.startswith("[") and text.endswith("]") else text)
    except ValueError as err:
        raise SystemProxyError("%r is not an IP address or network: %s" % (text, err))
    if network is not None:
        return "network", network
    if "*" in text and not (text.startswith("*.") and "*" not in text[2:]):
        raise SystemProxyError(
            "%r: a '*' other than a leading '*.' is not evaluated (macOS's handling is undocumented)" % text
        )
    try:
        return "name", parse_pattern(text, "ExceptionsList entry")
    except HostnameError as err:
        raise SystemProxyError(str(err))


def exception_matches(entry, host, is_address):
    """True when the ``ExceptionsList`` *entry* makes macOS bypass the proxy for *host*.

    *is_address* says the probe target is a literal IP address. Name entries never match an
    address and address entries never match a name (no DNS lookup). Entries that are not
    evaluated (see :func:`parse_exception`) never match and never raise.
    """
    try:
        kind, rule = parse_exception(entry)
    except SystemProxyError:
        return False
    if not isinstance(host, str) or not host.strip():
        return False
    if kind == "network":
        if not is_address:
            return False
        address = destination_address(host)
        return address is not None and address.version == rule.version and address in rule
    if is_address:
        return False
    return host_matches(host, rule)


def _might_also_match(entry, host):
    """A note when a broader reading of macOS's matching would bypass *host* (see the docstring)."""
    try:
        kind, rule = parse_exception(entry)
    except SystemProxyError:
        return None
    if kind != "name":
        return None
    name = normalise_host_for_match(host)
    if rule.startswith("*.") and name == rule[2:]:
        return "macOS may also bypass the apex %s for %r (unverified); this probe uses the proxy" % (name, entry)
    if not rule.startswith("*.") and name.endswith("." + rule):
        return "macOS may treat %r as a domain suffix covering %s (unverified); this probe uses the proxy" % (entry, name)
    return None


def _result(mode, proxy, bypass_entry, notes):
    return {
        "source": "system",
        "mode": mode,
        "proxy": dict(proxy) if proxy else None,
        "bypass_entry": bypass_entry,
        "note": "; ".join(notes),
    }


def _where(proxy):
    host = proxy["host"]
    return "[%s]:%d" % (host, proxy["port"]) if ":" in host else "%s:%d" % (host, proxy["port"])


def choose_path(settings, host, port, tls, http_check, is_address):
    """The path a probe of *host*:*port* must take under the Mac's proxy *settings*.

    *settings* comes from :func:`system_proxy_settings`. Returns ``{"source": "system",
    "mode": "direct" | "proxy" | "bypassed" | "pac", "proxy": {"host", "port"} or None,
    "bypass_entry": the matching ExceptionsList entry, "ExcludeSimpleHostnames" or None,
    "note": a sentence (several joined with "; ")}``.
    """
    if settings.get("pac_url") or settings.get("auto_discovery"):
        if settings.get("pac_url"):
            what = settings["pac_url"]
            if settings.get("auto_discovery"):
                what += " (WPAD auto-discovery is also on)"
        else:
            what = "WPAD auto-discovery (ProxyAutoDiscoveryEnable)"
        return _result("pac", None, None, ["PAC not evaluated: %s" % what, "the probe connects directly"])
    if tls:
        proxy, label = settings.get("https"), "HTTPS"
    elif http_check:
        proxy, label = settings.get("http"), "HTTP"
    else:
        return _result("direct", None, None, [
            "the macOS proxy settings cover HTTP and HTTPS only; a plain TCP check of port %s goes direct" % port
        ])
    if proxy is None:
        return _result("direct", None, None, ["no %s proxy is set (%sEnable is 0); direct" % (label, label)])
    ignored, broader = [], []
    matched = None
    for entry in settings.get("exceptions") or []:
        try:
            parse_exception(entry)
        except SystemProxyError as err:
            ignored.append("ExceptionsList entry ignored: %s" % err)
            continue
        if matched is None and exception_matches(entry, host, is_address):
            matched = entry
        elif not is_address:
            maybe = _might_also_match(entry, host)
            if maybe:
                broader.append(maybe)
    if matched is not None:
        return _result("bypassed", None, matched, [
            "%s bypasses the %s proxy %s (ExceptionsList entry %r)" % (host, label, _where(proxy), matched)
        ] + ignored)
    if settings.get("exclude_simple_hostnames") and not is_address and "." not in host.strip():
        return _result("bypassed", None, SIMPLE_HOSTNAMES, [
            "%s has no dot and ExcludeSimpleHostnames is on: it bypasses the %s proxy %s" % (host, label, _where(proxy))
        ] + ignored)
    how = "CONNECT through the HTTPS proxy %s" if tls else "through the HTTP proxy %s"
    return _result("proxy", proxy, None, [how % _where(proxy)] + broader + ignored)
