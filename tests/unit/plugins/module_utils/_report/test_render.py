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

from ansible_collections.macfleet.apple_network.plugins.module_utils._report.builder import build_report
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.exports import CSV_FIELDS, json_document, materialise, render_csv, render_json
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.inputs import expand_paths, read_result_file
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.summary_page import render_html
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.validate import validate_result_set

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
    # Written piece by piece, the export is the report's whole document.
    assert json.loads(text) == json.loads(json.dumps(materialise(json_document(report))))
    assert json.loads(text)["hosts"] == json.loads(json.dumps(report.as_dict()["hosts"]))
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


def test_html_unchecked_hosts_have_a_row_with_the_reason_and_message():
    html = render_html(report_of("mixed", "unchecked"))
    page = parse(html)
    assert len(page.cells) == 20  # the matrix cells are those of the checked hosts
    rows = {a["data-host"]: a for t, a in page.tags if t == "td" and "unchecked" in (a.get("class") or "").split()}
    assert {h: a["data-reason"] for h, a in rows.items()} == {"mac-12": "unreachable", "mac-13": "no_python", "mac-14": "module_error"}
    assert rows["mac-12"]["colspan"] == "5"
    assert "<strong>not checked: unreachable</strong>" in html
    assert "<strong>not checked: no_python</strong>" in html
    assert "Operation timed out" in html and "No developer tools were found" in html
    assert re.search(r'id="unchecked-unreachable" data-reason="unreachable">1<', html)
    assert re.search(r'id="unchecked-total">3<', html)
    assert re.search(r'id="checked-host-count">4<', html) and 'id="host-count">7<' in html
    # The cell totals are unchanged by the unchecked hosts.
    assert re.search(r'id="total-cells">20<', html)
    assert 'id="unchecked"' in html
    # Their message is escaped like any other text.
    assert "<script>" not in html and "MODULE FAILURE &lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in html


def test_html_when_every_host_is_unchecked():
    html = render_html(report_of("unchecked"))
    assert 'id="matrix"' in html and 'id="no-results"' not in html
    assert html.count("not checked: unreachable") >= 2  # the matrix row and the hosts table
    assert re.search(r'id="unchecked-total">3<', html) and re.search(r'id="total-cells">0<', html)


def test_html_shows_path_trust_and_resigning_ca_in_the_cell():
    html = render_html(report_of("path-trust"))
    page = parse(html)
    assert page.cells[("mac-11", "swscan.apple.com:443/tcp")] == "intercepted"
    cells = {(a["data-host"], a["data-endpoint"]): a for t, a in page.tags if t == "td" and "data-endpoint" in a and "cell" in a.get("class", "")}
    swscan = cells[("mac-11", "swscan.apple.com:443/tcp")]
    assert swscan["data-path"] == "proxy" and swscan["data-trust"] == "host_trust"
    assert "re-signed by: Corp Proxy Inspection CA" in swscan["title"]
    assert "proxy from the system settings" in swscan["title"]
    # Visible in the cell, not only in the hover text.
    match = re.search(r'class="cell[^"]*" data-host="mac-11" data-endpoint="swscan.apple.com:443/tcp"[^>]*>(.*?)</td>', html)
    body = match.group(1)
    assert '<small class="path">via proxy 10.0.0.2:3128</small>' in body
    assert '<small class="resigned">re-signed by Corp Proxy Inspection CA</small>' in body
    assert '<small class="trust">trust: macOS Keychain (security verify-cert)</small>' in body
    assert "bypassed by *.apple.com" in html and "trust: Apple service anchors (9)" in html
    assert "PAC not evaluated" in html and "wpad.dat" in cells[("mac-11", "courier.push.apple.com:5223/tcp")]["title"]
    assert page.cells[("mac-11", "courier.push.apple.com:5223/tcp")] == "blocked"  # pin_mismatch
    assert cells[("mac-11", "mesu.apple.com:443/tcp")]["data-trust"] == "none"
    # The interception table names the re-signing CA and the path.
    assert '<td class="resigned-by">Corp Proxy Inspection CA</td>' in html
    assert '<td class="path">via proxy 10.0.0.2:3128</td>' in html


def test_html_intercepted_cell_names_the_resigning_ca():
    html = render_html(report_of("mixed"))
    match = re.search(r'data-host="mac-02" data-endpoint="swscan.apple.com:443/tcp"[^>]*>(.*?)</td>', html)
    assert '<small class="resigned">re-signed by CN=Corp Proxy Inspection CA,O=Example Corp</small>' in match.group(1)
    assert "issuer seen: CN=Corp Proxy Inspection CA,O=Example Corp" in match.group(0)  # in the hover text


