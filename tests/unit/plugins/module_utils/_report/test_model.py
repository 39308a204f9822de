# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import copy
import itertools
import json
import os
import re

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.verdicts import category_of
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.builder import build_report
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.inputs import expand_paths, read_result_file
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.result_set import classify_probe_result, probe_result_set
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.terms import ReportError
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.validate import validate_result_set

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
    assert report["totals"] == {"ok": 14, "intercepted": 1, "blocked": 2, "dns": 2, "skipped": 1, "error": 0, "not_probed": 0, "cells": 20}
    assert report["catalog_editions"] == ["apple-2018-02-13"]
    assert cell(report, "mac-02", "swscan.apple.com:443/tcp")["category"] == "intercepted"
    assert cell(report, "mac-03", "gdmf.apple.com:443/tcp")["verdict"] == "nxdomain"
    assert cell(report, "mac-01", "time.apple.com:123/udp")["category"] == "skipped"
    assert cell(report, "mac-02", "courier.push.apple.com:5223/tcp")["category"] == "blocked"


def test_interception_evidence_issuer_seen_and_expected():
    report = build_report(fixture_sets("mixed"))
    [item] = report["interceptions"]
    assert item["names"] == ["mac-02"] and item["hosts"] == 1 and item["groups"] == {"ungrouped": 1}
    assert item["endpoints"] == ["swscan.apple.com:443/tcp"]
    assert item["ca"] == "CN=Corp Proxy Inspection CA,O=Example Corp"  # the CA that re-signed the chain
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
    reports = {json.dumps(build_report(list(order)).as_dict(), sort_keys=True) for order in itertools.permutations(sets)}
    assert len(reports) == 1


def test_equal_times_are_decided_by_content_not_order():
    first = raw("slice-a/mac-02.json")
    second = copy.deepcopy(first)
    second["results"][0]["message"] = "zzz a different message"
    a = validate_result_set(first, "a.json")
    b = validate_result_set(second, "b.json")
    assert build_report([a, b]).as_dict() == build_report([b, a]).as_dict()


def test_missing_endpoint_is_not_probed():
    data = raw("mixed/mac-01.json", host="mac-09")
    data["results"] = data["results"][:2]
    report = build_report(fixture_sets("mixed") + [validate_result_set(data, "x.json")])
    assert report["totals"]["not_probed"] == 3
    assert cell(report, "mac-09", "mesu.apple.com:443/tcp")["category"] == "not_probed"
    assert cell(report, "mac-09", "swscan.apple.com:443/tcp")["category"] == "ok"


def test_a_result_without_category_is_refused():
    data = raw("mixed/mac-03.json")
    for result in data["results"]:
        del result["category"]
    with pytest.raises(ReportError) as exc:
        validate_result_set(data, "x.json")
    assert str(exc.value) == "x.json: host 'mac-03': results[0]: field 'category': is required"


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
    with pytest.raises(ReportError, match="bad.json: the probe results is not JSON"):
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


# Hosts that could not be checked, and the path and trust of each cell.

UNREACHABLE = {"changed": False, "unreachable": True,
               "msg": "Task failed: Failed to connect to the host via ssh: ssh: connect to host 127.0.0.1 port 1: Connection refused"}
NO_INTERPRETER = {"changed": False, "failed": True, "rc": 127, "catalog_edition": "apple-2018-02-13",
                  "module_stderr": "/bin/sh: 1: /nonexistent/python3: not found\n", "module_stdout": "",
                  "msg": "The module interpreter '/nonexistent/python3' was not found."}


