# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The readiness report's vocabulary: formats, categories, reasons a Mac was not checked, the network path and
trust of a cell, section headings, verdicts in words, and the error every invalid input raises."""

from __future__ import annotations

REPORT_FORMAT = 2
# The only result-set format this report reads (``"format"`` of a result file); probe_result_set writes it.
RESULT_SET_FORMAT = 2
# The group of a Mac whose result set names none.
UNGROUPED = "ungrouped"
# How much of a result set to keep (probe_result_set's ``detail``): every cell in full, or only the cells
# that need a look in full and the rest compact (see compact_cell).
DETAILS = ("compact", "full")

# Colour classes of a matrix cell, in order of severity (worst first). ``error`` is a bug in the probe
# (an exception in our code), not an answer from the network.
CATEGORIES = ("error", "blocked", "dns", "intercepted", "ok", "skipped")
CATEGORY_LABELS = {
    "error": "Probe error",
    "ok": "OK",
    "intercepted": "Intercepted",
    "blocked": "Blocked",
    "dns": "DNS failed",
    "skipped": "Skipped",
}
NOT_PROBED = "not_probed"
# A host whose probe could not run at all: it has a row in the report but no cells.
NOT_CHECKED = "not-checked"
UNCHECKED_REASONS = ("unreachable", "no_python", "module_error")
UNCHECKED_LABELS = {
    "unreachable": "the controller could not connect to the host",
    "no_python": "no usable Python on the host",
    "module_error": "the probe module failed",
}
# The network path a probe took (``result["path"]``) and who decided a TLS chain's trust (``tls.trust``).
PATH_SOURCES = ("option", "system", "none")
PATH_MODES = ("direct", "proxy", "bypassed", "pac")
TRUST_DECIDERS = ("anchors", "pin", "host_override", "host_trust")
# How the report groups cells: by the catalog row's section; rows without one (the 2018 seed documents) by
# their source; targets that stand for no catalog row under one heading.
EXPLICIT_TARGETS = "Explicit targets"
SECTION_KINDS = ("section", "source", "targets")
# Categories of a cell that needs a change (an intercepted cell is not "failed", but needs one too).
NEEDS_CHANGE = ("blocked", "dns", "intercepted")
# Categories of a cell that counts as failing (a Mac with one is "failing" and gets a matrix row).
FAILING = ("error",) + NEEDS_CHANGE
# How bad a category is, for drift: a cell whose severity rises got worse (a regression).
SEVERITY = {"ok": 0, "skipped": 0, "intercepted": 1, "dns": 2, "blocked": 2, "error": 2}

# Verdicts in words, for a reader who has never seen the probe's codes.
VERDICT_WORDS = {
    "ok": "reachable",
    "nxdomain": "name does not exist",
    "servfail": "name server failed (SERVFAIL)",
    "no_answer": "name has no address",
    "dns_timeout": "DNS timed out",
    "sinkhole": "name resolves to a sinkhole",
    "refused": "connection refused",
    "timeout": "connection timed out",
    "tls_error": "TLS handshake failed",
    "untrusted": "certificate not trusted",
    "pin_mismatch": "certificate does not match the pin",
    "intercepted": "HTTPS intercepted",
    "http_unexpected_status": "unexpected HTTP status",
    "proxy_denied": "proxy refused the connection",
    "proxy_error": "proxy failed",
    "ntp_no_reply": "no NTP reply",
    "ntp_invalid": "invalid NTP reply",
    "skipped": "skipped",
    "probe_error": "probe error (a bug in the probe)",
}


def verdict_words(verdict):
    """A verdict in words (``dns_timeout`` -> ``DNS timed out``); an unknown verdict as it is."""
    return VERDICT_WORDS.get(verdict, verdict)


class ReportError(ValueError):
    """Invalid probe result data; the message names the origin (file), the host, the entry and the field.

    ``problem`` says what is wrong with the input as a whole: ``invalid`` (a field), ``not_json``,
    ``truncated``, ``too_deep``, ``format`` (another format version) or ``unreadable``.
    """

    def __init__(self, message, problem="invalid"):
        super().__init__(message)
        self.problem = problem


def path_label(path):
    """The path a probe took, as the report shows it: ``direct``, ``via proxy host:port``, ``bypassed by <entry>``..."""
    if not path:
        return None
    mode = path["mode"]
    if mode == "proxy":
        return "via proxy %s" % path["proxy"] if path["proxy"] else "via proxy"
    if mode == "bypassed":
        return "bypassed by %s" % path["bypass_entry"] if path["bypass_entry"] else "bypassed"
    if mode == "pac":
        return "PAC not evaluated"
    return "direct"


def trust_label(trust):
    """Which trust decided the chain: the anchor set, the pin, the host's trust store, or ``none``."""
    if not trust:
        return None
    decided_by = trust["decided_by"]
    if decided_by == "anchors":
        return trust["anchors"] or "anchors"
    if decided_by == "pin":
        return "pinned fingerprint"
    if decided_by == "host_override":
        return trust.get("rule") or "host override (pin_overrides)"
    if decided_by == "host_trust":
        return trust["host_trust"] or "host trust"
    return "none"


def section_of(row):
    """The heading a catalog row is grouped under, and its kind: its section, else its source."""
    if row["section"]:
        return row["section"], "section"
    if row["source"]:
        return row["source"], "source"
    return EXPLICIT_TARGETS, "targets"


def plural(count, singular, many=None):
    return "%s %s" % ("{:,}".format(count), singular if count == 1 else (many or singular + "s"))
