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
options:
  old:
    description:
      - The catalog to compare from, as bundled edition names and/or paths of catalog files, merged in this order.
    type: list
    elements: str
    required: true
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
- name: What an organisation's catalog file adds to the bundled edition
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
      description: Entries only in O(new), with C(kind), C(id) and the C(entry).
      type: list
      elements: dict
    removed:
      description: Entries only in O(old).
      type: list
      elements: dict
    changed:
      description: Entries in both whose fields differ, with C(fields) mapping each field to its C(from) and C(to) values.
      type: list
      elements: dict
"""

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.cache import bundled_editions
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.core import load_catalog
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
        return [_load(self.get_option("old")).changes(newer)]
