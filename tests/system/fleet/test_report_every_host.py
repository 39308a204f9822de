# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every targeted Mac is in the readiness report, also the ones that could not be probed.

The playbooks run for real against an inventory of this machine (``ansible_connection=local``, offline
here: every name fails DNS), a host that is unreachable (SSH to a closed loopback port) and a host
without a usable Python (``ansible_python_interpreter=/nonexistent/python3``). Each gets a result file,
the report lists all of them, and the report is written even when no host could be probed.
"""

from __future__ import annotations

import csv
import io
import json
import re
import socket
import sys

from conftest import COLLECTION_ROOT

PLAYBOOKS = COLLECTION_ROOT / "playbooks"
FLAG_TASK = "Fail each host the report lists as not checked"


def closed_port():
    """A loopback TCP port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unreachable_host(name):
    return ("%s ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=%d ansible_user=nobody "
            "ansible_ssh_timeout=5 ansible_ssh_common_args='-o BatchMode=yes -o ConnectionAttempts=1'" % (name, closed_port()))


def inventory(path, lines):
    path.write_text("[macs]\n" + "\n".join(lines) + "\n")
    return str(path)


GOOD = "mac-good ansible_connection=local ansible_python_interpreter=%s" % sys.executable
NO_PYTHON = "mac-nopy ansible_connection=local ansible_python_interpreter=/nonexistent/python3"


def read_json(path):
    return json.loads(path.read_text())


def test_readiness_report_lists_every_host_with_its_reason(run_playbook, scratch):
    out = scratch / "readiness-output"
    run = run_playbook(str(PLAYBOOKS / "readiness.yml"),
                       inventory=inventory(scratch / "macs.ini", [GOOD, unreachable_host("mac-down"), NO_PYTHON]),
                       extra_vars={"macfleet_readiness_output_dir": str(out), "macfleet_readiness_timeout": 5,
                                   "macfleet_readiness_groups": ["software-update"], "macfleet_readiness_nameservers": ["10.0.0.53"]})
    # The report and the artifacts were written; only then were the two hosts failed.
    assert run.rc == 2, run
    assert run.stats["mac-good"]["failures"] == 0 and run.stats["mac-good"]["unreachable"] == 0, run.stats
    for host in ("mac-down", "mac-nopy"):
        assert run.stats[host]["failures"] == 1 and run.stats[host]["unreachable"] == 0, run.stats
        assert run.stats[host]["ignored"] == 1, run.stats
    assert run.stats["localhost"]["failures"] == 0, run.stats
    flagged = run.results(FLAG_TASK)
    assert flagged["mac-good"].get("skipped") and flagged["mac-down"]["failed"] and flagged["mac-nopy"]["failed"]
    assert flagged["mac-down"]["msg"].startswith("not checked: unreachable: ")
    assert flagged["mac-nopy"]["msg"].startswith("not checked: no_python: ")
    assert (out / "artifacts" / "apple-bypass.pac").is_file()
    # The egress ruleset artifact keeps DNS open to the name servers it was given (not an empty set).
    egress = (out / "artifacts" / "apple-egress.nft").read_text()
    assert re.search(r"set dns4 \{[^}]*elements = \{ 10\.0\.0\.53 \}", egress), egress
    assert "ip daddr @dns4 udp dport 53 accept" in egress

    # One result file per targeted host.
    results = {p.stem: read_json(p) for p in (out / "results").glob("*.json")}
    assert sorted(results) == ["mac-down", "mac-good", "mac-nopy"]
    good = results["mac-good"]
    assert "unchecked" not in good and good["results"] and good["catalog_edition"] == "apple-2018-02-13 + apple-2026-08-07"
    down = results["mac-down"]
    assert down["unchecked"]["reason"] == "unreachable" and down["results"] == []
    assert "Connection refused" in down["unchecked"]["message"] or "connect" in down["unchecked"]["message"]
    assert set(down) == {"format", "host", "group", "detail", "catalog_edition", "generated_at", "results", "summary",
                         "unchecked"}
    nopy = results["mac-nopy"]
    assert nopy["unchecked"]["reason"] == "no_python" and "/nonexistent/python3" in nopy["unchecked"]["message"]

    # The report lists all three.
    report = read_json(out / "readiness.json")
    assert [h["host"] for h in report["hosts"]] == ["mac-down", "mac-good", "mac-nopy"]
    assert report["host_count"] == 3 and report["checked_host_count"] == 1
    assert report["unchecked"] == {"unreachable": 1, "no_python": 1, "module_error": 0, "total": 2}
    assert report["totals"]["cells"] == report["endpoint_count"] > 0
    html = (out / "readiness.html").read_text()
    assert "<strong>not checked: unreachable</strong>" in html and "<strong>not checked: no_python</strong>" in html
    assert 'data-host="mac-good" data-endpoint="swscan.apple.com:443/tcp"' in html
    rows = list(csv.DictReader(io.StringIO((out / "readiness.csv").read_text())))
    assert {(r["host"], r["unchecked_reason"]) for r in rows if r["category"] == "not-checked"} == {
        ("mac-down", "unreachable"), ("mac-nopy", "no_python")}
    assert all(r["unchecked_reason"] == "" for r in rows if r["host"] == "mac-good")


