# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: flaky_local
short_description: Test connection that works until it is reset, then can no longer reach the host
description:
  - Simulates a controller that loses the host after a firewall change (tests only).
author: macfleet.apple_network contributors (@macfleet)
options: {}
"""

from ansible.errors import AnsibleConnectionFailure
from ansible.plugins.connection.local import Connection as LocalConnection


class Connection(LocalConnection):
    transport = "flaky_local"
    lost = False

    def reset(self):
        Connection.lost = True

    def exec_command(self, cmd, in_data=None, sudoable=True):
        if Connection.lost:
            raise AnsibleConnectionFailure("simulated: host unreachable after the firewall change")
        return super().exec_command(cmd, in_data=in_data, sudoable=sudoable)

    def put_file(self, in_path, out_path):
        if Connection.lost:
            raise AnsibleConnectionFailure("simulated: host unreachable after the firewall change")
        return super().put_file(in_path, out_path)
