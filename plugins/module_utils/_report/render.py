# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Renderings of the readiness report dictionary (``model.build_report``): HTML, JSON and CSV.

The HTML page is self-contained: inline CSS, no scripts, no fonts, images or links to anything
outside the page, and a Content-Security-Policy that forbids loading any. Every piece of text
that comes from the results (host names, messages, certificate subjects) is HTML-escaped.

The matrix's columns are grouped under the catalog section of their endpoint, and the page lists, per
section, every cell that needs a change with one line saying what to change (the CSV export has the
same line in its ``remediation`` column). Each matrix cell shows its verdict and, where the probe reported them, the path it took (direct, via
a proxy, bypassed by an entry, PAC not evaluated), which trust decided the TLS chain, and for an
intercepted cell the CA that re-signed the chain. A host that could not be checked gets one row that
says ``not checked: <reason>`` with the error message.
"""

from __future__ import annotations

import csv
import io
import json
from html import escape

from ansible_collections.macfleet.apple_network.plugins.module_utils._probe.der import visible_text

from ansible_collections.macfleet.apple_network.plugins.module_utils._report.model import (
    CATEGORY_LABELS,
    NOT_CHECKED,
    NOT_PROBED,
    UNCHECKED_LABELS,
    UNCHECKED_REASONS,
)

_SHORT = {"ok": "OK", "intercepted": "INT", "blocked": "BLK", "dns": "DNS", "skipped": "SKIP", NOT_PROBED: "\u2013"}
_LEGEND = [(c, CATEGORY_LABELS[c]) for c in ("ok", "intercepted", "blocked", "dns", "skipped")] + [(NOT_PROBED, "Not probed")]
_MEANING = {
    "ok": "reachable, trusted chain",
    "intercepted": "HTTPS intercepted: the chain does not verify against the anchors, a locally trusted CA re-signed it",
    "blocked": "refused, dropped, TLS failure, untrusted chain, pin mismatch or proxy failure",
    "dns": "name does not resolve",
    "skipped": "not probed by choice",
    NOT_PROBED: "not in this host's results",
}

_CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px;color:#1f2328;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#57606a;margin:0 0 16px}
table{border-collapse:collapse}th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
.num{text-align:right;font-variant-numeric:tabular-nums}
.totals td,.totals th{min-width:70px}
.matrix th.ep{vertical-align:bottom;font-weight:500;padding:6px 3px}
.matrix th.ep span{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;display:inline-block}
.matrix th.host{white-space:nowrap}
.matrix td.cell{text-align:center;font-weight:700;font-size:12px;padding:4px 6px;min-width:34px}
.c-ok{background:#dafbe1;color:#116329}
.c-intercepted{background:#fbefff;color:#6e40c9;outline:2px solid #8250df;outline-offset:-2px}
.c-blocked{background:#ffebe9;color:#a40e26}
.c-dns{background:#fff8c5;color:#7d4e00}
.c-skipped{background:#eaeef2;color:#57606a}
.c-not_probed{background:#fff;color:#8c959f}
.c-not-checked{background:#fff1e5;color:#953800}
.matrix td.cell small{display:block;font-weight:400;font-size:10px;line-height:1.25;max-width:15em;margin:2px auto 0;overflow-wrap:anywhere}
.matrix td.cell small.resigned{font-weight:700}
.matrix td.unchecked{text-align:left;font-size:12px}
.matrix td.unchecked div.fit{width:0;min-width:100%}
.legend span{display:inline-block;margin:0 4px 4px 0;padding:2px 8px;border-radius:4px;font-weight:600}
.matrix th.section{text-align:center;font-weight:600;font-size:12px;overflow-wrap:anywhere}
.matrix th.section.k-source,.matrix th.section.k-targets{font-style:italic;font-weight:500}
td.fix{font-weight:600}
.warn{background:#fff8c5;border:1px solid #d4a72c;padding:6px 10px;border-radius:4px}
code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px;word-break:break-all}
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'"


def _e(value):
    """HTML text; control, bidi and other invisible characters shown as escapes (``\\u202e``), as the probe does."""
    return escape("" if value is None else visible_text(str(value)), quote=True)


_PATH_SOURCES = {"option": "proxy from the probe's options", "system": "proxy from the system settings",
                 "none": "no proxy configured"}


def _path_text(cell):
    """The path of a cell with its details, for the hover text and the interception table."""
    path = cell.get("path")
    if not path:
        return None
    text = cell["path_label"]
    details = [_PATH_SOURCES[path["source"]]] if path.get("source") else []
    if path.get("note"):
        details.append(path["note"])
    return "%s (%s)" % (text, "; ".join(details)) if details else text


def _trust_text(cell):
    trust = cell.get("trust")
    if not trust:
        return None
    if trust["decided_by"] is None:
        text = "trusted by neither"
    else:
        text = "decided by %s" % {"anchors": "the anchors", "pin": "the pinned fingerprint",
                                  "host_override": "the host's override (pin_overrides)",
                                  "host_trust": "the host's trust"}[trust["decided_by"]]
    known = ["anchors: %s" % trust["anchors"]] if trust.get("anchors") else []
    if trust.get("host_trust"):
        known.append("host trust: %s" % trust["host_trust"])
    return "%s (%s)" % (text, "; ".join(known)) if known else text


def _interceptor(cell):
    """The CA an intercepted cell names on the page: the re-signing CA, or the issuer seen (older probe output)."""
    if cell["category"] != "intercepted":
        return None
    if cell.get("resigned_by"):
        return "re-signed by %s" % cell["resigned_by"]
    evidence = cell.get("evidence") or {}
    if evidence.get("issuers_seen"):
        return "issuer seen: %s" % evidence["issuers_seen"][0]
    return None


def _fix_lines(cell):
    """The distinct remediation lines of a cell (one per section whose rows need different changes)."""
    lines = []
    for item in cell.get("remediation") or []:
        if item["line"] not in lines:
            lines.append(item["line"])
    return lines


def _cell_title(cell):
    if cell["category"] == NOT_PROBED:
        return "not probed on this host"
    parts = ["%s (%s)" % (cell["verdict"], cell["status"])]
    parts.extend("fix: %s" % line for line in _fix_lines(cell))
    if cell.get("message"):
        parts.append(cell["message"])
    if cell.get("path"):
        parts.append("path: %s" % _path_text(cell))
    if cell.get("trust"):
        parts.append("trust: %s" % _trust_text(cell))
    if cell.get("resigned_by"):
        parts.append("re-signed by: %s" % cell["resigned_by"])
    evidence = cell.get("evidence")
    if evidence:
        parts.append("issuer seen: %s" % (", ".join(evidence["issuers_seen"]) or "none"))
        parts.append("expected: %s" % (", ".join(evidence["expected_issuers"]) or "none"))
    return " \u2014 ".join(parts)


def _cell_body(cell):
    """Visible content of a cell: the short verdict, then the path, the trust and the re-signing CA."""
    out = [_SHORT[cell["category"]]]
    if cell.get("path_label"):
        out.append("<small class=\"path\">%s</small>" % _e(cell["path_label"]))
    if cell.get("trust_label"):
        out.append("<small class=\"trust\">trust: %s</small>" % _e(cell["trust_label"]))
    interceptor = _interceptor(cell)
    if interceptor:
        out.append("<small class=\"resigned\">%s</small>" % _e(interceptor))
    return "".join(out)


def _unchecked_text(unchecked):
    return "not checked: %s" % unchecked["reason"]


def _endpoint_title(endpoint):
    """Hover text of a column: the service names are long, so the header itself shows only host:port/protocol."""
    parts = [endpoint["key"]]
    if endpoint.get("service"):
        parts.append(endpoint["service"])
    if endpoint.get("id"):
        parts.append(endpoint["id"])
    if endpoint.get("sections"):
        parts.append("section%s: %s" % ("s" if len(endpoint["sections"]) > 1 else "", ", ".join(endpoint["sections"])))
    return " \u00b7 ".join(parts)


def _section_runs(endpoints):
    """Consecutive matrix columns under the same first heading: [(heading, kind, number of columns)]."""
    runs = []
    for endpoint in endpoints:
        heading, kind = endpoint["sections"][0], endpoint["section_kinds"][0]
        if runs and runs[-1][0] == heading:
            runs[-1][2] += 1
        else:
            runs.append([heading, kind, 1])
    return runs


def _render_sections(report, add):
    """Counts per section and, per section, every cell that needs a change with its one-line remediation."""
    add("<h2>Per section</h2>\n<p>Cells by the catalog section of their endpoint (rows of the 2018 documents, which "
        "have no sections, by their source). An endpoint that several sections list counts in each of them.</p>\n"
        "<table id=\"sections\"><tr><th>Section</th><th>Endpoints</th>")
    for category, label in _LEGEND:
        add("<th>%s</th>" % _e(label))
    add("</tr>\n")
    for section in report["sections"]:
        add("<tr data-section=\"%s\" data-kind=\"%s\"><td>%s</td><td class=\"num\">%d</td>"
            % (_e(section["section"]), _e(section["kind"]), _e(section["section"]), len(section["endpoints"])))
        for category, _label in _LEGEND:
            add("<td class=\"num\" data-category=\"%s\">%d</td>" % (category, section["counts"][category]))
        add("</tr>\n")
    add("</table>\n<h2>What to change, by section</h2>\n")
    for index, section in enumerate(report["sections"]):
        add("<h3 id=\"section-%d\" data-section=\"%s\">%s</h3>\n" % (index, _e(section["section"]), _e(section["section"])))
        if not section["failures"]:
            add("<p class=\"section-ok\" data-section=\"%s\">Nothing to change.</p>\n" % _e(section["section"]))
            continue
        add("<table class=\"fixes\" data-section=\"%s\"><tr><th>Host</th><th>Endpoint</th><th>Verdict</th>"
            "<th>What to change</th></tr>\n" % _e(section["section"]))
        for item in section["failures"]:
            add("<tr class=\"fix-row c-%s\" data-host=\"%s\" data-endpoint=\"%s\" data-verdict=\"%s\"><td>%s</td>"
                "<td><code>%s</code></td><td>%s</td><td class=\"fix\">%s</td></tr>\n"
                % (item["category"], _e(item["host"]), _e(item["endpoint"]), _e(item["verdict"]), _e(item["host"]),
                   _e(item["endpoint"]), _e(item["verdict"]), _e(item["remediation"])))
        add("</table>\n")


def render_html(report):
    """The report as one self-contained HTML page (text)."""
    out = []
    add = out.append
    totals = report["totals"]
    add("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
    add("<meta http-equiv=\"Content-Security-Policy\" content=\"%s\">\n" % _e(_CSP))
    add("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
    add("<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n" % (_e(report["title"]), _CSS))
    add("<h1 id=\"title\">%s</h1>\n" % _e(report["title"]))
    editions = ", ".join(report["catalog_editions"]) or "unknown"
    add("<p class=\"meta\">Catalog edition: <strong id=\"catalog-edition\">%s</strong> &middot; "
        "<span id=\"host-count\">%d</span> hosts &middot; <span id=\"endpoint-count\">%d</span> endpoints"
        % (_e(editions), report["host_count"], report["endpoint_count"]))
    if report["generated_at"]:
        add(" &middot; probed <span id=\"generated-at\">%s</span>" % _e(report["first_generated_at"]))
        if report["first_generated_at"] != report["generated_at"]:
            add(" to %s" % _e(report["generated_at"]))
    add("</p>\n")
    if len(report["catalog_editions"]) > 1:
        add("<p class=\"warn\" id=\"edition-warning\">The hosts were probed with different catalog editions: %s.</p>\n" % _e(editions))

    add("<h2>Totals</h2>\n<table class=\"totals\" id=\"totals\"><tr>")
    for category, label in _LEGEND:
        add("<th class=\"c-%s\">%s</th>" % (category, _e(label)))
    add("<th>All cells</th></tr>\n<tr>")
    for category, _label in _LEGEND:
        add("<td class=\"num\" id=\"total-%s\" data-category=\"%s\">%d</td>" % (category, category, totals[category]))
    add("<td class=\"num\" id=\"total-cells\">%d</td></tr></table>\n" % totals["cells"])
    unchecked = report["unchecked"]
    add("<p>Hosts checked: <span id=\"checked-host-count\">%d</span> of %d.</p>\n"
        % (report["checked_host_count"], report["host_count"]))
    add("<table class=\"totals\" id=\"unchecked-totals\"><tr>")
    for reason in UNCHECKED_REASONS:
        add("<th class=\"c-%s\" title=\"%s\">Not checked: %s</th>" % (NOT_CHECKED, _e(UNCHECKED_LABELS[reason]), _e(reason)))
    add("<th>Hosts not checked</th></tr>\n<tr>")
    for reason in UNCHECKED_REASONS:
        add("<td class=\"num\" id=\"unchecked-%s\" data-reason=\"%s\">%d</td>" % (reason, reason, unchecked[reason]))
    add("<td class=\"num\" id=\"unchecked-total\">%d</td></tr></table>\n" % unchecked["total"])

    add("<h2>Hosts &times; endpoints</h2>\n<p class=\"legend\">")
    for category, _label in _LEGEND:
        add("<span class=\"c-%s\">%s</span> %s &nbsp; " % (category, _SHORT[category], _e(_MEANING[category])))
    add("<span class=\"c-%s\">not checked</span> the host could not be probed: unreachable, no usable Python "
        "(no_python) or a module error &nbsp; " % NOT_CHECKED)
    add("</p>\n")
    if not report["matrix"]:
        add("<p id=\"no-results\">No probe results.</p>\n")
    else:
        add("<table class=\"matrix\" id=\"matrix\">\n<thead>")
        if report["endpoints"]:
            add("<tr class=\"sections\"><th class=\"host\"></th>")
            for heading, kind, span in _section_runs(report["endpoints"]):
                add("<th class=\"section k-%s\" scope=\"colgroup\" colspan=\"%d\" data-section=\"%s\">%s</th>"
                    % (_e(kind), span, _e(heading), _e(heading)))
            add("</tr>\n")
        add("<tr><th class=\"host\">Host</th>")
        for endpoint in report["endpoints"]:
            add("<th class=\"ep\" scope=\"col\" data-endpoint=\"%s\" data-sections=\"%s\" title=\"%s\"><span>%s</span></th>"
                % (_e(endpoint["key"]), _e(" | ".join(endpoint["sections"])), _e(_endpoint_title(endpoint)),
                   _e(endpoint["key"])))
        if not report["endpoints"]:
            add("<th>Probe</th>")
        add("</tr></thead>\n<tbody>\n")
        for row in report["matrix"]:
            if row.get("unchecked"):
                unchecked = row["unchecked"]
                add("<tr data-host=\"%s\" data-unchecked=\"%s\"><th class=\"host\" scope=\"row\">%s</th>"
                    % (_e(row["host"]), _e(unchecked["reason"]), _e(row["host"])))
                # The message wraps within the endpoint columns instead of widening them (div.fit has no width of its own).
                add("<td class=\"unchecked c-%s\" colspan=\"%d\" data-host=\"%s\" data-reason=\"%s\" title=\"%s\">"
                    "<div%s><strong>%s</strong> &mdash; <span class=\"unchecked-message\">%s</span></div></td></tr>\n"
                    % (NOT_CHECKED, max(1, report["endpoint_count"]), _e(row["host"]), _e(unchecked["reason"]),
                       _e(UNCHECKED_LABELS[unchecked["reason"]]), " class=\"fit\"" if report["endpoint_count"] else "",
                       _e(_unchecked_text(unchecked)), _e(unchecked["message"] or UNCHECKED_LABELS[unchecked["reason"]])))
                continue
            add("<tr data-host=\"%s\"><th class=\"host\" scope=\"row\">%s</th>" % (_e(row["host"]), _e(row["host"])))
            for cell, endpoint in zip(row["cells"], report["endpoints"]):
                extra = " data-section=\"%s\"" % _e(endpoint["sections"][0])
                if _fix_lines(cell):
                    extra += " data-fix=\"%s\"" % _e(" | ".join(_fix_lines(cell)))
                if cell.get("path"):
                    extra += " data-path=\"%s\"" % _e(cell["path"]["mode"])
                if cell.get("trust"):
                    extra += " data-trust=\"%s\"" % _e(cell["trust"]["decided_by"] or "none")
                add("<td class=\"cell c-%s\" data-host=\"%s\" data-endpoint=\"%s\" data-category=\"%s\"%s title=\"%s\">%s</td>"
                    % (cell["category"], _e(row["host"]), _e(cell["endpoint"]), cell["category"], extra,
                       _e(_cell_title(cell)), _cell_body(cell)))
            add("</tr>\n")
        add("</tbody></table>\n")

    _render_sections(report, add)

    add("<h2>Interception evidence</h2>\n")
    if not report["interceptions"]:
        add("<p id=\"no-interceptions\">No HTTPS interception was detected.</p>\n")
    else:
        add("<table id=\"interceptions\"><tr><th>Host</th><th>Endpoint</th><th>Re-signed by</th><th>Issuer seen</th>"
            "<th>Anchors asked (older results: expected issuers)</th><th>Path</th><th>Certificate chain served</th></tr>\n")
        for item in report["interceptions"]:
            chain = "<br>".join("%s <code>%s</code>" % (_e(c["subject"]), _e((c["sha256"] or "")[:16])) for c in item["chain"])
            add("<tr data-host=\"%s\" data-endpoint=\"%s\"><td>%s</td><td>%s</td><td class=\"resigned-by\">%s</td>"
                "<td class=\"issuer-seen\">%s</td><td class=\"issuer-expected\">%s</td><td class=\"path\">%s</td><td>%s</td></tr>\n"
                % (_e(item["host"]), _e(item["endpoint"]), _e(item["host"]), _e(item["endpoint"]),
                   _e(item.get("resigned_by") or "not reported"),
                   _e(", ".join(item["issuers_seen"]) or "none"), _e(", ".join(item["expected_issuers"]) or "none"),
                   _e(item.get("path_label") or "not reported"), chain))
        add("</table>\n")

    add("<h2>Per service</h2>\n<table id=\"services\"><tr><th>Service</th>")
    for category, label in _LEGEND:
        add("<th>%s</th>" % _e(label))
    add("</tr>\n")
    for service in report["services"]:
        add("<tr data-service=\"%s\"><td>%s</td>" % (_e(service["service"]), _e(service["service"])))
        for category, _label in _LEGEND:
            add("<td class=\"num\" data-category=\"%s\">%d</td>" % (category, service[category]))
        add("</tr>\n")
    add("</table>\n")

    add("<h2>Hosts</h2>\n<table id=\"hosts\"><tr><th>Host</th><th>Checked</th><th>Catalog edition</th><th>Probed at</th>")
    for category, label in _LEGEND:
        add("<th>%s</th>" % _e(label))
    add("<th>Result file</th></tr>\n")
    for host in report["hosts"]:
        checked = _unchecked_text(host["unchecked"]) if host.get("unchecked") else "yes"
        add("<tr data-host=\"%s\"><td>%s</td><td class=\"checked\">%s</td><td>%s</td><td>%s</td>" % (
            _e(host["host"]), _e(host["host"]), _e(checked), _e(host["catalog_edition"] or "unknown"),
            _e(host["generated_at"] or "")))
        for category, _label in _LEGEND:
            add("<td class=\"num\">%d</td>" % host["counts"][category])
        add("<td><code>%s</code></td></tr>\n" % _e(host["origin"]))
    add("</table>\n")
    if report["unchecked_hosts"]:
        add("<h2>Hosts not checked</h2>\n<table id=\"unchecked\"><tr><th>Host</th><th>Reason</th><th>Message</th>"
            "<th>Result file</th></tr>\n")
        for item in report["unchecked_hosts"]:
            add("<tr data-host=\"%s\" data-reason=\"%s\"><td>%s</td><td>%s</td><td>%s</td><td><code>%s</code></td></tr>\n"
                % (_e(item["host"]), _e(item["reason"]), _e(item["host"]), _e(_unchecked_text(item)),
                   _e(item["message"]), _e(item["origin"])))
        add("</table>\n")
    if report["duplicates"]:
        add("<h2>Duplicate result sets</h2>\n<p>These hosts were reported more than once; the latest result set was kept.</p>\n"
            "<table id=\"duplicates\"><tr><th>Host</th><th>Kept</th><th>Dropped</th></tr>\n")
        for dup in report["duplicates"]:
            add("<tr><td>%s</td><td><code>%s</code></td><td><code>%s</code></td></tr>\n" % (_e(dup["host"]), _e(dup["kept"]), _e(dup["dropped"])))
        add("</table>\n")
    add("</body>\n</html>\n")
    return "".join(out)


def render_json(report):
    """The report dictionary as stable JSON text (sorted keys, two-space indent, trailing newline)."""
    return json.dumps(report, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


CSV_FIELDS = ("host", "endpoint", "target_host", "port", "protocol", "service", "source", "id", "required",
              "category", "status", "verdict", "message", "issuers_seen", "expected_issuers", "catalog_edition",
              "path", "path_source", "path_mode", "path_proxy", "path_bypass_entry", "path_note",
              "trust", "trust_decided_by", "trust_anchors", "trust_host_trust", "resigned_by", "unchecked_reason",
              "section", "sections", "remediation")


def _csv_text(value):
    """Neutralise spreadsheet formulas: a text cell never starts with = + - @ or a control character."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    value = visible_text(str(value))
    if value and (value[0] in "=+-@" or value[0] in "\t\r\n"):
        value = "'" + value
    return value


