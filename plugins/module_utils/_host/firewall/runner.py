# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The commands firewall_rules runs on the host, its state files and its rollback watchdog (standard library only).

:class:`Runner` runs each command with the module's ``run_command``, records the ones that change the host (the
module's RV ``commands``) and fails the module on an unexpected exit code.
"""

from __future__ import annotations

import os
import uuid

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.files import write_atomic
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import rollback


class Runner:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.commands = []
        self.state_dir = module.params["state_dir"]

    def run(self, argv, data=None, check_rc=True, record=True):
        rc, out, err = self.module.run_command(argv, data=data, binary_data=True)
        if record:
            self.commands.append(" ".join(argv))
        if check_rc and rc != 0:
            self.module.fail_json(msg="%s failed (rc %d): %s" % (" ".join(argv), rc, (err or out).strip()),
                                  commands=self.commands, rc=rc, stderr=err, stdout=out)
        return rc, out, err

    def write_state_file(self, name, content):
        if not os.path.isdir(self.state_dir):
            os.makedirs(self.state_dir, 0o700)
        path = os.path.join(self.state_dir, name)
        write_atomic(path, content.encode("utf-8"), 0o600)
        return path

    def read_state_file(self, name):
        try:
            with rollback.open_state_file(os.path.join(self.state_dir, name)) as handle:
                return handle.read()
        except (IOError, OSError):
            return None

    def remove_state_file(self, name):
        try:
            os.unlink(os.path.join(self.state_dir, name))
        except OSError:
            pass

    def arm(self, name, backend, restore_argv, restore_input_text, token=None, discard=()):
        timeout = self.params["rollback_timeout"]
        if timeout <= 0:
            return {}
        token = token or uuid.uuid4().hex
        restore_file = rollback.restore_input_path(self.state_dir, name, backend)
        self.write_state_file(os.path.basename(restore_file), restore_input_text)
        try:
            pid = rollback.arm(self.module.run_command, self.state_dir, name, backend, token, timeout, restore_argv,
                               restore_file, discard)
        except OSError as exc:
            self.module.fail_json(msg="the change was applied, but its rollback watchdog could not be armed: %s" % exc,
                                  commands=self.commands)
        return {"token": token, "timeout": timeout, "pid": pid,
                "marker": rollback.pending_path(self.state_dir, name, backend)}
