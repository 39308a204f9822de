# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters that render a catalog selection as the feeds secure web gateways and firewalls read.

A thin view of plugin_utils/_feeds (the vendors' list syntaxes and the manifest). The documentation of each filter is
in plugins/filter/<name>.yml.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.macfleet.apple_network.plugins.plugin_utils._feeds.formats import FeedError
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._feeds.render import build_feed_set


def feed_set(hosts, networks=None, decryption_hosts=None, vendors=None, include_apex=False, supports_proxies=None,
             pinned=True, edition=None, selection=None):
    if not isinstance(pinned, bool):
        raise AnsibleFilterError("macfleet.apple_network.feed_set: pinned must be a boolean, got %r" % (pinned,))
    try:
        return build_feed_set(hosts, networks=networks or [], decryption_hosts=decryption_hosts or [],
                              vendors=vendors, include_apex=include_apex, supports_proxies=supports_proxies,
                              pinned=pinned, edition=edition, selection=selection)
    except FeedError as exc:
        raise AnsibleFilterError("macfleet.apple_network.feed_set: %s" % exc)


class FilterModule:
    def filters(self):
        return {"feed_set": feed_set}