def test_unchecked_hosts_are_listed_and_counted_apart_from_cells():
    report = build_report(fixture_sets("mixed", "unchecked"))
    assert report["host_count"] == 7 and report["checked_host_count"] == 4
    assert report["unchecked"] == {"unreachable": 1, "no_python": 1, "module_error": 1, "total": 3}
    # The cell totals are those of the checked hosts only.
    assert report["totals"] == {"ok": 14, "intercepted": 1, "blocked": 2, "dns": 2, "skipped": 1, "error": 0, "not_probed": 0, "cells": 20}
    assert [(u["host"], u["reason"]) for u in report["unchecked_hosts"]] == [
        ("mac-12", "unreachable"), ("mac-13", "no_python"), ("mac-14", "module_error")]
    assert "Operation timed out" in report["unchecked_hosts"][0]["message"]
    row = next(r for r in report["matrix"] if r["host"] == "mac-13")
    assert row["cells"] == [] and row["unchecked"]["reason"] == "no_python"
    host = next(h for h in report["hosts"] if h["host"] == "mac-12")
    assert host["unchecked"]["reason"] == "unreachable" and host["catalog_edition"] is None


def test_every_host_unchecked_still_makes_a_report():
    report = build_report(fixture_sets("unchecked"))
    assert report["host_count"] == 3 and report["checked_host_count"] == 0 and report["endpoint_count"] == 0
    assert report["totals"]["cells"] == 0 and report["unchecked"]["total"] == 3


def test_unchecked_host_merges_across_slices_latest_wins():
    checked = raw("mixed/mac-01.json", host="mac-12")
    checked["generated_at"] = "2024-05-02T10:00:00Z"  # later than the unreachable result set
    later = validate_result_set(checked, "slice-2/mac-12.json")
    report = build_report(fixture_sets("unchecked") + [later])
    assert report["unchecked"]["unreachable"] == 0 and report["unchecked"]["total"] == 2
    assert cell(report, "mac-12", "swscan.apple.com:443/tcp")["category"] == "ok"
    [dup] = report["duplicates"]
    assert dup["kept"] == "slice-2/mac-12.json" and dup["dropped"].endswith(os.path.join("unchecked", "mac-12.json"))
    # And the other way round: a later unreachable run replaces an earlier checked one.
    checked["generated_at"] = "2024-05-01T00:00:00Z"
    report = build_report(fixture_sets("unchecked") + [validate_result_set(checked, "slice-0/mac-12.json")])
    assert report["unchecked"]["unreachable"] == 1
    orders = {json.dumps(build_report(list(o)).as_dict(), sort_keys=True)
              for o in itertools.permutations(fixture_sets("unchecked") + [later])}
    assert len(orders) == 1


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["unchecked"].update(reason="asleep"),
     "field 'unchecked.reason': 'asleep' is not one of unreachable, no_python, module_error"),
    (lambda d: d["unchecked"].pop("reason"), "field 'unchecked.reason': is required"),
    (lambda d: d.update(unchecked="unreachable"), "field 'unchecked': must be a mapping"),
    (lambda d: d["unchecked"].update(message=42), "field 'unchecked.message': must be a string"),
    (lambda d: d.update(results=raw("mixed/mac-01.json")["results"]), "field 'results': must be empty for a host that was not checked"),
])
def test_bad_unchecked_names_file_host_and_field(mutate, message):
    data = raw("unchecked/mac-12.json")
    mutate(data)
    with pytest.raises(ReportError) as exc:
        validate_result_set(data, "slice-3/mac-12.json")
    assert str(exc.value).startswith("slice-3/mac-12.json: host 'mac-12': ")
    assert message in str(exc.value)


def test_unchecked_without_results_key_is_accepted():
    data = raw("unchecked/mac-13.json")
    del data["results"]
    assert validate_result_set(data, "x.json")["unchecked"]["reason"] == "no_python"


