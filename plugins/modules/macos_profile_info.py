#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: macos_profile_info
author: macfleet.apple_network contributors (@macfleet)
version_added: 0.1.0
short_description: Report whether a configuration profile is installed on a Mac and whether it matches the rendered one
description:
  - Runs C(profiles show -output stdout-xml) and looks for the profile with O(identifier), device-level
    (C(_computerlevel)) first, then user-level.
  - With O(expected) (the RV(macfleet.apple_network.mobileconfig#module:expected) value of
    M(macfleet.apple_network.mobileconfig)), compares the profile and payload UUIDs and every payload setting,
    and lists each difference.
  - Secrets (C(ProxyPassword)) are never compared or returned.
  - Reading device-level profiles needs root (C(become=true)).
extends_documentation_fragment:
  - macfleet.apple_network._attributes
  - macfleet.apple_network._attributes.INFO_MODULE
  - macfleet.apple_network._attributes.PLATFORM
attributes:
  platform:
    support: full
    platforms: darwin
options:
  identifier:
    description:
      - The profile identifier (C(PayloadIdentifier) of the profile).
    type: str
    required: true
  expected:
    description:
      - The rendered profile to compare with, as returned by M(macfleet.apple_network.mobileconfig) in
        RV(macfleet.apple_network.mobileconfig#module:expected).
    type: dict
  profiles_path:
    description:
      - The C(profiles) executable.
    type: path
    default: /usr/bin/profiles
seealso:
  - module: macfleet.apple_network.mobileconfig
"""

EXAMPLES = r"""
- name: Render the profile on the controller
  # example: needs macOS (reads installed profiles with /usr/bin/profiles; tests/system/profile runs it against the stand-ins)
  macfleet.apple_network.mobileconfig:
    path: /srv/mdm/com.example.proxy.mobileconfig
    identifier: com.example.proxy
    proxy:
      web_proxy: {host: proxy.example.com, port: 3128}
  delegate_to: localhost
  register: rendered

- name: Is it installed as rendered?
  # example: needs macOS (reads installed profiles with /usr/bin/profiles; tests/system/profile runs it against the stand-ins)
  macfleet.apple_network.macos_profile_info:
    identifier: com.example.proxy
    expected: "{{ rendered.expected }}"
  become: true
  register: installed

- name: Show the differences
  # example: needs macOS (reads installed profiles with /usr/bin/profiles; tests/system/profile runs it against the stand-ins)
  ansible.builtin.debug:
    var: installed.differences
  when: installed.installed and not installed.matches
"""

RETURN = r"""
installed:
  description: Whether a profile with that identifier is installed.
  returned: always
  type: bool
matches:
  description:
    - Whether the installed profile matches O(expected). V(false) when it is not installed, V(null) without O(expected).
  returned: always
  type: bool
differences:
  description: One line per difference between the installed and the rendered profile.
  returned: always
  type: list
  elements: str
  sample: ["payload com.example.proxy.proxy.Proxies.HTTPPort: installed 8080, rendered 3128"]
level:
  description: V(_computerlevel) for a device profile, otherwise the user name it is installed for.
  returned: when installed
  type: str
profile:
  description: The installed profile as C(profiles show) reports it, in the shape of O(expected), without secrets.
  returned: when installed
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.profile.installed import (
    InstalledError,
    compare,
    find_profile,
    installed_view,
    parse_show_output,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            identifier=dict(type="str", required=True),
            expected=dict(type="dict"),
            profiles_path=dict(type="path", default="/usr/bin/profiles"),
        ),
        supports_check_mode=True,
    )
    identifier = module.params["identifier"]
    expected = module.params["expected"]
    cmd = [module.params["profiles_path"], "show", "-output", "stdout-xml"]
    rc, out, err = module.run_command(cmd, binary_data=True, encoding=None)
    if rc != 0:
        module.fail_json(msg="%s failed (rc %d): %s" % (" ".join(cmd), rc, to_native(err or out).strip()),
                         rc=rc, stdout=to_native(out), stderr=to_native(err))
    try:
        parsed = parse_show_output(out)
    except InstalledError as exc:
        module.fail_json(msg=to_native(exc), stdout=to_native(out))
    level, profile = find_profile(parsed, identifier)
    result = dict(changed=False, installed=profile is not None, differences=[],
                  matches=None if expected is None else False)
    if profile is not None:
        view = installed_view(profile)
        result.update(level=level, profile=view)
        if expected is not None:
            result["differences"] = compare(expected, view)
            result["matches"] = not result["differences"]
    elif expected is not None:
        result["differences"] = ["profile %s is not installed" % identifier]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
