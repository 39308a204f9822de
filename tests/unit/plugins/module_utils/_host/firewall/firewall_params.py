# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""firewall_rules' parameters as Ansible passes them to the module, for the firewall tests."""

from __future__ import annotations

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import plan


def module_params(*defaults, **kwargs):
    """Every option's default from the argument spec, then each dict of ``defaults`` in turn, then ``kwargs``."""
    result = dict((key, value.get("default")) for key, value in plan.ARGUMENT_SPEC.items())
    for values in defaults:
        result.update(values)
    result.update(kwargs)
    return result
