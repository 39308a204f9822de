# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Render a proxy auto-config (PAC) file that sends a bypass selection DIRECT.

The JavaScript encodes exactly the bypass rule of :mod:`.rule` (entries from
``bypass_entries``, the apex of ``*.example.com`` included by default), on the destination as written
(no ``dnsResolve``/``isInNet``/``isResolvable``, so no DNS query is made):

* the host is trimmed and lower-cased;
* an IP literal (dotted IPv4, IPv6 with or without brackets) is compared with the network entries
  only, in plain JavaScript (``isInNet`` would resolve names), and never with a name entry;
* otherwise one trailing dot is removed and the name entries decide;
* ``host.example.com`` -> ``h == "host.example.com"``;
* ``*.example.com`` -> ``dnsDomainIs(h, ".example.com")`` and ``h`` longer than the suffix.
  ``dnsDomainIs`` is a bare suffix test, so the suffix always carries its leading dot (no
  ``evilexample.com``); the apex is matched by its own exact entry (``include_apex``);
* ``gg*.example.com`` -> ``dnsDomainIs(h, ".example.com")``, the rest is one label (no dot) and
  ``shExpMatch(label, "gg*")``: the glob never sees a dot, so it cannot cross labels.

Which entries go DIRECT follows the records' ``supports_proxies`` column
(:func:`.rule.split_by_proxy_support`): entries Apple marks as working through a proxy get the
fallback like any other name, and are listed in a comment only.

