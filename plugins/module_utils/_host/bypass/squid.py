# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Render a squid drop-in that identifies a bypass selection and keeps it out of SSL bumping.

Squid's ``dstdomain .example.com`` matches ``example.com`` *and* every name below it, which is
wider than ``*.example.com`` alone. The entries follow the bypass rule of :mod:`.rule`
(the apex of ``*.example.com`` is its own entry by default), so, per entry:

* ``host.example.com`` -> ``dstdomain host.example.com``;
* ``*.example.com`` together with ``example.com`` in the selection -> ``dstdomain .example.com``;
* ``*.example.com`` alone -> ``dstdom_regex -i ^.+\\.example\\.com$``;
* ``gg*.example.com`` -> ``dstdom_regex -i ^gg[^.]*\\.example\\.com$`` (one label, never a dot);
* ``10.0.0.0/8``, ``10.1.2.3``, ``fd00::/8`` -> ``dst -n``: only IP-literal destinations (with ``-n`` squid
  neither resolves a name to test it nor matches a name), and the name ACLs (``-n`` too) never match an
  IP literal.

Squid lower-cases request host names and drops trailing dots itself; ``-n`` stops squid from
doing reverse DNS for IP destinations, and the regex ACLs use ``-i``.

The ACLs hold every entry of the selection, whatever its ``supports_proxies`` column says: the whole
selection is spliced. ``always_direct`` follows the column (:func:`.rule.split_by_proxy_support`):
when some entries may use the proxy, the rules name the ``<acl>_direct`` ACLs, which hold only the
entries that go DIRECT; otherwise (every entry goes DIRECT) they name the main ACLs.

With ``ssl_bump`` the same values go into ``ssl::server_name`` / ``ssl::server_name_regex`` ACLs
(which look at the CONNECT host, the TLS SNI and the server certificate) and
``ssl_bump splice`` rules; with ``always_direct`` the selection never goes to a cache peer.
The drop-in must be included *before* the site's own ``ssl_bump``/``always_direct`` rules,
because squid uses the first rule that matches.
"""

from __future__ import annotations

import re

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.rule import (
    bypass_entries,
    entry_kind,
    format_network,
    selection_items,
    split_by_proxy_support,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.hostnames import HostnameError
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.proxy import BypassRenderError

_ACL_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,40}\Z")


def parse_acl_name(value, what="acl_name"):
    if not isinstance(value, str) or not _ACL_NAME.match(value):
        raise BypassRenderError("%s must start with a letter and contain only letters, digits and '_' "
                                "(at most 41 characters), got %r" % (what, value))
    return value


def _regex(label_glob, suffix):
    body = label_glob.replace(".", "\\.").replace("*", "[^.]*")
    return "^%s\\.%s$" % (body, suffix.replace(".", "\\."))


def squid_values(selection, include_apex=True):
    """Split a selection into (dstdomain values, regexes, networks), each in selection order.

    Exact names already covered by a ``.domain`` value are left out (squid warns about them).
    """
    try:
        entries = bypass_entries(selection, include_apex)
    except HostnameError as exc:
        raise BypassRenderError(str(exc))
    present = set(entries)
    domains, regexes, networks = [], [], []
    for entry in entries:
        kind = entry_kind(entry)
        if kind[0] == "network":
            networks.append(format_network(kind[1]))
            continue
        kind, first, suffix = kind
        if kind == "exact":
            domains.append(entry)
        elif kind == "subdomains" and suffix in present:
            domains.append("." + suffix)
        elif kind == "subdomains":
            regexes.append("^.+%s$" % ("." + suffix).replace(".", "\\."))
        else:
            regexes.append(_regex(first, suffix))
    wide = [value[1:] for value in domains if value.startswith(".")]

    def redundant(value):
        name = value.lstrip(".")
        return any(name.endswith("." + apex) or (name == apex and value == name) for apex in wide)

    kept = []
    for value in domains:
        if value not in kept and not redundant(value):
            kept.append(value)
    return kept, regexes, networks


def _dst_acls(name, domains, regexes, networks):
    """ACL lines for the destination of a request; returns (lines, [(dst acl, sni acl)])."""
    lines, acls = [], []
    if domains:
        lines += ["acl %s dstdomain -n %s" % (name, value) for value in domains]
        acls.append((name, name + "_sni"))
    if regexes:
        lines.append("# ACL %s_regex: *.domain (never the domain itself) and one-label globs." % name)
        lines += ["acl %s_regex dstdom_regex -n -i %s" % (name, value) for value in regexes]
        acls.append((name + "_regex", name + "_sni_regex"))
    if networks:
        lines.append("# ACL %s_net: IP-literal destinations in these networks (-n: a name is never resolved)." % name)
        lines += ["acl %s_net dst -n %s" % (name, value) for value in networks]
        acls.append((name + "_net", name + "_net"))
    return lines, acls


def render_squid(selection, include_apex=True, acl_name="macfleet_bypass", ssl_bump=False, always_direct=False,
                 direct="not_stated"):
    """Return the text of a squid drop-in for a bypass selection (patterns, IP networks or host records).

    Every entry is spliced (``ssl_bump``); only the entries that go DIRECT (``direct`` as in
    :func:`.rule.split_by_proxy_support`) get ``always_direct``.
    """
    name = parse_acl_name(acl_name)
    selection = selection_items(selection)
    try:
        direct_entries, proxy_capable = split_by_proxy_support(selection, direct, include_apex)
    except HostnameError as exc:
        raise BypassRenderError(str(exc))
    domains, regexes, networks = squid_values(selection, include_apex)
    if not domains and not regexes and not networks:
        raise BypassRenderError("the bypass selection is empty; squid cannot define an empty ACL")
    lines = [
        "# squid drop-in generated by macfleet.apple_network (proxy_bypass). Do not edit.",
        "# Include it before the site's own ssl_bump and always_direct rules: squid uses the first match.",
        "# ACL %s: exact names and .domain values (a .domain value covers the domain and every name below it)."
        % name,
    ]
    dst_lines, acls = _dst_acls(name, domains, regexes, networks)
    lines += dst_lines
    if ssl_bump:
        lines.append("# Never bump these names: the same values matched against the CONNECT host, SNI and certificate.")
        if domains:
            lines += ["acl %s_sni ssl::server_name %s" % (name, value) for value in domains]
        if regexes:
            lines += ["acl %s_sni_regex ssl::server_name_regex -i %s" % (name, value) for value in regexes]
        lines += ["ssl_bump splice %s" % sni for _dst, sni in acls]
    if always_direct:
        direct_acls = acls
        if proxy_capable:
            lines.append("# Apple marks these as working through a proxy: spliced above, they may use a cache peer.")
            lines += ["#   %s" % entry for entry in proxy_capable]
            if direct_entries:
                lines.append("# ACL %s_direct: the entries that go DIRECT (proxy support not stated)." % name)
                direct_lines, direct_acls = _dst_acls(name + "_direct", *squid_values(direct_entries, include_apex))
                lines += direct_lines
            else:
                direct_acls = []
        if direct_acls:
            lines.append("# Never send these names to a cache peer.")
            lines += ["always_direct allow %s" % dst for dst, _sni in direct_acls]
    return "\n".join(lines) + "\n"
