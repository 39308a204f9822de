# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The report's summary page (``<basename>.html``).

It opens with a one-line conclusion, then what changed since the previous run, the result files that were
rejected, and the fleet summary: per endpoint and per group of Macs how many got each verdict, the Macs that
resolve no names or reach no endpoint (a cause of the Mac, listed once rather than per endpoint), per
intercepting CA at how many Macs and groups, the Macs with identical results collapsed into one line, the Macs
not checked with why, and per catalog section what to change, for how many Macs. The hosts x endpoints matrix is
on that page for a small fleet (up to :data:`~.html_matrix.SMALL_FLEET` Macs); for a larger one it links the
matrix pages (``html_matrix.py``), so that no page grows with the fleet.

Pages are self-contained: inline CSS, no scripts, no fonts, images or links outside the report's own pages,
and a Content-Security-Policy that forbids loading any. Every piece of text that comes from the results
(host names, messages, certificate subjects) is HTML-escaped, and control and format characters (a bidi
override such as U+202E, zero-width characters) are shown escaped (``\\u202e``) in HTML and CSV.
"""

from __future__ import annotations

from ansible_collections.macfleet.apple_network.plugins.module_utils._report.drift import FIRST_RUN, no_drift
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.html_cells import matrix_table, unchecked_text
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.html_matrix import SMALL_FLEET
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.html_page import (
    LEGEND,
    Page,
    category_cells,
    category_headers,
    esc,
    folded_names,
    groups_text,
    legend,
    num,
    to_text,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.terms import (
    NOT_CHECKED,
    NOT_PROBED,
    UNCHECKED_LABELS,
    UNCHECKED_REASONS,
    plural,
    verdict_words,
)


# Lines listed on the summary page per table that could grow with the fleet (the exports list everything), and
# Mac names shown per line: the summary page stays small whatever the fleet's size.
LISTED = 200
_SECTION_KINDS = {"section": "catalog section", "source": "2018 source document (no sections)",
                  "targets": "explicit targets"}
_PROBLEMS = {"invalid": "a field is not valid", "not_json": "not JSON", "truncated": "truncated",
             "too_deep": "nested too deeply", "format": "from another format version", "unreadable": "cannot be read"}
_UNCHECKED_REMEDY = {
    "unreachable": "check that the controller can reach the Mac over SSH (the Mac is on, on the network, and accepts the key)",
    "no_python": "give the Mac a usable Python 3 (install Apple's Command Line Tools or set ansible_python_interpreter)",
    "module_error": "read the message; if it is an error in the probe, report a bug",
}


def render_html(report, drift=None, handle=None, basename="readiness", pages=()):
    """The summary page (the report's ``<basename>.html``), written to ``handle`` (returned as text without one);
    ``pages`` as from :func:`matrix_pages` (linked from the group table); ``drift`` None: a first run."""
    if handle is None:
        return to_text(render_html, report, drift or no_drift(FIRST_RUN), basename=basename, pages=pages)
    drift = drift or no_drift(FIRST_RUN)
    summary = report.summary
    page = Page(handle, summary["title"], summary["title"])
    add = page.add
    _render_meta(summary, add)
    _render_drift(drift.summary(LISTED), add)
    _render_rejected(summary, add)
    _render_totals(summary, add)
    _render_systemic(summary, add)
    _render_endpoints(summary, add)
    _render_groups(summary, add, pages)
    _render_interceptions(summary, add)
    _render_identical(summary, add)
    _render_unchecked(summary, add)
    _render_sections(summary, add)
    _render_matrix(report, add, pages)
    _render_services(summary, add)
    _render_hosts(report, add)
    _render_duplicates(summary, add)
    page.close()


def _render_meta(summary, add):
    """The line under the title (catalog edition, counts, when the Macs were probed) and the conclusion."""
    editions = ", ".join(summary["catalog_editions"]) or "unknown"
    add("<p class=\"meta\">Catalog edition: <strong id=\"catalog-edition\">%s</strong> &middot; "
        "<span id=\"host-count\">%d</span> hosts &middot; <span id=\"endpoint-count\">%d</span> endpoints"
        % (esc(editions), summary["host_count"], summary["endpoint_count"]))
    if summary["generated_at"]:
        add(" &middot; probed <span id=\"generated-at\">%s</span>" % esc(summary["first_generated_at"]))
        if summary["first_generated_at"] != summary["generated_at"]:
            add(" to %s" % esc(summary["generated_at"]))
    add("</p>\n<p class=\"conclusion\" id=\"conclusion\">%s</p>\n" % esc(summary["conclusion"]))
    if len(summary["catalog_editions"]) > 1:
        add("<p class=\"warn\" id=\"edition-warning\">The hosts were probed with different catalog editions: %s.</p>\n" % esc(editions))


def _render_rejected(summary, add):
    if not summary["rejected_files"]:
        return
    add("<h2>Result files that could not be used</h2>\n<p class=\"warn\">The report was written without them.</p>\n"
        "<table id=\"rejected-files\"><tr><th>File</th><th>Problem</th><th>Message</th></tr>\n")
    for item in summary["rejected_files"][:LISTED]:
        add("<tr data-file=\"%s\" data-problem=\"%s\"><td><code>%s</code></td><td>%s</td><td>%s</td></tr>\n"
            % (esc(item["file"]), esc(item["problem"]), esc(item["file"]), esc(_PROBLEMS.get(item["problem"], item["problem"])),
               esc(item["message"])))
    add("</table>\n")


def _render_totals(summary, add):
    """Cells per category, and the Macs checked, failing and not checked (per reason)."""
    totals = summary["totals"]
    add("<h2>Totals</h2>\n<table class=\"totals\" id=\"totals\"><tr>")
    for category, label in LEGEND:
        add("<th class=\"c-%s\">%s</th>" % (category, esc(label)))
    add("<th>All cells</th></tr>\n<tr>")
    for category, _label in LEGEND:
        add("<td class=\"num\" id=\"total-%s\" data-category=\"%s\">%d</td>" % (category, category, totals[category]))
    add("<td class=\"num\" id=\"total-cells\">%d</td></tr></table>\n" % totals["cells"])
    unchecked = summary["unchecked"]
    add("<p>Hosts checked: <span id=\"checked-host-count\">%d</span> of %d; with at least one failing cell: "
        "<span id=\"failing-host-count\">%d</span>.</p>\n"
        % (summary["checked_host_count"], summary["host_count"], summary["failing_host_count"]))
    add("<table class=\"totals\" id=\"unchecked-totals\"><tr>")
    for reason in UNCHECKED_REASONS:
        add("<th class=\"c-%s\">Not checked: %s</th>" % (NOT_CHECKED, esc(UNCHECKED_LABELS[reason])))
    add("<th>Hosts not checked</th></tr>\n<tr>")
    for reason in UNCHECKED_REASONS:
        add("<td class=\"num\" id=\"unchecked-%s\" data-reason=\"%s\">%d</td>" % (reason, reason, unchecked[reason]))
    add("<td class=\"num\" id=\"unchecked-total\">%d</td></tr></table>\n" % unchecked["total"])


def _render_systemic(summary, add):
    if not summary["systemic"]:
        return
    add("<h2>Causes of a whole Mac</h2>\n<table id=\"systemic\"><tr><th>Cause</th><th>What to change</th><th>Macs</th>"
        "<th>Groups</th></tr>\n")
    for item in summary["systemic"]:
        add("<tr data-cause=\"%s\" data-hosts=\"%d\"><td>%s</td><td class=\"fix\">%s</td><td>%s</td><td>%s</td></tr>\n"
            % (esc(item["cause"]), item["hosts"], esc(item["text"]), esc(item["remedy"]), folded_names(item), esc(groups_text(item["groups"]))))
    add("</table>\n")


def _render_interceptions(summary, add):
    add("<h2>Intercepting CAs</h2>\n")
    if not summary["interceptions"]:
        add("<p id=\"no-interceptions\">No HTTPS interception was detected.</p>\n")
        return
    add("<table id=\"interceptions\"><tr><th>Re-signed by</th><th>Endpoints</th><th>Macs</th><th>Groups</th>"
        "<th>Issuer seen</th><th>Anchors asked</th><th>Path</th>"
        "<th>Certificate chain served (example)</th></tr>\n")
    for item in summary["interceptions"]:
        chain = "<br>".join("%s <code>%s</code>" % (esc(c["subject"]), esc((c["sha256"] or "")[:16])) for c in item["chain"])
        add("<tr data-ca=\"%s\" data-hosts=\"%d\"><td class=\"resigned-by\">%s</td><td><code>%s</code></td><td>%s</td>"
            "<td>%s</td><td class=\"issuer-seen\">%s</td><td class=\"issuer-expected\">%s</td><td class=\"path\">%s</td>"
            "<td>%s</td></tr>\n"
            % (esc(item["ca"]), item["hosts"], esc(item["ca"]), esc(", ".join(item["endpoints"])), folded_names(item),
               esc(groups_text(item["groups"])), esc(", ".join(item["issuers_seen"]) or "none"),
               esc(", ".join(item["expected_issuers"]) or "none"), esc(item.get("path_label") or "not reported"), chain))
    add("</table>\n")


def _render_identical(summary, add):
    add("<h2>Macs with identical results</h2>\n<table id=\"identical\"><tr><th>Macs</th><th>Result</th><th>Groups</th></tr>\n")
    for line in summary["identical_results"][:LISTED]:
        add("<tr class=\"identical\" data-hosts=\"%d\"><td>%s</td><td class=\"line\">%s: %s</td><td>%s</td></tr>\n"
            % (line["hosts"], folded_names(line), esc(plural(line["hosts"], "Mac")), esc(line["description"]),
               esc(groups_text(line["groups"]))))
    add("</table>\n")
    if len(summary["identical_results"]) > LISTED:
        add("<p>%s more distinct results (see the JSON export).</p>\n" % num(len(summary["identical_results"]) - LISTED))


def _render_unchecked(summary, add):
    if not summary["unchecked_lines"]:
        return
    add("<h2>Macs not checked</h2>\n<table id=\"unchecked\"><tr><th>Macs</th><th>Why</th><th>Message</th>"
        "<th>What to do</th><th>Groups</th></tr>\n")
    for line in summary["unchecked_lines"][:LISTED]:
        add("<tr data-reason=\"%s\" data-hosts=\"%d\"><td>%s</td><td>%s</td><td class=\"unchecked-message\">%s</td>"
            "<td>%s</td><td>%s</td></tr>\n"
            % (esc(line["reason"]), line["hosts"], folded_names(line), esc("not checked: %s" % line["reason_text"]),
               esc(line["message"]), esc(line["remedy"] or _UNCHECKED_REMEDY[line["reason"]]),
               esc(groups_text(line["groups"]))))
    add("</table>\n")


def _render_matrix(report, add, pages):
    """The hosts x endpoints matrix of a small fleet; for a larger one, where its pages are."""
    if report["host_count"] <= SMALL_FLEET:
        add("<h2>Hosts &times; endpoints</h2>\n")
        legend(add)
        if not report.hosts:
            add("<p id=\"no-results\">No probe results.</p>\n")
        else:
            matrix_table(report, report.hosts, add)
    else:
        add("<h2>Hosts &times; endpoints</h2>\n<p id=\"matrix-pages\">The matrix lists the %s with at least one failing "
            "cell, per group: see the links in the group table above (%s).</p>\n"
            % (plural(report.summary["failing_host_count"], "Mac"), plural(len(pages), "page")))


def _render_services(summary, add):
    add("<h2>Per service</h2>\n<table id=\"services\"><tr><th>Service</th>")
    category_headers(add)
    add("</tr>\n")
    for service in summary["services"]:
        add("<tr data-service=\"%s\"><td>%s</td>" % (esc(service["service"]), esc(service["service"])))
        category_cells(add, service)
        add("</tr>\n")
    add("</table>\n")


def _render_hosts(report, add):
    """Every Mac with its counts and result file (a small fleet only)."""
    if report["host_count"] > SMALL_FLEET:
        return
    add("<h2>Hosts</h2>\n<table id=\"hosts\"><tr><th>Host</th><th>Group</th><th>Checked</th><th>Catalog edition</th>"
        "<th>Probed at</th>")
    for _category, label in LEGEND:
        add("<th>%s</th>" % esc(label))
    add("<th>Result file</th></tr>\n")
    for host in report.iter_hosts():
        checked = unchecked_text(host["unchecked"]) if host.get("unchecked") else "yes"
        add("<tr data-host=\"%s\"><td>%s</td><td>%s</td><td class=\"checked\">%s</td><td>%s</td><td>%s</td>" % (
            esc(host["host"]), esc(host["host"]), esc(host["group"]), esc(checked), esc(host["catalog_edition"] or "unknown"),
            esc(host["generated_at"] or "")))
        category_cells(add, host["counts"])
        add("<td><code>%s</code></td></tr>\n" % esc(host["origin"]))
    add("</table>\n")


def _render_duplicates(summary, add):
    if not summary["duplicates"]:
        return
    add("<h2>Duplicate result sets</h2>\n<p>These hosts were reported more than once; the latest result set was kept.</p>\n"
        "<table id=\"duplicates\"><tr><th>Host</th><th>Kept</th><th>Dropped</th></tr>\n")
    for dup in summary["duplicates"][:LISTED]:
        add("<tr><td>%s</td><td><code>%s</code></td><td><code>%s</code></td></tr>\n" % (esc(dup["host"]), esc(dup["kept"]), esc(dup["dropped"])))
    add("</table>\n")
    if len(summary["duplicates"]) > LISTED:
        add("<p>%s more (see the JSON export).</p>\n" % num(len(summary["duplicates"]) - LISTED))


def _render_drift(drift, add):
    add("<h2 id=\"changes\">What changed since the last run</h2>\n<div id=\"drift\">\n")
    if drift["compared_with"] is None:
        add("<p id=\"drift-note\">%s</p>\n</div>\n" % esc(drift["note"]))
        return
    counts = drift["counts"]
    add("<p id=\"drift-note\">%s (<code>%s</code>).</p>\n" % (esc(drift["note"]), esc(drift["compared_with"])))
    labels = [("regressions", "cells that got worse"), ("fixed", "cells fixed"), ("changed", "cells with another answer"),
              ("hosts_newly_unchecked", "Macs newly not checked"), ("hosts_new", "Macs new"), ("hosts_gone", "Macs gone"),
              ("hosts_checked_again", "Macs checked again"), ("cells_new_failing", "new endpoints failing")]
    add("<table id=\"drift-counts\"><tr>%s</tr>\n<tr>%s</tr></table>\n"
        % ("".join("<th>%s</th>" % esc(label) for _k, label in labels),
           "".join("<td class=\"num\" id=\"drift-%s\">%s</td>" % (kind.replace("_", "-"), num(counts[kind])) for kind, _l in labels)))
    if drift["by_endpoint"]:
        add("<table id=\"drift-cells\"><tr><th>Change</th><th>Endpoint</th><th>Group</th><th>Before</th><th>Now</th>"
            "<th>Macs</th></tr>\n")
        words = {"regressions": "got worse", "fixed": "fixed", "changed": "other answer"}
        for item in drift["by_endpoint"]:
            add("<tr class=\"drift-%s\" data-kind=\"%s\" data-endpoint=\"%s\" data-group=\"%s\"><td>%s</td><td><code>%s</code></td>"
                "<td>%s</td><td class=\"c-%s\">%s</td><td class=\"c-%s\">%s</td><td class=\"num\">%s</td></tr>\n"
                % (item["kind"], item["kind"], esc(item["endpoint"]), esc(item["group"]), words[item["kind"]],
                   esc(item["endpoint"]), esc(item["group"]), esc(item["before"]["category"]), esc(item["before"]["verdict"]),
                   esc(item["after"]["category"]), esc(item["after"]["verdict"]), num(item["hosts"])))
        add("</table>\n")
    for kind, label in (("hosts_newly_unchecked", "Newly not checked"), ("hosts_new", "New Macs"), ("hosts_gone", "Macs gone")):
        if drift[kind]:
            more = counts[kind] - len(drift[kind])
            add("<p id=\"drift-list-%s\">%s: %s%s</p>\n" % (kind.replace("_", "-"), label,
                                                            esc(", ".join("%s (%s)" % (h["host"], h["group"]) for h in drift[kind])),
                                                            " and %s more" % num(more) if more > 0 else ""))
    catalog = drift.get("catalog") or {}
    if catalog.get("changed"):
        add("<p id=\"drift-catalog\">Catalog edition: %s &rarr; %s: %s entries added, %s removed, %s changed%s.</p>\n"
            % (esc(", ".join(catalog["before"]) or "unknown"), esc(", ".join(catalog["after"]) or "unknown"),
               num(catalog["counts"]["added"]), num(catalog["counts"]["removed"]), num(catalog["counts"]["changed"]),
               " (%s)" % esc(catalog["note"]) if catalog.get("note") and catalog["note"] != "catalog edition changed" else ""))
        for kind in ("added", "removed"):
            if catalog[kind]:
                add("<p class=\"names\" id=\"drift-catalog-%s\">%s: %s</p>\n"
                    % (kind, kind.capitalize(), esc(", ".join("%s %s" % (i["kind"], i["id"]) for i in catalog[kind]))))
    add("</div>\n")


def _render_endpoints(summary, add):
    add("<h2>Per endpoint</h2>\n<p>How many Macs got each verdict, per endpoint (the most frequent answers in words).</p>\n"
        "<table id=\"endpoints\"><tr><th>Endpoint</th><th>Section</th>")
    category_headers(add)
    add("<th>Answers</th></tr>\n")
    for endpoint in summary["endpoints"]:
        verdicts = sorted(((count, verdict) for verdict, count in endpoint["verdicts"].items() if verdict != NOT_PROBED),
                          key=lambda i: (-i[0], i[1]))
        add("<tr data-endpoint=\"%s\"><td><code>%s</code></td><td>%s</td>"
            % (esc(endpoint["key"]), esc(endpoint["key"]), esc(endpoint["sections"][0])))
        category_cells(add, endpoint["counts"])
        add("<td>%s</td></tr>\n" % esc("; ".join("%s: %s" % (verdict_words(v), num(c)) for c, v in verdicts[:4])))
    add("</table>\n")


def _render_groups(summary, add, pages):
    links = {}
    for name, group, number, _records in pages:
        links.setdefault(group, []).append((name, number))
    add("<h2>Per group</h2>\n<table id=\"groups\"><tr><th>Group</th><th>Macs</th><th>Checked</th><th>Failing</th>"
        "<th>Not checked</th>")
    category_headers(add)
    add("<th>Matrix of failing Macs</th></tr>\n")
    for group in summary["groups"]:
        add("<tr data-group=\"%s\"><td>%s</td><td class=\"num\" data-count=\"hosts\">%s</td><td class=\"num\">%s</td>"
            "<td class=\"num\" data-count=\"failing\">%s</td><td class=\"num\">%s</td>"
            % (esc(group["group"]), esc(group["group"]), num(group["hosts"]), num(group["checked"]), num(group["failing"]),
               num(group["unchecked"]["total"])))
        category_cells(add, group["counts"])
        add("<td>%s</td></tr>\n" % " ".join("<a class=\"matrix-page\" href=\"%s\">page %d</a>" % (esc(name), number)
                                            for name, number in links.get(group["group"], [])))
    add("</table>\n")


def _render_sections(summary, add):
    """Counts per section and, per section, every distinct fix with the Macs and groups it concerns."""
    add("<h2>Per section</h2>\n<p>Cells by the catalog section of their endpoint; rows of the 2018 documents, which "
        "have no sections, by their source document id. An endpoint that several sections list counts in each of them.</p>\n"
        "<table id=\"sections\"><tr><th>Section</th><th>Kind</th><th>Endpoints</th>")
    category_headers(add)
    add("</tr>\n")
    for section in summary["sections"]:
        add("<tr data-section=\"%s\" data-kind=\"%s\"><td>%s</td><td>%s</td><td class=\"num\">%d</td>"
            % (esc(section["section"]), esc(section["kind"]), esc(section["section"]), esc(_SECTION_KINDS[section["kind"]]),
               len(section["endpoints"])))
        category_cells(add, section["counts"])
        add("</tr>\n")
    add("</table>\n<h2>What to change, by section</h2>\n")
    if summary["systemic"]:
        add("<p>The Macs with a cause of their own (above) are not counted here.</p>\n")
    for index, section in enumerate(summary["sections"]):
        add("<h3 id=\"section-%d\" data-section=\"%s\">%s <small>(%s)</small></h3>\n"
            % (index, esc(section["section"]), esc(section["section"]), esc(_SECTION_KINDS[section["kind"]])))
        if not section["fixes"]:
            add("<p class=\"section-ok\" data-section=\"%s\">Nothing to change.</p>\n" % esc(section["section"]))
            continue
        add("<table class=\"fixes\" data-section=\"%s\"><tr><th>Endpoint</th><th>Answer</th><th>What to change</th>"
            "<th>Macs</th><th>Groups</th></tr>\n" % esc(section["section"]))
        for item in section["fixes"]:
            add("<tr class=\"fix-row c-%s\" data-endpoint=\"%s\" data-verdict=\"%s\" data-hosts=\"%d\"><td><code>%s</code></td>"
                "<td>%s</td><td class=\"fix\">%s</td><td>%s</td><td>%s</td></tr>\n"
                % (item["category"], esc(item["endpoint"]), esc(item["verdict"]), item["hosts"], esc(item["endpoint"]),
                   esc(item["verdict_text"]), esc(item["remediation"]), folded_names(item), esc(groups_text(item["groups"]))))
        add("</table>\n")
