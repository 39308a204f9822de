# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The firewall_ruleset filter in gateway mode (``forward``): nftables renders it, other backends refuse it."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.macfleet.apple_network.plugins.filter.firewall_ruleset import firewall_ruleset
from ansible_collections.macfleet.apple_network.tests.unit.plugins.module_utils._host.firewall.test_firewall_chains import nft_chains
from ansible_collections.macfleet.apple_network.tests.unit.plugins.module_utils._host.firewall.test_firewall_gateway import (
    FORWARD_RULES,
    NFT_FORWARD,
)


def test_ruleset_filter_renders_gateway_mode_for_nftables_only():
    selection = {"rules": FORWARD_RULES, "destinations": ["17.0.0.0/8"]}
    text = firewall_ruleset(selection, directions=["forward"], client_networks=["10.20.0.0/16"],
                            client_nameservers=["10.20.0.53"])
    assert nft_chains(text)["forward"] == NFT_FORWARD
    with pytest.raises(AnsibleFilterError, match="not 'pf'"):
        firewall_ruleset(selection, backend="pf", directions=["forward"], client_networks=["10.20.0.0/16"])
    with pytest.raises(AnsibleFilterError, match="client_networks"):
        firewall_ruleset(selection, directions=["forward"])
