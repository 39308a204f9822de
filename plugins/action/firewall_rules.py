# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin for firewall_rules: apply, then prove the controller can still reach the host and confirm.

Like community.general.iptables_state: after a change with a rollback timeout, the connection is
reset and the module is run again over a *new* connection with ``confirm``. If that fails, the
host-side watchdog restores the previous ruleset when the timeout expires.
"""

from __future__ import annotations

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.plugins.action import ActionBase

MODULE = "macfleet.apple_network.firewall_rules"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        applied = self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
        result.update(applied)
        pending = applied.get("rollback") or {}
        if applied.get("failed") or not pending.get("token"):
            return result
        confirm_args = dict((key, args[key]) for key in ("backend", "name", "state_dir") if key in args)
        confirm_args["confirm"] = pending["token"]
        # Clean up the remote temporary directory while the first connection still works.
        self._remove_tmp_path(self._connection._shell.tmpdir)
        try:
            self._connection.reset()
            confirmed = self._execute_module(module_name=MODULE, module_args=confirm_args, task_vars=task_vars)
            self._remove_tmp_path(self._connection._shell.tmpdir)
        except (AnsibleConnectionFailure, AnsibleError) as exc:
            # Nothing left to clean up that could be reached; do not let cleanup() fail the task differently.
            self._connection._shell.tmpdir = None
            result.update(failed=True, confirmed=False,
                          msg="The firewall was changed but the controller could not reach the host again (%s); "
                              "the host restores the previous ruleset within %d seconds." % (exc, pending["timeout"]))
            return result
        if confirmed.get("failed") or confirmed.get("unreachable"):
            result.update(failed=True, confirmed=False,
                          msg="Confirmation failed: %s; the previous ruleset is (or will be) restored within %d seconds."
                              % (confirmed.get("msg"), pending["timeout"]))
            return result
        result["confirmed"] = True
        return result
