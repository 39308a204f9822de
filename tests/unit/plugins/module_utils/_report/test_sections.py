# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The report groups cells by section and says, per failed cell and section, what to change."""

from __future__ import annotations

import copy
import csv
import io
import itertools
import json
import os
from html.parser import HTMLParser

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._report.builder import build_report
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.exports import render_csv
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.inputs import expand_paths, read_result_file
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.summary_page import render_html
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.terms import ReportError
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.validate import validate_result_set

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "fixtures", "probe_results")
HOSTILE = "<b>Lab</b> & <script>document.title='pwned'</script>"


def sets_of(*dirs):
    sets = []
    for path in expand_paths([os.path.join(FIXTURES, d) for d in dirs]):
        sets.extend(read_result_file(path))
    return sets


@pytest.fixture(scope="module")
def report():
    return build_report(sets_of("sections"))


def fixes(report, section):
    found = [s for s in report["sections"] if s["section"] == section][0]
    # A fix is listed once with the Macs it concerns; one tuple per Mac, in column order, then by host.
    expanded = [(name, f["endpoint"], f["remediation"]) for f in found["fixes"] for name in f["names"]]
    return sorted(expanded, key=lambda t: (report.column[t[1]], t[0], t[2]))


def test_sections_in_order_with_counts(report):
    assert [(s["section"], s["kind"]) for s in report["sections"]] == [
        ("Device setup", "section"), ("Device management", "section"), ("Certificate validation", "section"),
        (HOSTILE, "section"), ("Software updates", "section"), ("software-update-servers", "source"),
        ("Explicit targets", "targets")]
    setup = report["sections"][0]
    assert setup["endpoints"] == ["albert.apple.com:443/tcp", "gs.apple.com:443/tcp", "time.apple.com:123/udp"]
    assert setup["counts"] == {"ok": 3, "intercepted": 0, "blocked": 2, "dns": 1, "skipped": 0, "error": 0, "not_probed": 0}
    # An endpoint of two sections counts in both; the totals count its cells once.
    updates = [s for s in report["sections"] if s["section"] == "Software updates"][0]
    assert updates["endpoints"] == ["gs.apple.com:443/tcp", "gdmf.apple.com:443/tcp", "swscan.apple.com:443/tcp"]
    assert report["totals"]["cells"] == 20
    # Matrix columns are grouped by their first section.
    assert [e["sections"][0] for e in report["endpoints"]] == [
        "Device setup"] * 3 + ["Device management"] * 3 + ["Certificate validation", HOSTILE, "software-update-servers",
                                                           "Explicit targets"]


def test_one_line_per_failed_cell_and_section_follows_the_row(report):
    assert fixes(report, "Device management") == [
        ("mac-21", "courier.push.apple.com:5223/tcp", "send *.push.apple.com DIRECT (APNs needs a direct connection; "
                                                      "only its TCP 443 fallback works through a proxy that does not decrypt it)"),
        ("mac-21", "gdmf.apple.com:443/tcp", "allow CONNECT to gdmf.apple.com port 443 in the proxy's rules"),
        ("mac-22", "gdmf.apple.com:443/tcp", "exempt gdmf.apple.com from TLS inspection")]
    # The same proxy failure in Software updates, where Apple does not state proxy support: send it DIRECT.
    assert ("mac-21", "gdmf.apple.com:443/tcp",
            "send gdmf.apple.com DIRECT (Apple does not state that it works through a proxy)") in fixes(report, "Software updates")
    assert fixes(report, "Device setup") == [
        ("mac-22", "albert.apple.com:443/tcp",
         "fix DNS: albert.apple.com does not resolve (NXDOMAIN: the name server says the name does not exist)"),
        ("mac-22", "gs.apple.com:443/tcp", "allow TCP 443 to gs.apple.com through the firewall"),
        ("mac-22", "time.apple.com:123/udp", "allow UDP 123 to time.apple.com through the firewall")]
    # The skipped wildcard needs no change and is in no list; ok cells neither.
    assert not any("appattest" in f[1] for s in report["sections"] for f in fixes(report, s["section"]))
    cell = [c for row in report["matrix"] if row["host"] == "mac-21" for c in row["cells"]
            if c["endpoint"] == "gdmf.apple.com:443/tcp"][0]
    assert [(r["section"], r["row"]) for r in cell["remediation"]] == [
        ("Device management", "apple-support-101555/device-management/gdmf.apple.com"),
        ("Software updates", "apple-support-101555/software-updates/gdmf.apple.com")]


