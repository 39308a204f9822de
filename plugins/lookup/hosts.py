# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: hosts
author: macfleet.apple_network contributors (@macfleet)
version_added: 0.1.0
short_description: Host names and patterns that Apple software connects to, from the catalog
description:
  - Returns the host records of the catalog, with whether each is a wildcard pattern and a concrete
    C(probe_host) a probe can use where one is known.
options:
  source:
    description:
      - Only records from these sources.
    type: list
    elements: str
  group:
    description:
      - Only hosts of these groups. The 2018 groups are V(apple) (Apple servers), V(other) (other servers)
        and V(software-update); the display names V(Apple), V(Other) and V(Software Update) are accepted too.
        Hosts of article 101555 are grouped by their section (V(device-management), V(software-updates), ...).
    type: list
    elements: str
  used_by:
    description:
      - Only hosts whose products contain one of these names as a whole phrase, ignoring case.
    type: list
    elements: str
  bypass_https_interception:
    description:
      - When set, only hosts for which the document does (V(true)) or does not (V(false)) ask to bypass
        HTTPS-intercepting proxies.
    type: bool
  combine:
    description:
      - How O(group) and O(section) combine when both are given. V(all) keeps the hosts of one of the groups that are in one
        of the sections too; V(any) keeps the hosts of one of the groups or of one of the sections, the selection of
        P(macfleet.apple_network.endpoint_probe#module) (the 2018 sources' hosts have groups but no section).
    type: str
    choices: [all, any]
    default: all
extends_documentation_fragment:
  - macfleet.apple_network.catalog
  - macfleet.apple_network.catalog.query
  - macfleet.apple_network.catalog.section
seealso:
  - plugin: macfleet.apple_network.ports
    plugin_type: lookup
  - plugin: macfleet.apple_network.host_match
    plugin_type: test
"""

EXAMPLES = r"""
- name: Software Update servers that must bypass an intercepting proxy
  ansible.builtin.debug:
    msg: "{{ query('macfleet.apple_network.hosts', group='software-update', bypass_https_interception=true) | map(attribute='host') }}"
  # -> [swcdn.apple.com, swdownload.apple.com, swquery.apple.com, swscan.apple.com]

- name: Device management hosts (APNs included) of Apple's current article
  ansible.builtin.debug:
    msg: "{{ query('macfleet.apple_network.hosts', section='Device management') | map(attribute='host') }}"

- name: Hosts Apple does not mark as working through a proxy
  ansible.builtin.debug:
    msg: >-
      {{ query('macfleet.apple_network.hosts', source='apple-support-101555',
               query="[?supports_proxies=='not_stated'].host") }}

- name: Names a probe can resolve for the Apple servers
  ansible.builtin.debug:
    msg: "{{ query('macfleet.apple_network.hosts', group='Apple', query='[?probe_host].probe_host') }}"
"""

RETURN = r"""
_value:
  description: One record per host or pattern.
  type: list
  elements: dict
  contains:
    id:
      description: Stable identifier (source and host).
      type: str
    host:
      description: The host or pattern as published, lower-case.
      type: str
      sample: "*.cdn-apple.com"
    wildcard:
      description: Whether C(host) is a pattern.
      type: bool
    probe_host:
      description: A concrete name that matches the pattern, or null when none is known.
      type: str
      sample: updates.cdn-apple.com
    probe_host_origin:
      description: V(document) when the name is the published one, V(maintainers) when the collection supplies an example.
      type: str
    group:
      description: V(apple), V(other), V(software-update), the section as a slug (article 101555) or a group from a user catalog file.
      type: str
    section:
      description: The section of the document the row is in (V(Device setup)); null when the document has none.
      type: str
    os:
      description: The operating systems the row names (V(iOS), V(iPadOS), V(tvOS), V(watchOS), V(macOS), V(visionOS)); empty when not stated.
      type: list
      elements: str
    description:
      description: What the host is for, as the document says; null when its cell is empty.
      type: str
    supports_proxies:
      description:
        - The C(Supports proxies) column. V(yes) when the document marks the host as working through a proxy,
          V(not_stated) when it does not (Apple prints a dash; also every host of a document without that column),
          V(see_note) when the cell points to a note instead (the APNs row).
      type: str
    protocols_text:
      description: The protocol cell as published (V(TCP, UDP), V(SSH)); null when the document has no such cell.
      type: str
    verification:
      description:
        - How the row was checked, a status its source explains in its C(verification) metadata (see
          P(macfleet.apple_network.catalog#lookup)). For article 101555, V(apple-page) (read on Apple's own page)
          or V(machine-parse) (from a machine parse of the page); null for the 2018 sources.
      type: str
    notes:
      description: Remarks about the transcription of this row, if any.
      type: str
    ports:
      description: Ports the document gives for this host (empty when it gives none).
      type: list
      elements: dict
    protocols:
      description: Protocols the document gives for this host.
      type: list
      elements: str
    used_by:
      description: Products the document names for the host.
      type: list
      elements: str
    bypass_https_interception:
      description: Whether the document asks to bypass HTTPS-intercepting proxies for this host.
      type: bool
    source:
      description: Id of the document.
      type: str
    location:
      description: Where in the document the host is listed.
      type: dict
    allow_public_suffix_wildcard:
      description: Whether the entry overrides the refusal of a wildcard on a public suffix (for example V(*.cloudfront.net)).
      type: bool
    public_suffix_wildcard_reason:
      description: Why the override is set; null without one.
      type: str
"""

from ansible_collections.macfleet.apple_network.plugins.plugin_utils._catalog_lookup import CatalogLookupBase


class LookupModule(CatalogLookupBase):
    PLUGIN_NAME = "macfleet.apple_network.hosts"
    QUERY = "hosts"
    QUERY_OPTIONS = ("source", "group", "used_by", "bypass_https_interception", "section", "combine")
