# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: conflicts
author: macfleet.apple_network contributors (@macfleet)
version_added: 0.1.0
short_description: Where the catalog disagrees with itself
description:
  - The catalog keeps every row of every document, also where two documents disagree. This lookup lists
    those disagreements.
  - Port conflicts (C(kind=ports)) come first, one per port specification that two sources list with different
    protocols, for example port 1900 (TCP in the enterprise-networks document, UDP in the ports reference) and port
    123 (TCP/UDP against UDP). A source that leaves the protocol unspecified does not count as a disagreement.
  - Host conflicts (C(kind=hosts)) follow, one per host that one source lists in several rows with different ports,
    protocols, OS lists or proxy support, for example C(gdmf.apple.com) (proxy support V(yes) under Device management,
    not stated under Software updates) and C(itunes.apple.com). A row that states no OS or no ports is not compared
    on that field. Each row stays a record of its own.
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
  description: One record per port specification in conflict, then one per host in conflict.
  type: list
  elements: dict
  contains:
    kind:
      description: V(ports) or V(hosts).
      type: str
    ports:
      description: The ports in conflict (port conflicts).
      type: list
      elements: dict
    ports_text:
      description: The ports as text (port conflicts).
      type: str
      sample: "1900"
    protocols_by_source:
      description: Protocols each source lists for these ports (port conflicts).
      type: dict
      sample: {enterprise-networks: [tcp], ports-reference: [udp]}
    host:
      description: The host listed in several rows (host conflicts).
      type: str
      sample: gdmf.apple.com
    source:
      description: The source whose rows disagree (host conflicts).
      type: str
    fields:
      description: Each field the rows disagree on (V(ports), V(protocols), V(os), V(supports_proxies)), mapping record id to its value (host conflicts).
      type: dict
      sample: {supports_proxies: {apple-support-101555/device-management/gdmf.apple.com: "yes",
               apple-support-101555/software-updates/gdmf.apple.com: not_stated}}
    entries:
      description: Ids of the records involved.
      type: list
      elements: str
"""

from ansible_collections.macfleet.apple_network.plugins.plugin_utils._catalog_lookup import CatalogLookupBase


class LookupModule(CatalogLookupBase):
    PLUGIN_NAME = "macfleet.apple_network.conflicts"
    QUERY = "conflicts"
