# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Gateway mode's rollback snapshot with iptables: the chains from before the change come back, and the
forward chains and FORWARD's jump go, with the real ``iptables-restore`` in a private network namespace.

(With nftables the snapshot is the whole table's listing, whatever its chains: test_firewall_rules covers it,
and the system test rolls gateway mode back for real.)
"""

from __future__ import annotations

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import validation
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import iptables as ipt
from ansible_collections.macfleet.apple_network.tests.unit.plugins.modules import test_firewall_rules as base
from ansible_collections.macfleet.apple_network.tests.unit.plugins.modules.test_firewall_rules import OLD_RULES, params

GATEWAY = {"directions": ["forward"], "client_networks": ["10.20.0.0/16", "2001:db8:20::/48"],
           "rules": [{"direction": "forward", "protocol": "tcp", "ports": [443, 5223]}]}


@pytest.mark.parametrize("variant", ["nft", "legacy"])
def test_iptables_gateway_chains_roll_back_in_a_namespace(tmp_path, variant):
    """Ingress chains, then gateway mode, then the snapshot: the ingress chains are back, FORWARD has no jump."""
    new = validation.validate(params(tmp_path, **GATEWAY), None)[0]
    rules = base.iptables_round_trip(tmp_path, variant, validation.validate(params(tmp_path, rules=OLD_RULES), None)[0], new)
    changed = rules("changed")
    assert "-A FORWARD -j mf_fwd" in changed and "-A mf_fwd -s 10.20.0.0/16 -j mf_clients" in changed
    # The live form is the rendered form (idempotence compares them line by line).
    assert ipt.parse_save("\n".join(changed), "mf") == (ipt.chain_rules(new, 4), sorted(ipt.jump_rules(new).values()))
    assert rules("restored") == rules("before")
    assert not [line for line in rules("restored") if "mf_fwd" in line or "mf_clients" in line]
