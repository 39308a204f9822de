# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.macfleet.apple_network.plugins.filter.firewall_shape import FilterModule

FILTERS = FilterModule().filters()
SELECTION = {"rules": [{"direction": "egress", "protocol": "tcp", "ports": [{"start": 443, "end": 443}]},
                       {"direction": "egress", "protocol": "udp", "ports": [{"start": 49152, "end": 65535}]}],
             "record_ids": {"egress": []}}


def test_filter_is_registered():
    assert sorted(FILTERS) == ["firewall_shape"]


def test_shape_by_position_and_by_keyword():
    assert FILTERS["firewall_shape"](SELECTION, "firewalld") == ["443/tcp", "49152-65535/udp"]
    assert FILTERS["firewall_shape"](SELECTION, shape="ufw", direction="egress") == [
        {"port": "443", "proto": "tcp"}, {"port": "49152:65535", "proto": "udp"}]


def test_errors_name_the_filter_and_the_value():
    with pytest.raises(AnsibleFilterError) as exc:
        FILTERS["firewall_shape"](SELECTION, "pf")
    assert str(exc.value).startswith("macfleet.apple_network.firewall_shape: shape: 'pf' is not one of")
