# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The hosts x endpoints table: a cell's visible content and hover text (verdict, path, trust, the CA that
re-signed an intercepted chain), the column headers grouped by section, the rows of Macs checked or not."""

from __future__ import annotations

from ansible_collections.macfleet.apple_network.plugins.module_utils._report.html_page import SHORT, esc
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.remediation import fix_lines
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.terms import NOT_CHECKED, NOT_PROBED, UNCHECKED_LABELS


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
    """The CA an intercepted cell names on the page: the CA that re-signed the chain."""
    if cell["category"] != "intercepted" or not cell.get("resigned_by"):
        return None
    return "re-signed by %s" % cell["resigned_by"]


def cell_title(cell):
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
    out = [SHORT[cell["category"]]]
    if cell["category"] in ("skipped", "error"):
        out.append("<small class=\"why\">%s</small>" % esc(cell.get("message") or cell["verdict_text"]))
    elif cell["category"] != "ok":
        out.append("<small class=\"verdict\">%s</small>" % esc(cell["verdict_text"]))
    if cell.get("path_label"):
        out.append("<small class=\"path\">%s</small>" % esc(cell["path_label"]))
    if cell.get("trust_label"):
        out.append("<small class=\"trust\">trust: %s</small>" % esc(cell["trust_label"]))
    interceptor = _interceptor(cell)
    if interceptor:
        out.append("<small class=\"resigned\">%s</small>" % esc(interceptor))
    return "".join(out)


def unchecked_text(unchecked):
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


def matrix_table(report, records, add, detailed=True):
    """The hosts x endpoints table for ``records`` (checked or not). A ``detailed`` cell carries its whole
    answer in its hover text; otherwise (the paged matrix of a large fleet) the cell names its answer
    (``data-answer``), listed once under the table, so that a page of many failing Macs stays small."""
    endpoints = report.endpoints
    add("<table class=\"matrix\" id=\"matrix\">\n<thead>")
    if endpoints:
        add("<tr class=\"sections\"><th class=\"host\"></th>")
        for heading, kind, span in _section_runs(endpoints):
            add("<th class=\"section k-%s\" scope=\"colgroup\" colspan=\"%d\" data-section=\"%s\">%s</th>"
                % (esc(kind), span, esc(heading), esc(heading)))
        add("</tr>\n")
    add("<tr><th class=\"host\">Host</th>")
    for endpoint in endpoints:
        add("<th class=\"ep\" scope=\"col\" data-endpoint=\"%s\" data-sections=\"%s\" title=\"%s\"><span>%s</span></th>"
            % (esc(endpoint["key"]), esc(" | ".join(endpoint["sections"])), esc(_endpoint_title(endpoint)), esc(endpoint["key"])))
    if not endpoints:
        add("<th>Probe</th>")
    add("</tr></thead>\n<tbody>\n")
    # A cell's markup depends on its answer only (and the host): built once per answer.
    rendered = {}
    for record in records:
        host = esc(record.host)
        if record.unchecked is not None:
            unchecked = record.unchecked
            add("<tr data-host=\"%s\" data-group=\"%s\" data-unchecked=\"%s\"><th class=\"host\" scope=\"row\">%s</th>"
                % (host, esc(record.group), esc(unchecked["reason"]), host))
            # The message wraps within the endpoint columns instead of widening them (div.fit has no width of its own).
            add("<td class=\"unchecked c-%s\" colspan=\"%d\" data-host=\"%s\" data-reason=\"%s\" title=\"%s\">"
                "<div%s><strong>%s</strong> &mdash; <span class=\"unchecked-message\">%s</span></div></td></tr>\n"
                % (NOT_CHECKED, max(1, len(endpoints)), host, esc(unchecked["reason"]),
                   esc(UNCHECKED_LABELS[unchecked["reason"]]), " class=\"fit\"" if endpoints else "",
                   esc(unchecked_text(unchecked)), esc(unchecked["message"] or UNCHECKED_LABELS[unchecked["reason"]])))
            continue
        add("<tr data-host=\"%s\" data-group=\"%s\"><th class=\"host\" scope=\"row\">%s</th>" % (host, esc(record.group), host))
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
    key = esc(endpoint["key"])
    if not detailed:
        if cell is None:
            return "<td class=\"cell c-%s\" data-category=\"%s\">%s</td>" % (NOT_PROBED, NOT_PROBED, SHORT[NOT_PROBED])
        body = SHORT[cell["category"]] if cell["category"] == "ok" else _cell_body(cell)
        return ("<td class=\"cell c-%s\" data-category=\"%s\" data-answer=\"%d\" title=\"%s\">%s</td>"
                % (cell["category"], cell["category"], cell["id"], esc(cell["verdict_text"]), body))
    if cell is None:
        return ("<td class=\"cell c-%s\" data-host=\"" % NOT_PROBED,
                "\" data-endpoint=\"%s\" data-category=\"%s\" title=\"not probed on this host\">%s</td>"
                % (key, NOT_PROBED, SHORT[NOT_PROBED]))
    extra = " data-section=\"%s\" data-verdict=\"%s\"" % (esc(endpoint["sections"][0]), esc(cell["verdict"]))
    if fix_lines(cell):
        extra += " data-fix=\"%s\"" % esc(" | ".join(fix_lines(cell)))
    if cell.get("path"):
        extra += " data-path=\"%s\"" % esc(cell["path"]["mode"])
    if cell.get("trust"):
        extra += " data-trust=\"%s\"" % esc(cell["trust"]["decided_by"] or "none")
    return ("<td class=\"cell c-%s\" data-host=\"" % cell["category"],
            "\" data-endpoint=\"%s\" data-category=\"%s\"%s title=\"%s\">%s</td>"
            % (key, cell["category"], extra, esc(cell_title(cell)), _cell_body(cell)))
