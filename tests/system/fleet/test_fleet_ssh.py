# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The probe and report jobs against a fleet of ten stock Macs over SSH, and two Macs as they come (fleet_macs.py).

Jobs run as AWX runs them: ansible-runner, a private data dir, the job events checked (inside the
controller's namespace, the only one that reaches the Macs).
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import yaml

from conftest import COLLECTIONS_PATH
from fleet_macs import BULK_NAMES, GROUPED, MACADMINS_PYTHON, PROBING, SITES, endpoint
from fleet_macs import fleet_macs_fixture  # noqa: F401  pylint: disable=unused-import
from stock_macs import NXDOMAIN, REFUSED_HOST
from test_awx_runner import slice_inventories

EVENT_LIMIT = 16 * 1024
BULK = [{"host": name, "port": 443} for name in BULK_NAMES]
RUNNER = str(Path(sys.executable).parent / "ansible-runner")


class RunnerJob:
    """An ansible-runner job run with the runner CLI inside a network namespace; its status, stdout and events."""

    def __init__(self, private):
        self.private = private
        artifacts = private / "artifacts" / "job"
        self.status = (artifacts / "status").read_text().strip()
        self.rc = int((artifacts / "rc").read_text().strip())
        self.stdout = (artifacts / "stdout").read_text()
        self.event_sizes = {}
        self.events = []
        for path in (artifacts / "job_events").glob("*.json"):
            raw = path.read_bytes()
            event = json.loads(raw)
            self.events.append(event)
            host = event.get("event_data", {}).get("host")
            if host:
                self.event_sizes[host] = self.event_sizes.get(host, 0) + len(raw)
        self.events.sort(key=lambda e: e["counter"])

    def results(self, task):
        return dict((e["event_data"]["host"], e["event_data"]["res"]) for e in self.events
                    if e["event"] in ("runner_on_ok", "runner_on_failed", "runner_on_unreachable")
                    and e["event_data"].get("task") == task)

    def __repr__(self):
        return "RunnerJob(status=%s, rc=%s)\n%s" % (self.status, self.rc, self.stdout[-6000:])


def runner_job(scratch, netns, playbook, inventory, extravars, envvars=None):
    private = Path(scratch) / ("runner-%s-%s" % (playbook, uuid.uuid4().hex[:6]))
    for sub in ("project", "inventory", "env"):
        (private / sub).mkdir(parents=True)
    (private / "project" / "site.yml").write_text(
        "---\n- name: AWX job template for %s\n  ansible.builtin.import_playbook: macfleet.apple_network.%s\n" % (playbook, playbook))
    (private / "inventory" / "hosts").write_text(inventory)
    (private / "env" / "extravars").write_text(yaml.safe_dump(extravars))
    (private / "env" / "envvars").write_text(yaml.safe_dump(dict({
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_PATH), "ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_HOST_KEY_CHECKING": "0"}, **(envvars or {}))))
    (private / "env" / "settings").write_text(yaml.safe_dump({"process_isolation": False, "job_timeout": 600}))
    subprocess.run(["ip", "netns", "exec", netns, RUNNER, "run", str(private), "-p", "site.yml", "--ident", "job"],
                   capture_output=True, text=True, timeout=900, check=False)
    return RunnerJob(private)


def sliced_probe(fleet, scratch, out, count=3, targets=None):
    """The probe job sliced ``count`` ways (AWX job slicing), every slice writing into the one result directory."""
    inventory = Path(fleet.fleet_inventory()).read_text()
    jobs = []
    for hosts, sliced in slice_inventories(Path(scratch), inventory, count):
        extravars = fleet.probe_vars(out)
        if targets is not None:
            extravars["macfleet_probe_targets"] = targets
        jobs.append((hosts, runner_job(scratch, fleet.controller, "probe", sliced, extravars)))
    return jobs


def read_sets(out):
    return dict((path.stem, json.loads(path.read_text())) for path in sorted(Path(out).glob("*.json")))


def verdicts(result_set):
    return dict((endpoint(r["target"]["host"], r["target"]["port"]), r["verdict"]) for r in result_set["results"])


def expected_verdicts(intercepted=False, dropped=False):
    return {
        endpoint("swscan.apple.com"): "ok",
        endpoint("updates.cdn-apple.com"): "timeout" if dropped else "ok",
        endpoint("swcdn.apple.com"): "intercepted" if intercepted else "ok",
        endpoint(REFUSED_HOST): "refused",
        endpoint(NXDOMAIN): "nxdomain",
    }


