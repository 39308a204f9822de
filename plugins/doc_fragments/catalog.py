# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Options shared by every plugin that reads the catalog.
    DOCUMENTATION = r"""
options:
  catalog_files:
    description:
      - User catalog files (JSON or YAML) merged after the bundled editions, for example an
        organisation's own hosts or a newer Apple list.
      - Later files override entries with the same C(id); a file that declares a source
        that is already known replaces that source when its C(published) date is not older.
      - Every file is validated against the catalog schema; an invalid file fails with a message naming
        the file, the entry and the field. A duplicate key fails naming the file, the line and the key.
      - A wildcard host on a public suffix (V(*.com), V(*.co.uk), V(*.cloudfront.net)) is refused unless the entry sets
        C(allow_public_suffix_wildcard) with a C(public_suffix_wildcard_reason); the check needs the Python library
        C(publicsuffixlist) on the controller (see
        R(the catalog guide,ansible_collections.macfleet.apple_network.docsite.catalog_guide)).
    type: list
    elements: path
    default: []
    env:
      - name: MACFLEET_APPLE_NETWORK_CATALOG_FILES
    vars:
      - name: macfleet_apple_network_catalog_files
  editions:
    description:
      - Bundled catalog editions to load, oldest first. By default all bundled editions are loaded.
    type: list
    elements: str
    vars:
      - name: macfleet_apple_network_editions
"""

    QUERY = r"""
options:
  query:
    description:
      - A L(JMESPath,https://jmespath.org/) expression applied to the lookup's answer before it is returned, for
        example V([?source=='apple-support-101555'].id) with the lookups that return records (the ids of one source's
        records).
    type: str
requirements:
  - jmespath (for O(query) only)
"""

    # The section selector of the lookups that return records.
    SECTION = r"""
options:
  section:
    description:
      - Only records from these sections of their document, for example V(Device management) or
        V(Certificate validation) of Apple's article 101555 (source V(apple-support-101555)). Case and punctuation
        are ignored (V(device-management) works too); an unknown section is an error that lists the valid ones.
        Records of documents without sections (the 2018 sources) have no section and are left out.
    type: list
    elements: str
"""