Every pattern and every proxy in the fallback is validated by a strict grammar before the
text is built, so nothing can break out of a JavaScript string.
"""

from __future__ import annotations

import json
import re

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.rule import (
    entry_kind,
    format_network,
    split_by_proxy_support,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.hostnames import HostnameError
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.proxy import (
    BypassRenderError,
    parse_proxy_endpoint,
)

PAC_KEYWORDS = ("PROXY", "HTTP", "HTTPS", "SOCKS", "SOCKS4", "SOCKS5")
_ENTRY = re.compile(r"^([A-Z0-9]+)(?: +(\S+))?\Z")
_FALLBACK_CHARS = re.compile(r"^[A-Za-z0-9.:;\[\] -]+\Z")


def parse_pac_fallback(value, what="fallback"):
    """Validate a PAC return value such as ``PROXY a.example.com:3128; DIRECT``; return it normalised."""
    if not isinstance(value, str) or not value.strip():
        raise BypassRenderError("%s must be a non-empty string such as 'PROXY proxy.example.com:3128; DIRECT', got %r"
                                % (what, value))
    if not _FALLBACK_CHARS.match(value):
        bad = [ch for ch in value if not _FALLBACK_CHARS.match(ch)]
        raise BypassRenderError("%s %r contains the character %r; only letters, digits, ' ', '.', ':', ';', '-', "
                                "'[' and ']' are allowed" % (what, value, bad[0]))
    entries = []
    for part in value.split(";"):
        part = part.strip()
        match = _ENTRY.match(part.upper() if part.upper() == "DIRECT" else part)
        if not match:
            raise BypassRenderError("%s %r: entry %r is not 'DIRECT' or '<TYPE> host:port'" % (what, value, part))
        keyword, endpoint = match.group(1), match.group(2)
        if keyword == "DIRECT" and endpoint is None:
            entries.append("DIRECT")
            continue
        if keyword not in PAC_KEYWORDS or endpoint is None:
            raise BypassRenderError("%s %r: entry %r must be DIRECT or one of %s followed by host:port"
                                    % (what, value, part, ", ".join(PAC_KEYWORDS)))
        entries.append("%s %s" % (keyword, parse_proxy_endpoint(endpoint, what)))
    return "; ".join(entries)


def pac_fallback(proxy=None, fallback=None):
    """The return value for names outside the selection: ``PROXY <proxy>; DIRECT`` or a validated ``fallback``."""
    if (proxy is None) == (fallback is None):
        raise BypassRenderError("give exactly one of proxy (host:port) and fallback (a PAC return value)")
    if proxy is not None:
        return "PROXY %s; DIRECT" % parse_proxy_endpoint(proxy, "proxy")
    return parse_pac_fallback(fallback)


def _js(value):
    # Values are grammar-checked already; JSON quoting is a second, independent guard.
    return json.dumps(value)


def _js_list(items, indent="  "):
    if not items:
        return "[]"
    return "[\n" + ",\n".join(indent + item for item in items) + "\n]"


_IP_FUNCTIONS = [
    "// IP literals only (a name is never resolved): dotted IPv4 without leading zeros, IPv6 with or",
    "// without brackets, a zone index ignored.",
    "function macfleetIPv4(h) {",
    "  var m = /^(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})$/.exec(h);",
    "  var value = 0, i;",
    "  if (!m) {",
    "    return -1;",
    "  }",
    "  for (i = 1; i <= 4; i++) {",
    "    if (parseInt(m[i], 10) > 255) {",
    "      return -1;",
    "    }",
    "    value = value * 256 + parseInt(m[i], 10);",
    "  }",
    "  return value;",
    "}",
    "function macfleetIPv6(h) {",
    "  var halves, head, tail, groups, last, v4, missing, words = [], i, g;",
    "  if (h.charAt(0) == \"[\" && h.charAt(h.length - 1) == \"]\") {",
    "    h = h.substring(1, h.length - 1);",
    "  }",
    "  if (h.indexOf(\"%\") != -1) {",
    "    h = h.substring(0, h.indexOf(\"%\"));",
    "  }",
    "  if (h.indexOf(\":\") == -1 || !/^[0-9a-f:.]+$/.test(h)) {",
    "    return null;",
    "  }",
    "  halves = h.split(\"::\");",
    "  if (halves.length > 2) {",
    "    return null;",
    "  }",
    "  head = halves[0] == \"\" ? [] : halves[0].split(\":\");",
    "  tail = halves.length == 2 && halves[1] != \"\" ? halves[1].split(\":\") : [];",
    "  groups = halves.length == 2 ? tail : head;",
    "  last = groups.length ? groups[groups.length - 1] : \"\";",
    "  if (last.indexOf(\".\") != -1) {",
    "    v4 = macfleetIPv4(last);",
    "    if (v4 < 0) {",
    "      return null;",
    "    }",
    "    groups.splice(groups.length - 1, 1, Math.floor(v4 / 65536).toString(16), (v4 % 65536).toString(16));",
    "  }",
    "  missing = 8 - head.length - tail.length;",
    "  if (halves.length == 2 ? missing < 1 : missing != 0) {",
    "    return null;",
    "  }",
    "  groups = head.concat([]);",
    "  for (i = 0; halves.length == 2 && i < missing; i++) {",
    "    groups.push(\"0\");",
    "  }",
    "  groups = groups.concat(tail);",
    "  for (i = 0; i < 8; i++) {",
    "    g = groups[i];",
    "    if (!/^[0-9a-f]{1,4}$/.test(g)) {",
    "      return null;",
    "    }",
    "    words.push(parseInt(g, 16));",
    "  }",
    "  return words;",
    "}",
    "function macfleetInNetwork(words, network, prefix, bitsPerWord) {",
    "  var i, bits, unit;",
    "  for (i = 0; i < words.length && prefix > 0; i++) {",
    "    bits = prefix >= bitsPerWord ? bitsPerWord : prefix;",
    "    unit = Math.pow(2, bitsPerWord - bits);",
    "    if (Math.floor(words[i] / unit) != Math.floor(network[i] / unit)) {",
    "      return false;",
    "    }",
    "    prefix -= bits;",
    "  }",
    "  return true;",
    "}",
]


def _network_item(network):
    if network.version == 4:
        words = [int(network.network_address)]
        width = 32
    else:
        packed = network.network_address.packed
        words = [packed[i] * 256 + packed[i + 1] for i in range(0, 16, 2)]
        width = 16
    return "[%s, %d, %d]  /* %s */" % (_js(words), network.prefixlen, width, format_network(network))


def _ip_block(otherwise):
    """The FindProxyForURL lines that decide an IP-literal destination (networks only, never names)."""
    return [
        "  v4 = macfleetIPv4(h);",
        "  v6 = v4 < 0 ? macfleetIPv6(h) : null;",
        "  if (v4 >= 0 || v6 !== null) {",
        "    nets = v4 >= 0 ? macfleetBypassNetworks4 : macfleetBypassNetworks6;",
        "    for (i = 0; i < nets.length; i++) {",
        "      if (macfleetInNetwork(v4 >= 0 ? [v4] : v6, nets[i][0], nets[i][1], nets[i][2])) {",
        "        return \"DIRECT\";",
        "      }",
        "    }",
        "    return %s;" % _js(otherwise),
        "  }",
    ]


def _pac_lists(entries):
    """The JavaScript list items of the DIRECT entries: ``(exact, subdomains, globs, networks4, networks6)``."""
    exact, subdomains, globs, networks4, networks6 = [], [], [], [], []
    for entry in entries:
        kind = entry_kind(entry)
        if kind[0] == "network":
            (networks4 if kind[1].version == 4 else networks6).append(_network_item(kind[1]))
            continue
        kind, first, suffix = kind
        if kind == "exact":
            exact.append("%s" % _js(entry))
        elif kind == "subdomains":
            subdomains.append("%s  /* %s */" % (_js("." + suffix), entry))
        else:
            globs.append("[%s, %s]  /* %s */" % (_js(first), _js("." + suffix), entry))
    return exact, subdomains, globs, networks4, networks6


def _name_block(otherwise):
    """The FindProxyForURL lines that decide a name destination, and the function's end."""
    return [
        "  if (h.charAt(h.length - 1) == \".\") {",
        "    h = h.substring(0, h.length - 1);",
        "  }",
        "  for (i = 0; i < macfleetBypassExact.length; i++) {",
        "    if (h == macfleetBypassExact[i]) {",
        "      return \"DIRECT\";",
        "    }",
        "  }",
        "  for (i = 0; i < macfleetBypassSubdomains.length; i++) {",
        "    suffix = macfleetBypassSubdomains[i];",
        "    if (h.length > suffix.length && dnsDomainIs(h, suffix)) {",
        "      return \"DIRECT\";",
        "    }",
        "  }",
        "  for (i = 0; i < macfleetBypassLabelGlobs.length; i++) {",
        "    suffix = macfleetBypassLabelGlobs[i][1];",
        "    if (dnsDomainIs(h, suffix)) {",
        "      label = h.substring(0, h.length - suffix.length);",
        "      if (label.indexOf(\".\") == -1 && shExpMatch(label, macfleetBypassLabelGlobs[i][0])) {",
        "        return \"DIRECT\";",
        "      }",
        "    }",
        "  }",
        "  return %s;" % _js(otherwise),
        "}",
        "",
    ]