def test_sliced_probe_writes_compact_grouped_result_files(fleet_macs, scratch):
    """Three slices write one result directory: a compact, grouped result set per Mac, the verdicts of the real
    servers, and only a summary in the job events."""
    out = fleet_macs.output_dir("sliced")
    jobs = sliced_probe(fleet_macs, scratch, out)
    for hosts, job in jobs:
        assert job.status == "successful" and job.rc == 0, job
        assert set(job.results("Probe the endpoints and write this host's result file")) == set(hosts), job
    sets = read_sets(out)
    assert sorted(sets) == PROBING
    for mac, data in sets.items():
        assert data["format"] == 2 and data["host"] == mac and data["detail"] == "compact"
        assert data["group"] == SITES.get(mac) or GROUPED.get(mac), (mac, data["group"])
        assert verdicts(data) == expected_verdicts(intercepted=SITES.get(mac) == "paris"), (mac, data["results"])
        for cell in data["results"]:
            if cell["status"] == "ok":
                # Compact: the verdict and what decided it, not the evidence.
                assert not set(cell) & {"dns", "tcp", "http", "proxy", "ntp"}, cell
                assert set(cell["tls"]) <= {"verified", "interception", "resigned_by", "trust"}, cell
            else:
                assert "dns" in cell and "tcp" in cell, cell
        for cell in data["results"]:
            if cell["verdict"] == "intercepted":
                assert "mitmproxy" in cell["tls"]["resigned_by"] and cell["tls"]["chain"], cell["tls"]
    assert sets["mac10"]["group"] is None
    assert sets["mac09"]["group"] == "site_bordeaux"
    # The job events carry the summary, not the results or the expanded targets.
    for _hosts, job in jobs:
        for host, res in job.results("Probe the endpoints and write this host's result file").items():
            assert "results" not in res and "invocation" not in res, res
            assert res["result_file"] == str(Path(out) / ("%s.json" % host))
            assert res["failure_count"] == len(res["failures"]) == (3 if SITES.get(host) == "paris" else 2), res


def test_job_events_per_host_when_every_cell_is_ok(fleet_macs, scratch):
    """70 targets, all ok, from ten Macs: each Mac's job events (all of them, every task) stay within 16 KB."""
    out = fleet_macs.output_dir("events")
    [(hosts, job)] = sliced_probe(fleet_macs, scratch, out, count=1, targets=BULK)
    assert job.status == "successful", job
    sets = read_sets(out)
    for mac in PROBING:
        assert sets[mac]["summary"]["ok"] == len(BULK), sets[mac]["summary"]
    sizes = dict((host, job.event_sizes[host]) for host in hosts)
    assert max(sizes.values()) <= EVENT_LIMIT, sizes


def test_stub_mac_is_no_python_and_the_stub_never_starts(fleet_macs, run_playbook):
    """The Mac whose only python3 is Apple's stub is reported no_python with the remedy and the stub is never
    started; the Mac with the MacAdmins Python is probed through it without an interpreter in the inventory."""
    out = fleet_macs.output_dir("odd")
    run = run_playbook(str(Path(__file__).resolve().parents[3] / "playbooks" / "probe.yml"),
                       inventory=fleet_macs.fleet_inventory(["stub", "framework"], name="odd"),
                       extra_vars=fleet_macs.probe_vars(out), netns=fleet_macs.controller,
                       # No interpreter from the configuration either: the test runner's is not a Mac's.
                       env={"ANSIBLE_PYTHON_INTERPRETER": "auto_silent"})
    assert run.rc != 0, run  # the stub Mac is failed after its result file is written
    assert fleet_macs.stub_record.read_text() == "", "Apple's python3 stub was started"
    stub = json.loads((out / "stub.json").read_text())
    assert stub["unchecked"]["reason"] == "no_python", stub
    assert "Command Line Tools" in stub["unchecked"]["remedy"] and MACADMINS_PYTHON in stub["unchecked"]["remedy"]
    assert "/usr/bin/python3" in stub["unchecked"]["message"], stub
    assert stub["results"] == []
    calls = (fleet_macs.stand_in_bin["stub"] / "calls.log").read_text()
    assert '["xcode-select", "-p"]' in calls, calls
    framework = json.loads((out / "framework.json").read_text())
    assert "unchecked" not in framework and framework["results"], framework
    probed = run.results("Probe the endpoints and write this host's result file", "framework")
    assert probed["python"].startswith("3.9.") and probed["python"].endswith("(%s)" % MACADMINS_PYTHON), probed
    assert verdicts(framework)[endpoint("swscan.apple.com")] == "ok", framework

    # The readiness job too: the stub Mac is a not-checked row of the report, the framework Mac a checked one.
    readiness_out = fleet_macs.output_dir("odd-readiness")
    run = run_playbook(str(Path(__file__).resolve().parents[3] / "playbooks" / "readiness.yml"),
                       inventory=fleet_macs.fleet_inventory(["stub", "framework"], name="odd"),
                       extra_vars={"macfleet_readiness_output_dir": str(readiness_out), "macfleet_readiness_timeout": 5},
                       netns=fleet_macs.controller, env={"ANSIBLE_PYTHON_INTERPRETER": "auto_silent"})
    assert run.rc != 0 and run.stats["stub"]["failures"] == 1 and run.stats["framework"]["failures"] == 0, run
    assert fleet_macs.stub_record.read_text() == "", "Apple's python3 stub was started by the readiness job"
    report = json.loads((readiness_out / "readiness.json").read_text())
    rows = dict((host["host"], host) for host in report["hosts"])
    assert rows["stub"]["unchecked"]["reason"] == "no_python" and rows["framework"].get("unchecked") is None, rows


