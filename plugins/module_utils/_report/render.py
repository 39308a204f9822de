# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Renderings of the readiness report (``model.Report``): HTML pages, JSON and CSV, each written streaming.

The HTML summary page opens with a one-line conclusion, then what changed since the previous run, the
result files that were rejected, and the fleet summary: per endpoint and per group of Macs how many got
each verdict, the Macs that resolve no names or reach no endpoint (a cause of the Mac, listed once rather
than per endpoint), per intercepting CA at how many Macs and groups, the Macs with identical results
collapsed into one line, the Macs not checked with why, and per catalog section what to change, for how
many Macs. The hosts x endpoints matrix is on that page for a small fleet (up to :data:`SMALL_FLEET` Macs);
for a larger one it lists only the Macs with a failing cell, on pages per group of at most
:data:`ROWS_PER_PAGE` Macs, so that no page grows with the fleet.

Pages are self-contained: inline CSS, no scripts, no fonts, images or links outside the report's own pages,
and a Content-Security-Policy that forbids loading any. Every piece of text that comes from the results
(host names, messages, certificate subjects) is HTML-escaped, and control and format characters (a bidi
override such as U+202E, zero-width characters) are shown escaped (``\\u202e``) in HTML and CSV.

The JSON export is the report's summary plus every Mac (``hosts``: its answer id per endpoint), every Mac not
checked and every change since the previous run, written piece by piece. The CSV export has one row per Mac
and endpoint.
"""

from __future__ import annotations

import csv
import io
import json
import re
from html import escape

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.der import visible_text
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.drift import no_drift
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.model import (
    CATEGORY_LABELS,
    NOT_CHECKED,
    NOT_PROBED,
    UNCHECKED_LABELS,
    UNCHECKED_REASONS,
    plural,
    verdict_words,
)

# A fleet up to this size gets the whole matrix on the summary page; a larger one, pages of failing Macs.
SMALL_FLEET = 50
ROWS_PER_PAGE = 100
# Lines listed on the summary page per table that could grow with the fleet (the exports list everything), and
# Mac names shown per line: the summary page stays small whatever the fleet's size.
LISTED = 200
NAMES_SHOWN = 50

_SHORT = {"ok": "OK", "intercepted": "INT", "blocked": "BLK", "dns": "DNS", "skipped": "SKIP", "error": "ERR",
          NOT_PROBED: "\u2013"}
_LEGEND = ([(c, CATEGORY_LABELS[c]) for c in ("ok", "intercepted", "blocked", "dns", "skipped", "error")]
           + [(NOT_PROBED, "Not probed")])
_MEANING = {
    "ok": "reachable, trusted chain",
    "intercepted": "HTTPS intercepted: the chain does not verify against the anchors, a locally trusted CA re-signed it",
    "blocked": "refused, dropped, TLS failure, untrusted chain, pin mismatch or proxy failure",
    "dns": "name does not resolve",
    "skipped": "not probed by choice (the reason is shown in the cell)",
    "error": "the probe itself failed (a bug to report), not an answer from the network",
    NOT_PROBED: "not in this host's results",
}
_SECTION_KINDS = {"section": "catalog section", "source": "2018 source document (no sections)",
                  "targets": "explicit targets"}

_CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px;color:#1f2328;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#57606a;margin:0 0 16px}
.conclusion{font-size:17px;font-weight:600;margin:8px 0 16px;padding:8px 12px;border-left:4px solid #0969da;background:#ddf4ff}
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
.c-error{background:#24292f;color:#fff}
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
.names{font-size:12px;color:#57606a}
code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px;word-break:break-all}
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'"


def visible(text):
    """``text`` with hidden and reordering characters shown as escapes (the probe's rule); line breaks and tabs kept."""
    return visible_text(text, keep="\n\t")


def _e(value):
    return escape(visible("" if value is None else str(value)), quote=True)


def _n(number):
    return "{:,}".format(number)


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
                                  "host_trust": "the host's trust",
                                  "host_override": "this host's pin override"}[trust["decided_by"]]
    known = ["anchors: %s" % trust["anchors"]] if trust.get("anchors") else []
    if trust.get("host_trust"):
        known.append("host trust: %s" % trust["host_trust"])
    if trust.get("rule"):
        known.append("rule: %s" % trust["rule"])
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


def fix_lines(cell):
    """The distinct remediation lines of a cell (one per section whose rows need different changes)."""
    lines = []
    for item in cell.get("remediation") or []:
        if item["line"] not in lines:
            lines.append(item["line"])
    return lines


