# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The readiness report model: validate per-host probe result sets, merge slices, build the matrix.

Input is what ``playbooks/probe.yml`` writes per host::

    {"host": "mac-01", "catalog_edition": "apple-2018-02-13", "generated_at": "2024-05-01T10:00:00Z",
     "results": [<endpoint_probe result>, ...], "summary": {...}}

A host that could not be probed has no results and says why::

    {"host": "mac-02", "catalog_edition": null, "generated_at": "2024-05-01T10:00:03Z", "results": [],
     "summary": {"total": 0, ...}, "unchecked": {"reason": "unreachable", "message": "..."}}

:func:`probe_result_set` builds either form from the registered result of the ``endpoint_probe`` task
(the playbooks call it through the ``probe_result_set`` filter), so the classification lives here.

:func:`build_report` turns any number of such sets (from several AWX job slices, for example)
into one report dictionary: the JSON export is that dictionary, the HTML page and the CSV export
are renderings of it (see ``render.py``). Cells are grouped by the section of the catalog rows their
target stands for (``sections``), and every cell that needs a change says what to change in one line
per row (``remediation``, from ``remediation.py``). Everything here is deterministic: the same inputs, in
any order, give the same report.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.terms import SUPPORTS_PROXIES
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.remediation import remediation

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
STATUSES = ("ok", "failed", "intercepted", "skipped", "error")
PROTOCOLS = ("tcp", "udp")
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

# Used only when a result carries no ``category`` (older probe output): verdict -> category.
VERDICT_CATEGORY = {
    "ok": "ok",
    "nxdomain": "dns",
    "servfail": "dns",
    "no_answer": "dns",
    "dns_timeout": "dns",
    "sinkhole": "dns",
    "refused": "blocked",
    "timeout": "blocked",
    "tls_error": "blocked",
    "untrusted": "blocked",
    "pin_mismatch": "blocked",
    "intercepted": "intercepted",
    "http_unexpected_status": "blocked",
    "proxy_denied": "blocked",
    "proxy_error": "blocked",
    "ntp_no_reply": "blocked",
    "ntp_invalid": "blocked",
    "skipped": "skipped",
    "probe_error": "error",
}

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


class _Where:
    def __init__(self, origin, host=None, index=None):
        self.origin, self.host, self.index = origin, host, index

    def fail(self, field, message):
        where = str(self.origin)
        if self.host is not None:
            where += ": host %r" % (self.host,)
        if self.index is not None:
            where += ": results[%d]" % self.index
        raise ReportError("%s: field '%s': %s" % (where, field, message))


def _text(where, field, value, required=False):
    if value is None:
        if required:
            where.fail(field, "is required")
        return None
    if not isinstance(value, str):
        where.fail(field, "must be a string, got %s %r" % (type(value).__name__, value))
    if required and not value.strip():
        where.fail(field, "must not be empty")
    return value


def _text_list(where, field, value):
    if value is None:
        return []
    if not isinstance(value, list):
        where.fail(field, "must be a list of strings, got %r" % (value,))
    return [_text(where, field, item, required=True) for item in value]


