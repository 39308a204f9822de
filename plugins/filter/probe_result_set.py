# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: probe_result_set
author: macfleet.apple_network contributors (@macfleet)
version_added: 0.1.0
short_description: Turn the registered result of an endpoint_probe task into a readiness report result set
description:
  - Takes what a P(macfleet.apple_network.endpoint_probe#module) task registered for one host and returns the
    per-host result set that M(macfleet.apple_network.readiness_report) reads (the content of a result file).
  - Every result set carries C(format) (2, the version the report reads), C(host), C(group) and C(detail).
  - A host that was probed gives C(host), C(catalog_edition), C(generated_at), C(results) and C(summary). With
    O(detail=compact) a result whose category is C(ok) or C(skipped) keeps its target, verdict, message, path and
    timings and drops the evidence of each step (C(dns), C(tcp), C(http), C(ntp), C(proxy), and the TLS chain and
    issuers); the other results are kept whole.
    This includes a task that failed because of the probe's O(macfleet.apple_network.endpoint_probe#module:fail_on)
    option, which still carries its results.
  - A host that could not be probed gives C(results=[]), a zero C(summary), the current time as C(generated_at),
    and C(unchecked) with a C(reason) and the error C(message). The reason is V(unreachable) (the connection
    failed; register the task with C(ignore_unreachable=true)), V(no_python) (the module never started because the
    interpreter was not found, is Apple's C(/usr/bin/python3) stub that asks for the Command Line Tools, or is
    too old) or V(module_error) (any other failure; register the task with C(ignore_errors=true)).
options:
  _input:
    description: The registered result of the C(endpoint_probe) task.
    type: dict
    required: true
  host:
    description: The host the result set is for, usually C(inventory_hostname).
    type: str
    required: true
  group:
    description:
      - The group the report counts the host in (for example a site), or null for C(ungrouped).
    type: str
  detail:
    description:
      - V(compact) keeps the evidence of the results that need a look only; V(full) keeps every result whole.
    type: str
    choices: [compact, full]
    default: compact
notes:
  - The P(macfleet.apple_network.endpoint_probe#module) module writes the same result set itself with its
    O(macfleet.apple_network.endpoint_probe#module:result_dir) option, without putting the results into the play.
"""

EXAMPLES = r"""
- name: Probe, and keep going when a Mac is unreachable or has no Python
  # example: needs macOS (probes from each Mac of the inventory)
  macfleet.apple_network.endpoint_probe:
    groups: [software-update]
  register: probe
  ignore_unreachable: true
  ignore_errors: true

- name: Write the host's result file on the controller
  # example: needs root on a real host (writes under /srv/macfleet/results on the controller)
  ansible.builtin.copy:
    dest: "/srv/macfleet/results/{{ inventory_hostname }}.json"
    content: "{{ probe | macfleet.apple_network.probe_result_set(inventory_hostname, group=site | default(none)) | to_nice_json }}"
    mode: "0644"
  delegate_to: localhost
"""

RETURN = r"""
_value:
  description:
    - The result set (C(format), C(host), C(group), C(detail), C(catalog_edition), C(generated_at), C(results),
      C(summary)); C(unchecked) (C(reason), C(message)) is present only for a host that could not be probed.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.macfleet.apple_network.plugins.module_utils._report.result_set import DETAILS, probe_result_set
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._catalog_lookup import keyword_checked


def probe_result_set_filter(result, host, group=None, detail="compact"):
    if not isinstance(host, str) or not host:
        raise AnsibleFilterError("macfleet.apple_network.probe_result_set: host must be a host name, got %r" % (host,))
    if group is not None and not isinstance(group, str):
        raise AnsibleFilterError("macfleet.apple_network.probe_result_set: group must be a string or null, got %r" % (group,))
    if detail not in DETAILS:
        raise AnsibleFilterError("macfleet.apple_network.probe_result_set: detail must be one of %s, got %r"
                                 % (", ".join(DETAILS), detail))
    return probe_result_set(result, host, group=group, detail=detail)


class FilterModule:
    def filters(self):
        return {"probe_result_set": keyword_checked("macfleet.apple_network.probe_result_set", probe_result_set_filter)}
