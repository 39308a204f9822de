# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The report at fleet scale: bounded memory, bounded module return, bad input by name, drift, readable text."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import tracemalloc

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._report.drift import compare, load_previous, no_drift
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.builder import ReportBuilder, build_report
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.exports import render_csv, render_json
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.html_matrix import ROWS_PER_PAGE, matrix_pages, render_matrix_page
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.inputs import read_result_file
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.result_set import compact_cell, probe_result_set
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.summary_page import render_html
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.terms import ReportError
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.validate import validate_result_set
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.returns import RETURN_LIMIT, module_return

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "fixtures", "probe_results")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


def fleet(count, groups=("london", "paris", "berlin", "ungrouped-lab"), endpoints=40):
    """``count`` raw result sets: every 50th Mac has a failing cell, every 200th is not checked; the rest all OK."""
    ok = fixture("mixed/mac-01.json")["results"][0]
    failing = fixture("mixed/mac-02.json")["results"]
    unchecked = fixture("unchecked/mac-12.json")
    for index in range(count):
        host = "mac-%05d" % index
        group = groups[index % len(groups)]
        if index % 200 == 7:
            data = dict(copy.deepcopy(unchecked), host=host, group=group)
            yield data
            continue
        results = []
        for column in range(endpoints):
            cell = dict(failing[column % len(failing)] if index % 50 == 3 and column < 2 else ok)
            cell["target"] = dict(cell["target"], host="host-%02d.apple.com" % column)
            results.append(cell)
        yield {"format": 2, "host": host, "group": group, "catalog_edition": "apple-2018-02-13",
               "generated_at": "2024-05-01T10:00:00Z", "results": results, "summary": {}}


def built(count, **kwargs):
    builder = ReportBuilder()
    for index, data in enumerate(fleet(count, **kwargs)):
        builder.add(validate_result_set(data, "results/%d.json" % index))
    return builder.finish()


def peak_bytes(count):
    tracemalloc.start()
    try:
        built(count, endpoints=10)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_is_bounded_by_distinct_answers_not_hosts_times_endpoints():
    # Ten times the Macs, 10 cells each. A Mac costs its name, file name and an interned tuple of answer ids
    # (shared by every Mac with the same results): a few hundred bytes, where keeping its cells would cost
    # 10 x well over 300 bytes.
    small, large = peak_bytes(500), peak_bytes(5000)
    per_host = (large - small) / 4500.0
    assert per_host < 800, (small, large, per_host)
    assert large < 8 * small, (small, large)


def test_ten_thousand_macs_summary_and_bounded_return(tmp_path):
    report = built(10000, endpoints=10)
    assert report["host_count"] == 10000
    assert report["unchecked"]["total"] == 50
    assert report["failing_host_count"] == 200
    [all_ok] = [line for line in report["identical_results"] if line["description"] == "all OK"]
    assert all_ok["hosts"] == 10000 - 200 - 50
    assert len(report["answers"]) <= 12  # one per endpoint and verdict, not per Mac
    result = module_return(report, no_drift("first run"), {"html": "x"}, ["p"] * 300, ["html"])
    assert len(json.dumps(result)) <= RETURN_LIMIT
    assert result["totals"]["cells"] == (10000 - 50) * 10
    assert result["matrix_pages"]["count"] == 300 and len(result["matrix_pages"]["first"]) == 20
    # The failing Macs (and only those) get matrix pages, per group, ROWS_PER_PAGE Macs at most on each.
    pages = matrix_pages(report, "readiness")
    assert sum(len(records) for _n, _g, _p, records in pages) == 200
    assert all(len(records) <= ROWS_PER_PAGE for _n, _g, _p, records in pages)
    assert {group for _n, group, _p, _r in pages} == {"paris", "ungrouped-lab"}  # Macs 3, 53, 103... fall in these
    html = render_html(report, pages=pages)
    assert len(html) < 1024 * 1024
    assert "9,750 Macs: all OK" in html


def test_return_stays_bounded_with_many_groups_and_changes():
    report = built(3000, endpoints=5, groups=tuple("site-%04d" % i for i in range(1500)))
    result = module_return(report, no_drift("first run"), {}, [], [])
    assert len(json.dumps(result)) <= RETURN_LIMIT
    assert "groups" in result["truncated"] and result["group_count"] == 1500