def test_path_trust_and_resigning_ca_per_cell():
    report = build_report(fixture_sets("path-trust"))
    swscan = cell(report, "mac-11", "swscan.apple.com:443/tcp")
    assert swscan["category"] == "intercepted"
    assert swscan["path_label"] == "via proxy 10.0.0.2:3128" and swscan["path"]["source"] == "system"
    assert swscan["resigned_by"] == "Corp Proxy Inspection CA"
    assert swscan["trust"]["decided_by"] == "host_trust"
    assert swscan["trust_label"] == "macOS Keychain (security verify-cert)"
    [item] = report["interceptions"]
    assert item["ca"] == "Corp Proxy Inspection CA" and item["path_label"] == "via proxy 10.0.0.2:3128"
    gdmf = cell(report, "mac-11", "gdmf.apple.com:443/tcp")
    assert gdmf["path_label"] == "bypassed by *.apple.com" and gdmf["trust_label"] == "Apple service anchors (9)"
    mesu = cell(report, "mac-11", "mesu.apple.com:443/tcp")
    assert (mesu["verdict"], mesu["category"], mesu["path_label"], mesu["trust_label"]) == ("untrusted", "blocked", "direct", "none")
    courier = cell(report, "mac-11", "courier.push.apple.com:5223/tcp")
    assert (courier["verdict"], courier["category"]) == ("pin_mismatch", "blocked")
    assert courier["path_label"] == "PAC not evaluated" and "wpad.dat" in courier["path"]["note"]
    assert courier["trust_label"] == "pinned fingerprint"
    ntp = cell(report, "mac-11", "time.apple.com:123/udp")
    assert ntp["path_label"] == "direct" and ntp["trust"] is None


def test_a_skipped_result_has_no_path_and_a_result_without_tls_no_trust():
    report = build_report(fixture_sets("mixed"))
    skipped = cell(report, "mac-01", "time.apple.com:123/udp")
    assert skipped["path"] is None and skipped["path_label"] is None
    assert skipped["trust"] is None and skipped["resigned_by"] is None


@pytest.mark.parametrize("mutate, message", [
    (lambda r: r[0].pop("path"), "results[0]: field 'path': is required (null for a target that was not routed)"),
    (lambda r: r[0]["tls"].pop("trust"), "results[0]: field 'tls.trust': is required in a result with tls"),
])
def test_a_result_without_path_or_trust_is_refused(mutate, message):
    data = raw("path-trust/mac-11.json")
    mutate(data["results"])
    with pytest.raises(ReportError) as exc:
        validate_result_set(data, "p.json")
    assert str(exc.value).startswith("p.json: host 'mac-11': " + message)


@pytest.mark.parametrize("mutate, message", [
    (lambda r: r[0].update(path="proxy"), "results[0]: field 'path': must be a mapping"),
    (lambda r: r[0]["path"].update(mode="tunnel"), "results[0]: field 'path.mode': 'tunnel' is not one of direct, proxy, bypassed, pac"),
    (lambda r: r[0]["path"].pop("mode"), "results[0]: field 'path.mode': is required"),
    (lambda r: r[1]["path"].update(source="mdm"), "results[1]: field 'path.source': 'mdm' is not one of option, system, none"),
    (lambda r: r[1]["path"].update(proxy=3128), "results[1]: field 'path.proxy': must be a string"),
    (lambda r: r[0]["tls"].update(trust=["anchors"]), "results[0]: field 'tls.trust': must be a mapping"),
    (lambda r: r[0]["tls"]["trust"].update(decided_by="keychain"),
     "field 'tls.trust.decided_by': 'keychain' is not one of anchors, pin, host_override, host_trust"),
    (lambda r: r[0]["tls"].update(resigned_by=["CA"]), "results[0]: field 'tls.resigned_by': must be a string"),
])
def test_bad_path_and_trust_name_the_field(mutate, message):
    data = raw("path-trust/mac-11.json")
    mutate(data["results"])
    with pytest.raises(ReportError) as exc:
        validate_result_set(data, "p.json")
    assert str(exc.value).startswith("p.json: host 'mac-11': ")
    assert message in str(exc.value)


def test_pin_mismatch_and_untrusted_are_known_verdicts():
    assert category_of("pin_mismatch") == "blocked" and category_of("untrusted") == "blocked"


# The result set a playbook writes, from the registered result of the probe task.

def test_probe_result_set_of_a_checked_host_keeps_the_results():
    data = raw("path-trust/mac-11.json")
    registered = {"changed": False, "failed": False, "catalog_edition": data["catalog_edition"],
                  "generated_at": data["generated_at"], "results": data["results"], "summary": data["summary"]}
    result_set = probe_result_set(registered, "mac-11")
    assert "unchecked" not in result_set
    assert set(result_set) == {"format", "host", "group", "detail", "catalog_edition", "generated_at", "results", "summary"}
    assert validate_result_set(result_set, "r") == validate_result_set(data, "r")


