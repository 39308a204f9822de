# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: ports
author: macfleet.apple_network contributors (@macfleet)
version_added: 0.1.0
short_description: Ports that Apple software uses, from the catalog
description:
  - Returns the port records of the catalog, one per row of Apple's tables, with their provenance.
  - Every filter narrows the result; with no filter every port record is returned.
  - Use P(ansible.builtin.query#lookup) or O(ansible.builtin.lookup#lookup:wantlist=true) so the result stays a list.
options:
  source:
    description:
      - Only records from these sources (V(software-update-servers), V(enterprise-networks), V(ports-reference),
        or a source declared in a user catalog file).
    type: list
    elements: str
  used_by:
    description:
      - Only records whose products or service name contain one of these names as a whole phrase, ignoring case.
        V(Software Update) matches the product "Software Update (OS X Lion or earlier)"; V(APNs) matches the service
        "Apple Push Notification Service (APNS)".
    type: list
    elements: str
  protocol:
    description:
      - Only records that list this protocol, V(tcp) or V(udp). Records whose document leaves the protocol
        unspecified are not returned. Any other value is an error that lists the valid ones.
    type: str
  port:
    description:
      - Only records whose ports or ranges contain this port.
    type: int
extends_documentation_fragment:
  - macfleet.apple_network.catalog
  - macfleet.apple_network.catalog.query
  - macfleet.apple_network.catalog.section
seealso:
  - plugin: macfleet.apple_network.hosts
    plugin_type: lookup
  - plugin: macfleet.apple_network.conflicts
    plugin_type: lookup
  - plugin: macfleet.apple_network.port_ranges
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Ports Software Update needs
  ansible.builtin.debug:
    msg: "{{ query('macfleet.apple_network.ports', used_by='Software Update') }}"

- name: Every row that lists TCP 5223, from all documents
  ansible.builtin.debug:
    msg: "{{ query('macfleet.apple_network.ports', port=5223) | map(attribute='source') }}"

- name: UDP ports of the ports reference, collapsed into ranges
  ansible.builtin.debug:
    # port_ranges answers per protocol; rows that list TCP and UDP add TCP ranges too, so take the UDP ones.
    msg: "{{ (query('macfleet.apple_network.ports', source='ports-reference', protocol='udp')
              | macfleet.apple_network.port_ranges).udp }}"
  # -> [{start: 7, end: 7}, {start: 53, end: 53}, {start: 67, end: 69}, ...]

- name: Ports of the certificate validation hosts, collapsed into ranges
  ansible.builtin.debug:
    msg: "{{ query('macfleet.apple_network.ports', section='Certificate validation')
             | macfleet.apple_network.port_ranges }}"

- name: Only the port texts, with a JMESPath query
  ansible.builtin.debug:
    msg: "{{ query('macfleet.apple_network.ports', used_by='FaceTime', query='[].ports_text') }}"
"""

RETURN = r"""
_value:
  description: One record per table row (for article 101555, one per host row, with the row's ports).
  type: list
  elements: dict
  contains:
    id:
      description: Stable identifier (source, ports, protocols and service name).
      type: str
      sample: ports-reference/443/tcp/https
    ports:
      description: The ports as ranges; a single port has C(start) equal to C(end).
      type: list
      elements: dict
      sample: [{start: 443, end: 443}]
    ports_text:
      description: The port cell as published.
      type: str
    protocols:
      description: V(tcp) and/or V(udp); empty when the document leaves the protocol unspecified.
      type: list
      elements: str
    service:
      description: The service or protocol name column, as published; null when the document has none.
      type: str
    unregistered_use:
      description: Whether the document marks the service as C(unregistered use) with IANA.
      type: bool
    iana_name:
      description: The service name listed in C(/etc/services); null when the document gives none.
      type: str
    rfc:
      description: RFC numbers that define the service.
      type: list
      elements: int
    used_by:
      description: Products, from the C(Used by) cell split on the commas that are not inside parentheses.
      type: list
      elements: str
    used_by_text:
      description: The C(Used by) cell as published.
      type: str
    source:
      description: Id of the document the row comes from.
      type: str
    location:
      description: Where in the document the row is (section, row number).
      type: dict
    notes:
      description: Remarks about the transcription, if any.
      type: str
    section:
      description: The section of the document the row is in; null when the document has none.
      type: str
    hosts:
      description: The hosts the row gives these ports for (article 101555); empty for port tables.
      type: list
      elements: str
    protocols_text:
      description: The protocol cell as published, where the document has one per host row.
      type: str
    verification:
      description: How the row was checked (V(apple-page), V(machine-parse)); null for the 2018 sources.
      type: str
"""

from ansible_collections.macfleet.apple_network.plugins.plugin_utils._catalog_lookup import CatalogLookupBase


class LookupModule(CatalogLookupBase):
    PLUGIN_NAME = "macfleet.apple_network.ports"
    QUERY = "ports"
    QUERY_OPTIONS = ("source", "used_by", "protocol", "port", "section")