def write(path, text):
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("content, problem, words", [
    ('{"format": 2, "host": "mac-01", "results": [', "truncated", "is truncated"),
    ("mac-01 ok", "not_json", "is not JSON"),
    ('{"host": "mac-01", "results": []}', "format", "from another format version"),
    ('{"format": 1, "host": "mac-01", "results": []}', "format", "from another format version"),
    ("[" * 10000 + "]" * 10000, "too_deep", "nested too deeply"),
    ('{"format": 2, "host": "mac-01", "results": [], "summary": ' + "[" * 10000 + "]" * 10000 + "}", "too_deep",
     "nested too deeply"),
])
def test_bad_result_file_is_named_with_its_problem(tmp_path, content, problem, words):
    path = write(tmp_path / "mac-01.json", content)
    with pytest.raises(ReportError) as exc:
        read_result_file(path)
    assert exc.value.problem == problem
    assert str(exc.value).startswith(path + ": ") and words in str(exc.value)


def test_report_is_written_for_the_rest_and_lists_the_rejected_files(tmp_path):
    builder = ReportBuilder()
    good = write(tmp_path / "mac-01.json", json.dumps(fixture("mixed/mac-01.json")))
    deep = write(tmp_path / "mac-02.json", "[" * 10000 + "]" * 10000)
    for path in (good, deep):
        try:
            for result_set in read_result_file(path):
                builder.add(result_set)
        except ReportError as exc:
            builder.reject(path, exc)
    report = builder.finish()
    assert report["host_count"] == 1
    assert [(r["file"], r["problem"]) for r in report["rejected_files"]] == [(deep, "too_deep")]
    html = render_html(report)
    assert "Result files that could not be used" in html and "mac-02.json" in html and "nested too deeply" in html


def test_bidi_and_control_characters_are_shown_escaped_in_html_and_csv():
    data = fixture("path-trust/mac-11.json")
    data["results"][0]["tls"]["resigned_by"] = "Corp CA \u202eAC evil\u202c"
    data["results"][0]["message"] = "zero\u200bwidth and bell\x07"
    report = build_report([validate_result_set(data, "x.json")])
    html, text = render_html(report), render_csv(report)
    for output in (html, text):
        assert "\u202e" not in output and "\u200b" not in output and "\x07" not in output
        assert "\\u202e" in output and "\\u200b" in output and "\\x07" in output
    assert "Corp CA \\u202eAC evil\\u202c" in html


def test_compact_cell_drops_evidence_only_of_cells_that_need_no_look():
    ok = fixture("mixed/mac-01.json")["results"][0]
    ok["tls"] = {"verified": True, "interception": False, "chain": [{"subject": "CN=x"}], "issuers_seen": ["CN=y"],
                 "expected_issuers": ["CN=z"], "trust": {"decided_by": "anchors"}}
    compact = compact_cell(ok)
    assert not {"dns", "tcp", "http", "ntp", "proxy"} & set(compact)
    assert compact["tls"] == {"verified": True, "interception": False, "trust": {"decided_by": "anchors"}}
    assert compact["target"] == ok["target"] and compact["verdict"] == "ok" and "chain" in ok["tls"]
    assert compact_cell(ok, "full") == ok
    intercepted = fixture("mixed/mac-02.json")["results"][0]
    assert compact_cell(intercepted) == intercepted
    registered = {"results": [ok, intercepted], "catalog_edition": "e", "summary": {}}
    result_set = probe_result_set(registered, "mac-01", group="london")
    assert result_set["format"] == 2 and result_set["group"] == "london" and result_set["detail"] == "compact"
    assert "dns" not in result_set["results"][0] and result_set["results"][1] == intercepted
    # The report reads a compact set.
    report = build_report([validate_result_set(result_set, "mac-01.json")])
    assert report["groups"][0]["group"] == "london" and report["totals"]["intercepted"] == 1  # the worse of the two


def test_probe_error_is_its_own_category_with_a_bug_report_line():
    data = fixture("mixed/mac-01.json")
    data["results"][0].update(status="error", verdict="probe_error", category="error",
                              error={"step": "tls", "type": "KeyError", "message": "'issuer'"})
    report = build_report([validate_result_set(data, "x.json")])
    assert report["totals"]["error"] == 1
    [answer] = [a for a in report["answers"] if a["category"] == "error"]
    assert answer["remediation"][0]["line"].startswith("report a bug in the probe")
    assert "step tls" in answer["remediation"][0]["line"]
    assert "Probe error" in render_html(report)


