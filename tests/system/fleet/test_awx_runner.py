# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ansible-runner runs every playbook the way AWX does: a private data dir, a project whose site.yml
imports the collection playbook, extra vars from the survey defaults, a local inventory; then the job
status and the job events are checked. New playbooks are picked up automatically; a playbook that
needs more (an inventory of namespace hosts, required answers without defaults) gets a fixture in
runner_fixtures/<playbook>.yml (see awx_contract.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import ansible_runner
import pytest
import yaml
from ansible.inventory.helpers import get_group_vars
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader

from awx_contract import extravars_from_defaults, load_survey, playbooks, runner_fixture
from conftest import COLLECTION_ROOT, COLLECTIONS_PATH, host_rulesets

PLAYBOOKS = [p.stem for p in playbooks(COLLECTION_ROOT)]
VALIDATE_TASK = "Validate the job's variables"


def _fill(value, private_data_dir, netns=None):
    """Fill the fixture placeholders {private_data_dir}, {collection_root}, {python} and {netns}."""
    if isinstance(value, str):
        value = (value.replace("{private_data_dir}", str(private_data_dir)).replace("{collection_root}", str(COLLECTION_ROOT))
                 .replace("{python}", sys.executable))
        return value.replace("{netns}", netns) if netns else value
    if isinstance(value, list):
        return [_fill(v, private_data_dir, netns) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, private_data_dir, netns) for k, v in value.items()}
    return value


def _write_files(files, private_data_dir, netns):
    """The fixture's ``files``: ``{path, content}`` or ``{path, src}`` (relative to the collection), optional ``mode``."""
    for item in files or []:
        item = _fill(item, private_data_dir, netns)
        path = Path(item["path"])
        assert path.resolve().is_relative_to(Path(private_data_dir).resolve()), "fixture file %s is outside the private data dir" % path
        path.parent.mkdir(parents=True, exist_ok=True)
        if "src" in item:
            shutil.copyfile(COLLECTION_ROOT / item["src"], path)
        else:
            path.write_text(item["content"])
        path.chmod(int(str(item.get("mode", "0644")), 8))


class Job:
    def __init__(self, runner, private_data_dir):
        self.runner = runner
        self.status = runner.status
        self.rc = runner.rc
        self.private_data_dir = private_data_dir
        events_dir = Path(runner.config.artifact_dir) / "job_events"
        self.events = sorted((json.loads(p.read_text()) for p in events_dir.glob("*.json")), key=lambda e: e["counter"])
        self.stdout = (Path(runner.config.artifact_dir) / "stdout").read_text()

    def of(self, kind):
        return [e for e in self.events if e["event"] == kind]

    def task_names(self):
        return [e["event_data"]["task"] for e in self.of("playbook_on_task_start")]

    def __repr__(self):
        return "Job(status=%s, rc=%s)\n%s" % (self.status, self.rc, self.stdout[-6000:])


def run_job(scratch, name, extravars, cmdline=None, fixture=None, netns=None):
    fixture = fixture or {}
    private = scratch / ("runner-%s-%s" % (name, uuid.uuid4().hex[:6]))
    (private / "project").mkdir(parents=True)
    (private / "inventory").mkdir()
    (private / "env").mkdir()
    _write_files(fixture.get("files"), private, netns)
    (private / "project" / "site.yml").write_text(
        "---\n- name: AWX job template for %s\n  ansible.builtin.import_playbook: macfleet.apple_network.%s\n" % (name, name))
    (private / "inventory" / "hosts").write_text(
        _fill(fixture.get("inventory"), private, netns)
        or "localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    (private / "env" / "extravars").write_text(yaml.safe_dump(_fill(extravars, private, netns)))
    (private / "env" / "envvars").write_text(yaml.safe_dump({
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_PATH),
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_NOCOLOR": "1",
    }))
    (private / "env" / "settings").write_text(yaml.safe_dump({"process_isolation": False, "job_timeout": 600, "idle_timeout": 300}))
    if cmdline:
        (private / "env" / "cmdline").write_text(cmdline)
    before = host_rulesets() if netns else None
    runner = ansible_runner.run(private_data_dir=str(private), playbook="site.yml", ident="job", quiet=True)
    if netns:
        assert host_rulesets() == before, "the job changed the host's own firewall"
    return Job(runner, private)