def test_readiness_report_is_written_when_every_host_is_unreachable(run_playbook, scratch):
    out = scratch / "readiness-output"
    run = run_playbook(str(PLAYBOOKS / "readiness.yml"),
                       inventory=inventory(scratch / "macs.ini", [unreachable_host("mac-a"), unreachable_host("mac-b")]),
                       extra_vars={"macfleet_readiness_output_dir": str(out), "macfleet_readiness_timeout": 5})
    assert run.rc == 2, run
    written = run.results("Write the readiness report", "localhost")
    assert written["changed"] and written["host_count"] == 2 and written["endpoint_count"] == 0, written
    assert written["unchecked"] == {"unreachable": 2, "no_python": 0, "module_error": 0, "total": 2}
    report = read_json(out / "readiness.json")
    assert [h["unchecked"]["reason"] for h in report["hosts"]] == ["unreachable", "unreachable"]
    html = (out / "readiness.html").read_text()
    assert html.count("<strong>not checked: unreachable</strong>") == 2
    assert sorted(p.name for p in (out / "results").iterdir()) == ["mac-a.json", "mac-b.json"]


def test_probe_playbook_writes_a_file_per_host_and_report_merges_them(run_playbook, scratch):
    probe_out = scratch / "probe-output"
    run = run_playbook(str(PLAYBOOKS / "probe.yml"),
                       inventory=inventory(scratch / "macs.ini", [GOOD, unreachable_host("mac-down"), NO_PYTHON]),
                       extra_vars={"macfleet_probe_output_dir": str(probe_out), "macfleet_probe_groups": ["software-update"],
                                   "macfleet_probe_timeout": 5})
    assert run.rc == 2, run
    assert run.stats["mac-good"]["failures"] == 0, run.stats
    assert run.stats["mac-down"]["failures"] == 1 and run.stats["mac-nopy"]["failures"] == 1, run.stats
    files = {p.stem: read_json(p) for p in probe_out.glob("*.json")}
    assert sorted(files) == ["mac-down", "mac-good", "mac-nopy"]
    assert files["mac-down"]["unchecked"]["reason"] == "unreachable"
    assert files["mac-nopy"]["unchecked"]["reason"] == "no_python"

    report_out = scratch / "report"
    run = run_playbook(str(PLAYBOOKS / "report.yml"),
                       extra_vars={"macfleet_report_src": [str(probe_out)], "macfleet_report_dest": str(report_out)})
    assert run.rc == 0, run
    written = run.results("Write the readiness report", "localhost")
    assert written["host_count"] == 3 and written["unchecked"]["total"] == 2
    assert [(h["host"], h["reason"]) for h in written["unchecked_hosts"]] == [("mac-down", "unreachable"), ("mac-nopy", "no_python")]
    assert "Hosts not checked: " in " ".join(run.results("Show the totals", "localhost")["msg"])


def test_fail_on_failure_keeps_the_results_and_still_fails_the_host(run_playbook, scratch):
    """fail_on=any offline: every target fails DNS, the task fails with a summary; the host's file has the results."""
    probe_out = scratch / "probe-output"
    run = run_playbook(str(PLAYBOOKS / "probe.yml"), inventory=inventory(scratch / "macs.ini", [GOOD]),
                       extra_vars={"macfleet_probe_output_dir": str(probe_out), "macfleet_probe_groups": ["software-update"],
                                   "macfleet_probe_timeout": 5, "macfleet_probe_fail_on": "any"})
    assert run.rc == 2, run
    probe = run.results("Probe the endpoints and write this host's result file", "mac-good")
    assert probe["failed"] and probe["failure_count"] > 0 and "results" not in probe, probe
    result_file = read_json(probe_out / "mac-good.json")
    assert "unchecked" not in result_file and len(result_file["results"]) == probe["summary"]["total"]
    final = run.results("Fail the hosts that could not be checked or that failed macfleet_probe_fail_on", "mac-good")
    assert final["failed"] and final["msg"] == probe["msg"]
