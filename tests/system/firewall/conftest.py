# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Guards for the firewall system tests: the host's own rulesets must be the same before and after."""

from __future__ import annotations

import subprocess

import pytest


def host_rulesets():
    result = {}
    for cmd in (["nft", "list", "ruleset"], ["iptables-nft-save"], ["iptables-legacy-save"],
                ["ip6tables-nft-save"], ["ip6tables-legacy-save"]):
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        # iptables-save prints a timestamp in its comment lines; everything else must match exactly.
        result[cmd[0]] = (proc.returncode, [line for line in proc.stdout.splitlines() if not line.startswith("#")])
    return result


@pytest.fixture(scope="session", autouse=True)
def host_firewall_untouched():
    before = host_rulesets()
    yield
    assert host_rulesets() == before, "the host's own ruleset changed during the firewall tests"


@pytest.fixture
def fw_playbook(run_playbook):
    """The shared run_playbook (JSON results); named for the firewall tests."""
    return run_playbook
