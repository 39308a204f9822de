# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The endpoint_probe action plugin's result file and summary, its group rule and its interpreter discovery.

The module run and the connection are replaced by recorders; the catalog, the result-set model and the file
writing are real.
"""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible.errors import AnsibleConnectionFailure
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins.loader import connection_loader
from ansible.template import Templar

from ansible_collections.macfleet.apple_network.plugins.action.endpoint_probe import (
    FAILURE_LINES,
    ActionModule,
    group_of,
    write_atomically,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.options import ProbeInputError
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._output_paths import COLLECTION_DIR

TARGETS = [{"host": "swscan.apple.com", "port": 443}, {"host": "swcdn.apple.com", "port": 443}]


def cell(host, status, verdict, category):
    return {"target": {"host": host, "port": 443, "protocol": "tcp"}, "status": status, "verdict": verdict,
            "category": category, "message": "%s: %s" % (host, verdict), "path": {"mode": "direct"},
            "timings_ms": {"total": 3}, "dns": {"addresses": ["192.0.2.1"]}, "tcp": {"connected": True},
            "tls": {"verified": status == "ok", "interception": category == "intercepted", "resigned_by": None,
                    "trust": {"decided_by": "anchors"}, "chain": [{"subject": "CN=x", "issuer": "CN=y", "sha256": "00"}],
                    "issuers_seen": ["CN=y"]},
            "http": None, "ntp": None, "proxy": None}


MODULE_RESULT = {
    "changed": False,
    "results": [cell("swscan.apple.com", "ok", "ok", "ok"), cell("swcdn.apple.com", "intercepted", "intercepted", "intercepted")],
    "summary": {"total": 2, "ok": 1, "failed": 0, "intercepted": 1, "skipped": 0},
    "generated_at": "2026-12-07T06:00:00Z",
    "environment": {"python": "3.9.6 (/usr/bin/python3)"},
    "invocation": {"module_args": {"targets": TARGETS * 35}},
}


class Recorder(ActionModule):
    """The action plugin with the module run and the shell command recorded instead of sent."""

    module_result = MODULE_RESULT
    discovery_output = None
    connection_error = None

    def _execute_module(self, module_name=None, module_args=None, tmp=None, task_vars=None, **kwargs):
        self.executed = {"module_args": module_args, "interpreter": (task_vars or {}).get("ansible_python_interpreter")}
        if self.connection_error:
            raise AnsibleConnectionFailure(self.connection_error)
        return json.loads(json.dumps(self.module_result))

    def _low_level_execute_command(self, cmd, sudoable=True, in_data=None, executable=None, encoding_errors="surrogate_then_replace",
                                   chdir=None):
        self.commands = getattr(self, "commands", []) + [cmd]
        if self.connection_error:
            raise AnsibleConnectionFailure(self.connection_error)
        return self.discovery_output


def action(args, check_mode=False, **attributes):
    play_context = PlayContext()
    connection = connection_loader.get("ansible.builtin.local", play_context)
    task = Task()
    task.args = args
    task.check_mode = check_mode
    loader = DataLoader()
    plugin = Recorder(task, connection, play_context, loader, Templar(loader=loader), None)
    for name, value in attributes.items():
        setattr(plugin, name, value)
    return plugin


def task_vars(**extra):
    return dict({"inventory_hostname": "mac-01", "group_names": ["macs"], "ansible_facts": {}}, **extra)


def test_result_file_is_written_and_the_play_gets_a_summary(tmp_path):
    plugin = action({"targets": TARGETS, "result_dir": str(tmp_path / "results"), "group_by": "site"})
    result = plugin.run(task_vars=task_vars(site="paris"))
    path = tmp_path / "results" / "mac-01.json"
    assert result["result_file"] == str(path) and result["written"] is True
    assert "results" not in result and "invocation" not in result and "environment" not in result, result
    assert result["summary"]["intercepted"] == 1 and result["group"] == "paris" and result["detail"] == "compact"
    assert result["failure_count"] == 1 and result["failures"] == ["swcdn.apple.com:443/tcp intercepted: swcdn.apple.com: intercepted"]
    assert result["python"] == "3.9.6 (/usr/bin/python3)" and not result.get("failed")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert [p.name for p in path.parent.iterdir()] == ["mac-01.json"], "no temporary file is left"
    data = json.loads(path.read_text())
    assert (data["format"], data["host"], data["group"], data["detail"]) == (2, "mac-01", "paris", "compact")
    ok, intercepted = data["results"]
    assert "dns" not in ok and set(ok["tls"]) == {"verified", "interception", "resigned_by", "trust"}
    assert intercepted["dns"] and intercepted["tls"]["chain"], "a cell that needs a change keeps its evidence"
    assert len(json.dumps(result)) < 2000


def test_a_relative_result_dir_means_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = action({"targets": TARGETS, "result_dir": "probe-output"}).run(task_vars=task_vars())
    assert result["result_file"] == str(tmp_path / "probe-output" / "mac-01.json")
    assert (tmp_path / "probe-output" / "mac-01.json").is_file()


def test_a_result_dir_inside_the_collection_is_refused_before_the_probe(tmp_path):
    inside = os.path.join(COLLECTION_DIR, "playbooks", "probe-output")
    plugin = action({"targets": TARGETS, "result_dir": inside})
    result = plugin.run(task_vars=task_vars())
    assert result["failed"] and "result_dir: %s is inside the installed collection" % inside in result["msg"], result
    assert not hasattr(plugin, "executed") and not os.path.exists(inside)


def test_detail_full_keeps_every_cell_whole(tmp_path):
    action({"targets": TARGETS, "result_dir": str(tmp_path), "detail": "full"}).run(task_vars=task_vars())
    ok = json.loads((tmp_path / "mac-01.json").read_text())["results"][0]
    assert ok["dns"] and ok["tls"]["chain"]


def test_failure_lines_are_bounded(tmp_path):
    failing = [dict(cell("h%02d.apple.com" % i, "failed", "refused", "blocked"), message="x" * 500) for i in range(30)]
    plugin = action({"targets": TARGETS, "result_dir": str(tmp_path)}, module_result=dict(MODULE_RESULT, results=failing))
    result = plugin.run(task_vars=task_vars())
    assert result["failure_count"] == 30 and len(result["failures"]) == FAILURE_LINES
    assert all(len(line) <= 200 for line in result["failures"])


def test_check_mode_probes_and_writes_nothing(tmp_path):
    result = action({"targets": TARGETS, "result_dir": str(tmp_path / "results")}, check_mode=True).run(task_vars=task_vars())
    assert result["written"] is False and result["summary"]["total"] == 2
    assert not (tmp_path / "results").exists()


def test_without_result_dir_the_module_result_is_returned_whole():
    result = action({"targets": TARGETS}).run(task_vars=task_vars())
    assert len(result["results"]) == 2 and "result_file" not in result


def test_an_unreachable_host_gets_an_unchecked_file_and_stays_unreachable(tmp_path):
    plugin = action({"targets": TARGETS, "result_dir": str(tmp_path)}, connection_error="ssh: connect to host 192.0.2.9 port 22: Connection refused")
    result = plugin.run(task_vars=task_vars())
    assert result["unreachable"] is True and result["msg"].startswith("not checked: unreachable: ")
    data = json.loads((tmp_path / "mac-01.json").read_text())
    assert data["unchecked"]["reason"] == "unreachable" and "Connection refused" in data["unchecked"]["message"]
    assert data["results"] == []


def test_discovery_without_python_never_runs_the_module(tmp_path):
    stdout = "os=Darwin\nskip=/usr/bin/python3 Apple's stub: the Command Line Tools are not installed (xcode-select -p)\nend=1\n"
    output = {"rc": 0, "stdout": stdout, "stderr": ""}
    plugin = action({"targets": TARGETS, "result_dir": str(tmp_path), "discover_python": True}, discovery_output=output)
    result = plugin.run(task_vars=task_vars(ansible_python_interpreter="/usr/bin/python3"))
    assert not hasattr(plugin, "executed"), "the module must not start"
    assert "given=/usr/bin/python3\n" in plugin.commands[0], plugin.commands
    assert result["failed"] is True and result["unchecked"]["reason"] == "no_python"
    data = json.loads((tmp_path / "mac-01.json").read_text())
    assert data["unchecked"]["reason"] == "no_python" and "Command Line Tools" in data["unchecked"]["remedy"]
    assert "/usr/bin/python3: Apple's stub" in data["unchecked"]["message"]


def test_discovery_runs_the_module_with_the_interpreter_found(tmp_path):
    framework = "/Library/ManagedFrameworks/Python/Python3.framework/Versions/Current/bin/python3"
    output = {"rc": 0, "stdout": "os=Darwin\ninterpreter=%s\nend=1\n" % framework, "stderr": ""}
    plugin = action({"targets": TARGETS, "result_dir": str(tmp_path), "discover_python": True}, discovery_output=output)
    plugin.run(task_vars=task_vars())
    assert plugin.executed["interpreter"] == framework
    assert "discover_python" not in plugin.executed["module_args"] and "result_dir" not in plugin.executed["module_args"]


def test_group_rule():
    assert group_of("site", {"site": "paris"}, ["site_lyon"]) == "paris"
    assert group_of("site", {}, ["macs", "site_lyon", "site_bordeaux"]) == "site_bordeaux"
    assert group_of("site", {}, ["macs", "site_"]) is None
    assert group_of("site", {"site": 12}, []) == "12"
    assert group_of(None, {"site": "paris"}, []) is None
    with pytest.raises(ProbeInputError, match="group_by: the host variable site"):
        group_of("site", {"site": ["a"]}, [])


@pytest.mark.parametrize("host", ["../x", "a/b", ".", ".."])
def test_a_host_name_that_is_no_file_name_is_refused(tmp_path, host):
    result = action({"targets": TARGETS, "result_dir": str(tmp_path)}).run(task_vars=task_vars(inventory_hostname=host))
    assert result["failed"] and "cannot name a result file" in result["msg"]
    assert not list(tmp_path.iterdir())


def test_write_atomically_replaces_the_file(tmp_path):
    path = tmp_path / "d" / "mac.json"
    write_atomically(str(path), {"a": 1})
    write_atomically(str(path), {"a": 2})
    assert json.loads(path.read_text()) == {"a": 2} and len(list(path.parent.iterdir())) == 1


def test_a_failed_discovery_command_is_a_module_error(tmp_path):
    output = {"rc": 127, "stdout": "", "stderr": "/bin/sh: not found"}
    plugin = action({"targets": TARGETS, "result_dir": str(tmp_path), "discover_python": True}, discovery_output=output)
    result = plugin.run(task_vars=task_vars())
    assert not hasattr(plugin, "executed")
    assert result["unchecked"]["reason"] == "module_error" and "/bin/sh: not found" in result["unchecked"]["message"]
