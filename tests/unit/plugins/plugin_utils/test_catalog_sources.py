# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The job's catalog files, resolved once for the lookups and the action plugins, and the keyword check."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.macfleet.apple_network.plugins.plugin_utils._catalog_lookup import catalog_sources, keyword_checked


class Templar:
    """Renders ``{{ name }}`` from a fixed mapping, enough to prove the variable is templated."""

    def __init__(self, values):
        self.values = values

    def template(self, value):
        if isinstance(value, str) and value.startswith("{{"):
            return self.values[value.strip("{} ")]
        return value


ENV = "MACFLEET_APPLE_NETWORK_CATALOG_FILES"


@pytest.fixture(autouse=True)
def no_environment(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)


def test_task_value_wins(monkeypatch):
    monkeypatch.setenv(ENV, "/env.yml")
    variables = {"macfleet_apple_network_catalog_files": ["/var.yml"]}
    assert catalog_sources(Templar({}), variables, ["/task.yml"]) == (["/task.yml"], None)


@pytest.mark.parametrize("task_value", [None, [], ""])
def test_group_variable_when_the_task_names_none(monkeypatch, task_value):
    # A role or playbook passes its default [] through: the job's group variable still applies.
    monkeypatch.setenv(ENV, "/env.yml")
    variables = {"macfleet_apple_network_catalog_files": "{{ corp }}", "macfleet_apple_network_editions": ["2026-01"]}
    assert catalog_sources(Templar({"corp": ["/corp.yml"]}), variables, task_value) == (["/corp.yml"], ["2026-01"])


def test_environment_last(monkeypatch):
    monkeypatch.setenv(ENV, "/a.yml,/b.yml")
    assert catalog_sources(Templar({}), {}, []) == (["/a.yml", "/b.yml"], None)
    monkeypatch.delenv(ENV)
    assert catalog_sources(Templar({}), None) == ([], None)


def test_filter_keyword_typo_names_the_valid_options():
    def shape(selection, shape, direction=None):
        return (selection, shape, direction)

    checked = keyword_checked("macfleet.apple_network.firewall_shape", shape)
    assert checked([], "ufw", direction="egress") == ([], "ufw", "egress")
    with pytest.raises(AnsibleFilterError, match="firewall_shape: unknown option directon; valid options are: direction, shape"):
        checked([], "ufw", directon="egress")