def offline(host):
    data = fixture("mixed/mac-01.json")
    data["host"] = host
    for result in data["results"]:
        if result["verdict"] != "skipped":
            result.update(status="failed", verdict="dns_timeout", category="dns", message="no answer")
    return validate_result_set(data, host + ".json")


def test_a_host_that_resolves_no_names_is_one_cause_not_a_line_per_name():
    report = build_report([offline("mac-01")])
    assert report["conclusion"].startswith("This host resolves no names")
    assert all(not s["fixes"] for s in report["sections"])
    [cause] = report["systemic"]
    assert cause["cause"] == "resolves_no_names" and cause["hosts"] == 1
    html = render_html(report)
    assert 'class="fix-row' not in html and "DNS timed out" in html
    report = build_report([offline("mac-%02d" % i) for i in range(69)])
    assert report["conclusion"].startswith("69 Macs resolve no names")


def dumped(report, drift=None):
    return json.loads(render_json(report, drift))


def previous_file(tmp_path, report):
    path = tmp_path / "readiness.json"
    path.write_text(render_json(report))
    return str(path)


def sets(*datas):
    return [validate_result_set(d, "%s.json" % d["host"]) for d in datas]


def test_drift_lists_each_kind_of_change(tmp_path):
    mac1, mac2, mac3 = (fixture("mixed/mac-01.json"), fixture("mixed/mac-02.json"), fixture("mixed/mac-03.json"))
    for data, group in ((mac1, "london"), (mac2, "paris"), (mac3, "paris")):
        data["group"] = group
    before = build_report(sets(mac1, mac2, mac3))
    path = previous_file(tmp_path, before)
    now1 = copy.deepcopy(mac1)
    now1["results"][0].update(status="failed", verdict="timeout", category="blocked", message="timed out")  # worse
    now2 = copy.deepcopy(mac2)
    now2["results"][0].update(status="ok", verdict="ok", category="ok", message="reachable", tls={})  # fixed
    now3 = copy.deepcopy(mac3)
    del now3["results"]
    now3["unchecked"] = {"reason": "unreachable", "message": "ssh: timed out"}  # newly not checked
    new = copy.deepcopy(mac1)
    new["host"] = "mac-09"
    after = build_report(sets(now1, now2, now3, new))
    drift = compare(load_previous(path), after)
    summary = drift.summary()
    assert summary["counts"]["regressions"] == 1 and summary["counts"]["fixed"] == 1
    assert summary["counts"]["hosts_newly_unchecked"] == 1 and summary["counts"]["hosts_new"] == 1
    assert summary["counts"]["worse"] == 2 and drift.worse == 2
    [regression] = summary["regressions"]
    assert regression == {"host": "mac-01", "group": "london", "endpoint": "swscan.apple.com:443/tcp",
                          "before": {"category": "ok", "verdict": "ok"}, "after": {"category": "blocked", "verdict": "timeout"}}
    [fixed] = summary["fixed"]
    assert (fixed["host"], fixed["group"], fixed["before"]["category"], fixed["after"]["category"]) == (
        "mac-02", "paris", "intercepted", "ok")
    assert summary["hosts_newly_unchecked"][0]["host"] == "mac-03"
    assert summary["hosts_new"] == [{"host": "mac-09", "group": "london"}]
    assert {(i["kind"], i["group"], i["hosts"]) for i in summary["by_endpoint"]} == {
        ("regressions", "london", 1), ("fixed", "paris", 1)}
    # The JSON export has every change under drift; the page opens with them.
    document = dumped(after, drift)
    assert document["drift"]["regressions"] == summary["regressions"]
    html = render_html(after, drift)
    assert html.index("What changed since the last run") < html.index("Per endpoint")
    # A Mac gone; the same run again: nothing changed.
    gone = compare(load_previous(previous_file(tmp_path, after)), build_report(sets(now1, now2, now3)))
    assert gone.summary()["hosts_gone"] == [{"host": "mac-09", "group": "london"}]
    assert gone.worse == 0 and gone.summary()["counts"]["regressions"] == 0


