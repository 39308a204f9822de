# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The readiness_report action plugin gives the module absolute paths resolved on the controller.

The module run is replaced by a recorder; the module itself is tested in tests/unit/plugins/modules.
"""

from __future__ import annotations

import os

from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins.loader import connection_loader
from ansible.template import Templar

from ansible_collections.macfleet.apple_network.plugins.action.readiness_report import ActionModule
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._output_paths import COLLECTION_DIR


class Recorder(ActionModule):
    def _execute_module(self, module_name=None, module_args=None, tmp=None, task_vars=None, **kwargs):
        self.executed = {"module_name": module_name, "module_args": module_args}
        return {"changed": True, "files": {"json": os.path.join(module_args["dest"], "readiness.json")}}


def action(args):
    play_context = PlayContext()
    task = Task()
    task.args = args
    loader = DataLoader()
    return Recorder(task, connection_loader.get("ansible.builtin.local", play_context), play_context, loader,
                    Templar(loader=loader), None)


def test_relative_paths_mean_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plugin = action({"src": ["probe-output", "/abs/slice-2/"], "dest": "report", "previous": "old/readiness.json",
                     "formats": ["json"]})
    result = plugin.run(task_vars={})
    assert plugin.executed["module_name"] == "macfleet.apple_network.readiness_report"
    assert plugin.executed["module_args"] == {"src": [str(tmp_path / "probe-output"), "/abs/slice-2"],
                                              "dest": str(tmp_path / "report"),
                                              "previous": str(tmp_path / "old" / "readiness.json"), "formats": ["json"]}
    assert result["files"] == {"json": str(tmp_path / "report" / "readiness.json")}


def test_a_single_src_and_result_sets_only(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plugin = action({"src": "probe-output", "dest": "~/report"})
    plugin.run(task_vars={})
    assert plugin.executed["module_args"]["src"] == [str(tmp_path / "probe-output")]
    assert plugin.executed["module_args"]["dest"] == os.path.expanduser("~/report")
    plugin = action({"result_sets": [], "dest": "/srv/report"})
    plugin.run(task_vars={})
    assert plugin.executed["module_args"] == {"result_sets": [], "dest": "/srv/report"}


def test_a_dest_inside_the_collection_is_refused(monkeypatch):
    monkeypatch.chdir(os.path.join(COLLECTION_DIR, "playbooks"))
    plugin = action({"src": [os.path.join(COLLECTION_DIR, "playbooks")], "dest": "report"})
    result = plugin.run(task_vars={})
    inside = os.path.join(COLLECTION_DIR, "playbooks", "report")
    assert result["failed"] and not result["changed"]
    assert result["msg"] == ("macfleet.apple_network.readiness_report: dest: %s is inside the installed collection (%s), "
                             "which a job never writes to; give an absolute path or one relative to the directory "
                             "ansible-playbook runs in" % (inside, COLLECTION_DIR))
    assert not hasattr(plugin, "executed")


def test_a_bad_src_entry_is_named():
    result = action({"src": ["ok", 5], "dest": "/srv/report"}).run(task_vars={})
    assert result["failed"] and result["msg"] == "macfleet.apple_network.readiness_report: src[1]: 5 is not a path"
