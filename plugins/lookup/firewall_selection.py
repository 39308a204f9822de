# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: firewall_selection
author: macfleet.apple_network contributors (@macfleet)
version_added: 0.1.0
short_description: Concrete firewall rules and destinations selected from the catalog
description:
  - Selects catalog port records per direction (by source, section and product) plus explicit ports, and returns the
    C(rules) list that M(macfleet.apple_network.firewall_rules) takes.
  - With O(restrict_destinations), also returns the destination networks and the addresses the selected
    catalog hosts resolve to (A and AAAA, with dnspython on the controller). The destination networks are the
    catalog's networks unless O(destinations) names others.
  - Returns a list with one dictionary; use P(ansible.builtin.query#lookup) and take the first element.
options:
  directions:
    description:
      - Directions to select rules for. V(forward) (gateway mode) gets the O(egress) selection as rules of the
        direction V(forward).
    type: list
    elements: str
    choices: [egress, ingress, forward]
    default: [egress]
  egress:
    description:
      - Selection for outgoing traffic. Keys C(sources) (catalog sources), C(sections) (sections of a document such as
        V(Device management) of Apple's article 101555; case and punctuation are ignored, an unknown section is an
        error), C(used_by) (products, whole-phrase and case-insensitive; a product that matches no port record is an
        error), C(ports) (explicit ports such as V(443), V("443/tcp"), V("5223-5224/udp"), an IANA service name the
        catalog knows such as V(https), or a dictionary with C(port) and C(protocol)).
      - The selection is the union of all four. A port without protocol means both TCP and UDP.
      - Each key takes a list or comma-separated text (what an AWX survey text answer sends), converted as an
        argument specification converts a list.
    type: dict
    default: {}
  ingress:
    description:
      - Selection for incoming traffic (services the host offers), with the same keys as O(egress).
    type: dict
    default: {}
  restrict_destinations:
    description:
      - Return O(destinations) and the resolved addresses of the egress catalog hosts so egress (and forward) can be
        restricted to them.
    type: bool
    default: false
  destinations:
    description:
      - Networks egress is restricted to when O(restrict_destinations=true), IPv4 or IPv6 (V(17.0.0.0/8),
        V(2620:149::/32)).
      - Empty (the default) means the catalog's networks, every network record of the editions and catalog files
        loaded. With the bundled editions that is Apple's 17.0.0.0/8, 2403:300::/32, 2620:149::/32 and
        2a01:b740::/32 (the Firewalls section of Apple's article 101555). The APNs fallback ranges of article 102266
        are network records too, but they lie inside those blocks and add no address. A user catalog file's
        network entries are added. A catalog without network records is an error.
      - Networks given here replace the catalog's. Networks inside another are merged into it (the result is
        collapsed per family).
      - Takes a list or comma-separated text.
    type: list
    elements: str
    default: []
  resolve_hosts:
    description: With O(restrict_destinations), resolve the catalog hosts of the egress selection.
    type: bool
    default: true
  nameservers:
    description: Name servers to ask; by default the controller's resolver configuration.
    type: list
    elements: str
    default: []
  resolver_port:
    description: Port of the name servers.
    type: int
    default: 53
  resolver_timeout:
    description: Seconds to wait for each answer.
    type: float
    default: 3.0
extends_documentation_fragment:
  - macfleet.apple_network.catalog
  - macfleet.apple_network.catalog.query
requirements:
  - dnspython (for O(resolve_hosts) only)
seealso:
  - module: macfleet.apple_network.firewall_rules
  - plugin: macfleet.apple_network.ports
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Rules for Software Update and APNs out, Bonjour in
  ansible.builtin.set_fact:
    selection: >-
      {{ query('macfleet.apple_network.firewall_selection', directions=['egress', 'ingress'],
               egress={'used_by': ['Software Update', 'APNs']}, ingress={'ports': ['5353/udp']})[0] }}

- name: Rules for the device management hosts of Apple's current article (APNs included)
  ansible.builtin.set_fact:
    mdm_selection: >-
      {{ query('macfleet.apple_network.firewall_selection', egress={'sections': ['Device management']})[0] }}

- name: Apply them
  # example: needs root on a real host (changes the host's firewall; tests/system/firewall runs it in namespaces)
  macfleet.apple_network.firewall_rules:
    directions: [egress, ingress]
    rules: "{{ selection.rules }}"
"""

RETURN = r"""
_value:
  description: One dictionary.
  type: list
  elements: dict
  contains:
    rules:
      description: C({direction, protocol, ports}) with ports as C({start, end}) ranges.
      type: list
      elements: dict
    record_ids:
      description: Per direction, ids of the catalog port records selected.
      type: dict
    hosts:
      description: Host names of the egress selection that can be resolved (no wildcards).
      type: list
      elements: str
    destinations:
      description: The networks egress is restricted to, IPv4 then IPv6 (empty when not restricted).
      type: list
      elements: str
      sample: [17.0.0.0/8, 2403:300::/32, 2620:149::/32, 2a01:b740::/32]
    destination_ids:
      description:
        - Ids of the catalog network records the destinations came from; empty when O(destinations) named them or
          egress is not restricted.
      type: list
      elements: str
    resolved_destinations:
      description: Addresses the hosts resolved to.
      type: list
      elements: str
    unresolved:
      description: Hosts that resolved to no address.
      type: list
      elements: str
"""

from ansible.errors import AnsibleLookupError
from ansible.utils.display import Display

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.answers import cached_answer
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._catalog_lookup import CatalogLookupBase
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._firewall_resolve import resolve_hosts
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._firewall_selection import catalog_selection

# The options the catalog part of the answer depends on (see _firewall_selection.catalog_selection).
CATALOG_OPTIONS = ("directions", "egress", "ingress", "restrict_destinations", "destinations")


class LookupModule(CatalogLookupBase):
    PLUGIN_NAME = "macfleet.apple_network.firewall_selection"

    def select(self, catalog_files, editions):
        # The catalog part comes from the answer cache (a worker then needs no catalog); names are resolved afresh
        # on every run.
        options = dict((name, self.get_option(name)) for name in CATALOG_OPTIONS)
        result = cached_answer("firewall_selection", options, catalog_files, editions, view=catalog_selection)
        result.update(resolved_destinations=[], unresolved=[])
        # Destinations are never empty when egress is restricted (a catalog without networks is an error), so they
        # tell whether it is, as catalog_selection decided.
        if result["destinations"] and self.get_option("resolve_hosts") and result["hosts"]:
            try:
                addresses, unresolved = resolve_hosts(
                    result["hosts"], self.get_option("nameservers"), self.get_option("resolver_port"),
                    self.get_option("resolver_timeout"))
            except RuntimeError as exc:
                raise AnsibleLookupError("%s: %s" % (self.PLUGIN_NAME, exc))
            result.update(resolved_destinations=addresses, unresolved=unresolved)
            if unresolved:
                Display().warning("%s: not resolvable, left out of the destination sets: %s"
                                  % (self.PLUGIN_NAME, ", ".join(unresolved)))
        return [result]
