# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin for firewall_rules: a cheap no-change check, apply, then prove the controller can still reach
the host and confirm.

The options are validated on the controller exactly as the module validates them. The live table or chains
(and the iptables save files) are then read with one shell command and compared with the rendered ruleset
by the same pure code the module uses; when nothing would change, the result is reported without
transferring and running the module. Any doubt (a failed read, a backend not covered) runs the module.

Like community.general.iptables_state: after a change with a rollback timeout, the connection is
reset and the module is run again over a *new* connection with ``confirm``. If that fails, the
host-side watchdog restores the previous ruleset when the timeout expires.
"""

from __future__ import annotations

import shlex
import uuid

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.macfleet.apple_network.plugins.module_utils._firewall import plan
from ansible_collections.macfleet.apple_network.plugins.module_utils._firewall.spec import FirewallInputError

MODULE = "macfleet.apple_network.firewall_rules"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True

    def _unchanged(self, args):
        """The module's no-change result when the live state proves nothing would change, else None."""
        _validation, params = self.validate_argument_spec(argument_spec=plan.ARGUMENT_SPEC)
        try:
            plan.validate(params, None)  # bad input fails here, before the host is read
        except FirewallInputError as exc:
            return {"failed": True, "msg": str(exc), "changed": False}
        boundary = "MACFLEET-%s" % uuid.uuid4().hex
        script = plan.probe_script(params, boundary)
        if script is None or params["confirm"] is not None:
            return None
        env = self._compute_environment_string()
        res = self._low_level_execute_command("%s/bin/sh -c %s" % (env + " " if env else "", shlex.quote(script)),
                                              sudoable=True)
        sections = plan.parse_probe(to_text(res.get("stdout", ""), errors="surrogate_or_strict"), boundary)
        if res.get("rc") != 0 or sections is None:
            return None
        try:
            spec, mgmt = plan.validate(params, sections["ssh"])
            status = plan.status_from_probe(params, spec, sections)
        except (FirewallInputError, KeyError, ValueError):
            return None
        if not status["in_sync"]:
            return None
        result = plan.unchanged_result(params, status, mgmt)
        if not self._task.diff:
            result.pop("diff", None)
        return result

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        unchanged = self._unchanged(args)
        if unchanged is not None:
            result.update(unchanged)
            return result
        applied = self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
        result.update(applied)
        pending = applied.get("rollback") or {}
        if applied.get("failed") or not pending.get("token"):
            return result
        confirm_args = dict((key, args[key]) for key in plan.CONFIRM_KEYS if key in args)
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
        if "saved" in confirmed:
            # The confirmation run saved the confirmed iptables ruleset (see iptables_save_path).
            result["saved"] = confirmed["saved"]
            result["commands"] = list(result.get("commands", [])) + confirmed.get("commands", [])
            if isinstance(result.get("diff"), list) and isinstance(confirmed.get("diff"), list):
                result["diff"] = result["diff"] + confirmed["diff"]
        return result
