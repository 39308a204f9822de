# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The firewall_rules action plugin's view of the options: the connection's port is kept, the selection taken whole.

Real connection plugins (ssh, local) with their options set as Ansible sets them from inventory variables; nothing
connects.
"""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins.loader import connection_loader
from ansible.template import Templar

from ansible_collections.macfleet.apple_network.plugins.action.firewall_rules import ActionModule

RULES = [{"direction": "ingress", "protocol": "tcp", "ports": [5900]}]


def action(args, connection="ansible.builtin.local", variables=None):
    play_context = PlayContext()
    plugin = connection_loader.get(connection, play_context)
    plugin.set_options(var_options=variables or {})
    task = Task()
    task.args = args
    loader = DataLoader()
    return ActionModule(task, plugin, play_context, loader, Templar(loader=loader), None)


def test_the_port_ansible_connects_to_is_kept():
    params = action({"rules": RULES}, "ansible.builtin.ssh", {"ansible_port": 2222})._validated()
    assert params["management_ports"] == [22, 2222]


def test_the_port_is_not_added_when_the_current_connection_is_not_kept():
    params = action({"rules": RULES, "keep_current_connection": False}, "ansible.builtin.ssh", {"ansible_port": 2222})._validated()
    assert params["management_ports"] == [22]


@pytest.mark.parametrize("connection, variables", [
    ("ansible.builtin.local", {"ansible_port": 2222}),  # the local connection has no port
    ("ansible.builtin.ssh", {}),  # no port set: ssh's own configuration decides, SSH_CONNECTION tells the module
])
def test_no_port_without_one_the_connection_uses(connection, variables):
    assert action({"rules": RULES, "management_ports": [2200]}, connection, variables)._validated()["management_ports"] == [2200]


def test_the_selection_is_taken_whole():
    selection = {"rules": RULES, "destinations": ["17.0.0.0/8"], "resolved_destinations": ["192.0.2.7"],
                 "record_ids": {"ingress": ["x"]}, "hosts": ["a.example"], "destination_ids": [], "unresolved": []}
    params = action({"selection": selection})._validated()
    assert (params["rules"], params["destinations"], params["resolved_destinations"]) == (
        RULES, ["17.0.0.0/8"], ["192.0.2.7"])


def test_selection_and_rules_are_mutually_exclusive():
    with pytest.raises(AnsibleActionFail, match=r"mutually exclusive: selection\|rules"):
        action({"selection": {"rules": RULES}, "rules": RULES})._validated()
