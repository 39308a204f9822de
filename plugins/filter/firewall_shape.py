# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: firewall_shape
author: macfleet.apple_network contributors (@macfleet)
version_added: 0.1.0
short_description: A firewall selection's ports in the shape another firewall module or role takes
description:
  - Takes a selection from P(macfleet.apple_network.firewall_selection#lookup) (one direction of it) or the result of
    P(macfleet.apple_network.port_ranges#filter), and returns its ports, merged and sorted (TCP first, then UDP), in
    the form that the module or role named by O(shape) takes.
  - Ports go through the same strict checks as M(macfleet.apple_network.firewall_rules); a port out of range, a range
    that ends before it starts, an unknown protocol or direction fails with an error naming the field and the value.
  - Only the ports are shaped. Destinations of a selection made with C(restrict_destinations) are not part of the
    shape; pass them to the module's own destination option.
options:
  _input:
    description:
      - A selection (a dictionary with C(rules)) or the result of P(macfleet.apple_network.port_ranges#filter)
        (a dictionary with C(tcp) and/or C(udp) lists of C({start, end}) ranges).
    type: dict
    required: true
  shape:
    description:
      - V(firewalld) gives C(PORT/PROTOCOL) and C(START-END/PROTOCOL) strings for the O(ansible.posix.firewalld#module:port)
        option, one per task (loop over the list).
      - V(ufw) gives C({port, proto}) items for the O(community.general.ufw#module:port) and
        O(community.general.ufw#module:proto) options; a range is written C(START:END), as ufw wants it.
      - V(iptables) gives C({protocol, destination_ports}) items for the O(ansible.builtin.iptables#module:protocol)
        and O(ansible.builtin.iptables#module:destination_ports) options. A range counts as two of the 15 ports one
        multiport match takes, so a protocol with more ports is split into several items, one rule each.
      - V(linux_system_roles) gives the C(port) list of the C(firewall) variable of the linux-system-roles firewall role
        (C(fedora.linux_system_roles.firewall)); the strings are those of V(firewalld).
    type: str
    choices: [firewalld, ufw, iptables, linux_system_roles]
    required: true
  direction:
    description:
      - The direction of the selection to shape, V(egress), V(ingress) or V(forward) (gateway mode, whose rules are
        the egress selection).
      - By default the only direction the selection was made for; a selection made for both needs it. Port ranges
        from P(macfleet.apple_network.port_ranges#filter) have no direction and take none.
    type: str
    choices: [egress, ingress, forward]
seealso:
  - plugin: macfleet.apple_network.firewall_selection
    plugin_type: lookup
  - plugin: macfleet.apple_network.port_ranges
    plugin_type: filter
  - module: ansible.posix.firewalld
  - module: community.general.ufw
  - module: ansible.builtin.iptables
"""

EXAMPLES = r"""
- name: Open the ports of the Screen Sharing selection in the public zone (ansible.posix.firewalld)
  # example: needs root on a real host (changes the host's firewalld zone; tests/system/firewall runs the firewall guide's playbooks in namespaces)
  ansible.posix.firewalld:
    zone: public
    port: "{{ item }}"
    permanent: true
    immediate: true
    state: enabled
  loop: >-
    {{ query('macfleet.apple_network.firewall_selection', directions=['ingress'],
             ingress={'used_by': ['Screen Sharing']})[0]
       | macfleet.apple_network.firewall_shape('firewalld') }}
  # item: 88/tcp, 5900/tcp

- name: Let the FaceTime ports out (community.general.ufw)
  # example: needs root on a real host (changes the host's ufw rules)
  community.general.ufw:
    rule: allow
    direction: out
    port: "{{ item.port }}"
    proto: "{{ item.proto }}"
    comment: Apple services
  loop: >-
    {{ query('macfleet.apple_network.firewall_selection', egress={'used_by': ['FaceTime']})[0]
       | macfleet.apple_network.firewall_shape('ufw') }}
  # item: {port: '80', proto: tcp}, ..., {port: '3478:3497', proto: udp}, ...

- name: Let the catalog's default sources out, at most 15 ports per rule (ansible.builtin.iptables)
  # example: needs root on a real host (changes the host's iptables rules)
  ansible.builtin.iptables:
    chain: OUTPUT
    protocol: "{{ item.protocol }}"
    destination_ports: "{{ item.destination_ports }}"
    jump: ACCEPT
    comment: Apple services
  loop: >-
    {{ query('macfleet.apple_network.firewall_selection',
             egress={'sources': ['enterprise-networks', 'software-update-servers']})[0]
       | macfleet.apple_network.firewall_shape('iptables') }}
  # item: {protocol: tcp, destination_ports: ['80', '123', '443', ..., '49152:65535']}, {protocol: udp, ...}

- name: Open the Screen Sharing ports with the linux-system-roles firewall role
  # example: needs root on a real host (the fedora.linux_system_roles.firewall role changes the host's firewall)
  ansible.builtin.include_role:
    name: fedora.linux_system_roles.firewall
  vars:
    firewall:
      - port: >-
          {{ query('macfleet.apple_network.firewall_selection', directions=['ingress'],
                   ingress={'used_by': ['Screen Sharing']})[0]
             | macfleet.apple_network.firewall_shape('linux_system_roles') }}
        zone: public
        state: enabled
        permanent: true
        runtime: true

- name: The ingress half of a selection made for both directions
  ansible.builtin.debug:
    msg: >-
      {{ query('macfleet.apple_network.firewall_selection', directions=['egress', 'ingress'],
               egress={'used_by': ['APNs']}, ingress={'ports': ['5353/udp']})[0]
         | macfleet.apple_network.firewall_shape('ufw', direction='ingress') }}
  # -> [{port: '5353', proto: udp}]

- name: Port ranges of the ports lookup, for firewalld
  ansible.builtin.debug:
    msg: "{{ query('macfleet.apple_network.ports', used_by='Bonjour') | macfleet.apple_network.port_ranges
             | macfleet.apple_network.firewall_shape('firewalld') }}"
"""

RETURN = r"""
_value:
  description:
    - "V(firewalld) and V(linux_system_roles): strings such as V(443/tcp) and V(49152-65535/tcp)."
    - "V(ufw): dictionaries C({port, proto}) such as C({port: '49152:65535', proto: tcp})."
    - "V(iptables): dictionaries C({protocol, destination_ports}) such as
      C({protocol: tcp, destination_ports: ['443', '49152:65535']}), at most 15 ports (a range counts as two) in each."
  type: list
  elements: raw
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import shapes
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import FirewallInputError
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._catalog_lookup import keyword_checked


def firewall_shape(selection, shape, direction=None):
    try:
        return shapes.shape(selection, shape, direction)
    except FirewallInputError as exc:
        raise AnsibleFilterError("macfleet.apple_network.firewall_shape: %s" % exc)


class FilterModule:
    def filters(self):
        return {"firewall_shape": keyword_checked("macfleet.apple_network.firewall_shape", firewall_shape)}
