# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: conflicts
author: macfleet.apple_network contributors (@macfleet)
version_added: 0.1.0
short_description: Ports that two catalog sources list with different protocols
description:
  - The catalog keeps every row of every document, also where two documents disagree. This lookup lists
    those disagreements, for example port 1900 (TCP in the enterprise-networks document, UDP in the ports
    reference) and port 123 (TCP/UDP against UDP).
  - A source that leaves the protocol unspecified does not count as a disagreement.
extends_documentation_fragment:
  - macfleet.apple_network.catalog
  - macfleet.apple_network.catalog.query
"""

EXAMPLES = r"""
- name: Show where Apple's documents disagree
  ansible.builtin.debug:
    msg: "{{ query('macfleet.apple_network.conflicts') }}"
"""

RETURN = r"""
_value:
  description: One record per port specification in conflict.
  type: list
  elements: dict
  contains:
    ports:
      description: The ports in conflict.
      type: list
      elements: dict
    ports_text:
      description: The ports as text.
      type: str
      sample: "1900"
    protocols_by_source:
      description: Protocols each source lists for these ports.
      type: dict
      sample: {enterprise-networks: [tcp], ports-reference: [udp]}
    entries:
      description: Ids of the records involved.
      type: list
      elements: str
"""

from ansible_collections.macfleet.apple_network.plugins.plugin_utils._catalog_lookup import CatalogLookupBase


class LookupModule(CatalogLookupBase):
    PLUGIN_NAME = "macfleet.apple_network.conflicts"
    QUERY = "conflicts"