def test_order_of_inputs_does_not_matter():
    sets = sets_of("sections", "mixed")
    reports = {json.dumps(build_report(list(order)).as_dict(), sort_keys=True) for order in itertools.permutations(sets)}
    assert len(reports) == 1


def test_rows_without_section_are_grouped_by_source_with_remediation():
    report = build_report(sets_of("mixed"))
    assert [s["section"] for s in report["sections"]] == ["software-update", "enterprise-network", "tcp-udp-ports"]
    assert ("mac-03", "gdmf.apple.com:443/tcp",
            "fix DNS: gdmf.apple.com does not resolve (NXDOMAIN: the name server says the name does not exist)") in fixes(
                report, "enterprise-network")
    # No proxy support known for a 2018 row: the line is about the probed host.
    assert ("mac-02", "swscan.apple.com:443/tcp", "exempt swscan.apple.com from TLS inspection") in fixes(report, "software-update")


@pytest.mark.parametrize("mutate, message", [
    (lambda r: r["target"].update(rows="gdmf"), "field 'target.rows': must be a list of catalog rows"),
    (lambda r: r["target"]["rows"][0].update(supports_proxies="no"),
     "field 'target.rows[0].supports_proxies': 'no' is not one of yes, not_stated, see_note"),
    (lambda r: r["target"]["rows"][1].update(section=5), "field 'target.rows[1].section': must be a string"),
])
def test_bad_rows_name_the_field(mutate, message):
    with open(os.path.join(FIXTURES, "sections", "mac-21.json")) as handle:
        data = json.load(handle)
    broken = copy.deepcopy(data)
    mutate(broken["results"][1])
    with pytest.raises(ReportError) as info:
        validate_result_set(broken, "mac-21.json")
    assert "mac-21.json: host 'mac-21': results[1]: " + message in str(info.value)


class Page(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.tags, self.sections, self.fixes, self._fix = [], [], [], None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "th" and "section" in (attrs.get("class") or "").split():
            self.sections.append((attrs["data-section"], attrs["colspan"]))
        if tag == "td" and attrs.get("class") == "fix":
            self._fix = []

    def handle_endtag(self, tag):
        if tag == "td" and self._fix is not None:
            self.fixes.append("".join(self._fix))
            self._fix = None

    def handle_data(self, data):
        if self._fix is not None:
            self._fix.append(data)


def test_html_shows_sections_and_lines_and_escapes_them(report):
    html = render_html(report)
    page = Page(html)
    assert page.sections == [("Device setup", "3"), ("Device management", "3"), ("Certificate validation", "1"),
                             (HOSTILE, "1"), ("software-update-servers", "1"), ("Explicit targets", "1")]
    assert "allow TCP 80 to crl.apple.com through the firewall" in page.fixes
    assert "send swscan.apple.com DIRECT (Apple does not state that it works through a proxy)" in page.fixes
    assert len(page.fixes) == sum(len(s["fixes"]) for s in report["sections"])
    assert "script" not in page.tags and "b" not in page.tags
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in html


def test_csv_has_the_section_and_the_remediation(report):
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    gdmf = [r for r in rows if r["host"] == "mac-21" and r["endpoint"] == "gdmf.apple.com:443/tcp"][0]
    assert gdmf["section"] == "Device management" and gdmf["sections"] == "Device management | Software updates"
    assert gdmf["remediation"] == ("allow CONNECT to gdmf.apple.com port 443 in the proxy's rules | "
                                   "send gdmf.apple.com DIRECT (Apple does not state that it works through a proxy)")
    ok = [r for r in rows if r["host"] == "mac-22" and r["endpoint"] == "swscan.apple.com:443/tcp"][0]
    assert ok["remediation"] == ""