def render_csv(report):
    """One row per matrix cell (host x endpoint), RFC 4180 quoting, stable order.

    A host that could not be checked has one row, with an empty endpoint, category ``not-checked``,
    its error message and ``unchecked_reason``.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    endpoints = {e["key"]: e for e in report["endpoints"]}
    editions = {h["host"]: h["catalog_edition"] for h in report["hosts"]}
    for row in report["matrix"]:
        if row.get("unchecked"):
            values = dict(host=row["host"], category=NOT_CHECKED, message=row["unchecked"]["message"],
                          catalog_edition=editions.get(row["host"]), unchecked_reason=row["unchecked"]["reason"])
            writer.writerow([_csv_text(values.get(field)) for field in CSV_FIELDS])
            continue
        for cell in row["cells"]:
            endpoint = endpoints[cell["endpoint"]]
            evidence = cell.get("evidence") or {}
            path = cell.get("path") or {}
            trust = cell.get("trust") or {}
            writer.writerow([_csv_text(v) for v in (
                row["host"], cell["endpoint"], endpoint["host"], endpoint["port"], endpoint["protocol"],
                endpoint["service"], endpoint["source"], endpoint["id"], endpoint["required"],
                cell["category"], cell.get("status"), cell.get("verdict"), cell.get("message"),
                " | ".join(evidence.get("issuers_seen", [])), " | ".join(evidence.get("expected_issuers", [])),
                editions.get(row["host"]),
                cell.get("path_label"), path.get("source"), path.get("mode"), path.get("proxy"), path.get("bypass_entry"),
                path.get("note"), cell.get("trust_label"), trust.get("decided_by"), trust.get("anchors"),
                trust.get("host_trust"), cell.get("resigned_by"), None,
                endpoint["sections"][0], " | ".join(endpoint["sections"]), " | ".join(_fix_lines(cell)))])
    return buf.getvalue()


RENDERERS = {"html": render_html, "json": render_json, "csv": render_csv}
