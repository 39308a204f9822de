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

import json
import os
import re
import time

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.common import SUPPORTS_PROXIES
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.remediation import remediation

REPORT_FORMAT = 1

# Colour classes of a matrix cell, in order of severity (worst first).
CATEGORIES = ("blocked", "dns", "intercepted", "ok", "skipped")
CATEGORY_LABELS = {
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
STATUSES = ("ok", "failed", "intercepted", "skipped")
PROTOCOLS = ("tcp", "udp")
# How the report groups cells: by the catalog row's section; rows without one (the 2018 seed documents) by
# their source; targets that stand for no catalog row under one heading.
EXPLICIT_TARGETS = "Explicit targets"
SECTION_KINDS = ("section", "source", "targets")
# Categories of a cell that needs a change (an intercepted cell is not "failed", but needs one too).
NEEDS_CHANGE = ("blocked", "dns", "intercepted")

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
}


class ReportError(ValueError):
    """Invalid probe result data; the message names the origin (file), the host, the entry and the field."""


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
        return trust["rule"] or "host override (pin_overrides)"
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
    }


def validate_result_set(data, origin):
    """Validate one per-host result set; return it normalised (raises :class:`ReportError`)."""
    where = _Where(origin)
    if not isinstance(data, dict):
        where.fail("(document)", "must be a mapping with host and results, got %s" % type(data).__name__)
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


def _canonical(result_set):
    return json.dumps({k: v for k, v in result_set.items() if k != "origin"}, sort_keys=True)


def merge_result_sets(result_sets):
    """Merge normalised result sets (several AWX slices); one set per host.

    When a host appears more than once (a slice that ran twice, overlapping inventories) the set with
    the latest ``generated_at`` wins; equal times are broken by the content (the greater canonical
    JSON), then by the smaller origin, so the outcome never depends on the order of the inputs.
    Returns ``(sets sorted by host, duplicates)``; each duplicate names the kept and the dropped origin.
    """
    by_host = {}
    for result_set in result_sets:
        by_host.setdefault(result_set["host"], []).append(result_set)
    merged, duplicates = [], []
    for host in sorted(by_host):
        candidates = sorted(by_host[host], key=lambda s: s["origin"])
        candidates.sort(key=lambda s: (s["generated_at"] or "", _canonical(s)), reverse=True)
        kept = candidates[0]
        merged.append(kept)
        for dropped in candidates[1:]:
            duplicates.append({"host": host, "kept": kept["origin"], "dropped": dropped["origin"],
                               "kept_generated_at": kept["generated_at"], "dropped_generated_at": dropped["generated_at"]})
    return merged, duplicates


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


def cell_remediation(endpoint, verdict):
    """What to change for a cell, per section: ``[{"section", "row", "line"}]`` (empty when nothing needs to).

    One line per catalog row the target stands for (see ``remediation.py``); a row whose line repeats
    another of the same section is left out.
    """
    result = []
    rows = endpoint["rows"] or [{"id": None, "source": None, "section": None, "pattern": endpoint["pattern"],
                                 "supports_proxies": None}]
    for row in rows:
        line = remediation(verdict, endpoint["host"], endpoint["port"], endpoint["protocol"],
                           pattern=row["pattern"] or endpoint["pattern"], supports_proxies=row["supports_proxies"])
        if line is None:
            continue
        section = section_of(row)[0]
        if any(item["section"] == section and item["line"] == line for item in result):
            continue
        result.append({"section": section, "row": row["id"], "line": line})
    return result


def _cell_entry(key, cell, endpoint):
    entry = {"endpoint": key, "category": cell["category"], "status": cell["status"], "verdict": cell["verdict"],
             "message": cell["message"], "path": cell["path"], "path_label": path_label(cell["path"]),
             "trust": cell["trust"], "trust_label": trust_label(cell["trust"]), "resigned_by": cell["resigned_by"],
             "remediation": cell_remediation(endpoint, cell["verdict"]) if cell["category"] in NEEDS_CHANGE else []}
    if cell["evidence"] is not None:
        entry["evidence"] = cell["evidence"]
    return entry


def _section_order(merged):
    """``{heading: (rank, kind)}``: catalog sections first, then the sources of rows without a section, then
    explicit targets; within a kind in the order the probes met them as an endpoint's first heading (the
    catalog's order of rows), then as a further one. Hosts are taken by name, each host's results in order,
    so the same inputs in any order give the same report."""
    first, further = {}, {}
    for result_set in merged:
        for endpoint in result_set["endpoints"].values():
            headings = list(zip(endpoint["sections"], endpoint["section_kinds"]))
            first.setdefault(headings[0], len(first))
            for heading in headings[1:]:
                further.setdefault(heading, len(further))
    keys = dict((heading, (SECTION_KINDS.index(heading[1]), 0, index)) for heading, index in further.items())
    keys.update((heading, (SECTION_KINDS.index(heading[1]), -1, index)) for heading, index in first.items())
    ordered = sorted(keys, key=keys.get)
    return dict((name, (rank, kind)) for rank, (name, kind) in enumerate(ordered))