def _cell_title(cell):
    parts = ["%s (%s)" % (cell["verdict_text"], cell["verdict"])]
    parts.extend("fix: %s" % line for line in fix_lines(cell))
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
    """Visible content of a cell: the short verdict, then the path, the trust, the re-signing CA, and for a
    skipped cell or a probe error the reason (visible without hovering)."""
    out = [_SHORT[cell["category"]]]
    if cell["category"] in ("skipped", "error"):
        out.append("<small class=\"why\">%s</small>" % _e(cell.get("message") or cell["verdict_text"]))
    elif cell["category"] != "ok":
        out.append("<small class=\"verdict\">%s</small>" % _e(cell["verdict_text"]))
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


def _groups_text(groups, limit=10):
    items = sorted(groups.items(), key=lambda i: (-i[1], i[0]))
    text = ", ".join("%s (%s)" % (name, _n(count)) for name, count in items[:limit])
    if len(items) > limit:
        text += ", and %s more" % plural(len(items) - limit, "group")
    return text


def _names(item):
    """The Mac names behind a line, folded away; at most NAMES_SHOWN of them (the JSON export has more, the CSV all)."""
    names = item["names"][:NAMES_SHOWN]
    more = item["hosts"] - len(names)
    return ("<details class=\"names\"><summary>%s</summary>%s%s</details>"
            % (plural(item["hosts"], "Mac"), _e(", ".join(names)),
               " and %s more (see the matrix pages and the CSV export)" % _n(more) if more > 0 else ""))


