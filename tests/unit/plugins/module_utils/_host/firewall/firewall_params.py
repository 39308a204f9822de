# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The firewall tests' inputs: firewall_rules' parameters as Ansible passes them, and builders with defaults."""

from __future__ import annotations

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import argspec


def module_params(**kwargs):
    """Every option's default from the argument spec, then ``kwargs``."""
    result = dict((key, value.get("default")) for key, value in argspec.ARGUMENT_SPEC.items())
    result.update(kwargs)
    return result


def with_defaults(function, **defaults):
    """``function`` called with keyword arguments: ``defaults``, each overridden by a call's own keyword."""

    def call(**kwargs):
        arguments = dict(defaults)
        arguments.update(kwargs)
        return function(**arguments)

    return call
