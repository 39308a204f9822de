# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: networks
author: macfleet.apple_network contributors (@macfleet)
version_added: 0.1.0
short_description: Apple's networks (CIDR blocks) and what they are for, from the catalog
description:
  - Returns the network records of the catalog, one per network a document names, with its purpose and, where the
    document gives them, the ports to open to it.
  - The bundled records are Apple's IPv4 network 17.0.0.0/8 and its three IPv6 blocks from the Firewalls section of
    Apple's article 101555 (source V(apple-support-101555)), and, from the APNs article 102266 (source
    V(apple-support-102266)), 17.0.0.0/8 with the APNs ports and the fallback ranges to open where the whole
    block cannot be.
  - Every filter narrows the result; with no filter every network record is returned. The bundled networks are in
    the sections V(Firewalls) and V(Apple Push Notifications).
options:
  source:
    description:
      - Only records from these sources.
    type: list
    elements: str
  family:
    description:
      - Only IPv4 (V(4)) or IPv6 (V(6)) networks.
    type: int
    choices: [4, 6]
extends_documentation_fragment:
  - macfleet.apple_network.catalog
  - macfleet.apple_network.catalog.query
  - macfleet.apple_network.catalog.section
seealso:
  - plugin: macfleet.apple_network.hosts
    plugin_type: lookup
  - plugin: macfleet.apple_network.firewall_selection
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Apple's networks, for a firewall that filters by address
  ansible.builtin.debug:
    msg: "{{ query('macfleet.apple_network.networks', section='Firewalls') | map(attribute='network') }}"

- name: The APNs fallback ranges with their ports
  ansible.builtin.debug:
    msg: >-
      {{ query('macfleet.apple_network.networks', source='apple-support-102266',
               query="[?network!='17.0.0.0/8'].[network, ports_text]") }}

- name: IPv6 networks only
  ansible.builtin.debug:
    msg: "{{ query('macfleet.apple_network.networks', family=6, query='[].network') }}"
"""

RETURN = r"""
_value:
  description: One record per network.
  type: list
  elements: dict
  contains:
    id:
      description: Stable identifier (source, section and network).
      type: str
      sample: apple-support-102266/apple-push-notifications/17.249.0.0/16
    network:
      description: The network in CIDR form, as Python's C(ipaddress) writes it.
      type: str
      sample: 17.0.0.0/8
    family:
      description: V(4) or V(6).
      type: int
    purpose:
      description: What the network is for, in the collection's words.
      type: str
      sample: APNs fallback range, where 17.0.0.0/8 cannot be opened
    ports:
      description: Ports the document says to open to this network, as ranges; empty when it gives none.
      type: list
      elements: dict
      sample: [{start: 5223, end: 5223}, {start: 443, end: 443}, {start: 2197, end: 2197}]
    ports_text:
      description: The ports as text; null when the document gives none.
      type: str
      sample: "5223, 443, 2197"
    protocols:
      description: Protocols of those ports.
      type: list
      elements: str
    section:
      description: The section of the document the network is named in.
      type: str
    verification:
      description: How the record was checked (V(apple-page), V(machine-parse)); see the source's C(verification).
      type: str
    source:
      description: Id of the document.
      type: str
    location:
      description: Where in the document the network is named (empty when the document gives it in prose).
      type: dict
    used_by:
      description: Products the document names for the network.
      type: list
      elements: str
    notes:
      description: Remarks about the transcription, if any.
      type: str
"""

from ansible_collections.macfleet.apple_network.plugins.plugin_utils._catalog_lookup import CatalogLookupBase


class LookupModule(CatalogLookupBase):
    PLUGIN_NAME = "macfleet.apple_network.networks"
    QUERY = "networks"
    QUERY_OPTIONS = ("source", "section", "family")
