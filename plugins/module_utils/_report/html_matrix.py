# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The matrix pages of a large fleet: per group, the Macs with a failing cell, :data:`ROWS_PER_PAGE` per page, each
cell naming its answer, the answers listed once under the table."""

from __future__ import annotations

import re

from ansible_collections.macfleet.apple_network.plugins.module_utils._report.html_cells import cell_title, matrix_table
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.html_page import Page, esc, legend
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.remediation import fix_lines


# A fleet up to this size gets the whole matrix on the summary page; a larger one, pages of failing Macs.
SMALL_FLEET = 50

ROWS_PER_PAGE = 100


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
    page = Page(handle, "%s: %s, page %d" % (report["title"], group, number),
                "%s: failing Macs of group %s" % (report["title"], group))
    add = page.add
    add("<p class=\"meta\"><a href=\"%s\">Back to the summary</a> &middot; page %d of %d of group <strong id=\"group\">"
        "%s</strong> &middot; <span id=\"row-count\">%d</span> Macs with at least one failing cell</p>\n"
        % (esc(summary_name), number, pages_of_group, esc(group), len(records)))
    legend(add)
    answers = matrix_table(report, records, add, detailed=False)
    add("<h2>The answers on this page</h2>\n<table id=\"answers\"><tr><th>Answer</th><th>Endpoint</th><th>Verdict</th>"
        "<th>What to change</th><th>Details</th></tr>\n")
    for answer_id in answers:
        answer = report.answers[answer_id]
        if answer["category"] == "ok":
            continue
        add("<tr id=\"answer-%d\" class=\"c-%s\"><td>%d</td><td><code>%s</code></td><td>%s</td><td class=\"fix\">%s</td>"
            "<td>%s</td></tr>\n"
            % (answer_id, answer["category"], answer_id, esc(answer["endpoint"]), esc(answer["verdict_text"]),
               esc(" | ".join(fix_lines(answer))), esc(cell_title(answer))))
    add("</table>\n")
    page.close()
