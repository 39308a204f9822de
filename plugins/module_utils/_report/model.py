# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The readiness report model: validate per-host probe result sets, merge slices, build the matrix.

Input is what ``playbooks/probe.yml`` writes per host::

    {"host": "mac-01", "catalog_edition": "apple-2018-02-13", "generated_at": "2024-05-01T10:00:00Z",
     "results": [<endpoint_probe result>, ...], "summary": {...}}

:func:`build_report` turns any number of such sets (from several AWX job slices, for example)
into one report dictionary: the JSON export is that dictionary, the HTML page and the CSV export
are renderings of it (see ``render.py``). Everything here is deterministic: the same inputs, in
any order, give the same report.
"""

from __future__ import annotations

import json
import os

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
NOT_PROBED = "not-probed"
STATUSES = ("ok", "failed", "intercepted", "skipped")
PROTOCOLS = ("tcp", "udp")

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


def _result(where, raw):
    if not isinstance(raw, dict):
        where.fail("(result)", "must be a mapping, got %r" % (raw,))
    target = raw.get("target")
    if not isinstance(target, dict):
        where.fail("target", "must be a mapping with host, port and protocol, got %r" % (target,))
    endpoint = {
        "host": _text(where, "target.host", target.get("host"), required=True),
        "port": _port(where, "target.port", target.get("port")),
        "protocol": _text(where, "target.protocol", target.get("protocol")) or "tcp",
        "pattern": _text(where, "target.pattern", target.get("pattern")),
        "id": _text(where, "target.id", target.get("id")),
        "source": _text(where, "target.source", target.get("source")),
        "service": _text(where, "target.service", target.get("service")),
        "required": target.get("required"),
    }
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
    evidence = None
    if category == "intercepted" or tls.get("interception"):
        evidence = {
            "issuers_seen": _text_list(where, "tls.issuers_seen", tls.get("issuers_seen")),
            "expected_issuers": _text_list(where, "tls.expected_issuers", tls.get("expected_issuers")),
            "chain": _chain(where, tls.get("chain")),
        }
    return endpoint, {
        "status": status,
        "verdict": verdict,
        "category": category,
        "message": _text(where, "message", raw.get("message")) or "",
        "evidence": evidence,
    }


def endpoint_key(endpoint):
    """The matrix column of a target: ``host:port/protocol`` (``host/protocol`` without a port)."""
    if endpoint["port"] is None:
        return "%s/%s" % (endpoint["host"], endpoint["protocol"])
    return "%s:%d/%s" % (endpoint["host"], endpoint["port"], endpoint["protocol"])


def validate_result_set(data, origin):
    """Validate one per-host result set; return it normalised (raises :class:`ReportError`)."""
    where = _Where(origin)
    if not isinstance(data, dict):
        where.fail("(document)", "must be a mapping with host and results, got %s" % type(data).__name__)
    host = _text(where, "host", data.get("host"), required=True)
    where = _Where(origin, host)
    results = data.get("results")
    if not isinstance(results, list):
        where.fail("results", "must be a list of probe results, got %r" % (results,))
    normalised = {
        "host": host,
        "origin": str(origin),
        "catalog_edition": _text(where, "catalog_edition", data.get("catalog_edition")),
        "generated_at": _text(where, "generated_at", data.get("generated_at")),
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


def build_report(result_sets, title="Apple network readiness"):
    """Build the report dictionary from already validated result sets (see :func:`validate_result_set`)."""
    merged, duplicates = merge_result_sets(result_sets)
    endpoints = {}
    for result_set in merged:  # sorted by host: the first host that saw a target describes it
        for key, endpoint in result_set["endpoints"].items():
            endpoints.setdefault(key, endpoint)
    ordered = sorted(endpoints.items(), key=_endpoint_sort_key)

    totals = _zero_counts()
    services = {}
    hosts, rows, interceptions = [], [], []
    for result_set in merged:
        host_counts = _zero_counts()
        cells = []
        for key, endpoint in ordered:
            cell = result_set["cells"].get(key)
            category = cell["category"] if cell else NOT_PROBED
            host_counts[category] += 1
            totals[category] += 1
            service = endpoint["service"] or "(no service)"
            services.setdefault(service, _zero_counts())[category] += 1
            entry = {"endpoint": key, "category": category}
            if cell:
                entry.update(status=cell["status"], verdict=cell["verdict"], message=cell["message"])
                if cell["evidence"] is not None:
                    entry["evidence"] = cell["evidence"]
                    if category == "intercepted":
                        interceptions.append(dict(cell["evidence"], host=result_set["host"], endpoint=key,
                                                  verdict=cell["verdict"], message=cell["message"]))
            cells.append(entry)
        hosts.append({
            "host": result_set["host"],
            "origin": result_set["origin"],
            "catalog_edition": result_set["catalog_edition"],
            "generated_at": result_set["generated_at"],
            "counts": host_counts,
        })
        rows.append({"host": result_set["host"], "cells": cells})

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
        "endpoint_count": len(ordered),
        "totals": totals,
        "hosts": hosts,
        "endpoints": [dict(endpoint, key=key) for key, endpoint in ordered],
        "matrix": rows,
        "services": [dict(counts, service=name) for name, counts in sorted(services.items(), key=lambda i: i[0].lower())],
        "interceptions": interceptions,
        "duplicates": duplicates,
    }


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
