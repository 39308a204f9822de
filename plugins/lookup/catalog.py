# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: catalog
author: macfleet.apple_network contributors (@macfleet)
version_added: 0.1.0
short_description: Summary of the loaded catalog (edition, sources, counts)
description:
  - Returns one summary record for the catalog that the other lookups answer from, merged from the bundled
    editions and O(catalog_files). Use it to show which edition a report or a ruleset was built from.
options:
  section:
    description:
      - Count only the records of these sections (V(Device management)); case and punctuation are ignored.
    type: list
    elements: str
extends_documentation_fragment:
  - macfleet.apple_network.catalog
  - macfleet.apple_network.catalog.query
"""

EXAMPLES = r"""
- name: Which edition is in use
  ansible.builtin.debug:
    msg: "{{ lookup('macfleet.apple_network.catalog').edition }}"

- name: How the rows of Apple's current article were verified
  ansible.builtin.debug:
    # The query sees the lookup's list of one summary, hence [0].
    msg: >-
      {{ lookup('macfleet.apple_network.catalog', query="[0].sources[?id=='apple-support-101555'] | [0].verification") }}
  # -> {apple-page: ..., machine-parse: ...}
"""

RETURN = r"""
_value:
  description: A list with one summary.
  type: list
  elements: dict
  contains:
    edition:
      description: The editions merged, joined with C( + ).
      type: str
      sample: apple-2018-02-13
    documents:
      description: Every document loaded, in merge order, with its origin, edition and date.
      type: list
      elements: dict
    sources:
      description:
        - Every source with its title, date, origin, number of records per kind and C(verification), which maps each
          verification status its records carry to what it means (empty when the source gives none).
      type: list
      elements: dict
    sections:
      description: Every section with its source and number of records per kind.
      type: list
      elements: dict
    counts:
      description: Number of records per kind (ports, hosts, processes, networks).
      type: dict
    conflicts:
      description: Number of conflicts (see P(macfleet.apple_network.conflicts#lookup)).
      type: int
"""

from ansible_collections.macfleet.apple_network.plugins.plugin_utils._catalog_lookup import CatalogLookupBase


class LookupModule(CatalogLookupBase):
    PLUGIN_NAME = "macfleet.apple_network.catalog"
    QUERY = "summary"
    QUERY_OPTIONS = ("section",)

    def select(self, catalog_files, editions):
        return [super().select(catalog_files, editions)]  # one summary, as a one-item list
