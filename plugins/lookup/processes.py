# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: processes
author: macfleet.apple_network contributors (@macfleet)
version_added: 0.1.0
short_description: Background processes of iTunes for Windows, from the catalog
description:
  - Returns the iTunes for Windows processes that Apple lists, with what each does and whether it
    depends on the sync configuration, for example to allow them in a Windows host firewall.
options:
  source:
    description:
      - Only records from these sources.
    type: list
    elements: str
  used_by:
    description:
      - Only processes whose products or process name contain one of these names as a whole phrase, ignoring case.
    type: list
    elements: str
  depends_on_sync_configuration:
    description:
      - When set, only processes that do (V(true)) or do not (V(false)) depend on the sync configuration.
    type: bool
extends_documentation_fragment:
  - macfleet.apple_network.catalog
  - macfleet.apple_network.catalog.query
"""

EXAMPLES = r"""
- name: Processes that always run
  ansible.builtin.debug:
    msg: "{{ query('macfleet.apple_network.processes', depends_on_sync_configuration=false) | map(attribute='process') }}"
"""

RETURN = r"""
_value:
  description: One record per process.
  type: list
  elements: dict
  contains:
    process:
      description: Executable name.
      type: str
      sample: AppleMobileDeviceService.exe
    description:
      description: What the process does, as published.
      type: str
    depends_on_sync_configuration:
      description: Whether the document lists it under C(Process that depends on Sync configuration).
      type: bool
    platform:
      description: Operating system the process runs on.
      type: str
    used_by:
      description: Products the process belongs to.
      type: list
      elements: str
    source:
      description: Id of the document.
      type: str
    location:
      description: Table and row in the document.
      type: dict
"""

from ansible_collections.macfleet.apple_network.plugins.plugin_utils._catalog_lookup import CatalogLookupBase


class LookupModule(CatalogLookupBase):
    PLUGIN_NAME = "macfleet.apple_network.processes"
    QUERY = "processes"
    QUERY_OPTIONS = ("source", "used_by", "depends_on_sync_configuration")