def test_html_escapes_path_and_trust_text():
    data = json.load(open(os.path.join(FIXTURES, "path-trust", "mac-11.json")))
    data["results"][1]["path"]["bypass_entry"] = "<img src=x>"
    data["results"][0]["tls"]["resigned_by"] = "Evil <b>CA</b>"
    data["results"][0]["tls"]["trust"]["host_trust"] = "ca_bundle /tmp/\"><script>"
    html = render_html(build_report([validate_result_set(data, "m.json")]))
    assert "<img" not in html and "<b>CA" not in html and "<script>" not in html
    assert "bypassed by &lt;img src=x&gt;" in html and "re-signed by Evil &lt;b&gt;CA&lt;/b&gt;" in html


def test_names_with_bidi_and_control_characters_are_shown_as_escapes():
    """Result files (edited ones, for example) may carry raw U+202E: the report neutralises it at render time."""
    data = json.load(open(os.path.join(FIXTURES, "path-trust", "mac-11.json")))
    data["results"][0]["tls"]["resigned_by"] = "Evil\u202eAC kroW\u0007"
    report = build_report([validate_result_set(data, "m.json")])
    html = render_html(report)
    assert "\u202e" not in html and "re-signed by Evil\\u202eAC kroW\\x07" in html
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert "Evil\\u202eAC kroW\\x07" in [r["resigned_by"] for r in rows]


def test_a_host_override_is_shown_with_its_rule():
    data = json.load(open(os.path.join(FIXTURES, "path-trust", "mac-11.json")))
    trust = data["results"][0]["tls"]["trust"]
    trust.update(decided_by="host_override", rule="user override for swscan.apple.com (pin_overrides: 1 pin(s), 0 anchor(s))")
    html = render_html(build_report([validate_result_set(data, "m.json")]))
    assert 'data-trust="host_override"' in html
    assert "trust: user override for swscan.apple.com (pin_overrides: 1 pin(s), 0 anchor(s))" in html


def test_csv_path_trust_and_unchecked_columns():
    rows = list(csv.DictReader(io.StringIO(render_csv(report_of("path-trust", "unchecked")))))
    assert set(CSV_FIELDS) >= {"path", "path_mode", "path_proxy", "trust", "trust_decided_by", "resigned_by", "unchecked_reason"}
    swscan = next(r for r in rows if r["host"] == "mac-11" and r["endpoint"] == "swscan.apple.com:443/tcp")
    assert (swscan["path"], swscan["path_source"], swscan["path_mode"], swscan["path_proxy"]) == (
        "via proxy 10.0.0.2:3128", "system", "proxy", "10.0.0.2:3128")
    assert swscan["resigned_by"] == "Corp Proxy Inspection CA"
    assert (swscan["trust"], swscan["trust_decided_by"], swscan["trust_anchors"]) == (
        "macOS Keychain (security verify-cert)", "host_trust", "Apple service anchors (9)")
    gdmf = next(r for r in rows if r["host"] == "mac-11" and r["endpoint"] == "gdmf.apple.com:443/tcp")
    assert gdmf["path_bypass_entry"] == "*.apple.com" and gdmf["path"] == "bypassed by *.apple.com"
    courier = next(r for r in rows if r["endpoint"] == "courier.push.apple.com:5223/tcp")
    assert courier["path_mode"] == "pac" and "wpad.dat" in courier["path_note"] and courier["trust_decided_by"] == "pin"
    unchecked = [r for r in rows if r["category"] == "not-checked"]
    assert [(r["host"], r["unchecked_reason"], r["endpoint"]) for r in unchecked] == [
        ("mac-12", "unreachable", ""), ("mac-13", "no_python", ""), ("mac-14", "module_error", "")]
    assert "Operation timed out" in unchecked[0]["message"]
    assert len(rows) == 5 + 3
    assert all(r["unchecked_reason"] == "" for r in rows if r["category"] != "not-checked")


def test_json_export_counts_unchecked_hosts():
    data = json.loads(render_json(report_of("mixed", "unchecked", "path-trust")))
    assert data["unchecked"] == {"unreachable": 1, "no_python": 1, "module_error": 1, "total": 3}
    assert [u["host"] for u in data["unchecked_hosts"]] == ["mac-12", "mac-13", "mac-14"]
    # A Mac lists the answer id of each endpoint (column); the answers are listed once.
    host = next(h for h in data["hosts"] if h["host"] == "mac-11")
    column = [e["key"] for e in data["endpoints"]].index("swscan.apple.com:443/tcp")
    swscan = data["answers"][host["answers"][column]]
    assert swscan["path"]["proxy"] == "10.0.0.2:3128" and swscan["trust"]["decided_by"] == "host_trust"
    assert swscan["resigned_by"] == "Corp Proxy Inspection CA"
