# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: firewall_ruleset
author: macfleet.apple_network contributors (@macfleet)
version_added: 0.1.0
short_description: Render a firewall selection as an nftables ruleset or a macOS pf anchor, without applying it
description:
  - Takes the result of P(macfleet.apple_network.firewall_selection#lookup) and returns the text that
    M(macfleet.apple_network.firewall_rules) would apply, for review, for a change ticket or for another tool.
  - The input goes through the same strict checks as the module; invalid ports, addresses or names fail.
  - The essentials the module keeps are rendered as well, that is loopback, the DHCP client and DNS. The filter runs on the
    controller and cannot read a host's resolver configuration, so DNS rules are written for O(nameservers) only.
options:
  _input:
    description: One selection from P(macfleet.apple_network.firewall_selection#lookup) (a dictionary with C(rules)).
    type: dict
    required: true
  backend:
    description: V(nftables) gives C(nft -f) input for one C(inet) table; V(pf) gives the anchor file.
    type: str
    choices: [nftables, pf]
    default: nftables
  name:
    description: Table or anchor name.
    type: str
    default: macfleet
  directions:
    description:
      - Directions the ruleset filters. V(forward) (gateway mode, V(nftables) only here) needs O(client_networks).
    type: list
    elements: str
    default: [egress, ingress]
  management_ports:
    description: TCP ports that always stay open inbound (the management connection).
    type: list
    elements: int
    default: [22]
  policy:
    description: What happens to traffic no rule allows.
    type: str
    choices: [drop, reject]
    default: drop
  keep_loopback:
    description: Accept all traffic on the loopback interface, as the module's C(keep_loopback).
    type: bool
    default: true
  keep_dns:
    description: Allow DNS (UDP and TCP 53) out to O(nameservers), as the module's C(keep_dns).
    type: bool
    default: true
  keep_dhcp:
    description: Allow the DHCP client (UDP 68 to 67, DHCPv6 546 to 547) out and the servers' answers in, as the module's C(keep_dhcp).
    type: bool
    default: true
  nameservers:
    description:
      - Name servers DNS is allowed to (IP addresses only). Empty writes no DNS rule to a remote server; pass the
        resolvers of the hosts the ruleset is for.
    type: list
    elements: str
    default: []
  client_networks:
    description: Gateway mode, the networks of the clients whose forwarded traffic is filtered, as the module's C(client_networks).
    type: list
    elements: str
    default: []
  client_nameservers:
    description:
      - Gateway mode, the name servers the clients may reach with DNS, as the module's C(client_nameservers).
        When empty, O(nameservers) (with O(keep_dns)).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Write the egress ruleset for Software Update and APNs for review
  ansible.builtin.copy:
    dest: /tmp/apple-egress.nft
    mode: "0644"
    content: >-
      {{ query('macfleet.apple_network.firewall_selection', directions=['egress'],
               egress={'used_by': ['Software Update', 'APNs']})[0]
         | macfleet.apple_network.firewall_ruleset(directions=['egress']) }}

- name: Review the ingress and egress ruleset of hosts that resolve through 10.0.0.53, management on port 2222
  ansible.builtin.debug:
    msg: >-
      {{ query('macfleet.apple_network.firewall_selection', directions=['egress', 'ingress'],
               egress={'used_by': ['APNs']}, ingress={'used_by': ['Screen Sharing']})[0]
         | macfleet.apple_network.firewall_ruleset(management_ports=[2222], nameservers=['10.0.0.53']) }}
"""

RETURN = r"""
_value:
  description: The ruleset text.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import nftables, pf
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import (
    FirewallInputError,
    build_spec,
    check_forward_backend,
)
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._catalog_lookup import keyword_checked

RENDERERS = {"nftables": nftables.render, "pf": pf.render_anchor}


def firewall_ruleset(selection, backend="nftables", name="macfleet", directions=("egress", "ingress"),
                     management_ports=(22,), policy="drop", keep_loopback=True, keep_dns=True, keep_dhcp=True,
                     nameservers=(), client_networks=(), client_nameservers=()):
    if not isinstance(selection, dict) or "rules" not in selection:
        raise AnsibleFilterError("macfleet.apple_network.firewall_ruleset: the input must be a selection from the "
                                 "firewall_selection lookup (a dictionary with 'rules'), got %r" % (selection,))
    if backend not in RENDERERS:
        raise AnsibleFilterError("macfleet.apple_network.firewall_ruleset: backend %r is not one of %s"
                                 % (backend, ", ".join(sorted(RENDERERS))))
    try:
        check_forward_backend(backend, list(directions))
        spec = build_spec(name=name, directions=list(directions), rules=selection["rules"],
                          destinations=selection.get("destinations") or [],
                          resolved_destinations=selection.get("resolved_destinations") or [],
                          management_ports=list(management_ports), policy=policy, keep_loopback=keep_loopback,
                          keep_dns=keep_dns, keep_dhcp=keep_dhcp, nameservers=nameservers,
                          client_networks=client_networks, client_nameservers=client_nameservers)
    except FirewallInputError as exc:
        raise AnsibleFilterError("macfleet.apple_network.firewall_ruleset: %s" % exc)
    return RENDERERS[backend](spec)


class FilterModule:
    def filters(self):
        return {"firewall_ruleset": keyword_checked("macfleet.apple_network.firewall_ruleset", firewall_ruleset)}