def _report_job(fleet, scratch, out, dest):
    """The report node of the nightly workflow: every slice's result files into one report, compared with the
    report of the previous run (the readiness.json in dest), failing on regression."""
    return runner_job(scratch, fleet.controller, "report", "localhost ansible_connection=local ansible_python_interpreter=%s\n"
                      % sys.executable, {"macfleet_report_src": [str(out)], "macfleet_report_dest": str(dest),
                                         "macfleet_report_fail_on": ["regression"]})


def _nightly(fleet, scratch, out, dest):
    for _hosts, job in sliced_probe(fleet, scratch, out):
        assert job.status == "successful", job
    job = _report_job(fleet, scratch, out, dest)
    assert (Path(dest) / "readiness.json").is_file(), job
    return job, json.loads((Path(dest) / "readiness.json").read_text())


def _changes(report):
    drift = report["drift"]
    return dict((kind, sorted((c["group"], c["host"], c["endpoint"], c["before"]["verdict"], c["after"]["verdict"])
                              for c in drift[kind])) for kind in ("regressions", "fixed", "changed"))


def test_nightly_drift_per_group_and_fail_on_regression(fleet_macs, scratch):
    """Three nights of the sliced workflow (three probe slices into one result directory, then the report node
    with fail_on: [regression]). Night 2: mac02 (paris) is no longer intercepted and mac07 (lyon) has a port
    dropped: the drift lists exactly these two cells, in their groups, and the job fails. Night 3: the port is
    open again: the drift lists that fix only, and the job succeeds."""
    out, dest = fleet_macs.output_dir("nightly-results"), fleet_macs.output_dir("nightly-report")
    first, report = _nightly(fleet_macs, scratch, out, dest)
    assert first.status == "successful", first
    assert report["drift"]["compared_with"] is None
    try:
        fleet_macs.intercept("mac02", on=False)
        fleet_macs.drop_port("mac07")
        second, report = _nightly(fleet_macs, scratch, out, dest)
        assert second.status == "failed", second
        assert _changes(report) == {
            "regressions": [("lyon", "mac07", endpoint("updates.cdn-apple.com"), "ok", "timeout")],
            "fixed": [("paris", "mac02", endpoint("swcdn.apple.com"), "intercepted", "ok")],
            "changed": []}, report["drift"]
        assert report["drift"]["counts"]["worse"] == 1
        failed = [e for e in second.events if e["event"] == "runner_on_failed"]
        assert [e["event_data"]["task"] for e in failed] == ["Fail when the fleet is not ready"], second

        fleet_macs.drop_port("mac07", on=False)
        third, report = _nightly(fleet_macs, scratch, out, dest)
        assert third.status == "successful", third
        assert _changes(report) == {
            "regressions": [], "fixed": [("lyon", "mac07", endpoint("updates.cdn-apple.com"), "timeout", "ok")],
            "changed": []}, report["drift"]
    finally:
        fleet_macs.intercept("mac02", on=True)
        if "fleettest" in subprocess.run(["ip", "netns", "exec", fleet_macs.macs["mac07"], "nft", "list", "tables"],
                                         capture_output=True, text=True, check=False).stdout:
            fleet_macs.drop_port("mac07", on=False)