class _Page:
    """One HTML page being written: the head, then whatever the caller adds."""

    def __init__(self, handle, title, heading):
        self.add = handle.write
        self.add("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        self.add("<meta http-equiv=\"Content-Security-Policy\" content=\"%s\">\n" % _e(_CSP))
        self.add("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        self.add("<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n" % (_e(title), _CSS))
        self.add("<h1 id=\"title\">%s</h1>\n" % _e(heading))

    def close(self):
        self.add("</body>\n</html>\n")


def _legend(add):
    add("<p class=\"legend\">")
    for category, _label in _LEGEND:
        add("<span class=\"c-%s\">%s</span> %s &nbsp; " % (category, _SHORT[category], _e(_MEANING[category])))
    add("<span class=\"c-%s\">not checked</span> the host could not be probed: unreachable, no usable Python "
        "(no_python) or a module error &nbsp; " % NOT_CHECKED)
    add("</p>\n")


def _matrix(report, records, add, detailed=True):
    """The hosts x endpoints table for ``records`` (checked or not). A ``detailed`` cell carries its whole
    answer in its hover text; otherwise (the paged matrix of a large fleet) the cell names its answer
    (``data-answer``), listed once under the table, so that a page of many failing Macs stays small."""
    endpoints = report.endpoints
    add("<table class=\"matrix\" id=\"matrix\">\n<thead>")
    if endpoints:
        add("<tr class=\"sections\"><th class=\"host\"></th>")
        for heading, kind, span in _section_runs(endpoints):
            add("<th class=\"section k-%s\" scope=\"colgroup\" colspan=\"%d\" data-section=\"%s\">%s</th>"
                % (_e(kind), span, _e(heading), _e(heading)))
        add("</tr>\n")
    add("<tr><th class=\"host\">Host</th>")
    for endpoint in endpoints:
        add("<th class=\"ep\" scope=\"col\" data-endpoint=\"%s\" data-sections=\"%s\" title=\"%s\"><span>%s</span></th>"
            % (_e(endpoint["key"]), _e(" | ".join(endpoint["sections"])), _e(_endpoint_title(endpoint)), _e(endpoint["key"])))
    if not endpoints:
        add("<th>Probe</th>")
    add("</tr></thead>\n<tbody>\n")
    # A cell's markup depends on its answer only (and the host): built once per answer.
    rendered = {}
    for record in records:
        host = _e(record.host)
        if record.unchecked is not None:
            unchecked = record.unchecked
            add("<tr data-host=\"%s\" data-group=\"%s\" data-unchecked=\"%s\"><th class=\"host\" scope=\"row\">%s</th>"
                % (host, _e(record.group), _e(unchecked["reason"]), host))
            # The message wraps within the endpoint columns instead of widening them (div.fit has no width of its own).
            add("<td class=\"unchecked c-%s\" colspan=\"%d\" data-host=\"%s\" data-reason=\"%s\" title=\"%s\">"
                "<div%s><strong>%s</strong> &mdash; <span class=\"unchecked-message\">%s</span></div></td></tr>\n"
                % (NOT_CHECKED, max(1, len(endpoints)), host, _e(unchecked["reason"]),
                   _e(UNCHECKED_LABELS[unchecked["reason"]]), " class=\"fit\"" if endpoints else "",
                   _e(_unchecked_text(unchecked)), _e(unchecked["message"] or UNCHECKED_LABELS[unchecked["reason"]])))
            continue
        add("<tr data-host=\"%s\" data-group=\"%s\"><th class=\"host\" scope=\"row\">%s</th>" % (host, _e(record.group), host))
        for column, answer_id in enumerate(report.profile(record)["row"]):
            markup = rendered.get((column, answer_id))
            if markup is None:
                markup = rendered[(column, answer_id)] = _cell_markup(
                    endpoints[column], None if answer_id is None else report.answers[answer_id], detailed)
            add(markup if isinstance(markup, str) else markup[0] + host + markup[1])
        add("</tr>\n")
    add("</tbody></table>\n")
    return sorted(set(a for _column, a in rendered if a is not None))


def _cell_markup(endpoint, cell, detailed=True):
    """A cell's markup before and after its host name (the only part that differs between Macs); without
    ``detailed`` the whole markup (the row names the host, the column header the endpoint)."""
    key = _e(endpoint["key"])
    if not detailed:
        if cell is None:
            return "<td class=\"cell c-%s\" data-category=\"%s\">%s</td>" % (NOT_PROBED, NOT_PROBED, _SHORT[NOT_PROBED])
        body = _SHORT[cell["category"]] if cell["category"] == "ok" else _cell_body(cell)
        return ("<td class=\"cell c-%s\" data-category=\"%s\" data-answer=\"%d\" title=\"%s\">%s</td>"
                % (cell["category"], cell["category"], cell["id"], _e(cell["verdict_text"]), body))
    if cell is None:
        return ("<td class=\"cell c-%s\" data-host=\"" % NOT_PROBED,
                "\" data-endpoint=\"%s\" data-category=\"%s\" title=\"not probed on this host\">%s</td>"
                % (key, NOT_PROBED, _SHORT[NOT_PROBED]))
    extra = " data-section=\"%s\" data-verdict=\"%s\"" % (_e(endpoint["sections"][0]), _e(cell["verdict"]))
    if fix_lines(cell):
        extra += " data-fix=\"%s\"" % _e(" | ".join(fix_lines(cell)))
    if cell.get("path"):
        extra += " data-path=\"%s\"" % _e(cell["path"]["mode"])
    if cell.get("trust"):
        extra += " data-trust=\"%s\"" % _e(cell["trust"]["decided_by"] or "none")
    return ("<td class=\"cell c-%s\" data-host=\"" % cell["category"],
            "\" data-endpoint=\"%s\" data-category=\"%s\"%s title=\"%s\">%s</td>"
            % (key, cell["category"], extra, _e(_cell_title(cell)), _cell_body(cell)))


def _category_headers(add):
    for _category, label in _LEGEND:
        add("<th>%s</th>" % _e(label))


def _category_cells(add, counts, tag="td"):
    for category, _label in _LEGEND:
        add("<%s class=\"num\" data-category=\"%s\">%s</%s>" % (tag, category, _n(counts[category]), tag))


def _render_drift(drift, add):
    add("<h2 id=\"changes\">What changed since the last run</h2>\n<div id=\"drift\">\n")
    if drift["compared_with"] is None:
        add("<p id=\"drift-note\">%s</p>\n</div>\n" % _e(drift["note"]))
        return
    counts = drift["counts"]
    add("<p id=\"drift-note\">%s (<code>%s</code>).</p>\n" % (_e(drift["note"]), _e(drift["compared_with"])))
    labels = [("regressions", "cells that got worse"), ("fixed", "cells fixed"), ("changed", "cells with another answer"),
              ("hosts_newly_unchecked", "Macs newly not checked"), ("hosts_new", "Macs new"), ("hosts_gone", "Macs gone"),
              ("hosts_checked_again", "Macs checked again"), ("cells_new_failing", "new endpoints failing")]
    add("<table id=\"drift-counts\"><tr>%s</tr>\n<tr>%s</tr></table>\n"
        % ("".join("<th>%s</th>" % _e(label) for _k, label in labels),
           "".join("<td class=\"num\" id=\"drift-%s\">%s</td>" % (kind.replace("_", "-"), _n(counts[kind])) for kind, _l in labels)))
    if drift["by_endpoint"]:
        add("<table id=\"drift-cells\"><tr><th>Change</th><th>Endpoint</th><th>Group</th><th>Before</th><th>Now</th>"
            "<th>Macs</th></tr>\n")
        words = {"regressions": "got worse", "fixed": "fixed", "changed": "other answer"}
        for item in drift["by_endpoint"]:
            add("<tr class=\"drift-%s\" data-kind=\"%s\" data-endpoint=\"%s\" data-group=\"%s\"><td>%s</td><td><code>%s</code></td>"
                "<td>%s</td><td class=\"c-%s\">%s</td><td class=\"c-%s\">%s</td><td class=\"num\">%s</td></tr>\n"
                % (item["kind"], item["kind"], _e(item["endpoint"]), _e(item["group"]), words[item["kind"]],
                   _e(item["endpoint"]), _e(item["group"]), _e(item["before"]["category"]), _e(item["before"]["verdict"]),
                   _e(item["after"]["category"]), _e(item["after"]["verdict"]), _n(item["hosts"])))
        add("</table>\n")
    for kind, label in (("hosts_newly_unchecked", "Newly not checked"), ("hosts_new", "New Macs"), ("hosts_gone", "Macs gone")):
        if drift[kind]:
            more = counts[kind] - len(drift[kind])
            add("<p id=\"drift-list-%s\">%s: %s%s</p>\n" % (kind.replace("_", "-"), label,
                                                            _e(", ".join("%s (%s)" % (h["host"], h["group"]) for h in drift[kind])),
                                                            " and %s more" % _n(more) if more > 0 else ""))
    catalog = drift.get("catalog") or {}
    if catalog.get("changed"):
        add("<p id=\"drift-catalog\">Catalog edition: %s &rarr; %s: %s entries added, %s removed, %s changed%s.</p>\n"
            % (_e(", ".join(catalog["before"]) or "unknown"), _e(", ".join(catalog["after"]) or "unknown"),
               _n(catalog["counts"]["added"]), _n(catalog["counts"]["removed"]), _n(catalog["counts"]["changed"]),
               " (%s)" % _e(catalog["note"]) if catalog.get("note") and catalog["note"] != "catalog edition changed" else ""))
        for kind in ("added", "removed"):
            if catalog[kind]:
                add("<p class=\"names\" id=\"drift-catalog-%s\">%s: %s</p>\n"
                    % (kind, kind.capitalize(), _e(", ".join("%s %s" % (i["kind"], i["id"]) for i in catalog[kind]))))
    add("</div>\n")


def page_name(basename, group, number, slugs):
    """The file name of a matrix page of ``group`` (a slug unique among the groups, from ``slugs``)."""
    return "%s-matrix-%s-%d.html" % (basename, slugs[group], number)


def group_slugs(groups):
    """A file-name-safe slug per group name, unique (a numbered suffix where two names fold to one slug)."""
    slugs, used = {}, set()
    for name in sorted(groups):
        base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "group"
        slug, index = base, 1
        while slug in used:
            index += 1
            slug = "%s-%d" % (base, index)
        used.add(slug)
        slugs[name] = slug
    return slugs


def matrix_pages(report, basename):
    """``[(file name, group, page number, records)]``: the failing Macs of each group, ROWS_PER_PAGE per page
    (none for a small fleet: its matrix is on the summary page)."""
    if report["host_count"] <= SMALL_FLEET:
        return []
    by_group = {}
    for record in report.hosts:
        if report.failing(record):
            by_group.setdefault(record.group, []).append(record)
    slugs = group_slugs(by_group)
    pages = []
    for group in sorted(by_group):
        records = by_group[group]
        for number, start in enumerate(range(0, len(records), ROWS_PER_PAGE), 1):
            pages.append((page_name(basename, group, number, slugs), group, number, records[start:start + ROWS_PER_PAGE]))
    return pages


def render_matrix_page(report, handle, summary_name, group, number, records, pages_of_group):
    page = _Page(handle, "%s: %s, page %d" % (report["title"], group, number),
                 "%s: failing Macs of group %s" % (report["title"], group))
    add = page.add
    add("<p class=\"meta\"><a href=\"%s\">Back to the summary</a> &middot; page %d of %d of group <strong id=\"group\">"
        "%s</strong> &middot; <span id=\"row-count\">%d</span> Macs with at least one failing cell</p>\n"
        % (_e(summary_name), number, pages_of_group, _e(group), len(records)))
    _legend(add)
    answers = _matrix(report, records, add, detailed=False)
    add("<h2>The answers on this page</h2>\n<table id=\"answers\"><tr><th>Answer</th><th>Endpoint</th><th>Verdict</th>"
        "<th>What to change</th><th>Details</th></tr>\n")
    for answer_id in answers:
        answer = report.answers[answer_id]
        if answer["category"] == "ok":
            continue
        add("<tr id=\"answer-%d\" class=\"c-%s\"><td>%d</td><td><code>%s</code></td><td>%s</td><td class=\"fix\">%s</td>"
            "<td>%s</td></tr>\n"
            % (answer_id, answer["category"], answer_id, _e(answer["endpoint"]), _e(answer["verdict_text"]),
               _e(" | ".join(fix_lines(answer))), _e(_cell_title(answer))))
    add("</table>\n")
    page.close()


def _to_text(render, *args, **kwargs):
    handle = io.StringIO()
    render(*args, handle=handle, **kwargs)
    return handle.getvalue()


def render_html(report, drift=None, handle=None, basename="readiness", pages=()):
    """The summary page (the report's ``<basename>.html``), written to ``handle`` (returned as text without one);
    ``pages`` as from :func:`matrix_pages` (linked from the group table); ``drift`` None: a first run."""
    if handle is None:
        return _to_text(render_html, report, drift or no_drift(_NO_DRIFT), basename=basename, pages=pages)
    drift = drift or no_drift(_NO_DRIFT)
    summary = report.summary
    page = _Page(handle, summary["title"], summary["title"])
    add = page.add
    totals = summary["totals"]
    editions = ", ".join(summary["catalog_editions"]) or "unknown"
    add("<p class=\"meta\">Catalog edition: <strong id=\"catalog-edition\">%s</strong> &middot; "
        "<span id=\"host-count\">%d</span> hosts &middot; <span id=\"endpoint-count\">%d</span> endpoints"
        % (_e(editions), summary["host_count"], summary["endpoint_count"]))
    if summary["generated_at"]:
        add(" &middot; probed <span id=\"generated-at\">%s</span>" % _e(summary["first_generated_at"]))
        if summary["first_generated_at"] != summary["generated_at"]:
            add(" to %s" % _e(summary["generated_at"]))
    add("</p>\n<p class=\"conclusion\" id=\"conclusion\">%s</p>\n" % _e(summary["conclusion"]))
    if len(summary["catalog_editions"]) > 1:
        add("<p class=\"warn\" id=\"edition-warning\">The hosts were probed with different catalog editions: %s.</p>\n" % _e(editions))
    _render_drift(drift.summary(LISTED), add)
    if summary["rejected_files"]:
        add("<h2>Result files that could not be used</h2>\n<p class=\"warn\">The report was written without them.</p>\n"
            "<table id=\"rejected-files\"><tr><th>File</th><th>Problem</th><th>Message</th></tr>\n")
        for item in summary["rejected_files"][:LISTED]:
            add("<tr data-file=\"%s\" data-problem=\"%s\"><td><code>%s</code></td><td>%s</td><td>%s</td></tr>\n"
                % (_e(item["file"]), _e(item["problem"]), _e(item["file"]), _e(_PROBLEMS.get(item["problem"], item["problem"])),
                   _e(item["message"])))
        add("</table>\n")

    add("<h2>Totals</h2>\n<table class=\"totals\" id=\"totals\"><tr>")
    for category, label in _LEGEND:
        add("<th class=\"c-%s\">%s</th>" % (category, _e(label)))
    add("<th>All cells</th></tr>\n<tr>")
    for category, _label in _LEGEND:
        add("<td class=\"num\" id=\"total-%s\" data-category=\"%s\">%d</td>" % (category, category, totals[category]))
    add("<td class=\"num\" id=\"total-cells\">%d</td></tr></table>\n" % totals["cells"])
    unchecked = summary["unchecked"]
    add("<p>Hosts checked: <span id=\"checked-host-count\">%d</span> of %d; with at least one failing cell: "
        "<span id=\"failing-host-count\">%d</span>.</p>\n"
        % (summary["checked_host_count"], summary["host_count"], summary["failing_host_count"]))
    add("<table class=\"totals\" id=\"unchecked-totals\"><tr>")
    for reason in UNCHECKED_REASONS:
        add("<th class=\"c-%s\">Not checked: %s</th>" % (NOT_CHECKED, _e(UNCHECKED_LABELS[reason])))
    add("<th>Hosts not checked</th></tr>\n<tr>")
    for reason in UNCHECKED_REASONS:
        add("<td class=\"num\" id=\"unchecked-%s\" data-reason=\"%s\">%d</td>" % (reason, reason, unchecked[reason]))
    add("<td class=\"num\" id=\"unchecked-total\">%d</td></tr></table>\n" % unchecked["total"])

    if summary["systemic"]:
        add("<h2>Causes of a whole Mac</h2>\n<table id=\"systemic\"><tr><th>Cause</th><th>What to change</th><th>Macs</th>"
            "<th>Groups</th></tr>\n")
        for item in summary["systemic"]:
            add("<tr data-cause=\"%s\" data-hosts=\"%d\"><td>%s</td><td class=\"fix\">%s</td><td>%s</td><td>%s</td></tr>\n"
                % (_e(item["cause"]), item["hosts"], _e(item["text"]), _e(item["remedy"]), _names(item), _e(_groups_text(item["groups"]))))
        add("</table>\n")

    _render_endpoints(summary, add)
    _render_groups(summary, add, pages)

    add("<h2>Intercepting CAs</h2>\n")
    if not summary["interceptions"]:
        add("<p id=\"no-interceptions\">No HTTPS interception was detected.</p>\n")
    else:
        add("<table id=\"interceptions\"><tr><th>Re-signed by</th><th>Endpoints</th><th>Macs</th><th>Groups</th>"
            "<th>Issuer seen</th><th>Anchors asked (older results: expected issuers)</th><th>Path</th>"
            "<th>Certificate chain served (example)</th></tr>\n")
        for item in summary["interceptions"]:
            chain = "<br>".join("%s <code>%s</code>" % (_e(c["subject"]), _e((c["sha256"] or "")[:16])) for c in item["chain"])
            add("<tr data-ca=\"%s\" data-hosts=\"%d\"><td class=\"resigned-by\">%s</td><td><code>%s</code></td><td>%s</td>"
                "<td>%s</td><td class=\"issuer-seen\">%s</td><td class=\"issuer-expected\">%s</td><td class=\"path\">%s</td>"
                "<td>%s</td></tr>\n"
                % (_e(item["ca"]), item["hosts"], _e(item["ca"]), _e(", ".join(item["endpoints"])), _names(item),
                   _e(_groups_text(item["groups"])), _e(", ".join(item["issuers_seen"]) or "none"),
                   _e(", ".join(item["expected_issuers"]) or "none"), _e(item.get("path_label") or "not reported"), chain))
        add("</table>\n")

    add("<h2>Macs with identical results</h2>\n<table id=\"identical\"><tr><th>Macs</th><th>Result</th><th>Groups</th></tr>\n")
    for line in summary["identical_results"][:LISTED]:
        add("<tr class=\"identical\" data-hosts=\"%d\"><td>%s</td><td class=\"line\">%s: %s</td><td>%s</td></tr>\n"
            % (line["hosts"], _names(line), _e(plural(line["hosts"], "Mac")), _e(line["description"]),
               _e(_groups_text(line["groups"]))))
    add("</table>\n")
    if len(summary["identical_results"]) > LISTED:
        add("<p>%s more distinct results (see the JSON export).</p>\n" % _n(len(summary["identical_results"]) - LISTED))

    if summary["unchecked_lines"]:
        add("<h2>Macs not checked</h2>\n<table id=\"unchecked\"><tr><th>Macs</th><th>Why</th><th>Message</th>"
            "<th>What to do</th><th>Groups</th></tr>\n")
        for line in summary["unchecked_lines"][:LISTED]:
            add("<tr data-reason=\"%s\" data-hosts=\"%d\"><td>%s</td><td>%s</td><td class=\"unchecked-message\">%s</td>"
                "<td>%s</td><td>%s</td></tr>\n"
                % (_e(line["reason"]), line["hosts"], _names(line), _e("not checked: %s" % line["reason_text"]),
                   _e(line["message"]), _e(line["remedy"] or _UNCHECKED_REMEDY[line["reason"]]),
                   _e(_groups_text(line["groups"]))))
        add("</table>\n")

    _render_sections(summary, add)

    if report["host_count"] <= SMALL_FLEET:
        add("<h2>Hosts &times; endpoints</h2>\n")
        _legend(add)
        if not report.hosts:
            add("<p id=\"no-results\">No probe results.</p>\n")
        else:
            _matrix(report, report.hosts, add)
    else:
        add("<h2>Hosts &times; endpoints</h2>\n<p id=\"matrix-pages\">The matrix lists the %s with at least one failing "
            "cell, per group: see the links in the group table above (%s).</p>\n"
            % (plural(summary["failing_host_count"], "Mac"), plural(len(pages), "page")))

    add("<h2>Per service</h2>\n<table id=\"services\"><tr><th>Service</th>")
    _category_headers(add)
    add("</tr>\n")
    for service in summary["services"]:
        add("<tr data-service=\"%s\"><td>%s</td>" % (_e(service["service"]), _e(service["service"])))
        _category_cells(add, service)
        add("</tr>\n")
    add("</table>\n")

    if report["host_count"] <= SMALL_FLEET:
        add("<h2>Hosts</h2>\n<table id=\"hosts\"><tr><th>Host</th><th>Group</th><th>Checked</th><th>Catalog edition</th>"
            "<th>Probed at</th>")
        for _category, label in _LEGEND:
            add("<th>%s</th>" % _e(label))
        add("<th>Result file</th></tr>\n")
        for host in report.iter_hosts():
            checked = _unchecked_text(host["unchecked"]) if host.get("unchecked") else "yes"
            add("<tr data-host=\"%s\"><td>%s</td><td>%s</td><td class=\"checked\">%s</td><td>%s</td><td>%s</td>" % (
                _e(host["host"]), _e(host["host"]), _e(host["group"]), _e(checked), _e(host["catalog_edition"] or "unknown"),
                _e(host["generated_at"] or "")))
            _category_cells(add, host["counts"])
            add("<td><code>%s</code></td></tr>\n" % _e(host["origin"]))
        add("</table>\n")
    if summary["duplicates"]:
        add("<h2>Duplicate result sets</h2>\n<p>These hosts were reported more than once; the latest result set was kept.</p>\n"
            "<table id=\"duplicates\"><tr><th>Host</th><th>Kept</th><th>Dropped</th></tr>\n")
        for dup in summary["duplicates"][:LISTED]:
            add("<tr><td>%s</td><td><code>%s</code></td><td><code>%s</code></td></tr>\n" % (_e(dup["host"]), _e(dup["kept"]), _e(dup["dropped"])))
        add("</table>\n")
        if len(summary["duplicates"]) > LISTED:
            add("<p>%s more (see the JSON export).</p>\n" % _n(len(summary["duplicates"]) - LISTED))
    page.close()


_PROBLEMS = {"invalid": "a field is not valid", "not_json": "not JSON", "truncated": "truncated",
             "too_deep": "nested too deeply", "format": "from another format version", "unreadable": "cannot be read"}
_UNCHECKED_REMEDY = {
    "unreachable": "check that the controller can reach the Mac over SSH (the Mac is on, on the network, and accepts the key)",
    "no_python": "give the Mac a usable Python 3 (install Apple's Command Line Tools or set ansible_python_interpreter)",
    "module_error": "read the message; if it is an error in the probe, report a bug",
}


def _render_endpoints(summary, add):
    add("<h2>Per endpoint</h2>\n<p>How many Macs got each verdict, per endpoint (the most frequent answers in words).</p>\n"
        "<table id=\"endpoints\"><tr><th>Endpoint</th><th>Section</th>")
    _category_headers(add)
    add("<th>Answers</th></tr>\n")
    for endpoint in summary["endpoints"]:
        verdicts = sorted(((count, verdict) for verdict, count in endpoint["verdicts"].items() if verdict != NOT_PROBED),
                          key=lambda i: (-i[0], i[1]))
        add("<tr data-endpoint=\"%s\"><td><code>%s</code></td><td>%s</td>"
            % (_e(endpoint["key"]), _e(endpoint["key"]), _e(endpoint["sections"][0])))
        _category_cells(add, endpoint["counts"])
        add("<td>%s</td></tr>\n" % _e("; ".join("%s: %s" % (verdict_words(v), _n(c)) for c, v in verdicts[:4])))
    add("</table>\n")


def _render_groups(summary, add, pages):
    links = {}
    for name, group, number, _records in pages:
        links.setdefault(group, []).append((name, number))
    add("<h2>Per group</h2>\n<table id=\"groups\"><tr><th>Group</th><th>Macs</th><th>Checked</th><th>Failing</th>"
        "<th>Not checked</th>")
    _category_headers(add)
    add("<th>Matrix of failing Macs</th></tr>\n")
    for group in summary["groups"]:
        add("<tr data-group=\"%s\"><td>%s</td><td class=\"num\" data-count=\"hosts\">%s</td><td class=\"num\">%s</td>"
            "<td class=\"num\" data-count=\"failing\">%s</td><td class=\"num\">%s</td>"
            % (_e(group["group"]), _e(group["group"]), _n(group["hosts"]), _n(group["checked"]), _n(group["failing"]),
               _n(group["unchecked"]["total"])))
        _category_cells(add, group["counts"])
        add("<td>%s</td></tr>\n" % " ".join("<a class=\"matrix-page\" href=\"%s\">page %d</a>" % (_e(name), number)
                                            for name, number in links.get(group["group"], [])))
    add("</table>\n")


def _render_sections(summary, add):
    """Counts per section and, per section, every distinct fix with the Macs and groups it concerns."""
    add("<h2>Per section</h2>\n<p>Cells by the catalog section of their endpoint; rows of the 2018 documents, which "
        "have no sections, by their source document id. An endpoint that several sections list counts in each of them.</p>\n"
        "<table id=\"sections\"><tr><th>Section</th><th>Kind</th><th>Endpoints</th>")
    _category_headers(add)
    add("</tr>\n")
    for section in summary["sections"]:
        add("<tr data-section=\"%s\" data-kind=\"%s\"><td>%s</td><td>%s</td><td class=\"num\">%d</td>"
            % (_e(section["section"]), _e(section["kind"]), _e(section["section"]), _e(_SECTION_KINDS[section["kind"]]),
               len(section["endpoints"])))
        _category_cells(add, section["counts"])
        add("</tr>\n")
    add("</table>\n<h2>What to change, by section</h2>\n")
    if summary["systemic"]:
        add("<p>The Macs with a cause of their own (above) are not counted here.</p>\n")
    for index, section in enumerate(summary["sections"]):
        add("<h3 id=\"section-%d\" data-section=\"%s\">%s <small>(%s)</small></h3>\n"
            % (index, _e(section["section"]), _e(section["section"]), _e(_SECTION_KINDS[section["kind"]])))
        if not section["fixes"]:
            add("<p class=\"section-ok\" data-section=\"%s\">Nothing to change.</p>\n" % _e(section["section"]))
            continue
        add("<table class=\"fixes\" data-section=\"%s\"><tr><th>Endpoint</th><th>Answer</th><th>What to change</th>"
            "<th>Macs</th><th>Groups</th></tr>\n" % _e(section["section"]))
        for item in section["fixes"]:
            add("<tr class=\"fix-row c-%s\" data-endpoint=\"%s\" data-verdict=\"%s\" data-hosts=\"%d\"><td><code>%s</code></td>"
                "<td>%s</td><td class=\"fix\">%s</td><td>%s</td><td>%s</td></tr>\n"
                % (item["category"], _e(item["endpoint"]), _e(item["verdict"]), item["hosts"], _e(item["endpoint"]),
                   _e(item["verdict_text"]), _e(item["remediation"]), _names(item), _e(_groups_text(item["groups"]))))
        add("</table>\n")


# -- JSON --------------------------------------------------------------------------------------------------

class Stream:
    """A list in the JSON document that is written item by item (``factory`` makes the iterator)."""

    def __init__(self, factory):
        self.factory = factory


_NO_DRIFT = "first run: there is no previous report to compare with"


def json_document(report, drift=None):
    """The JSON export's document: the summary, ``hosts``, ``unchecked_hosts`` and ``drift`` (every change);
    the per-Mac lists are :class:`Stream` objects (see :func:`materialise`)."""
    document = dict(report.summary)
    document["hosts"] = Stream(report.iter_hosts)
    document["unchecked_hosts"] = Stream(report.iter_unchecked)
    drift = drift or no_drift(_NO_DRIFT)
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
        return _to_text(render_json, report, drift)
    drift = drift or no_drift(_NO_DRIFT)
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
        return _to_text(render_csv, report)
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


RENDERERS = {"html": render_html, "json": render_json, "csv": render_csv}
