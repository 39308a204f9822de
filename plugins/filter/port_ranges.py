# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: port_ranges
author: macfleet.apple_network contributors (@macfleet)
version_added: 0.1.0
short_description: Collapse catalog port records into minimal sorted ranges per protocol
description:
  - Takes port records (from P(macfleet.apple_network.ports#lookup) or anything with C(ports) and
    C(protocols)) and returns, for V(tcp) and V(udp), the smallest sorted list of ranges that covers them.
    Overlapping and adjacent ranges are joined.
options:
  _input:
    description: Port records.
    type: list
    elements: dict
    required: true
  unspecified:
    description:
      - Protocols that records without a protocol count for. Pass V([]) to leave such records out.
    type: list
    elements: str
    default: [tcp, udp]
"""

EXAMPLES = r"""
- name: Ranges to open for FaceTime
  ansible.builtin.debug:
    msg: "{{ query('macfleet.apple_network.ports', used_by='FaceTime') | macfleet.apple_network.port_ranges }}"
    # -> {"tcp": [{"start": 80, "end": 80}, ...], "udp": [{"start": 3478, "end": 3497}, ...]}
"""

RETURN = r"""
_value:
  description: For each protocol, a list of C({start, end}) ranges, sorted and non-overlapping.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.catalog import port_ranges
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.errors import CatalogQueryError
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._catalog_lookup import keyword_checked


def port_ranges_filter(records, unspecified=("tcp", "udp")):
    if not isinstance(records, list):
        raise AnsibleFilterError("macfleet.apple_network.port_ranges: the input must be a list of port records, got %s"
                                 % type(records).__name__)
    try:
        return port_ranges(records, list(unspecified))
    except CatalogQueryError as exc:
        raise AnsibleFilterError("macfleet.apple_network.port_ranges: %s" % exc)


class FilterModule:
    def filters(self):
        return {"port_ranges": keyword_checked("macfleet.apple_network.port_ranges", port_ranges_filter)}
