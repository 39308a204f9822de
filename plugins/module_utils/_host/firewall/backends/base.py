# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The interface every firewall_rules backend implements (standard library only).

A backend reads the host's current state of what the module owns (:meth:`Backend.read`), compares it with the
rendered ruleset (:meth:`Backend.diff`, built on the backend module's pure ``status`` function, which the action
plugin also uses on what its probe read), then applies the ruleset (:meth:`Backend.apply`) or removes what the module
owns (:meth:`Backend.remove`). :meth:`Backend.snapshot` is the command and input that put the state read back: the
rollback watchdog runs it unless the change is confirmed.
"""

from __future__ import annotations

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import rollback


class Backend:
    """One firewall tool. ``module``: the AnsibleModule; ``runner``: its :class:`runner.Runner`; ``spec``: the
    validated spec (None when nothing is applied: ``state=absent`` or ``confirm``)."""

    backend = None  # the value of the module's backend option

    def __init__(self, module, runner, spec):
        self.module = module
        self.params = module.params
        self.runner = runner
        self.spec = spec
        self.name = spec["name"] if spec else module.params["name"]

    def run(self):
        """Read, compare, then apply or remove: the module's result without the keys every backend shares."""
        current = self.read()
        status = self.diff(current)
        if self.params["state"] == "absent":
            return self.remove(current, status)
        return self.apply(current, status)

    def render(self):
        """The ruleset for the spec as text (RV ``rendered``)."""
        raise NotImplementedError

    def read(self):
        """What the host has now of what the module owns."""
        raise NotImplementedError

    def diff(self, current):
        """What would change from ``current`` (pure): ``{in_sync, diff, ...}``."""
        raise NotImplementedError

    def apply(self, current, status):
        """Make the host's state the rendered ruleset; the result."""
        raise NotImplementedError

    def remove(self, current, status):
        """Remove what the module owns; the result."""
        raise NotImplementedError

    def snapshot(self, current):
        """``(restore_argv, restore_input)``: the command and its input that put ``current`` back."""
        raise NotImplementedError

    def arm(self, current, token=None, discard=()):
        """Start the rollback watchdog that restores :meth:`snapshot` of ``current`` (RV ``rollback``)."""
        restore_argv, restore_input = self.snapshot(current)
        return self.runner.arm(self.name, self.backend, restore_argv, restore_input, token=token, discard=discard)

    def confirm(self):
        """Cancel the pending rollback whose token is the ``confirm`` option; the result."""
        ok, reason = rollback.confirm(self.params["state_dir"], self.params["name"], self.backend, self.params["confirm"])
        if not ok:
            self.module.fail_json(msg=reason, confirmed=False)
        return {"changed": False, "confirmed": True, "commands": self.runner.commands, "rollback": {},
                "management_ports": [], "essentials": {}, "restricted_to": {}, "saved": []}