def test_probe_result_set_fail_on_failure_is_checked():
    data = raw("mixed/mac-03.json")
    registered = {"changed": False, "failed": True, "msg": "1 required target failed: gdmf.apple.com",
                  "catalog_edition": "apple-2018-02-13", "generated_at": data["generated_at"],
                  "results": data["results"], "summary": data["summary"]}
    assert classify_probe_result(registered) is None
    result_set = probe_result_set(registered, "mac-03")
    assert "unchecked" not in result_set and len(result_set["results"]) == 5


@pytest.mark.parametrize("registered, reason, text", [
    (UNREACHABLE, "unreachable", "Failed to connect to the host via ssh"),
    (NO_INTERPRETER, "no_python", "/nonexistent/python3: not found"),
    # Interpreter discovery found nothing and fell back to /usr/bin/python3, which does not exist.
    ({"failed": True, "rc": 127, "module_stdout": "", "module_stderr": "/bin/sh: /usr/bin/python3: No such file or directory\n",
      "msg": "Module result deserialization failed: No start of json char found"}, "no_python", "No such file or directory"),
    # Apple's stub without the Command Line Tools.
    ({"failed": True, "rc": 1, "module_stdout": "", "msg": "Module result deserialization failed: No start of json char found",
      "module_stderr": "xcode-select: note: No developer tools were found, requesting install.\n"}, "no_python", "xcode-select"),
    ({"failed": True, "msg": "ansible-core requires a minimum of Python version 3.8. Current version: 2.7.16"}, "no_python", "2.7.16"),
    ({"failed": True, "msg": "Failed to import the required Python library (dnspython) on mac-01's Python /usr/bin/python3."},
     "module_error", "dnspython"),
    ({"failed": True, "rc": 1, "module_stdout": "", "msg": "MODULE FAILURE: No start of json char found",
      "module_stderr": "Traceback (most recent call last):\nModuleNotFoundError: No module named 'encodings'\n"},
     "module_error", "No module named 'encodings'"),
    ({"failed": True, "msg": "macfleet.apple_network.endpoint_probe: catalog_files: /x.yml: not found"}, "module_error", "/x.yml"),
    ({"failed": True}, "module_error", "without a message"),
    ({"skipped": True, "skip_reason": "Conditional result was False"}, "module_error", "skipped: Conditional"),
    (None, "module_error", "left no result"),
])
def test_classification_of_hosts_that_could_not_be_checked(registered, reason, text):
    unchecked = classify_probe_result(registered)
    assert unchecked["reason"] == reason and text in unchecked["message"]
    result_set = probe_result_set(registered, "mac-77", now="2024-05-03T08:00:00Z")
    assert result_set["results"] == [] and result_set["unchecked"] == unchecked
    assert result_set["generated_at"] == "2024-05-03T08:00:00Z" and result_set["summary"]["total"] == 0
    normalised = validate_result_set(result_set, "r")
    assert normalised["unchecked"]["reason"] == reason


def test_unreachable_message_drops_the_task_failed_prefix_and_long_output_is_clipped():
    assert classify_probe_result(UNREACHABLE)["message"].startswith("Failed to connect")
    long_error = {"failed": True, "rc": 1, "module_stdout": "", "msg": "MODULE FAILURE",
                  "module_stderr": "x" * 10000 + "\nValueError: the end matters"}
    message = classify_probe_result(long_error)["message"]
    assert len(message) <= 2001 and message.endswith("ValueError: the end matters")


def test_unreachable_result_set_has_no_edition_and_a_time():
    result_set = probe_result_set(UNREACHABLE, "mac-05")
    assert result_set["catalog_edition"] is None
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", result_set["generated_at"])
    assert probe_result_set(NO_INTERPRETER, "mac-06")["catalog_edition"] == "apple-2018-02-13"
