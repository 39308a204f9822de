# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import csv
import io
import json
import os
import re
from html.parser import HTMLParser

from ansible_collections.macfleet.apple_network.plugins.module_utils._report.model import (
    build_report,
    expand_paths,
    read_result_file,
    validate_result_set,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.render import (
    CSV_FIELDS,
    render_csv,
    render_html,
    render_json,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "fixtures", "probe_results")


def report_of(*dirs):
    sets = []
    for path in expand_paths([os.path.join(FIXTURES, d) for d in dirs]):
        sets.extend(read_result_file(path))
    return build_report(sets)


class Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []
        self.cells = {}
        self.text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "td" and "data-category" in attrs and "data-host" in attrs:
            self.cells[(attrs["data-host"], attrs["data-endpoint"])] = attrs["data-category"]

    def handle_data(self, data):
        self.text.append(data)


def parse(html):
    parser = Collector()
    parser.feed(html)
    return parser


def test_html_matrix_cells_and_totals():
    html = render_html(report_of("mixed"))
    page = parse(html)
    assert len(page.cells) == 20
    assert page.cells[("mac-02", "swscan.apple.com:443/tcp")] == "intercepted"
    assert page.cells[("mac-03", "mesu.apple.com:443/tcp")] == "dns"
    assert page.cells[("mac-01", "time.apple.com:123/udp")] == "skipped"
    assert page.cells[("mac-02", "courier.push.apple.com:5223/tcp")] == "blocked"
    assert re.search(r'id="total-intercepted" data-category="intercepted">1<', html)
    assert re.search(r'id="total-cells">20<', html)
    assert 'id="catalog-edition">apple-2018-02-13<' in html


def test_html_is_self_contained():
    html = render_html(report_of("mixed"))
    page = parse(html)
    tags = {tag for tag, _attrs in page.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed", "form", "base"}
    for _tag, attrs in page.tags:
        for name, value in attrs.items():
            assert name not in ("src", "href", "srcset", "action")
            assert "url(" not in (value or "")
    assert "url(" not in html and "@import" not in html and "http://" not in html and "https://" not in html
    [csp] = [a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp.startswith("default-src 'none';")


def test_html_escapes_everything():
    html = render_html(report_of("mixed"))
    assert "<script>" not in html and "<b>4</b>" not in html
    assert "lab-&lt;b&gt;4&lt;/b&gt;&amp;x" in html
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in html
    page = parse(html)
    assert ("lab-<b>4</b>&x", "gdmf.apple.com:443/tcp") in page.cells


def test_html_of_no_results_and_duplicates():
    assert 'id="no-results"' in render_html(build_report([]))
    html = render_html(report_of("slice-a", "slice-b"))
    assert 'id="duplicates"' in html and "slice-b/mac-02.json" in html


def test_json_is_the_report_and_stable():
    report = report_of("slice-a", "slice-b")
    text = render_json(report)
    assert json.loads(text) == json.loads(json.dumps(report))
    assert text == render_json(report_of("slice-b", "slice-a")).replace("\r", "")
    assert text.endswith("}\n")


def test_csv_one_row_per_cell_and_formula_safe():
    data = json.load(open(os.path.join(FIXTURES, "mixed", "mac-01.json")))
    data["results"][0]["message"] = "=HYPERLINK(\"http://x\")"
    report = build_report([validate_result_set(data, "m.json")])
    text = render_csv(report)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_FIELDS
    assert len(rows) == 5
    assert all(not r["message"].startswith("=") for r in rows)
    assert any(r["message"] == "'=HYPERLINK(\"http://x\")" for r in rows)
    assert "\r\n" in text


def test_csv_evidence_columns():
    rows = list(csv.DictReader(io.StringIO(render_csv(report_of("mixed")))))
    row = next(r for r in rows if r["host"] == "mac-02" and r["endpoint"] == "swscan.apple.com:443/tcp")
    assert row["category"] == "intercepted"
    assert row["issuers_seen"] == "CN=Corp Proxy Inspection CA,O=Example Corp"
    assert row["expected_issuers"].startswith("CN=DigiCert")
