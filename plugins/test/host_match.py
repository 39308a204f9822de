# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: host_match
author: macfleet.apple_network contributors (@macfleet)
version_added: 0.1.0
short_description: Test whether a host name matches a catalog host pattern
description:
  - The one host-matching rule of the collection, the same that the PAC, bypass-list and squid renderers encode.
  - V(*.apple.com) matches V(a.apple.com) and V(a.b.apple.com) but not V(apple.com) nor V(evilapple.com).
  - V(gg*.apple.com) matches exactly one label, such as V(gg3.apple.com), never V(gg.apple.com.evil.net).
  - Case is ignored and one trailing dot is ignored.
options:
  _input:
    description: The host name to test.
    type: str
    required: true
  patterns:
    description: A pattern or a list of patterns; the test is true when any matches.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Is the name covered by the Apple server list?
  ansible.builtin.assert:
    that:
      - "'a.b.cdn-apple.com' is macfleet.apple_network.host_match('*.cdn-apple.com')"
      - "'evilapple.com' is not macfleet.apple_network.host_match('*.apple.com')"
      - "'swscan.apple.com' is macfleet.apple_network.host_match(query('macfleet.apple_network.hosts') | map(attribute='host'))"
"""

RETURN = r"""
_value:
  description: Whether the host matches one of the patterns.
  type: bool
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.hostnames import HostnameError, host_matches


def host_match(host, patterns):
    if isinstance(patterns, str):
        patterns = [patterns]
    if not isinstance(patterns, (list, tuple)):
        raise AnsibleFilterError("macfleet.apple_network.host_match: patterns must be a string or a list, got %s"
                                 % type(patterns).__name__)
    try:
        return any(host_matches(host, pattern) for pattern in patterns)
    except HostnameError as exc:
        raise AnsibleFilterError("macfleet.apple_network.host_match: %s" % exc)


class TestModule:
    def tests(self):
        return {"host_match": host_match}
