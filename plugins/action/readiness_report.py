# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Controller side of readiness_report: relative paths mean the directory ansible-playbook runs in.

The module runs on the controller, where the local connection starts it in the playbook's folder (inside the
installed collection for the collection's own playbooks); its paths are made absolute here first
(``plugin_utils/_output_paths.py``), and a ``dest`` inside the installed collection is refused.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.macfleet.apple_network.plugins.plugin_utils._output_paths import (
    OutputPathError,
    output_path,
    user_path,
)

MODULE = "macfleet.apple_network.readiness_report"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        try:
            src = args.get("src")
            if isinstance(src, str):
                src = [src]
            if isinstance(src, (list, tuple)):
                args["src"] = [user_path(item, "src[%d]" % index) for index, item in enumerate(src)]
            if args.get("dest") is not None:
                args["dest"] = output_path(args["dest"], "dest")
            if args.get("previous"):
                args["previous"] = user_path(args["previous"], "previous")
        except OutputPathError as exc:
            result.update(failed=True, changed=False, msg="%s: %s" % (MODULE, exc))
            return result
        result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars))
        return result
