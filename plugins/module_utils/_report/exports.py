# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The JSON and CSV exports of the report, written piece by piece: the JSON export is the summary plus every Mac
(``hosts``: its answer id per endpoint), every Mac not checked and every change since the previous run; the CSV
export has one row per Mac and endpoint."""

from __future__ import annotations

import csv
import json

from ansible_collections.macfleet.apple_network.plugins.module_utils._report.drift import FIRST_RUN, no_drift
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.html_page import to_text, visible
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.remediation import fix_lines
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.terms import NOT_CHECKED, NOT_PROBED


# -- JSON --------------------------------------------------------------------------------------------------

class Stream:
    """A list in the JSON document that is written item by item (``factory`` makes the iterator)."""

    def __init__(self, factory):
        self.factory = factory


def json_document(report, drift=None):
    """The JSON export's document: the summary, ``hosts``, ``unchecked_hosts`` and ``drift`` (every change);
    the per-Mac lists are :class:`Stream` objects (see :func:`materialise`)."""
    document = dict(report.summary)
    document["hosts"] = Stream(report.iter_hosts)
    document["unchecked_hosts"] = Stream(report.iter_unchecked)
    drift = drift or no_drift(FIRST_RUN)
    drift_document = drift.summary(limit=None)
    for kind in ("regressions", "fixed", "changed"):
        drift_document[kind] = Stream(lambda kind=kind: drift.iter_changes(kind))
    document["drift"] = drift_document
    return document


def materialise(value):
    """``value`` with every :class:`Stream` turned into a list (tests, small reports)."""
    if isinstance(value, Stream):
        return [materialise(v) for v in value.factory()]
    if isinstance(value, dict):
        return dict((k, materialise(v)) for k, v in value.items())
    return value


def _has_stream(value):
    return isinstance(value, Stream) or (isinstance(value, dict) and any(_has_stream(v) for v in value.values()))


def _dump(write, value, level):
    pad = "  " * level
    if isinstance(value, Stream):
        first = True
        for item in value.factory():
            write(("[\n" if first else ",\n") + pad + "  " + json.dumps(item, sort_keys=True, ensure_ascii=False))
            first = False
        write("[]" if first else "\n" + pad + "]")
    elif isinstance(value, dict) and _has_stream(value):
        write("{")
        for index, key in enumerate(sorted(value)):
            write(("\n" if index == 0 else ",\n") + pad + "  " + json.dumps(key) + ": ")
            _dump(write, value[key], level + 1)
        write("\n" + pad + "}" if value else "}")
    else:
        write(json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False).replace("\n", "\n" + pad))


def render_json(report, drift=None, handle=None):
    """The JSON export, written to ``handle`` piece by piece (sorted keys; one line per Mac and per change)."""
    if handle is None:
        return to_text(render_json, report, drift)
    drift = drift or no_drift(FIRST_RUN)
    _dump(handle.write, json_document(report, drift), 0)
    handle.write("\n")


# -- CSV ---------------------------------------------------------------------------------------------------

CSV_FIELDS = ("host", "endpoint", "target_host", "port", "protocol", "service", "source", "id", "required",
              "category", "status", "verdict", "message", "issuers_seen", "expected_issuers", "catalog_edition",
              "path", "path_source", "path_mode", "path_proxy", "path_bypass_entry", "path_note",
              "trust", "trust_decided_by", "trust_anchors", "trust_host_trust", "resigned_by", "unchecked_reason",
              "section", "sections", "remediation", "group", "verdict_text")


def _csv_text(value):
    """Neutralise spreadsheet formulas (a text cell never starts with = + - @ or a control character) and show
    invisible characters escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    value = visible(str(value))
    if value and (value[0] in "=+-@" or value[0] in "\t\r\n"):
        value = "'" + value
    return value


def render_csv(report, handle=None):
    """One row per matrix cell (host x endpoint), RFC 4180 quoting, stable order, written row by row.

    A host that could not be checked has one row, with an empty endpoint, category ``not-checked``,
    its error message and ``unchecked_reason``.
    """
    if handle is None:
        return to_text(render_csv, report)
    writer = csv.writer(handle, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    endpoint_parts = [[e["key"], e["host"], e["port"], e["protocol"], e["service"], e["source"], e["id"], e["required"]]
                      for e in report.endpoints]
    cell_parts = {}
    for record in report.hosts:
        if record.unchecked is not None:
            values = dict(host=record.host, category=NOT_CHECKED, message=record.unchecked["message"],
                          catalog_edition=record.catalog_edition, unchecked_reason=record.unchecked["reason"],
                          group=record.group)
            writer.writerow([_csv_text(values.get(field)) for field in CSV_FIELDS])
            continue
        for column, answer_id in enumerate(report.profile(record)["row"]):
            parts = cell_parts.get((column, answer_id))
            if parts is None:
                parts = cell_parts[(column, answer_id)] = _csv_cell(report.endpoints[column], endpoint_parts[column],
                                                                    None if answer_id is None else report.answers[answer_id])
            writer.writerow([_csv_text(record.host)] + parts[0] + [_csv_text(record.catalog_edition)] + parts[1]
                            + [_csv_text(record.group), parts[2]])


def _csv_cell(endpoint, endpoint_part, cell):
    """The columns of one answer in one column, before and after the host's catalog edition."""
    cell = cell or {"category": NOT_PROBED}
    evidence = cell.get("evidence") or {}
    path = cell.get("path") or {}
    trust = cell.get("trust") or {}
    before = [_csv_text(v) for v in endpoint_part + [
        cell["category"], cell.get("status"), cell.get("verdict"), cell.get("message"),
        " | ".join(evidence.get("issuers_seen", [])), " | ".join(evidence.get("expected_issuers", []))]]
    after = [_csv_text(v) for v in (
        cell.get("path_label"), path.get("source"), path.get("mode"), path.get("proxy"), path.get("bypass_entry"),
        path.get("note"), cell.get("trust_label"), trust.get("decided_by"), trust.get("anchors"),
        trust.get("host_trust"), cell.get("resigned_by"), None,
        endpoint["sections"][0], " | ".join(endpoint["sections"]), " | ".join(fix_lines(cell)))]
    return before, after, _csv_text(cell.get("verdict_text"))