def build_report(result_sets, title="Apple network readiness"):
    """Build the report dictionary from already validated result sets (see :func:`validate_result_set`).

    Every host is in the report: a host that could not be checked (``unchecked``) gets a row without
    cells that names the reason, and is counted in ``unchecked``, not in the cell ``totals``.
    """
    merged, duplicates = merge_result_sets(result_sets)
    endpoints = {}
    for result_set in merged:  # sorted by host: the first host that saw a target describes it
        for key, endpoint in result_set["endpoints"].items():
            endpoints.setdefault(key, endpoint)
    section_order = _section_order(merged)
    # Columns grouped by each endpoint's first heading; an endpoint of several sections is listed in all of
    # them in ``sections`` (its column is shown once, under the first).
    ordered = sorted(endpoints.items(), key=lambda item: (section_order[item[1]["sections"][0]][0], _endpoint_sort_key(item)))
    sections = dict((name, {"section": name, "kind": kind, "endpoints": [], "counts": _zero_counts(), "failures": []})
                    for name, (_rank, kind) in section_order.items())
    for key, endpoint in ordered:
        for name in endpoint["sections"]:
            sections[name]["endpoints"].append(key)

    totals = _zero_counts()
    unchecked = _zero_unchecked()
    services = {}
    hosts, rows, interceptions, unchecked_hosts = [], [], [], []
    for result_set in merged:
        host_counts = _zero_counts()
        cells = []
        if result_set["unchecked"] is not None:
            reason = result_set["unchecked"]["reason"]
            unchecked[reason] += 1
            unchecked["total"] += 1
            unchecked_hosts.append(dict(result_set["unchecked"], host=result_set["host"], origin=result_set["origin"],
                                        generated_at=result_set["generated_at"]))
        else:
            for key, endpoint in ordered:
                cell = result_set["cells"].get(key)
                category = cell["category"] if cell else NOT_PROBED
                host_counts[category] += 1
                totals[category] += 1
                service = endpoint["service"] or "(no service)"
                services.setdefault(service, _zero_counts())[category] += 1
                for name in endpoint["sections"]:
                    sections[name]["counts"][category] += 1
                if cell is None:
                    cells.append({"endpoint": key, "category": category})
                    continue
                entry = _cell_entry(key, cell, endpoint)
                cells.append(entry)
                for fix in entry["remediation"]:
                    sections[fix["section"]]["failures"].append({
                        "host": result_set["host"], "endpoint": key, "category": category, "verdict": cell["verdict"],
                        "row": fix["row"], "remediation": fix["line"]})
                if cell["evidence"] is not None and category == "intercepted":
                    interceptions.append(dict(cell["evidence"], host=result_set["host"], endpoint=key,
                                              verdict=cell["verdict"], message=cell["message"],
                                              path_label=path_label(cell["path"])))
        hosts.append({
            "host": result_set["host"],
            "origin": result_set["origin"],
            "catalog_edition": result_set["catalog_edition"],
            "generated_at": result_set["generated_at"],
            "counts": host_counts,
            "unchecked": result_set["unchecked"],
        })
        rows.append({"host": result_set["host"], "unchecked": result_set["unchecked"], "cells": cells})

    editions = sorted({s["catalog_edition"] for s in merged if s["catalog_edition"]})
    times = sorted(s["generated_at"] for s in merged if s["generated_at"])
    totals["cells"] = sum(totals[c] for c in CATEGORIES) + totals[NOT_PROBED]
    return {
        "report_format": REPORT_FORMAT,
        "title": title,
        "catalog_editions": editions,
        "generated_at": times[-1] if times else None,
        "first_generated_at": times[0] if times else None,
        "host_count": len(merged),
        "checked_host_count": len(merged) - unchecked["total"],
        "endpoint_count": len(ordered),
        "totals": totals,
        "unchecked": unchecked,
        "unchecked_hosts": unchecked_hosts,
        "hosts": hosts,
        "endpoints": [dict(endpoint, key=key) for key, endpoint in ordered],
        "matrix": rows,
        "services": [dict(counts, service=name) for name, counts in sorted(services.items(), key=lambda i: i[0].lower())],
        "sections": [_sorted_failures(sections[name], ordered) for name in section_order if sections[name]["endpoints"]],
        "interceptions": interceptions,
        "duplicates": duplicates,
    }


def _sorted_failures(section, ordered):
    """A section's failures in column order, then by host."""
    column = dict((key, index) for index, (key, _endpoint) in enumerate(ordered))
    section["failures"].sort(key=lambda f: (column[f["endpoint"]], f["host"], f["remediation"]))
    return section


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


def probe_result_set(result, host, now=None):
    """The per-host result set (the result file's content) from the registered ``endpoint_probe`` task result.

    A checked host gives ``host``, ``catalog_edition``, ``generated_at``, ``results`` and ``summary`` as the
    probe returned them; a host that could not be checked gives no results, a zero summary, the time it was
    found unchecked (``now``, default the current UTC time) and ``unchecked`` (see :func:`classify_probe_result`).
    The set is not validated here: the playbook writes the file whatever the probe returned, and the report
    names any field it rejects (file, host, result and field).
    """
    unchecked = classify_probe_result(result)
    if unchecked is None:
        result_set = {
            "host": host,
            "catalog_edition": result.get("catalog_edition"),
            "generated_at": result.get("generated_at") or now or _now(),
            "results": result["results"],
            "summary": result.get("summary"),
        }
    else:
        result_set = {
            "host": host,
            "catalog_edition": result.get("catalog_edition") if isinstance(result, dict) else None,
            "generated_at": now or _now(),
            "results": [],
            "summary": {"total": 0, "ok": 0, "failed": 0, "intercepted": 0, "skipped": 0},
            "unchecked": unchecked,
        }
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


def read_result_file(path):
    """Parse one result file: a per-host result set, or a list of them. Returns normalised sets."""
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ReportError("%s: cannot read the probe results: %s" % (path, exc))
    if isinstance(data, list):
        return [validate_result_set(item, "%s[%d]" % (path, index)) for index, item in enumerate(data)]
    return [validate_result_set(data, path)]
