# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What to change for a failed probe, in one line, from the verdict and the catalog row.

The one place that maps a verdict to advice; the report calls it (:func:`cell_remediation`) for every failed cell and
every catalog row (section) the cell belongs to, and every rendering (HTML, JSON, CSV) shows its line.
DNS advice names the name that was resolved; firewall, TLS and proxy advice names the row's host
pattern (``*.cdn-apple.com`` rather than the concrete name probed for it), since that is what a rule
should cover. Proxy advice follows the row's "Supports proxies" column (``supports_proxies``).
"""

from __future__ import annotations

from ansible_collections.macfleet.apple_network.plugins.module_utils._report.terms import section_of
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.terms import SUPPORTS_PROXIES

_DNS = {
    "nxdomain": "fix DNS: {host} does not resolve (NXDOMAIN: the name server says the name does not exist)",
    "servfail": "fix DNS: {host} does not resolve (the name server failed to answer: SERVFAIL)",
    "dns_timeout": "fix DNS: {host} does not resolve (no answer from the name server in time)",
    "no_answer": "fix DNS: {host} has no address record (A or AAAA)",
    "sinkhole": "fix DNS: {host} resolves to a sinkhole address; take it off the DNS filter's block list",
}
_PATH = {
    "refused": "allow {proto} {port} to {name} through the firewall",
    "timeout": "allow {proto} {port} to {name} through the firewall",
    "ntp_no_reply": "allow {proto} {port} to {name} through the firewall",
    "ntp_invalid": "let NTP ({proto} {port}) to {name} through unchanged (the reply was not valid SNTP)",
    "tls_error": "let TLS on {proto} {port} to {name} through unchanged (the TLS handshake failed)",
    "intercepted": "exempt {name} from TLS inspection",
    "pin_mismatch": "exempt {name} from TLS inspection",
    "untrusted": "exempt {name} from TLS inspection (a certificate that no trust store accepts was served)",
    "http_unexpected_status": "let HTTP to {name} port {port} through unfiltered (an unexpected HTTP status came back)",
}
_DIRECT = {
    "not_stated": "send {name} DIRECT (Apple does not state that it works through a proxy)",
    "see_note": ("send {name} DIRECT (APNs needs a direct connection; only its TCP 443 fallback works through a proxy "
                 "that does not decrypt it)"),
}
_PROXY = {
    "proxy_denied": "allow CONNECT to {name} port {port} in the proxy's rules",
    "proxy_error": "fix the proxy path to {name} port {port} (the proxy gave no usable CONNECT answer), or send it DIRECT",
}
# A probe error says nothing about the network: nothing to change there.
_PROBE = {
    "probe_error": ("nothing to change on the network: the probe of {host} port {port}/{proto} hit a bug (see its error); "
                    "probe again after updating the collection"),
}
NO_REMEDIATION = ("ok", "skipped")
# Every verdict the mapping knows; each has a unit test.
VERDICTS = tuple(_DNS) + tuple(_PATH) + tuple(_PROXY) + tuple(_PROBE) + NO_REMEDIATION


def remediation(verdict, host, port=None, protocol="tcp", pattern=None, supports_proxies=None):
    """One line saying what to change for ``verdict``, or None for a cell that needs nothing (ok, skipped).

    ``host`` is the name probed, ``pattern`` the catalog row's host pattern (default ``host``) and
    ``supports_proxies`` the row's proxy support (``yes``, ``not_stated``, ``see_note``, or None for a
    target without a catalog row). A proxy failure on a row whose proxy support Apple does not state
    (or only explains in its APNs note) is fixed by sending the host DIRECT; on other rows by the proxy.
    A verdict this version does not know gets a line that names it instead of advice.
    """
    if verdict in NO_REMEDIATION:
        return None
    if supports_proxies is not None and supports_proxies not in SUPPORTS_PROXIES:
        raise ValueError("supports_proxies: %r is not one of %s" % (supports_proxies, ", ".join(SUPPORTS_PROXIES)))
    name = pattern or host
    values = {"host": host, "name": name, "port": "?" if port is None else port, "proto": (protocol or "tcp").upper()}
    if verdict in _DNS:
        return _DNS[verdict].format(**values)
    if verdict in _PATH:
        return _PATH[verdict].format(**values)
    if verdict in _PROBE:
        return _PROBE[verdict].format(**values)
    if verdict in _PROXY:
        if supports_proxies in _DIRECT:
            return _DIRECT[supports_proxies].format(**values)
        return _PROXY[verdict].format(**values)
    return "look into {host} port {port}/{proto}: the probe reported {verdict}".format(verdict=verdict, **values)


def cell_remediation(endpoint, verdict, error=None):
    """What to change for a cell, per section: ``[{"section", "row", "line"}]`` (empty when nothing needs to).

    One line per catalog row the target stands for (see :func:`remediation`); a row whose line repeats
    another of the same section is left out. A probe error is a bug to report, whatever the row.
    """
    result = []
    rows = endpoint["rows"] or [{"id": None, "source": None, "section": None, "pattern": endpoint["pattern"],
                                 "supports_proxies": None}]
    for row in rows:
        if verdict == "probe_error":
            line = probe_error_line(error)
        else:
            line = remediation(verdict, endpoint["host"], endpoint["port"], endpoint["protocol"],
                               pattern=row["pattern"] or endpoint["pattern"], supports_proxies=row["supports_proxies"])
        if line is None:
            continue
        section = section_of(row)[0]
        if any(item["section"] == section and item["line"] == line for item in result):
            continue
        result.append({"section": section, "row": row["id"], "line": line})
    return result


def probe_error_line(error):
    """The line for a cell the probe could not decide because of a bug in it: report it, naming the step."""
    error = error or {}
    return ("report a bug in the probe (macfleet.apple_network): it failed at step %s with %s%s"
            % (error.get("step") or "unknown", error.get("type") or "an error",
               ": %s" % error["message"] if error.get("message") else ""))


def fix_lines(cell):
    """The distinct remediation lines of a cell (one per section whose rows need different changes)."""
    lines = []
    for item in cell.get("remediation") or []:
        if item["line"] not in lines:
            lines.append(item["line"])
    return lines
