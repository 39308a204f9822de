# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: changes
author: macfleet.apple_network contributors (@macfleet)
version_added: 0.1.0
short_description: Entries added, removed or changed between two catalogs
description:
  - Compares two catalogs, each merged from bundled editions and catalog files, and lists what a move from
    O(old) to O(new) adds, removes and changes. Entries are matched by kind and id; a changed entry lists
    every field that differs. The position of a row in its document is not a change.
  - With O(old_source) and O(new_source) it compares two sources of one catalog instead, for example Apple's 2018
    enterprise-networks document with the current article 101555, and lists what Apple added and dropped. Their
    record ids differ, so rows are matched by what they name. Hosts by their pattern as published (V(gg*.apple.com)
    and V(gg.apple.com) are different names), networks by network, processes by name, and ports port by port with
    each protocol (V(443/tcp); V(unspecified) when the document gives no protocol).
options:
  old:
    description:
      - The catalog to compare from, as bundled edition names and/or paths of catalog files, merged in this order.
      - Required unless O(old_source) is given.
    type: list
    elements: str
  old_source:
    description:
      - Compare this source of the catalog (O(new), or the default catalog) with O(new_source).
    type: str
  new_source:
    description:
      - The source O(old_source) is compared with.
    type: str
  new:
    description:
      - The catalog to compare to, in the same form. By default the catalog the other lookups use
        (all bundled editions plus O(catalog_files)).
    type: list
    elements: str
extends_documentation_fragment:
  - macfleet.apple_network.catalog
  - macfleet.apple_network.catalog.query
"""

EXAMPLES = r"""
- name: Hosts Apple added to its enterprise-networks article since 2018
  ansible.builtin.debug:
    # The query sees the lookup's list of one comparison, hence [0].
    msg: >-
      {{ query('macfleet.apple_network.changes', old_source='enterprise-networks', new_source='apple-support-101555',
               query="[0].added[?kind=='hosts'].key") }}
  # -> ["*.appattest.apple.com", "*.apple-cloudkit.com", "*.apple-dns.net", ...]

- name: What an organisation's catalog file adds to the bundled edition
  # example: needs a catalog file of yours (/etc/macfleet/our-hosts.yml; the catalog guide's complete example is one)
  ansible.builtin.debug:
    msg: "{{ lookup('macfleet.apple_network.changes', old=['apple-2018-02-13'],
                    new=['apple-2018-02-13', '/etc/macfleet/our-hosts.yml']) }}"
"""

RETURN = r"""
_value:
  description: A list with one record.
  type: list
  elements: dict
  contains:
    added:
      description:
        - Entries only in O(new), with C(kind), C(id) and the C(entry).
        - When comparing sources, what only O(new_source) names, with C(kind), C(key) (the host, network, process
          or V(port/protocol)) and C(ids), the ids of the records that name it.
      type: list
      elements: dict
    removed:
      description: Entries only in O(old); when comparing sources, what only O(old_source) names, in the same form as RV(_value[].added).
      type: list
      elements: dict
    changed:
      description:
        - Entries in both whose fields differ, with C(fields) mapping each field to its C(from) and C(to) values.
        - Not returned when comparing sources (their records are different rows; see RV(_value[].kept)).
      type: list
      elements: dict
    kept:
      description:
        - When comparing sources only, what both name, with C(kind), C(key), C(old_ids) and C(new_ids).
      type: list
      elements: dict
    old_source:
      description: O(old_source), when comparing sources.
      type: str
    new_source:
      description: O(new_source), when comparing sources.
      type: str
"""

from ansible.errors import AnsibleLookupError

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.cache import bundled_editions
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._catalog_lookup import CatalogLookupBase


def _load(spec):
    editions, files = [], []
    known = bundled_editions()
    for item in spec:
        (editions if item in known else files).append(item)
    return load_catalog(files, editions)


class LookupModule(CatalogLookupBase):
    PLUGIN_NAME = "macfleet.apple_network.changes"

    def select(self, catalog_files, editions):
        new = self.get_option("new")
        newer = _load(new) if new else load_catalog(catalog_files, editions)
        old_source, new_source = self.get_option("old_source"), self.get_option("new_source")
        if old_source or new_source:
            if not (old_source and new_source) or self.get_option("old"):
                raise AnsibleLookupError("%s: give old_source and new_source together, without old" % self.PLUGIN_NAME)
            return [newer.compare_sources(old_source, new_source)]
        if not self.get_option("old"):
            raise AnsibleLookupError("%s: old is required (or old_source and new_source)" % self.PLUGIN_NAME)
        return [_load(self.get_option("old")).changes(newer)]
