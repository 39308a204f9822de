# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import copy
import itertools
import json
import os

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._report.model import (
    ReportError,
    build_report,
    expand_paths,
    read_result_file,
    validate_result_set,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "fixtures", "probe_results")


def fixture_sets(*dirs):
    sets = []
    for path in expand_paths([os.path.join(FIXTURES, d) for d in dirs]):
        sets.extend(read_result_file(path))
    return sets


def raw(name, host=None):
    with open(os.path.join(FIXTURES, name)) as handle:
        data = json.load(handle)
    if host:
        data["host"] = host
    return data


def cell(report, host, endpoint):
    row = next(r for r in report["matrix"] if r["host"] == host)
    return next(c for c in row["cells"] if c["endpoint"] == endpoint)


def test_matrix_of_mixed_results():
    report = build_report(fixture_sets("mixed"))
    assert report["host_count"] == 4
    assert report["endpoint_count"] == 5
    assert [h["host"] for h in report["hosts"]] == ["lab-<b>4</b>&x", "mac-01", "mac-02", "mac-03"]
    assert report["totals"] == {"ok": 14, "intercepted": 1, "blocked": 2, "dns": 2, "skipped": 1, "not-probed": 0, "cells": 20}
    assert report["catalog_editions"] == ["apple-2018-02-13"]
    assert cell(report, "mac-02", "swscan.apple.com:443/tcp")["category"] == "intercepted"
    assert cell(report, "mac-03", "gdmf.apple.com:443/tcp")["verdict"] == "nxdomain"
    assert cell(report, "mac-01", "time.apple.com:123/udp")["category"] == "skipped"
    assert cell(report, "mac-02", "courier.push.apple.com:5223/tcp")["category"] == "blocked"


def test_interception_evidence_issuer_seen_and_expected():
    report = build_report(fixture_sets("mixed"))
    [item] = report["interceptions"]
    assert item["host"] == "mac-02"
    assert item["endpoint"] == "swscan.apple.com:443/tcp"
    assert item["issuers_seen"] == ["CN=Corp Proxy Inspection CA,O=Example Corp"]
    assert item["expected_issuers"][0].startswith("CN=DigiCert Global Root G2")
    assert [c["subject"] for c in item["chain"]] == ["CN=swscan.apple.com", "CN=Corp Proxy Inspection CA,O=Example Corp"]


def test_counts_per_service():
    services = {s["service"]: s for s in build_report(fixture_sets("mixed"))["services"]}
    assert sorted(services) == ["Apple Push Notification service", "Network Time Protocol", "Software Update"]
    update = services["Software Update"]
    assert (update["ok"], update["intercepted"], update["blocked"], update["dns"]) == (8, 1, 1, 2)


def test_two_slices_merge_and_latest_duplicate_wins():
    report = build_report(fixture_sets("slice-a", "slice-b"))
    assert [h["host"] for h in report["hosts"]] == ["mac-01", "mac-02", "mac-03"]
    # slice-b has an older, all-ok run of mac-02: the later run (intercepted, blocked) is kept.
    assert cell(report, "mac-02", "swscan.apple.com:443/tcp")["category"] == "intercepted"
    [dup] = report["duplicates"]
    assert dup["host"] == "mac-02"
    assert dup["kept"].endswith(os.path.join("slice-a", "mac-02.json"))
    assert dup["dropped"].endswith(os.path.join("slice-b", "mac-02.json"))


def test_merge_does_not_depend_on_input_order():
    sets = fixture_sets("slice-a", "slice-b")
    reports = {json.dumps(build_report(list(order)), sort_keys=True) for order in itertools.permutations(sets)}
    assert len(reports) == 1


def test_equal_times_are_decided_by_content_not_order():
    first = raw("slice-a/mac-02.json")
    second = copy.deepcopy(first)
    second["results"][0]["message"] = "zzz a different message"
    a = validate_result_set(first, "a.json")
    b = validate_result_set(second, "b.json")
    assert build_report([a, b]) == build_report([b, a])


def test_missing_endpoint_is_not_probed():
    data = raw("mixed/mac-01.json", host="mac-09")
    data["results"] = data["results"][:2]
    report = build_report(fixture_sets("mixed") + [validate_result_set(data, "x.json")])
    assert report["totals"]["not-probed"] == 3
    assert cell(report, "mac-09", "mesu.apple.com:443/tcp")["category"] == "not-probed"
    assert cell(report, "mac-09", "swscan.apple.com:443/tcp")["category"] == "ok"


def test_category_is_derived_from_verdict_when_absent():
    data = raw("mixed/mac-03.json")
    for result in data["results"]:
        del result["category"]
    report = build_report([validate_result_set(data, "x.json")])
    assert cell(report, "mac-03", "gdmf.apple.com:443/tcp")["category"] == "dns"


def test_editions_are_all_listed():
    other = raw("mixed/mac-01.json", host="mac-10")
    other["catalog_edition"] = "apple-2024-01-01"
    report = build_report(fixture_sets("mixed") + [validate_result_set(other, "o.json")])
    assert report["catalog_editions"] == ["apple-2018-02-13", "apple-2024-01-01"]


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.pop("host"), "field 'host': is required"),
    (lambda d: d.update(results="nope"), "field 'results': must be a list"),
    (lambda d: d["results"][1].update(status="great"), "results[1]: field 'status': 'great' is not one of"),
    (lambda d: d["results"][0].update(category="purple"), "results[0]: field 'category': 'purple'"),
    (lambda d: d["results"][2]["target"].update(port=70000), "results[2]: field 'target.port': 70000 is not a port"),
    (lambda d: d["results"][0]["target"].update(protocol="sctp"), "field 'target.protocol': 'sctp'"),
    (lambda d: d["results"][0].update(target=None), "field 'target': must be a mapping"),
    (lambda d: d["results"][0]["tls"].update(issuers_seen="CN=x"), "field 'tls.issuers_seen': must be a list"),
])
def test_bad_input_names_origin_host_entry_and_field(mutate, message):
    data = raw("mixed/mac-02.json")
    mutate(data)
    with pytest.raises(ReportError) as exc:
        validate_result_set(data, "slice-9/mac-02.json")
    assert str(exc.value).startswith("slice-9/mac-02.json")
    assert message in str(exc.value)


def test_unreadable_file_and_missing_path(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ReportError, match="bad.json: cannot read the probe results"):
        read_result_file(str(bad))
    with pytest.raises(ReportError, match="no such file or directory"):
        expand_paths([str(tmp_path / "missing")])


def test_list_file_and_directory_expansion_excludes(tmp_path):
    sets = [raw("mixed/mac-01.json"), raw("mixed/mac-02.json")]
    (tmp_path / "both.json").write_text(json.dumps(sets))
    (tmp_path / "readiness.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("ignored")
    files = expand_paths([str(tmp_path)], exclude=[str(tmp_path / "readiness.json")])
    assert files == [str(tmp_path / "both.json")]
    loaded = read_result_file(files[0])
    assert [s["host"] for s in loaded] == ["mac-01", "mac-02"]
    assert loaded[1]["origin"].endswith("both.json[1]")
