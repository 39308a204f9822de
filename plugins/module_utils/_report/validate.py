# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Validation of the per-host result sets (the result files): every field the report reads, each refused with
a message that names the file, the host, the result and the field.

A result set is what ``playbooks/probe.yml`` writes per host (see ``result_set.py``)::

    {"format": 2, "host": "mac-01", "group": "london", "catalog_edition": "apple-2018-02-13",
     "generated_at": "2024-05-01T10:00:00Z", "results": [<endpoint_probe result>, ...], "summary": {...}}

A host that could not be probed has no results and says why::

    {"format": 2, "host": "mac-02", "catalog_edition": null, "generated_at": "2024-05-01T10:00:03Z", "results": [],
     "summary": {"total": 0, ...}, "unchecked": {"reason": "unreachable", "message": "..."}}

:func:`validate_result_set` returns the set normalised: per endpoint (``host:port/protocol``) the target and the
cell the report shows, the worse outcome where a host probed the same target twice.
"""

from __future__ import annotations

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.terms import SUPPORTS_PROXIES
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.verdicts import STATUSES
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.ports import PROTOCOLS
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.terms import (
    CATEGORIES,
    EXPLICIT_TARGETS,
    PATH_MODES,
    PATH_SOURCES,
    RESULT_SET_FORMAT,
    TRUST_DECIDERS,
    UNCHECKED_REASONS,
    UNGROUPED,
    ReportError,
    section_of,
)


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
    """``target.port`` as a result file carries it: the JSON number the probe wrote, or null for a target without one.

    Not ``ports.parse_port``, the rule for options: a result file is read as written (never port text), and any
    16-bit value, 0 included, is shown rather than refused; the message names the 0-65535 range it accepts.
    """
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


def _path(where, raw):
    """``result["path"]``: how the probe reached the target; null for a target it did not route (skipped, or a probe
    error before the path step)."""
    if "path" not in raw:
        where.fail("path", "is required (null for a target that was not routed)")
    value = raw["path"]
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
    """``result["tls"]["trust"]``: which trust decided the chain (``decided_by`` null: none did)."""
    if value is None:
        where.fail("tls.trust", "is required in a result with tls (a mapping with decided_by, anchors and host_trust)")
    if not isinstance(value, dict):
        where.fail("tls.trust", "must be a mapping with decided_by, anchors and host_trust, got %r" % (value,))
    return {
        "decided_by": _choice(where, "tls.trust.decided_by", value.get("decided_by"), TRUST_DECIDERS),
        "anchors": _text(where, "tls.trust.anchors", value.get("anchors")),
        "host_trust": _text(where, "tls.trust.host_trust", value.get("host_trust")),
        "rule": _text(where, "tls.trust.rule", value.get("rule")),
    }


def _rows(where, target):
    """The catalog rows a target stands for (``target.rows``); none (``[]``, or no ``rows`` as the probe's targets
    option has it) for a target of its own, which the report shows under :data:`~.terms.EXPLICIT_TARGETS`."""
    raw = target.get("rows")
    if raw is None:
        return []
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
    category = _text(where, "category", raw.get("category"), required=True)
    if category not in CATEGORIES:
        where.fail("category", "%r is not one of %s" % (category, ", ".join(CATEGORIES)))
    tls = raw.get("tls") or {}
    if not isinstance(tls, dict):
        where.fail("tls", "must be a mapping, got %r" % (tls,))
    path = _path(where, raw)
    trust = _trust(where, tls.get("trust")) if tls else None
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