def job_vars(name):
    survey = load_survey(COLLECTION_ROOT, name)
    assert survey is not None, "playbooks/%s.yml has no survey" % name
    fixture = runner_fixture(COLLECTION_ROOT, name)
    extravars = extravars_from_defaults(survey)
    extravars.update(fixture.get("extravars") or {})
    return survey, fixture, extravars


def fixture_netns(request, fixture):
    """A network namespace for the job when the fixture asks for one (``netns: true``); removed afterwards."""
    if not fixture.get("netns"):
        return None
    return request.getfixturevalue("netns").add("awx")


@pytest.mark.parametrize("name", PLAYBOOKS)
def test_playbook_runs_like_an_awx_job(request, scratch, name):
    _survey, fixture, extravars = job_vars(name)
    netns = fixture_netns(request, fixture)
    job = run_job(scratch, name, extravars, fixture=fixture, netns=netns)
    assert job.status == "successful" and job.rc == 0, job
    assert job.of("playbook_on_start") and job.of("playbook_on_stats"), job
    assert not job.of("runner_on_failed") and not job.of("runner_on_unreachable"), job
    assert job.task_names()[0] == VALIDATE_TASK, job.task_names()
    stats = job.of("playbook_on_stats")[-1]["event_data"]
    assert not stats["failures"] and not stats["dark"], stats
    for path in _fill(fixture.get("expect_files") or [], job.private_data_dir, netns):
        assert Path(path).is_file(), "%s was not written\n%r" % (path, job)
    for task, expected in (fixture.get("expect_results") or {}).items():
        results = [e["event_data"]["res"] for e in job.of("runner_on_ok") if e["event_data"]["task"] == task]
        assert results, "task %r did not run\n%r" % (task, job)
        for res in results:
            for key, value in _fill(expected, job.private_data_dir, netns).items():
                assert res.get(key) == value, "task %r: %s=%r, expected %r" % (task, key, res.get(key), value)
    if netns and fixture.get("netns_expect"):
        expect = fixture["netns_expect"]
        out = subprocess.run(["ip", "netns", "exec", netns] + expect["command"], capture_output=True, text=True, check=True).stdout
        for text in expect["contains"]:
            assert text in out, "%r not in the namespace's %s:\n%s" % (text, " ".join(expect["command"]), out)


@pytest.mark.parametrize("name", PLAYBOOKS)
def test_playbook_is_safe_in_check_mode(request, scratch, name):
    _survey, fixture, extravars = job_vars(name)
    netns = fixture_netns(request, fixture)
    job = run_job(scratch, name, extravars, cmdline="--check", fixture=fixture, netns=netns)
    assert job.status == "successful", job
    for path in _fill(fixture.get("check_mode_absent") or [], job.private_data_dir, netns):
        assert not Path(path).exists(), "%s was written in check mode" % path


def slice_inventories(scratch, inventory, count):
    """The inventories of an AWX job sliced ``count`` ways: the hosts sorted by name, dealt round-robin; each
    slice holds only its own hosts, in their groups, with their variables (as AWX builds slice inventories)."""
    source = scratch / ("inventory-%s.ini" % uuid.uuid4().hex[:6])
    source.write_text(inventory)
    manager = InventoryManager(loader=DataLoader(), sources=[str(source)])
    hosts = sorted(h.name for h in manager.get_hosts())
    slices = []
    for index in range(count):
        mine = hosts[index::count]
        groups = {}
        for group in manager.groups.values():
            members = [h.name for h in group.get_hosts() if h.name in mine]
            if members and group.name not in ("all", "ungrouped"):
                groups[group.name] = {"hosts": dict((h, None) for h in members)}
        host_vars = {}
        for name in mine:
            host = manager.get_host(name)
            host_vars[name] = dict(get_group_vars(host.get_groups()), **host.vars)
            for magic in ("inventory_file", "inventory_dir"):
                host_vars[name].pop(magic, None)
        # json round trip: the inventory's strings are ansible-core's tagged str subclasses.
        slices.append((mine, yaml.safe_dump(json.loads(json.dumps({"all": {"hosts": host_vars, "children": groups}})))))
    return slices


