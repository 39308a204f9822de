# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.macfleet.apple_network.plugins.filter.feeds import FilterModule


def feed_set(*args, **kwargs):
    return FilterModule().filters()["feed_set"](*args, **kwargs)


def test_feed_set_renders_a_whole_set():
    files = feed_set([{"host": "a.example.com"}], networks=[{"network": "17.0.0.0/8"}], vendors=["fortigate"],
                     edition="test", selection={"sections": ["x"]})
    manifest = json.loads(files["feeds.json"])
    assert files["fortigate/hosts-domain.txt"] == "a.example.com\n"
    assert files["fortigate/networks-ipv4.txt"] == "17.0.0.0/8\n"
    assert manifest["edition"] == "test" and manifest["selection"] == {"sections": ["x"]}


@pytest.mark.parametrize("kwargs, message", [
    (dict(vendors=["nope"]), "macfleet.apple_network.feed_set: vendors: 'nope' is not a supported vendor"),
    (dict(pinned="yes"), "macfleet.apple_network.feed_set: pinned must be a boolean"),
    (dict(include_apex="yes"), "macfleet.apple_network.feed_set: include_apex must be a boolean"),
])
def test_feed_set_errors_name_the_filter_and_the_option(kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message):
        feed_set(["a.example.com"], **kwargs)