def render_pac(selection, proxy=None, fallback=None, include_apex=True, direct="not_stated"):
    """Return the PAC file text for a bypass selection (patterns, IP networks or host records).

    The selection follows the bypass rule of :mod:`.rule` (``include_apex`` and ``direct`` as
    there): only the DIRECT entries are in the file's lists.
    """
    try:
        entries, proxy_capable = split_by_proxy_support(selection, direct, include_apex)
    except HostnameError as exc:
        raise BypassRenderError(str(exc))
    otherwise = pac_fallback(proxy, fallback)
    exact, subdomains, globs, networks4, networks6 = _pac_lists(entries)
    has_networks = bool(networks4 or networks6)
    # A trailing comment after the last element keeps the lists free of trailing commas.
    lines = [
        "// Proxy auto-config generated by macfleet.apple_network (proxy_bypass). Do not edit.",
        "// %d bypass entr%s go DIRECT; everything else: %s" % (
            len(entries), "y" if len(entries) == 1 else "ies", otherwise),
    ] + [
        "// May use the proxy (Apple: supports proxies; the proxy must not intercept it): %s" % entry
        for entry in proxy_capable
    ] + [
        "// Matching is on the name only (no DNS lookups), case-insensitive, one trailing dot ignored:",
        "//   host.example.com  only that name",
        "//   *.example.com     any name below example.com (example.com itself only when listed too)",
        "//   gg*.example.com   exactly one label matching gg* in front of example.com",
        "//   10.0.0.0/8        IP-literal destinations in the network (names are never resolved)",
        "var macfleetBypassExact = %s;" % _js_list(exact),
        "var macfleetBypassSubdomains = %s;" % _js_list(subdomains),
        "var macfleetBypassLabelGlobs = %s;" % _js_list(globs),
    ]
    if has_networks:
        lines += [
            "// [network as 32-bit (IPv4) or 16-bit (IPv6) words, prefix length, bits per word]",
            "var macfleetBypassNetworks4 = %s;" % _js_list(networks4),
            "var macfleetBypassNetworks6 = %s;" % _js_list(networks6),
            "",
        ] + _IP_FUNCTIONS
    lines += [
        "",
        "function FindProxyForURL(url, host) {",
        "  var h = String(host).replace(/^\\s+|\\s+$/g, \"\").toLowerCase();",
        "  var i, suffix, label%s;" % (", v4, v6, nets" if has_networks else ""),
    ]
    if has_networks:
        lines += _ip_block(otherwise)
    return "\n".join(lines + _name_block(otherwise))