@pytest.mark.parametrize("name", PLAYBOOKS)
def test_playbook_runs_in_job_slices(request, scratch, name):
    """Two slices of the job, each with only its own hosts, both succeed and touch only their own hosts:
    the playbook keeps no state across hosts."""
    _survey, fixture, extravars = job_vars(name)
    if not fixture.get("inventory"):
        pytest.skip("%s runs on localhost only" % name)
    slices = slice_inventories(scratch, fixture["inventory"], 2)
    if not all(hosts for hosts, _inventory in slices):
        pytest.skip("the fixture inventory of %s has a single host" % name)
    netns = fixture_netns(request, fixture)
    for hosts, inventory in slices:
        job = run_job(scratch, name, extravars, fixture=dict(fixture, inventory=inventory), netns=netns)
        assert job.status == "successful", job
        touched = {e["event_data"]["host"] for e in job.events if e["event"].startswith("runner_on_")}
        # A play on the controller (implicit localhost: artifacts, the report) is not a slice host.
        managed = touched - {"localhost"}
        assert managed and managed <= set(hosts), (hosts, touched)


def _bad_answers(survey):
    """Answers a survey could be bypassed with (API calls, relaunch with extra vars): outside choices, wrong type."""
    bad = {}
    for question in survey["spec"]:
        var, qtype = question["variable"], question["type"]
        if qtype == "multiselect":
            bad[var] = ["not-a-choice"]
        elif qtype == "multiplechoice":
            bad[var] = "not-a-choice"
        elif qtype in ("integer", "float"):
            bad[var] = "not-a-number"
    return bad


@pytest.mark.parametrize("name", PLAYBOOKS)
def test_bad_survey_input_fails_at_validation(request, scratch, name):
    survey, fixture, extravars = job_vars(name)
    bad = _bad_answers(survey)
    if not bad:
        pytest.skip("the survey of %s has no question with choices or a number type" % name)
    netns = fixture_netns(request, fixture)
    job = run_job(scratch, name, dict(extravars, **bad), fixture=fixture, netns=netns)
    assert job.status == "failed", job
    # Only the validation task ran: no host was touched.
    assert job.task_names() == [VALIDATE_TASK], job.task_names()
    failed = job.of("runner_on_failed")
    assert failed and all(e["event_data"]["task"] == VALIDATE_TASK for e in failed), job
    message = failed[0]["event_data"]["res"]["msg"]
    for var in bad:
        assert var in message, message
    assert not job.of("runner_on_ok"), job


def test_wrong_type_is_named(scratch):
    """A list answer given as a mapping (the API accepts any JSON) fails with the variable's name."""
    _survey, fixture, extravars = job_vars("report")
    job = run_job(scratch, "report", dict(extravars, macfleet_report_formats={"html": True}))
    assert job.status == "failed", job
    assert job.task_names() == [VALIDATE_TASK]
    message = job.of("runner_on_failed")[0]["event_data"]["res"]["msg"]
    assert "macfleet_report_formats" in message and "unable to convert to list" in message, message
    assert not Path(job.private_data_dir / "report").exists()


def test_report_job_merges_two_slices(scratch):
    _survey, _fixture, extravars = job_vars("report")
    job = run_job(scratch, "report", extravars)
    assert job.status == "successful", job
    [written] = [e for e in job.of("runner_on_ok") if e["event_data"]["task"] == "Write the readiness report"]
    res = written["event_data"]["res"]
    assert res["host_count"] == 3 and res["interception_count"] == 1
    assert [d["host"] for d in res["duplicates"]] == ["mac-02"]
    report = json.loads((job.private_data_dir / "report" / "readiness.json").read_text())
    assert report["totals"]["intercepted"] == 1
