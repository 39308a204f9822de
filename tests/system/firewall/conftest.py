# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Guards for the firewall system tests: the host's own rulesets must be the same before and after."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess

import pytest

from .isolated import start_firewalld, start_ufw


_COUNTERS = re.compile(r" \[\d+:\d+\]$")


def host_rulesets():
    result = {}
    for cmd in (["nft", "list", "ruleset"], ["iptables-nft-save"], ["iptables-legacy-save"],
                ["ip6tables-nft-save"], ["ip6tables-legacy-save"]):
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        # iptables-save prints a timestamp in its comment lines and the packet and byte counters of each chain
        # (":INPUT ACCEPT [24500:97164717]"), which the host's own traffic moves; everything else must match exactly.
        result[cmd[0]] = (proc.returncode, [_COUNTERS.sub("", line) for line in proc.stdout.splitlines()
                                            if not line.startswith("#")])
    # The firewalld and ufw tests bind-mount copies over these: the host's own files must stay as they are.
    for top in ("/etc/firewalld", "/etc/ufw", "/etc/default/ufw", "/lib/ufw"):
        paths = [top] if os.path.isfile(top) else sorted(os.path.join(d, f) for d, _s, fs in os.walk(top) for f in fs)
        for path in paths:
            with open(path, "rb") as handle:
                result[path] = hashlib.sha256(handle.read()).hexdigest()
    return result


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
