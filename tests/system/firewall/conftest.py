# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Guards for the firewall system tests: the host's own rulesets must be the same before and after."""

from __future__ import annotations

import pytest
from conftest import host_rulesets

from .isolated import start_firewalld, start_ufw


@pytest.fixture(scope="session", autouse=True)
def host_firewall_untouched():
    before = host_rulesets()
    yield
    assert host_rulesets() == before, "the host's own ruleset changed during the firewall tests"


@pytest.fixture
def firewalld_host(netns, processes, scratch):
    """A namespace running a real firewalld (see :mod:`.isolated`); its peer is up to the test."""
    return start_firewalld(processes, netns.add("fwd"), scratch)


@pytest.fixture
def ufw_host(netns, processes, scratch):
    """A namespace with a real ufw and its own configuration (see :mod:`.isolated`), inactive as installed."""
    return start_ufw(processes, netns.add("ufw"), scratch)


@pytest.fixture
def fw_playbook(run_playbook):
    """The shared run_playbook (JSON results); named for the firewall tests."""
    return run_playbook