def test_drift_of_a_first_run_and_of_an_unreadable_previous_report(tmp_path):
    report = build_report(sets(fixture("mixed/mac-01.json")))
    assert dumped(report)["drift"]["compared_with"] is None
    assert "first run" in dumped(report)["drift"]["note"]
    assert "first run: there is no previous report to compare with" in render_html(report)
    bad = tmp_path / "readiness.json"
    bad.write_text('{"report_format": 2, "hosts": [')
    with pytest.raises(ReportError) as exc:
        load_previous(str(bad))
    assert str(bad) in str(exc.value) and "truncated" in str(exc.value)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 10000 + "]" * 10000)
    with pytest.raises(ReportError, match="nested too deeply"):
        load_previous(str(deep))


def test_csv_and_json_are_complete_for_every_mac():
    report = built(300, endpoints=10)
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert len(rows) == (300 - 2) * 10 + 2
    assert {r["group"] for r in rows} == {"london", "paris", "berlin", "ungrouped-lab"}
    document = json.loads(render_json(report))
    assert len(document["hosts"]) == 300 and len(document["unchecked_hosts"]) == 2
    assert rows[0]["verdict_text"] == "reachable"


def test_the_same_run_reported_again_keeps_its_drift(tmp_path):
    mac1 = fixture("mixed/mac-01.json")
    first = build_report(sets(mac1))
    path = previous_file(tmp_path, first)
    changed = copy.deepcopy(mac1)
    changed["generated_at"] = "2024-05-02T10:00:00Z"
    changed["results"][0].update(status="failed", verdict="refused", category="blocked", message="refused")
    second = build_report(sets(changed))
    drift = compare(load_previous(path), second)
    second_path = tmp_path / "second.json"
    second_path.write_text(render_json(second, drift))
    # Reported again from the same results: the drift against the run before is kept, the export unchanged.
    again = compare(load_previous(str(second_path)), build_report(sets(changed)))
    assert again.worse == 1 and again.summary()["regressions"] == drift.summary()["regressions"]
    assert render_json(build_report(sets(changed)), again) == second_path.read_text()


def test_no_page_grows_with_the_fleet_when_every_mac_fails(tmp_path):
    """Every Mac fails half of its 70 endpoints, with long names: each matrix page holds at most ROWS_PER_PAGE
    Macs and stays far under 5 MB; the summary page too."""
    failing = fixture("mixed/mac-02.json")["results"] + fixture("mixed/mac-03.json")["results"][:2]
    ok = fixture("mixed/mac-01.json")["results"][0]
    builder = ReportBuilder()
    for index in range(400):
        results = []
        for column in range(70):
            source = failing[(index + column) % len(failing)] if column % 2 == 0 else ok
            results.append(dict(source, target=dict(source["target"], host="endpoint-%02d.a-long-apple-domain.apple.com" % column)))
        builder.add(validate_result_set({"format": 2, "host": "macbook-pro-with-a-long-name-%05d.corp.example.com" % index,
                                         "group": "site-%d" % (index % 2), "results": results}, "%d.json" % index))
    report = builder.finish()
    pages = matrix_pages(report, "readiness")
    assert len(pages) == 4 and all(len(records) == ROWS_PER_PAGE for _n, _g, _p, records in pages)
    for name, group, number, records in pages:
        handle = io.StringIO()
        render_matrix_page(report, handle, "readiness.html", group, number, records, 2)
        assert len(handle.getvalue().encode()) < 2 * 1024 * 1024, name
    assert len(render_html(report, pages=pages).encode()) < 2 * 1024 * 1024


def test_catalog_edition_change_lists_the_entries_apple_added():
    from ansible_collections.macfleet.apple_network.plugins.module_utils._report.drift import (
        bundled_catalog_changes,
        catalog_drift,
    )

    change = catalog_drift(["apple-2018-02-13"], ["apple-2018-02-13 + apple-2026-08-07"], bundled_catalog_changes)
    assert change["changed"] and change["counts"]["added"] > 0 and change["counts"]["removed"] == 0
    assert all(item["id"].startswith("apple-support-101555/") for item in change["added"])
    assert catalog_drift(["apple-2018-02-13"], ["apple-2018-02-13"], bundled_catalog_changes)["changed"] is False
    unknown = catalog_drift(["apple-2018-02-13"], ["my-catalog.yml"], bundled_catalog_changes)
    assert unknown["changed"] and "not bundled" in unknown["note"] and unknown["added"] == []
