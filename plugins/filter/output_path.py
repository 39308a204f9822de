# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: output_path
author: macfleet.apple_network contributors (@macfleet)
version_added: 0.1.0
short_description: A place a job writes to on the controller, as an absolute path outside the installed collection
description:
  - Expands C(~) and resolves a relative path against the directory C(ansible-playbook) runs in (the controller
    process's working directory; under AWX the job's project directory), not against the playbook's folder.
  - Fails when the path is inside the installed collection, which a job never writes to (it is read-only in an
    execution environment).
  - The collection's C(probe) and C(readiness) playbooks resolve their output directories with it;
    M(macfleet.apple_network.endpoint_probe) (C(result_dir)) and M(macfleet.apple_network.readiness_report) resolve
    their paths the same way.
options:
  _input:
    description: The path as the user gave it.
    type: str
    required: true
  field:
    description: The variable or option the path comes from, named in the error message.
    type: str
    default: path
"""

EXAMPLES = r"""
- name: Where the probe job writes its result files
  ansible.builtin.debug:
    msg: "{{ 'probe-output' | macfleet.apple_network.output_path('macfleet_probe_output_dir') }}"
    # the absolute path of probe-output in the directory ansible-playbook runs in
"""

RETURN = r"""
_value:
  description: The absolute, normalised path.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.macfleet.apple_network.plugins.plugin_utils._output_paths import OutputPathError
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._output_paths import output_path as resolve_output_path


def output_path(value, field="path"):
    try:
        return resolve_output_path(value, field)
    except OutputPathError as exc:
        raise AnsibleFilterError("macfleet.apple_network.output_path: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {"output_path": output_path}
