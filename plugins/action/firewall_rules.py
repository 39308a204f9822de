# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin for firewall_rules: a cheap no-change check, apply, then prove the controller can still reach
the host and confirm.

The options are validated on the controller exactly as the module validates them. The live table or chains
(and the iptables save files, and the host's resolver files when DNS is kept without fixed name servers) are then
read with one shell command and compared with the rendered ruleset by the same pure code the module uses; when
nothing would change, the result is reported without transferring and running the module. Any doubt (a failed
read, a backend not covered) runs the module.

Like community.general.iptables_state: after a change with a rollback timeout, the connection is
reset and the change is confirmed over a *new* connection (one shell command that claims the pending
marker, stops the watchdog and renames the staged iptables save files into place). If that fails, the
host-side watchdog restores the previous ruleset (and removes the staged files) when the timeout expires.
"""

from __future__ import annotations

import shlex
import uuid

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import argspec
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import rollback
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import validation
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import FirewallInputError
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.summary import essentials_warnings
from ansible_collections.macfleet.apple_network.plugins.plugin_utils import _firewall_probe as probe

MODULE = "macfleet.apple_network.firewall_rules"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True

    def _connection_port(self):
        """The port the controller connects to, for connection plugins that have one (such as ssh); else None."""
        try:
            port = self._connection.get_option("port")
        except (KeyError, AnsibleError):
            return None
        return port if isinstance(port, int) and not isinstance(port, bool) else None

    def _validated(self):
        """The options as the module will see them: validated, ``selection`` taken, the connection's port added."""
        _validation, params = self.validate_argument_spec(argument_spec=argspec.ARGUMENT_SPEC,
                                                          mutually_exclusive=argspec.MUTUALLY_EXCLUSIVE)
        argspec.take_selection(params)
        port = self._connection_port()
        if params["keep_current_connection"] and port is not None:
            params["management_ports"] = list(params["management_ports"]) + [port]
        return params

    def _unchanged(self, params):
        """The module's no-change result when the live state proves nothing would change, else None."""
        boundary = "MACFLEET-%s" % uuid.uuid4().hex
        script = probe.probe_script(params, boundary)
        if script is None or params["confirm"] is not None:
            return None
        env = self._compute_environment_string()
        res = self._low_level_execute_command("%s/bin/sh -c %s" % (env + " " if env else "", shlex.quote(script)),
                                              sudoable=True)
        sections = probe.parse_probe(to_text(res.get("stdout", ""), errors="surrogate_or_strict"), boundary)
        if res.get("rc") != 0 or sections is None:
            return None
        try:
            # The same spec the module would build: the host's resolver files came with the probe.
            spec, mgmt = validation.validate(params, sections["ssh"], probe.host_files_from_probe(params, sections))
            status = probe.status_from_probe(params, spec, sections)
        except (FirewallInputError, KeyError, ValueError):
            return None
        if not status["in_sync"]:
            return None
        result = probe.unchanged_result(params, status, mgmt, spec)
        warnings = essentials_warnings(spec)
        if warnings:
            result["warnings"] = warnings
        if not self._task.diff:
            result.pop("diff", None)
        return result

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        try:
            params = self._validated()
            validation.validate(params, None)  # bad input fails here, before the host is read
        except FirewallInputError as exc:
            result.update(failed=True, msg=str(exc), changed=False)
            return result
        args = dict(self._task.args, management_ports=params["management_ports"])
        unchanged = self._unchanged(params)
        if unchanged is not None:
            result.update(unchanged)
            return result
        applied = self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
        result.update(applied)
        pending = applied.get("rollback") or {}
        if applied.get("failed") or not pending.get("token"):
            return result
        moves = [(item["staged"], item["path"]) for item in pending.get("saves", [])]
        script = rollback.confirm_script(pending["marker"], pending["token"], moves)
        # Clean up the remote temporary directory while the first connection still works.
        self._remove_tmp_path(self._connection._shell.tmpdir)
        try:
            self._connection.reset()
            confirmed = self._low_level_execute_command("/bin/sh -c %s" % shlex.quote(script), sudoable=True)
        except (AnsibleConnectionFailure, AnsibleError) as exc:
            # Nothing left to clean up that could be reached; do not let cleanup() fail the task differently.
            self._connection._shell.tmpdir = None
            result.update(failed=True, confirmed=False,
                          msg="The firewall was changed but the controller could not reach the host again (%s); "
                              "the host restores the previous ruleset within %d seconds." % (exc, pending["timeout"]))
            return result
        rc = confirmed.get("rc")
        saved = [moves[int(line.split()[1])][1] for line in to_text(confirmed.get("stdout", "")).splitlines()
                 if line.startswith("saved ") and line.split()[1].isdigit() and int(line.split()[1]) < len(moves)]
        if rc in rollback.CONFIRM_REASONS or rc not in (0, rollback.CONFIRM_SAVE_FAILED):
            reason = rollback.CONFIRM_REASONS.get(rc, "rc %s: %s" % (rc, to_text(confirmed.get("stderr", "")).strip()))
            result.update(failed=True, confirmed=False,
                          msg="Confirmation failed: %s; the previous ruleset is (or will be) restored within %d seconds."
                              % (reason, pending["timeout"]))
            return result
        result["confirmed"] = True
        if "saved" in result:
            result["saved"] = saved
        if rc == rollback.CONFIRM_SAVE_FAILED:
            result.update(failed=True, msg="The change is confirmed, but renaming the staged save files into place "
                                           "failed: %s" % to_text(confirmed.get("stderr", "")).strip())
        return result
