# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run one task or role through real ansible-playbook and capture its registered result.

The shared ``run_playbook`` fixture asks for the ``ansible.builtin.json`` callback, which ansible-core 2.19
does not ship (it lives in ansible.posix); these tests write the registered result to a file instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

COLLECTIONS_PATH = Path(__file__).resolve().parents[6]


class Run:
    def __init__(self, proc, result):
        self.proc = proc
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.result = result

    def __repr__(self):
        return "Run(rc=%s)\nSTDOUT:\n%s\nSTDERR:\n%s" % (self.rc, self.stdout[-5000:], self.stderr[-2000:])


def run_tasks(workdir, tasks, play_vars=None, check=False, diff=True, registers=("r",)):
    """Run tasks on localhost and return :class:`Run` whose ``result`` maps each name in ``registers`` to
    that registered variable (``{}`` when the task did not run), plus ``_failed_task``."""
    workdir = Path(workdir)
    out = workdir / ("result-%s.json" % uuid.uuid4().hex[:8])
    play = [{
        "hosts": "localhost",
        "gather_facts": False,
        "vars": play_vars or {},
        "tasks": [
            {"name": "Under test", "block": tasks, "rescue": [{"name": "Failed", "ansible.builtin.set_fact": {"_failed": True}}],
             "always": [{"name": "Save the result", "ansible.builtin.copy": {
                 "content": "{{ {%s} | combine({'_failed_task': _failed | default(false)}) | to_json }}"
                            % ", ".join("'%s': %s | default({})" % (name, name) for name in registers),
                 "dest": str(out), "mode": "0600"}, "check_mode": False, "diff": False}]},
        ],
    }]
    playbook = workdir / ("play-%s.yml" % uuid.uuid4().hex[:8])
    playbook.write_text(json.dumps(play))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_PATH), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_RETRY_FILES_ENABLED="0")
    cmd = ["ansible-playbook", "-i", "localhost,", "-c", "local", str(playbook)]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False)
    result = json.loads(out.read_text()) if out.exists() else None
    out.unlink(missing_ok=True)
    playbook.unlink()
    return Run(proc, result)
