# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The parts every HTML page of the report shares: the head (inline CSS, a Content-Security-Policy that loads
nothing), escaping of text from the results, the legend and the count cells."""

from __future__ import annotations

import io
from html import escape

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.der import visible_text
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.terms import CATEGORY_LABELS, NOT_CHECKED, NOT_PROBED, plural


# Mac names shown per line: the summary page stays small whatever the fleet's size.
NAMES_SHOWN = 50


SHORT = {"ok": "OK", "intercepted": "INT", "blocked": "BLK", "dns": "DNS", "skipped": "SKIP", "error": "ERR",
         NOT_PROBED: "\u2013"}
LEGEND = ([(c, CATEGORY_LABELS[c]) for c in ("ok", "intercepted", "blocked", "dns", "skipped", "error")]
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


def esc(value):
    return escape(visible("" if value is None else str(value)), quote=True)


def num(number):
    return "{:,}".format(number)


def groups_text(groups, limit=10):
    items = sorted(groups.items(), key=lambda i: (-i[1], i[0]))
    text = ", ".join("%s (%s)" % (name, num(count)) for name, count in items[:limit])
    if len(items) > limit:
        text += ", and %s more" % plural(len(items) - limit, "group")
    return text


def folded_names(item):
    """The Mac names behind a line, folded away; at most NAMES_SHOWN of them (the JSON export has more, the CSV all)."""
    names = item["names"][:NAMES_SHOWN]
    more = item["hosts"] - len(names)
    return ("<details class=\"names\"><summary>%s</summary>%s%s</details>"
            % (plural(item["hosts"], "Mac"), esc(", ".join(names)),
               " and %s more (see the matrix pages and the CSV export)" % num(more) if more > 0 else ""))


class Page:
    """One HTML page being written: the head, then whatever the caller adds."""

    def __init__(self, handle, title, heading):
        self.add = handle.write
        self.add("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        self.add("<meta http-equiv=\"Content-Security-Policy\" content=\"%s\">\n" % esc(_CSP))
        self.add("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        self.add("<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n" % (esc(title), _CSS))
        self.add("<h1 id=\"title\">%s</h1>\n" % esc(heading))

    def close(self):
        self.add("</body>\n</html>\n")


def legend(add):
    add("<p class=\"legend\">")
    for category, _label in LEGEND:
        add("<span class=\"c-%s\">%s</span> %s &nbsp; " % (category, SHORT[category], esc(_MEANING[category])))
    add("<span class=\"c-%s\">not checked</span> the host could not be probed: unreachable, no usable Python "
        "(no_python) or a module error &nbsp; " % NOT_CHECKED)
    add("</p>\n")


def category_headers(add):
    for _category, label in LEGEND:
        add("<th>%s</th>" % esc(label))


def category_cells(add, counts, tag="td"):
    for category, _label in LEGEND:
        add("<%s class=\"num\" data-category=\"%s\">%s</%s>" % (tag, category, num(counts[category]), tag))


def to_text(render, *args, **kwargs):
    handle = io.StringIO()
    render(*args, handle=handle, **kwargs)
    return handle.getvalue()