def _port(where, field, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        where.fail(field, "%r is not a port number 0-65535" % (value,))
    return value


def _chain(where, value):
    if value is None:
        return []
    if not isinstance(value, list):
        where.fail("tls.chain", "must be a list of certificates, got %r" % (value,))
    chain = []
    for cert in value:
        if not isinstance(cert, dict):
            where.fail("tls.chain", "each certificate must be a mapping, got %r" % (cert,))
        chain.append({key: _text(where, "tls.chain.%s" % key, cert.get(key)) for key in ("subject", "issuer", "sha256")})
    return chain


def _choice(where, field, value, choices, required=False):
    value = _text(where, field, value, required=required)
    if value is not None and value not in choices:
        where.fail(field, "%r is not one of %s" % (value, ", ".join(choices)))
    return value


def _path(where, value):
    """``result["path"]``: how the probe reached the target (absent in older probe output)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        where.fail("path", "must be a mapping with source, mode, proxy, bypass_entry and note, got %r" % (value,))
    return {
        "source": _choice(where, "path.source", value.get("source"), PATH_SOURCES),
        "mode": _choice(where, "path.mode", value.get("mode"), PATH_MODES, required=True),
        "proxy": _text(where, "path.proxy", value.get("proxy")),
        "bypass_entry": _text(where, "path.bypass_entry", value.get("bypass_entry")),
        "note": _text(where, "path.note", value.get("note")),
    }


def _trust(where, value):
    """``result["tls"]["trust"]``: which trust decided the chain (absent in older probe output)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        where.fail("tls.trust", "must be a mapping with decided_by, anchors and host_trust, got %r" % (value,))
    return {
        "decided_by": _choice(where, "tls.trust.decided_by", value.get("decided_by"), TRUST_DECIDERS),
        "anchors": _text(where, "tls.trust.anchors", value.get("anchors")),
        "host_trust": _text(where, "tls.trust.host_trust", value.get("host_trust")),
        "rule": _text(where, "tls.trust.rule", value.get("rule")),
    }


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


def _rows(where, target):
    """The catalog rows a target stands for (``target.rows``); older probe output has none, and the
    target's own id, source and section stand for its one row."""
    raw = target.get("rows")
    if raw is None:
        if not any(target.get(key) for key in ("id", "source", "section")):
            return []
        raw = [{"id": target.get("id"), "source": target.get("source"), "section": target.get("section"),
                "pattern": target.get("pattern"), "probe_host_origin": target.get("probe_host_origin")}]
    if not isinstance(raw, list):
        where.fail("target.rows", "must be a list of catalog rows, got %r" % (raw,))
    rows = []
    for index, row in enumerate(raw):
        field = "target.rows[%d]" % index
        if not isinstance(row, dict):
            where.fail(field, "must be a mapping, got %r" % (row,))
        rows.append({
            "id": _text(where, field + ".id", row.get("id")),
            "source": _text(where, field + ".source", row.get("source")),
            "section": _text(where, field + ".section", row.get("section")),
            "pattern": _text(where, field + ".pattern", row.get("pattern")),
            "supports_proxies": _choice(where, field + ".supports_proxies", row.get("supports_proxies"), SUPPORTS_PROXIES),
            "probe_host_origin": _text(where, field + ".probe_host_origin", row.get("probe_host_origin")),
        })
    return rows


def section_of(row):
    """The heading a catalog row is grouped under, and its kind: its section, else its source."""
    if row["section"]:
        return row["section"], "section"
    if row["source"]:
        return row["source"], "source"
    return EXPLICIT_TARGETS, "targets"


def _sections(rows):
    """The distinct headings of a target's rows, in row order, with their kinds."""
    found = []
    for row in rows:
        heading = section_of(row)
        if heading not in found:
            found.append(heading)
    return found or [(EXPLICIT_TARGETS, "targets")]


def _result(where, raw):
    if not isinstance(raw, dict):
        where.fail("(result)", "must be a mapping, got %r" % (raw,))
    target = raw.get("target")
    if not isinstance(target, dict):
        where.fail("target", "must be a mapping with host, port and protocol, got %r" % (target,))
    host = target.get("host")
    if host is None and raw.get("verdict") == "skipped":
        # A wildcard row without a concrete name is reported skipped under its pattern: nothing was probed.
        host = target.get("pattern")
    endpoint = {
        "host": _text(where, "target.host", host, required=True),
        "port": _port(where, "target.port", target.get("port")),
        "protocol": _text(where, "target.protocol", target.get("protocol")) or "tcp",
        "pattern": _text(where, "target.pattern", target.get("pattern")),
        "id": _text(where, "target.id", target.get("id")),
        "source": _text(where, "target.source", target.get("source")),
        "service": _text(where, "target.service", target.get("service")),
        "required": target.get("required"),
        "probe_host_origin": _text(where, "target.probe_host_origin", target.get("probe_host_origin")),
        "rows": _rows(where, target),
    }
    headings = _sections(endpoint["rows"])
    endpoint["sections"] = [name for name, _kind in headings]
    endpoint["section_kinds"] = [kind for _name, kind in headings]
    if endpoint["protocol"] not in PROTOCOLS:
        where.fail("target.protocol", "%r is not one of %s" % (endpoint["protocol"], ", ".join(PROTOCOLS)))
    if endpoint["required"] is not None and not isinstance(endpoint["required"], bool):
        where.fail("target.required", "must be true or false, got %r" % (endpoint["required"],))
    status = _text(where, "status", raw.get("status"), required=True)
    if status not in STATUSES:
        where.fail("status", "%r is not one of %s" % (status, ", ".join(STATUSES)))
    verdict = _text(where, "verdict", raw.get("verdict"), required=True)
    category = _text(where, "category", raw.get("category"))
    if category is None:
        if verdict not in VERDICT_CATEGORY:
            where.fail("verdict", "%r is not a known verdict and the result has no category" % (verdict,))
        category = VERDICT_CATEGORY[verdict]
    if category not in CATEGORIES:
        where.fail("category", "%r is not one of %s" % (category, ", ".join(CATEGORIES)))
    tls = raw.get("tls") or {}
    if not isinstance(tls, dict):
        where.fail("tls", "must be a mapping, got %r" % (tls,))
    path = _path(where, raw.get("path"))
    trust = _trust(where, tls.get("trust"))
    resigned_by = _text(where, "tls.resigned_by", tls.get("resigned_by"))
    error = None
    if category == "error":
        raw_error = raw.get("error") or {}
        if not isinstance(raw_error, dict):
            where.fail("error", "must be a mapping with step, type and message, got %r" % (raw_error,))
        error = {key: _text(where, "error." + key, raw_error.get(key)) for key in ("step", "type", "message")}
    evidence = None
    if category == "intercepted" or tls.get("interception"):
        evidence = {
            "issuers_seen": _text_list(where, "tls.issuers_seen", tls.get("issuers_seen")),
            "expected_issuers": _text_list(where, "tls.expected_issuers", tls.get("expected_issuers")),
            "chain": _chain(where, tls.get("chain")),
            "resigned_by": resigned_by,
        }
    return endpoint, {
        "status": status,
        "verdict": verdict,
        "category": category,
        "message": _text(where, "message", raw.get("message")) or "",
        "evidence": evidence,
        "path": path,
        "trust": trust,
        "resigned_by": resigned_by,
        "error": error,
    }


def endpoint_key(endpoint):
    """The matrix column of a target: ``host:port/protocol`` (``host/protocol`` without a port)."""
    if endpoint["port"] is None:
        return "%s/%s" % (endpoint["host"], endpoint["protocol"])
    return "%s:%d/%s" % (endpoint["host"], endpoint["port"], endpoint["protocol"])


def _unchecked(where, value):
    if value is None:
        return None
    if not isinstance(value, dict):
        where.fail("unchecked", "must be a mapping with reason and message, got %r" % (value,))
    return {
        "reason": _choice(where, "unchecked.reason", value.get("reason"), UNCHECKED_REASONS, required=True),
        "message": _text(where, "unchecked.message", value.get("message")) or "",
        "remedy": _text(where, "unchecked.remedy", value.get("remedy")),
    }


def validate_result_set(data, origin):
    """Validate one per-host result set; return it normalised (raises :class:`ReportError`)."""
    where = _Where(origin)
    if not isinstance(data, dict):
        where.fail("(document)", "must be a mapping with host and results, got %s" % type(data).__name__)
    if data.get("format") != RESULT_SET_FORMAT or isinstance(data.get("format"), bool):
        raise ReportError("%s: from another format version: format %r, this report reads format %d (write the "
                          "result sets again with this collection's probe or readiness playbook)"
                          % (origin, data.get("format"), RESULT_SET_FORMAT), problem="format")
    host = _text(where, "host", data.get("host"), required=True)
    where = _Where(origin, host)
    unchecked = _unchecked(where, data.get("unchecked"))
    results = data.get("results")
    if results is None and unchecked is not None:
        results = []
    if not isinstance(results, list):
        where.fail("results", "must be a list of probe results, got %r" % (results,))
    if unchecked is not None and results:
        where.fail("results", "must be empty for a host that was not checked (unchecked.reason %r), got %d results"
                   % (unchecked["reason"], len(results)))
    normalised = {
        "host": host,
        "origin": str(origin),
        "group": _text(where, "group", data.get("group")) or UNGROUPED,
        "catalog_edition": _text(where, "catalog_edition", data.get("catalog_edition")),
        "generated_at": _text(where, "generated_at", data.get("generated_at")),
        "unchecked": unchecked,
        "endpoints": {},
        "cells": {},
    }
    for index, raw in enumerate(results):
        endpoint, cell = _result(_Where(origin, host, index), raw)
        key = endpoint_key(endpoint)
        previous = normalised["cells"].get(key)
        # The same target twice in one host's results: keep the worse outcome (deterministic).
        if previous is None or CATEGORIES.index(cell["category"]) < CATEGORIES.index(previous["category"]):
            normalised["cells"][key] = cell
            normalised["endpoints"][key] = endpoint
    return normalised


def _answer_key(key, cell):
    """The identity of an answer: the endpoint and everything the report shows of the cell."""
    return json.dumps([key, cell], sort_keys=True, separators=(",", ":"))


class _Host:
    """What the report keeps of one Mac: a few names and the interned tuple of its answers' ids."""

    __slots__ = ("host", "group", "origin", "catalog_edition", "generated_at", "unchecked", "answers", "digest")

    def __init__(self, result_set, answers, digest):
        self.host = result_set["host"]
        self.group = result_set["group"]
        self.origin = result_set["origin"]
        self.catalog_edition = result_set["catalog_edition"]
        self.generated_at = result_set["generated_at"]
        self.unchecked = result_set["unchecked"]
        self.answers = answers
        self.digest = digest

    def wins_over(self, other):
        """The latest ``generated_at`` wins; equal times are decided by the content, then the smaller origin."""
        return ((self.generated_at or "", self.digest, _reverse(self.origin))
                > (other.generated_at or "", other.digest, _reverse(other.origin)))


def _reverse(text):
    """A key that sorts ``text`` in reverse order (a smaller origin wins a tie)."""
    return tuple(-ord(char) for char in text)


class ReportBuilder:
    """Builds the report in one pass over the result sets, with memory bounded by the distinct answers.

    :meth:`add` takes one validated result set (see :func:`validate_result_set`) at a time. A cell is
    interned as an *answer* (endpoint and everything shown of the cell: verdict, message, path, trust,
    evidence), and a Mac is kept as the tuple of its answers' ids, itself interned: ten thousand Macs with
    the same results share one tuple. :meth:`reject` records a file that could not be read. :meth:`finish`
    returns the :class:`Report`.
    """

    def __init__(self, title="Apple network readiness"):
        self.title = title
        self._answer_ids = {}
        self._answers = []  # (endpoint key, cell)
        self._signatures = {}
        self._endpoints = {}  # key -> (describing host, endpoint)
        self._first_heading, self._further_heading = {}, {}
        self._hosts = {}
        self.duplicates = []
        self.rejected = []

    def reject(self, origin, error):
        """A result file (or set) that could not be used: its name, the kind of problem and the message."""
        self.rejected.append({"file": str(origin), "problem": getattr(error, "problem", "invalid"),
                              "message": str(error)})

    def add(self, result_set):
        host = result_set["host"]
        ids, keys = [], []
        for position, (key, cell) in enumerate(result_set["cells"].items()):
            answer = _answer_key(key, cell)
            answer_id = self._answer_ids.get(answer)
            if answer_id is None:
                answer_id = self._answer_ids[answer] = len(self._answers)
                self._answers.append((key, cell))
            ids.append(answer_id)
            keys.append(answer)
            self._describe(host, position, key, result_set["endpoints"][key])
        signature = tuple(sorted(ids))
        signature = self._signatures.setdefault(signature, signature)
        digest = hashlib.sha256(json.dumps([result_set["group"], result_set["catalog_edition"],
                                            result_set["unchecked"], sorted(keys)], sort_keys=True).encode()).digest()[:12]
        record = _Host(result_set, signature, digest)
        kept = self._hosts.get(host)
        if kept is None:
            self._hosts[host] = record
            return
        winner, loser = (record, kept) if record.wins_over(kept) else (kept, record)
        self._hosts[host] = winner
        self.duplicates.append({"host": host, "kept": winner.origin, "dropped": loser.origin,
                                "kept_generated_at": winner.generated_at, "dropped_generated_at": loser.generated_at})

    def _describe(self, host, position, key, endpoint):
        """The first host by name that saw a target describes it; headings are ordered as the hosts, by
        name, met them (see :meth:`_section_order`)."""
        order = (host, position)
        known = self._endpoints.get(key)
        if known is None or order < known[0]:
            self._endpoints[key] = (order, endpoint)
        headings = list(zip(endpoint["sections"], endpoint["section_kinds"]))
        if headings[0] not in self._first_heading or order < self._first_heading[headings[0]]:
            self._first_heading[headings[0]] = order
        for index, heading in enumerate(headings[1:]):
            further = order + (index,)
            if heading not in self._further_heading or further < self._further_heading[heading]:
                self._further_heading[heading] = further

    def _section_order(self):
        """``{heading: (rank, kind)}``: catalog sections first, then the sources of rows without a section, then
        explicit targets; within a kind in the order the probes met them as an endpoint's first heading (hosts by
        name, each host's results in order: the catalog's order of rows), then as a further one."""
        keys = dict((heading, (SECTION_KINDS.index(heading[1]), 1) + order) for heading, order in self._further_heading.items())
        keys.update((heading, (SECTION_KINDS.index(heading[1]), 0) + order) for heading, order in self._first_heading.items())
        ordered = sorted(keys, key=keys.get)
        return dict((name, (rank, kind)) for rank, (name, kind) in enumerate(ordered))

    def has_input(self):
        """Whether anything was given: a result set, or a file that was rejected (the report lists it)."""
        return bool(self._hosts or self.rejected)

    def finish(self):
        duplicates = sorted(self.duplicates, key=lambda d: (d["host"], d["dropped"]))
        rejected = sorted(self.rejected, key=lambda r: r["file"])
        # Answer ids in the order of their content, not of the input, so that any order of inputs gives the same report.
        keys = sorted(self._answer_ids, key=self._answer_ids.get)
        order = sorted(range(len(keys)), key=keys.__getitem__)
        renumbered = [0] * len(order)
        for new, old in enumerate(order):
            renumbered[old] = new
        answers = [self._answers[old] for old in order]
        signatures = {}
        hosts = []
        for name in sorted(self._hosts):
            record = self._hosts[name]
            signature = signatures.get(record.answers)
            if signature is None:
                signature = signatures[record.answers] = tuple(sorted(renumbered[a] for a in record.answers))
            record.answers = signature
            hosts.append(record)
        return Report(self.title, answers, dict((k, v[1]) for k, v in self._endpoints.items()),
                      self._section_order(), hosts, duplicates, rejected)


def build_report(result_sets, title="Apple network readiness"):
    """The :class:`Report` of already validated result sets (see :func:`validate_result_set`)."""
    builder = ReportBuilder(title)
    for result_set in result_sets:
        builder.add(result_set)
    return builder.finish()


def _endpoint_sort_key(item):
    key, endpoint = item
    return ((endpoint["service"] or "").lower(), endpoint["host"], endpoint["port"] or 0, endpoint["protocol"], key)


def _zero_counts():
    counts = dict.fromkeys(CATEGORIES, 0)
    counts[NOT_PROBED] = 0
    return counts


def _zero_unchecked():
    counts = dict.fromkeys(UNCHECKED_REASONS, 0)
    counts["total"] = 0
    return counts


def cell_remediation(endpoint, verdict, error=None):
    """What to change for a cell, per section: ``[{"section", "row", "line"}]`` (empty when nothing needs to).

    One line per catalog row the target stands for (see ``remediation.py``); a row whose line repeats
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


# Causes that concern a whole Mac, not an endpoint: every name it probed failed to resolve, or every
# endpoint it probed was unreachable. Its cells are listed once under the cause instead of once per endpoint.
SYSTEMIC_CAUSES = {
    "resolves_no_names": ("resolve no names", "resolves no names",
                          "check the Mac's DNS: its network gives it no working resolver (offline, or DNS blocked)"),
    "reaches_no_endpoint": ("reach no endpoint", "reaches no endpoint",
                            "check the Mac's network path: every endpoint timed out or was refused"),
}
_SYSTEMIC_MINIMUM = 2


def _systemic_cause(categories, verdicts):
    """The per-Mac cause of a checked Mac's failures, or None; ``categories`` of its probed (not skipped) cells."""
    if len(categories) < _SYSTEMIC_MINIMUM:
        return None
    if all(c == "dns" for c in categories):
        return "resolves_no_names"
    if all(v in ("timeout", "refused") for v in verdicts):
        return "reaches_no_endpoint"
    return None


def plural(count, singular, many=None):
    return "%s %s" % ("{:,}".format(count), singular if count == 1 else (many or singular + "s"))


class Report:
    """The readiness report: a bounded summary (:attr:`summary`) and the per-Mac parts, generated on demand.

    ``summary`` holds everything whose size grows with the distinct answers, endpoints and groups, not with
    the Macs: totals, counts per endpoint, group, section and service, the distinct answers, the intercepting
    CAs, the Macs with identical results collapsed into lines (with at most :data:`NAMES_LISTED` names each),
    the systemic causes and the conclusion. :meth:`iter_hosts`, :meth:`iter_unchecked` and :meth:`iter_rows`
    generate the per-Mac parts for the streaming renderers; :meth:`as_dict` materialises the whole JSON
    document (small fleets and tests).
    """

    def __init__(self, title, answers, endpoints, section_order, hosts, duplicates, rejected):
        self.hosts = hosts
        self.section_order = section_order
        ordered = sorted(endpoints.items(), key=lambda item: (section_order[item[1]["sections"][0]][0], _endpoint_sort_key(item)))
        self.endpoints = [dict(endpoint, key=key) for key, endpoint in ordered]
        self.column = dict((e["key"], index) for index, e in enumerate(self.endpoints))
        self.answers = []
        for answer_id, (key, cell) in enumerate(answers):
            endpoint = endpoints[key]
            entry = {"id": answer_id, "endpoint": key, "category": cell["category"], "status": cell["status"],
                     "verdict": cell["verdict"], "verdict_text": verdict_words(cell["verdict"]), "message": cell["message"],
                     "path": cell["path"], "path_label": path_label(cell["path"]), "trust": cell["trust"],
                     "trust_label": trust_label(cell["trust"]), "resigned_by": cell["resigned_by"],
                     "remediation": (cell_remediation(endpoint, cell["verdict"], cell.get("error"))
                                     if cell["category"] in FAILING else []), "hosts": 0}
            if cell.get("error"):
                entry["error"] = cell["error"]
            if cell["evidence"] is not None:
                entry["evidence"] = cell["evidence"]
            self.answers.append(entry)
        self.duplicates = duplicates
        self.rejected = rejected
        self._profiles = {}
        self.summary = self._summarise(title)

    # -- per signature -----------------------------------------------------------------------------
    def profile(self, record):
        """What the report needs of a Mac, computed once per distinct set of answers: counts per category,
        the row of answer ids (None: not probed), the systemic cause, and whether it has a failing cell."""
        signature = record.answers
        profile = self._profiles.get(signature)
        if profile is None:
            row = [None] * len(self.endpoints)
            for answer_id in signature:
                row[self.column[self.answers[answer_id]["endpoint"]]] = answer_id
            counts = _zero_counts()
            for answer_id in row:
                counts[NOT_PROBED if answer_id is None else self.answers[answer_id]["category"]] += 1
            probed = [self.answers[a] for a in signature if self.answers[a]["category"] != "skipped"]
            cause = _systemic_cause([a["category"] for a in probed], [a["verdict"] for a in probed])
            failing = any(counts[c] for c in FAILING)
            profile = self._profiles[signature] = {"row": tuple(row), "counts": counts, "cause": cause, "failing": failing}
        return profile

    def failing(self, record):
        return record.unchecked is None and self.profile(record)["failing"]

    # -- the summary ---------------------------------------------------------------------------------
    def _summarise(self, title):
        totals, unchecked = _zero_counts(), _zero_unchecked()
        groups, services = {}, {}
        endpoint_counts = [{"counts": _zero_counts(), "verdicts": {}, "groups": {}} for _e in self.endpoints]
        by_signature, unchecked_lines = {}, {}
        editions, times = set(), []
        checked = 0
        for record in self.hosts:
            if record.catalog_edition:
                editions.add(record.catalog_edition)
            if record.generated_at:
                times.append(record.generated_at)
            group = groups.setdefault(record.group, {"group": record.group, "hosts": 0, "checked": 0, "failing": 0,
                                                     "unchecked": _zero_unchecked(), "counts": _zero_counts()})
            group["hosts"] += 1
            if record.unchecked is not None:
                reason = record.unchecked["reason"]
                unchecked[reason] += 1
                unchecked["total"] += 1
                group["unchecked"][reason] += 1
                group["unchecked"]["total"] += 1
                line = unchecked_lines.setdefault((reason, record.unchecked["message"], record.unchecked.get("remedy")),
                                                  {"reason": reason, "reason_text": UNCHECKED_LABELS[reason],
                                                   "message": record.unchecked["message"],
                                                   "remedy": record.unchecked.get("remedy"),
                                                   "hosts": 0, "groups": {}, "names": []})
                _count_host(line, record)
                continue
            checked += 1
            group["checked"] += 1
            profile = self.profile(record)
            if profile["failing"]:
                group["failing"] += 1
            entry = by_signature.setdefault(record.answers, {"hosts": 0, "groups": {}, "names": [], "signature": record.answers})
            _count_host(entry, record)
            entry.setdefault("per_group", {}).setdefault(record.group, 0)
            entry["per_group"][record.group] += 1
        for signature, entry in by_signature.items():
            profile = self._profiles[signature]
            count = entry["hosts"]
            for category, number in profile["counts"].items():
                totals[category] += number * count
            for group_name, in_group in entry["per_group"].items():
                group_counts = groups[group_name]["counts"]
                for category, number in profile["counts"].items():
                    group_counts[category] += number * in_group
            for column, answer_id in enumerate(profile["row"]):
                endpoint = self.endpoints[column]
                category = NOT_PROBED if answer_id is None else self.answers[answer_id]["category"]
                verdict = NOT_PROBED if answer_id is None else self.answers[answer_id]["verdict"]
                stats = endpoint_counts[column]
                stats["counts"][category] += count
                stats["verdicts"][verdict] = stats["verdicts"].get(verdict, 0) + count
                for group_name, in_group in entry["per_group"].items():
                    per_group = stats["groups"].setdefault(group_name, _zero_counts())
                    per_group[category] += in_group
                service = services.setdefault(endpoint["service"] or "(no service)", _zero_counts())
                service[category] += count
                if answer_id is not None:
                    self.answers[answer_id]["hosts"] += count
        totals["cells"] = sum(totals[c] for c in CATEGORIES) + totals[NOT_PROBED]
        for counts in groups.values():
            counts["counts"]["cells"] = sum(counts["counts"].values())
        sections = self._sections(by_signature, endpoint_counts)
        interceptions = self._interceptions(by_signature)
        identical = self._identical(by_signature)
        systemic = self._systemic(by_signature)
        times.sort()
        summary = {
            "report_format": REPORT_FORMAT,
            "title": title,
            "catalog_editions": sorted(editions),
            "generated_at": times[-1] if times else None,
            "first_generated_at": times[0] if times else None,
            "host_count": len(self.hosts),
            "checked_host_count": checked,
            "failing_host_count": sum(g["failing"] for g in groups.values()),
            "endpoint_count": len(self.endpoints),
            "totals": totals,
            "unchecked": unchecked,
            "unchecked_lines": sorted(unchecked_lines.values(), key=lambda l: (-l["hosts"], l["reason"], l["message"])),
            "groups": [groups[name] for name in sorted(groups)],
            "endpoints": [dict(endpoint, counts=stats["counts"], verdicts=stats["verdicts"],
                               groups=dict(sorted(stats["groups"].items())))
                          for endpoint, stats in zip(self.endpoints, endpoint_counts)],
            "answers": self.answers,
            "identical_results": identical,
            "systemic": systemic,
            "services": [dict(counts, service=name) for name, counts in sorted(services.items(), key=lambda i: i[0].lower())],
            "sections": sections,
            "interceptions": interceptions,
            "duplicates": self.duplicates,
            "rejected_files": self.rejected,
        }
        summary["conclusion"] = conclusion(summary)
        return summary

    def _sections(self, by_signature, endpoint_counts):
        """Per section: its endpoints, cell counts, and every distinct fix with the Macs and groups it concerns
        (the cells of a Mac with a systemic cause are listed under the cause instead)."""
        sections = dict((name, {"section": name, "kind": kind, "endpoints": [], "counts": _zero_counts(), "fixes": {}})
                        for name, (_rank, kind) in self.section_order.items())
        for column, endpoint in enumerate(self.endpoints):
            for name in endpoint["sections"]:
                sections[name]["endpoints"].append(endpoint["key"])
                for category, number in endpoint_counts[column]["counts"].items():
                    sections[name]["counts"][category] += number
        for signature, entry in by_signature.items():
            profile = self._profiles[signature]
            if profile["cause"] is not None:
                continue
            for answer_id in signature:
                answer = self.answers[answer_id]
                for fix in answer["remediation"]:
                    item = sections[fix["section"]]["fixes"].setdefault((answer["endpoint"], answer["verdict"], fix["line"]), {
                        "endpoint": answer["endpoint"], "category": answer["category"], "verdict": answer["verdict"],
                        "verdict_text": answer["verdict_text"], "row": fix["row"], "remediation": fix["line"],
                        "hosts": 0, "groups": {}, "names": []})
                    _merge_hosts(item, entry)
        result = []
        for name in self.section_order:
            section = sections[name]
            if not section["endpoints"]:
                continue
            fixes = sorted(section["fixes"].values(), key=lambda f: (self.column[f["endpoint"]], f["remediation"], f["verdict"]))
            result.append(dict(section, fixes=fixes))
        return result

    def _interceptions(self, by_signature):
        """Per intercepting CA (the re-signing CA, or the issuer seen in older results): the endpoints, at how
        many Macs and in which groups, with one example chain."""
        found = {}
        for signature, entry in by_signature.items():
            for answer_id in signature:
                answer = self.answers[answer_id]
                if answer["category"] != "intercepted":
                    continue
                evidence = answer.get("evidence") or {}
                ca = answer["resigned_by"] or (evidence.get("issuers_seen") or [None])[0] or "not reported"
                item = found.setdefault(ca, {"ca": ca, "endpoints": [], "hosts": 0, "groups": {}, "names": [],
                                             "issuers_seen": evidence.get("issuers_seen") or [],
                                             "expected_issuers": evidence.get("expected_issuers") or [],
                                             "chain": evidence.get("chain") or [], "path_label": answer["path_label"],
                                             "_seen": set()})
                if answer["endpoint"] not in item["endpoints"]:
                    item["endpoints"].append(answer["endpoint"])
                if signature not in item["_seen"]:
                    item["_seen"].add(signature)
                    _merge_hosts(item, entry)
        result = []
        for item in sorted(found.values(), key=lambda i: (-i["hosts"], i["ca"])):
            del item["_seen"]
            item["endpoints"].sort(key=self.column.get)
            result.append(item)
        return result

    def _identical(self, by_signature):
        """The Macs with identical results, one line per distinct set of answers, most Macs first."""
        lines = []
        for signature, entry in by_signature.items():
            profile = self._profiles[signature]
            failing = [self.answers[a] for a in signature if self.answers[a]["category"] in FAILING]
            lines.append({"hosts": entry["hosts"], "groups": entry["groups"], "names": entry["names"],
                          "counts": profile["counts"], "cause": profile["cause"],
                          "description": self.describe(profile, failing), "failing_answers": [a["id"] for a in failing]})
        lines.sort(key=lambda l: (-l["hosts"], l["description"], l["names"][:1]))
        return lines

    def describe(self, profile, failing):
        """One line for a set of answers: ``all OK``, the systemic cause, or the failing endpoints in words."""
        counts = profile["counts"]
        if profile["cause"] is not None:
            return "%s (%s)" % (SYSTEMIC_CAUSES[profile["cause"]][1], plural(len(failing), "endpoint"))
        if not failing:
            others = [("%s %s" % (plural(counts[c], "endpoint"), CATEGORY_LABELS[c].lower())) for c in ("skipped",) if counts[c]]
            if counts[NOT_PROBED]:
                others.append("%s not probed" % plural(counts[NOT_PROBED], "endpoint"))
            return "all OK" + (" (%s)" % ", ".join(others) if others else "")
        shown = ["%s: %s" % (a["endpoint"], a["verdict_text"]) for a in failing[:3]]
        if len(failing) > 3:
            shown.append("%d more" % (len(failing) - 3))
        return "%s failing: %s" % (plural(len(failing), "endpoint"), "; ".join(shown))

    def _systemic(self, by_signature):
        causes = {}
        for signature, entry in by_signature.items():
            cause = self._profiles[signature]["cause"]
            if cause is None:
                continue
            item = causes.setdefault(cause, {"cause": cause, "text": SYSTEMIC_CAUSES[cause][1],
                                             "remedy": SYSTEMIC_CAUSES[cause][2], "hosts": 0, "groups": {}, "names": []})
            _merge_hosts(item, entry)
        return [causes[c] for c in SYSTEMIC_CAUSES if c in causes]

    # -- the per-Mac parts -----------------------------------------------------------------------------
    def host_entry(self, record):
        """One Mac as the JSON export lists it: its names, counts and the answer id of each endpoint."""
        entry = {"host": record.host, "group": record.group, "origin": record.origin,
                 "catalog_edition": record.catalog_edition, "generated_at": record.generated_at,
                 "unchecked": record.unchecked}
        if record.unchecked is None:
            profile = self.profile(record)
            entry.update(counts=profile["counts"], answers=list(profile["row"]), cause=profile["cause"])
        else:
            entry.update(counts=_zero_counts(), answers=[], cause=None)
        return entry

    def iter_hosts(self):
        for record in self.hosts:
            yield self.host_entry(record)

    def iter_unchecked(self):
        for record in self.hosts:
            if record.unchecked is not None:
                yield dict(record.unchecked, host=record.host, group=record.group, origin=record.origin,
                           generated_at=record.generated_at)

    def cells(self, record):
        """A checked Mac's cells in column order: the answer (a dict) or None where the endpoint was not probed."""
        return [None if a is None else self.answers[a] for a in self.profile(record)["row"]]

    def as_dict(self):
        """The whole JSON document (the streaming JSON renderer writes the same, piece by piece)."""
        document = dict(self.summary)
        document["hosts"] = list(self.iter_hosts())
        document["unchecked_hosts"] = list(self.iter_unchecked())
        return document

    def iter_matrix(self):
        """Every Mac's row: host, group, unchecked, and its cells (``endpoint``, ``category`` and the answer)."""
        for record in self.hosts:
            cells = []
            if record.unchecked is None:
                for endpoint, cell in zip(self.endpoints, self.cells(record)):
                    cells.append({"endpoint": endpoint["key"], "category": NOT_PROBED} if cell is None else cell)
            yield {"host": record.host, "group": record.group, "unchecked": record.unchecked, "cells": cells}

    def __getitem__(self, key):
        """The summary's values; ``hosts``, ``unchecked_hosts`` and ``matrix`` materialised (small reports, tests)."""
        if key == "hosts":
            return list(self.iter_hosts())
        if key == "unchecked_hosts":
            return list(self.iter_unchecked())
        if key == "matrix":
            return list(self.iter_matrix())
        return self.summary[key]


# At most this many host names are listed with a collapsed line (the CSV and JSON exports list every Mac).
NAMES_LISTED = 1000


def _count_host(entry, record):
    entry["hosts"] += 1
    entry["groups"][record.group] = entry["groups"].get(record.group, 0) + 1
    if len(entry["names"]) < NAMES_LISTED:
        entry["names"].append(record.host)


def _merge_hosts(item, entry):
    item["hosts"] += entry["hosts"]
    for group, count in entry["groups"].items():
        item["groups"][group] = item["groups"].get(group, 0) + count
    room = NAMES_LISTED - len(item["names"])
    if room > 0:
        item["names"].extend(entry["names"][:room])


def conclusion(summary):
    """The report's one-line conclusion, in words, for someone who has never seen the page."""
    hosts, checked = summary["host_count"], summary["checked_host_count"]
    single = hosts == 1
    if hosts == 0:
        return "No Mac was in the results."
    parts = []
    if checked == 0:
        parts.append("This Mac could not be checked" if single else "No Mac could be checked (%s)" % plural(hosts, "Mac"))
    for cause in summary["systemic"]:
        subject = SYSTEMIC_CAUSES[cause["cause"]]
        parts.append("this host %s" % subject[1] if single else "%s %s" % (plural(cause["hosts"], "Mac"), subject[0]))
    systemic = sum(c["hosts"] for c in summary["systemic"])
    failing = summary["failing_host_count"] - systemic
    if failing:
        worst = max((f for s in summary["sections"] for f in s["fixes"]), key=lambda f: (f["hosts"], f["endpoint"]), default=None)
        text = ("this Mac has failing endpoints" if single else
                "%s of %s have failing endpoints" % (plural(failing, "Mac"), "{:,}".format(checked)))
        if worst is not None:
            text += " (most common: %s, %s on %s)" % (worst["endpoint"], worst["verdict_text"], plural(worst["hosts"], "Mac"))
        parts.append(text)
    ok = checked - summary["failing_host_count"]
    if ok and (parts or not summary["unchecked"]["total"]):
        parts.append("this Mac reaches every endpoint it probed" if single and ok == hosts
                     else "%s reach every endpoint" % plural(ok, "Mac") if ok != 1 else "1 Mac reaches every endpoint")
    if summary["unchecked"]["total"] and checked:
        parts.append("%s not checked" % plural(summary["unchecked"]["total"], "Mac"))
    if not parts:
        parts.append("%s reach every endpoint" % plural(checked, "Mac"))
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


# Signs that a module never started because the host has no usable Python: the shell could not find the
# interpreter, Apple's /usr/bin/python3 stub asked for the Command Line Tools, or the Python is too old.
_INTERPRETER_MISSING = re.compile(r"python[0-9.]*['\"]?:? *(?:No such file or directory|not found|command not found)", re.I)
_CLT_STUB = ("xcode-select", "No developer tools were found", "command line developer tools")
_MESSAGE_LIMIT = 2000


def _clip(text, limit=_MESSAGE_LIMIT):
    text = text.strip()
    return text if len(text) <= limit else "\u2026" + text[-limit:]


def _no_python(result, msg, output):
    if re.search(r"module interpreter .* was not found", msg) or "interpreter discovery" in msg.lower():
        return True
    if "requires a minimum of Python version" in msg or "requires a minimum of Python version" in output:
        return True
    module_failure = "module_stderr" in result or "module_stdout" in result
    if module_failure and result.get("rc") in (126, 127):
        return True
    return module_failure and (bool(_INTERPRETER_MISSING.search(output)) or any(s in output for s in _CLT_STUB))


def classify_probe_result(result):
    """Why a host could not be checked, from the registered result of its ``endpoint_probe`` task.

    Returns ``None`` when the host was checked: the result carries ``results`` (also when the task
    failed because of ``fail_on``). Otherwise ``{"reason": ..., "message": ...}`` with the reason
    ``unreachable`` (the connection failed), ``no_python`` (the module never started: the interpreter is
    missing, is Apple's stub that asks for the Command Line Tools, is too old, or interpreter discovery
    failed) or ``module_error`` (any other failure; its message is kept).
    """
    if not isinstance(result, dict):
        return {"reason": "module_error", "message": "the probe task left no result (got %s)" % type(result).__name__}
    msg = str(result.get("msg") or "").strip()
    if msg.startswith("Task failed: "):
        msg = msg[len("Task failed: "):]
    if result.get("unreachable"):
        return {"reason": "unreachable", "message": msg or "the host is unreachable"}
    if isinstance(result.get("results"), list):
        return None
    stderr = str(result.get("module_stderr") or "")
    stdout = str(result.get("module_stdout") or "")
    output = stderr + "\n" + stdout
    if result.get("skipped"):
        return {"reason": "module_error", "message": "the probe task was skipped%s"
                % (": %s" % result["skip_reason"] if result.get("skip_reason") else "")}
    message = msg
    detail = stderr.strip() or stdout.strip()
    if detail and detail not in message:
        message = "%s \u2014 %s" % (message, _clip(detail)) if message else _clip(detail)
    if not message:
        message = "the probe task failed without a message"
    reason = "no_python" if _no_python(result, msg, output) else "module_error"
    return {"reason": reason, "message": _clip(message)}


def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# What a compact cell drops when it needs no look: the evidence of each step, kept for the cells that do.
_COMPACT_DROPPED = ("dns", "tcp", "http", "ntp", "proxy")
_COMPACT_TLS = ("verified", "interception", "resigned_by", "trust")


def compact_cell(cell, detail="compact"):
    """One probe result as a result set keeps it.

    With ``detail`` ``compact`` a cell whose category is ``ok`` or ``skipped`` keeps its target, status,
    verdict, category, message, path, timings and every other field except the evidence of each step
    (``dns``, ``tcp``, ``http``, ``ntp``, ``proxy``), and ``tls`` only as ``verified``, ``interception``,
    ``resigned_by`` and ``trust``. Any other cell, and every cell with ``detail`` ``full``, is kept whole.
    A cell without a category is classified by its verdict. Returns a new mapping; ``cell`` is not changed.
    """
    if detail not in DETAILS:
        raise ValueError("detail: %r is not one of %s" % (detail, ", ".join(DETAILS)))
    if not isinstance(cell, dict):
        return cell
    category = cell.get("category") or VERDICT_CATEGORY.get(cell.get("verdict"))
    if detail == "full" or category not in ("ok", "skipped"):
        return dict(cell)
    compact = dict((key, value) for key, value in cell.items() if key not in _COMPACT_DROPPED)
    if isinstance(cell.get("tls"), dict):
        compact["tls"] = dict((key, cell["tls"][key]) for key in _COMPACT_TLS if key in cell["tls"])
    return compact


def probe_result_set(result, host, group=None, detail="compact", now=None):
    """The per-host result set (the result file's content) from the registered ``endpoint_probe`` task result.

    Every set carries ``format`` (:data:`RESULT_SET_FORMAT`), ``host``, ``group`` (the group the report counts
    the host in; None for "ungrouped") and ``detail``. A checked host gives ``catalog_edition``,
    ``generated_at``, ``results`` (each passed through :func:`compact_cell` with ``detail``) and ``summary`` as
    the probe returned them; a host that could not be checked gives no results, a zero summary, the time it was
    found unchecked (``now``, default the current UTC time) and ``unchecked`` (see :func:`classify_probe_result`).
    The set is not validated here: the playbook writes the file whatever the probe returned, and the report
    names any field it rejects (file, host, result and field).
    """
    if detail not in DETAILS:
        raise ValueError("detail: %r is not one of %s" % (detail, ", ".join(DETAILS)))
    if group is not None and not isinstance(group, str):
        raise ValueError("group: must be a string or None, got %r" % (group,))
    unchecked = classify_probe_result(result)
    result_set = {"format": RESULT_SET_FORMAT, "host": host, "group": group or None, "detail": detail}
    if unchecked is None:
        results = result["results"]
        result_set.update({
            "catalog_edition": result.get("catalog_edition"),
            "generated_at": result.get("generated_at") or now or _now(),
            "results": [compact_cell(cell, detail) for cell in results],
            "summary": result.get("summary"),
        })
    else:
        result_set.update({
            "catalog_edition": result.get("catalog_edition") if isinstance(result, dict) else None,
            "generated_at": now or _now(),
            "results": [],
            "summary": {"total": 0, "ok": 0, "failed": 0, "intercepted": 0, "skipped": 0},
            "unchecked": unchecked,
        })
    return result_set


def expand_paths(paths, exclude=()):
    """Files to read: each path as given, or the ``*.json`` files directly inside a directory (sorted).

    ``exclude`` holds absolute paths to leave out (the report's own JSON export, when it is written
    into a directory it also reads).
    """
    excluded = {os.path.realpath(p) for p in exclude}
    files = []
    for path in paths:
        if os.path.isdir(path):
            found = sorted(os.path.join(path, name) for name in os.listdir(path)
                           if name.endswith(".json") and os.path.isfile(os.path.join(path, name)))
            files.extend(f for f in found if os.path.realpath(f) not in excluded)
        elif os.path.exists(path):
            files.append(path)
        else:
            raise ReportError("%s: no such file or directory" % path)
    return files


def _json_problem(text, exc):
    """``truncated`` when the text ends where more JSON was expected, else ``not_json``."""
    if isinstance(exc, ValueError) and getattr(exc, "pos", None) is not None and exc.pos >= len(text.rstrip()):
        return "truncated"
    return "not_json"


def load_json_file(path, what):
    """Parse one JSON file, naming the file and what is wrong with it: unreadable, not UTF-8 / not JSON,
    truncated, or nested too deeply (Python's parser recurses per level, so a deep enough document would
    otherwise end in a bare RecursionError)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise ReportError("%s: cannot read %s: %s" % (path, what, exc), problem="unreadable")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReportError("%s: %s is not JSON (not UTF-8 text: %s)" % (path, what, exc), problem="not_json")
    try:
        return json.loads(text)
    except RecursionError:
        raise ReportError("%s: %s is nested too deeply to be a result (refused before it exhausts the stack)"
                          % (path, what), problem="too_deep")
    except ValueError as exc:
        problem = _json_problem(text, exc)
        label = "is truncated (the JSON ends early)" if problem == "truncated" else "is not JSON"
        raise ReportError("%s: %s %s: %s" % (path, what, label, exc), problem=problem)


def read_result_file(path):
    """Parse one result file: a per-host result set, or a list of them. Returns normalised sets
    (raises :class:`ReportError` naming the file and the problem)."""
    data = load_json_file(path, "the probe results")
    try:
        if isinstance(data, list):
            return [validate_result_set(item, "%s[%d]" % (path, index)) for index, item in enumerate(data)]
        return [validate_result_set(data, path)]
    except RecursionError:
        raise ReportError("%s: the probe results are nested too deeply" % path, problem="too_deep")
