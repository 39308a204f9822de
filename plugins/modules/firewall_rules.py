#!/usr/bin/python
# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: firewall_rules
short_description: Apply a host firewall for Apple services atomically, with confirm-or-rollback
version_added: 0.1.0
author: macfleet.apple_network contributors (@macfleet)
description:
  - Renders concrete ports and addresses into one dedicated nftables table, the module's own iptables chains,
    a macOS pf anchor, firewalld policies and ipsets of its own, or ufw rules tagged with its comment, validates the
    result, and applies it (in one transaction where the tool has one).
  - Never touches rules outside its own table, chains, anchor, firewalld policies and ipsets, or ufw rules. The management port (O(management_ports)) and,
    with O(keep_current_connection), the port of the connection Ansible uses stay open.
  - The host's essential traffic is kept as well, each part with its own switch, all on by default. Loopback
    (O(keep_loopback)), DNS to the host's own name servers (O(keep_dns), read on the host from C(/etc/resolv.conf)
    and systemd-resolved's upstreams, or O(nameservers)) and the DHCP client (O(keep_dhcp)). These rules are part
    of RV(rendered) and the diff, so check mode shows them; RV(essentials) lists what was kept.
  - Gateway mode (V(forward) in O(directions), nftables and iptables). Traffic the host forwards B(from)
    O(client_networks) may only reach the V(forward) rules' ports (at O(destinations) and O(resolved_destinations)
    when they are given) and DNS to O(client_nameservers); the rest from the clients meets O(policy). Forwarded
    traffic of other sources is left alone, the forward chain gets no drop policy, and the clients' established and
    related traffic (the servers' answers) is accepted. The module does not enable IP forwarding itself.
  - With O(rollback_timeout), a watchdog on the host restores the previous ruleset unless the controller
    reconnects and confirms within that many seconds (the action plugin of the same name does that, with one shell
    command over a new connection).
  - The action plugin validates the options on the controller and reads the live table or chains (and the save files)
    with one shell command; when nothing would change it reports so without transferring the module.
  - Catalog selection happens on the controller, see the P(macfleet.apple_network.firewall_selection#lookup) lookup
    and the role C(macfleet.apple_network.firewall).
extends_documentation_fragment:
  - macfleet.apple_network._attributes
  - macfleet.apple_network._attributes.IDEMPOTENT
  - macfleet.apple_network._attributes.PLATFORM
  - macfleet.apple_network._attributes.ACTION
  - macfleet.apple_network._attributes.ACTIONGROUP_FIREWALL
attributes:
  check_mode:
    support: full
    details:
      - The ruleset is validated (C(nft -c), C(iptables-restore --test), C(pfctl -n),
        C(firewall-offline-cmd --check-config), C(ufw --dry-run)) but not applied.
  diff_mode:
    support: full
    details:
      - The diff shows the live ruleset of the table, chains or anchor against the rendered one, the kept essentials
        (loopback, DNS, DHCP) included.
      - With O(backend=iptables) it is a list, the chains first, then each save file that changes (in check mode with
        changed chains, the save file content is predicted from the live ruleset).
      - With O(backend=firewalld) it shows the module's files in C(/etc/firewalld); with O(backend=ufw) the module's
        rules as C(ufw show added) lists them, or as the last run gave them when ufw still lists what that run left.
  idempotent:
    support: full
  platform:
    support: full
    platforms: [linux, darwin]
    details:
      - V(nftables), V(iptables), V(firewalld) and V(ufw) on Linux, V(pf) on macOS.
options:
  backend:
    description:
      - V(nftables) uses one C(inet) table named O(name) with named sets, applied with C(nft -f).
      - V(iptables) uses the chains C(<name>_in), C(<name>_out) and C(<name>_dst) in the filter table (in gateway
        mode also C(<name>_fwd), C(<name>_clients) and C(<name>_fwd_dst)), applied with
        C(iptables-restore --noflush) (and C(ip6tables-restore) with O(ipv6)), and saved to
        O(iptables_save_path) (and O(ip6tables_save_path)).
      - V(pf) writes the anchor O(name) under O(pf_anchors_dir), hooks it into O(pf_conf) and installs a
        LaunchDaemon that loads it with C(pfctl -E -a NAME -f).
      - V(firewalld) writes policies of its own to firewalld's permanent configuration in C(/etc/firewalld/policies),
        C(<name>_in) (zone C(ANY) to C(HOST), ingress) and C(<name>_out) (C(HOST) to C(ANY), egress), priority
        V(-100) (before the zones' own rules), target C(DROP) or C(REJECT) (O(policy)); with O(destinations) or
        O(resolved_destinations) also the ipsets C(<name>_dst4) and C(<name>_dst6) in C(/etc/firewalld/ipsets). The
        candidate configuration is checked with C(firewall-offline-cmd --check-config) on a copy before anything is
        written; then the files are written and firewalld is reloaded (C(firewall-cmd --reload)). When firewalld is not
        running, the files are written (and take effect when it starts) with a warning, and no rollback is armed.
        O(name) has at most 14 characters (firewalld's policy names have at most 18).
      - With V(firewalld), the reload also drops changes that were made to firewalld's runtime configuration only
        (without C(--permanent)), as every reload does. firewalld accepts loopback and established traffic itself,
        before any policy, so O(keep_loopback=false) has no effect. A rich rule has one port, so the DHCP rules allow
        UDP to port 67 (DHCPv6 547) out and to port 68 (546) in. O(address_timeout) does not apply.
      - V(ufw) adds rules with the comment C(macfleet-<name>) (C(ufw allow ...)); each filtered direction ends with a
        C(deny) (or C(reject)) rule of its own for everything else. ufw's global defaults (C(ufw default),
        C(/etc/default/ufw)) are never changed and an inactive ufw is not enabled (a warning says the rules take
        effect when it is), so O(state=absent) restores C(ufw status verbose) exactly. ufw has no transaction, so a
        change deletes the module's rules, then adds the new ones in order (at the end of the rule list); when a
        step fails, the previous rules are put back. Rules of others that come before the module's still apply.
        ufw's own before rules accept loopback, established traffic, DHCP answers and the ICMP types ufw allows;
        ufw rules cannot match ICMP, so O(allow_icmp) and O(keep_loopback=false) have no effect.
        O(address_timeout) does not apply.
    type: str
    choices: [nftables, iptables, pf, firewalld, ufw]
    default: nftables
  name:
    description:
      - Name of the table, the chain prefix or the anchor. A letter followed by up to 19 letters, digits or underscores.
    type: str
    default: macfleet
  state:
    description:
      - V(absent) removes exactly the table, chains, anchor, hook and LaunchDaemon, firewalld policies and ipsets, or
        ufw rules this module creates.
    type: str
    choices: [present, absent]
    default: present
  directions:
    description:
      - Directions to filter. A direction listed here gets a default-deny chain that allows only its O(rules).
        A direction not listed is left alone.
      - V(forward) is gateway mode (V(nftables) and V(iptables) only). Only traffic forwarded from
        O(client_networks) is filtered, by the V(forward) O(rules); the forward chain keeps policy accept.
    type: list
    elements: str
    choices: [egress, ingress, forward]
    default: [egress, ingress]
  rules:
    description:
      - Ports to allow, per direction and protocol.
    type: list
    elements: dict
    default: []
    suboptions:
      direction:
        description: Direction of the rule; V(forward) rules are what the clients of gateway mode may reach.
        type: str
        choices: [egress, ingress, forward]
        required: true
      protocol:
        description: Transport protocol.
        type: str
        choices: [tcp, udp]
        required: true
      ports:
        description:
          - Ports and ranges, as V(443), V("5223-5224"), V("5223:5224") or C({start, end}) dicts
            (the output of P(macfleet.apple_network.port_ranges#filter)). Each port must be between 1 and 65535.
        type: list
        elements: raw
        required: true
  destinations:
    description:
      - Restrict egress (and the clients' forwarded traffic in gateway mode) to these addresses or networks (for
        example V(17.0.0.0/8)). Empty means any destination.
      - An IPv6 zone ID (V(fe80::1%en0)), white space or a control character is refused.
    type: list
    elements: str
    default: []
  resolved_destinations:
    description:
      - Single addresses (resolved host names) egress (and gateway mode's forwarded traffic) is also allowed to.
        In nftables they go into sets with a
        timeout of O(address_timeout) seconds, so addresses that are not confirmed by a later run expire.
      - An IPv6 zone ID (V(fe80::1%en0)), white space or a control character is refused.
    type: list
    elements: str
    default: []
  selection:
    description:
      - The first element of the P(macfleet.apple_network.firewall_selection#lookup) lookup, as it is. Its C(rules),
        C(destinations) and C(resolved_destinations) take the place of O(rules), O(destinations) and
        O(resolved_destinations), and are validated as those options are; its other keys are not used.
      - One option for the whole selection means it is templated, and the lookup runs, once per task.
      - Mutually exclusive with O(rules), O(destinations) and O(resolved_destinations).
    type: dict
  address_timeout:
    description:
      - Lifetime in seconds of the O(resolved_destinations) elements (nftables only).
    type: int
    default: 86400
  management_ports:
    description:
      - TCP ports that always stay open for ingress (the management connection).
    type: list
    elements: raw
    default: [22]
  keep_current_connection:
    description:
      - Also keep open, for ingress, the port the controller connects to and the server port of the SSH
        connection the module runs over.
      - The action plugin adds the connection's port option (C(ansible_port), C(remote_port)) to O(management_ports),
        for connection plugins that have one (such as ssh). On the host, the module adds the server port of
        C(SSH_CONNECTION), which C(sudo) usually removes from the environment when C(become) is used.
      - With neither (the local connection), only O(management_ports) is kept.
    type: bool
    default: true
  policy:
    description:
      - What happens to traffic no rule allows, in the directions that are filtered.
    type: str
    choices: [drop, reject]
    default: drop
  allow_icmp:
    description:
      - Allow ICMP and ICMPv6 (echo, errors). IPv6 neighbour discovery is always allowed.
    type: bool
    default: true
  keep_loopback:
    description:
      - Accept all traffic on the loopback interface (C(lo), C(lo0) with pf) in every filtered direction.
      - Local services, a local resolver (systemd-resolved's stub C(127.0.0.53), dnsmasq on C(127.0.0.1)) and
        O(nameservers) on loopback need it. With V(false) and O(keep_dns), DNS to the name servers that arrives on the
        loopback interface is still accepted.
    type: bool
    default: true
  keep_dns:
    description:
      - Allow DNS (UDP and TCP port 53) out to the host's name servers, so the host can still resolve names.
      - The name servers are O(nameservers), or when that is empty, the C(nameserver) lines of C(/etc/resolv.conf)
        read on the host. When it points at systemd-resolved's stub (C(127.0.0.53) or C(127.0.0.54)), the servers
        in C(/run/systemd/resolve/resolv.conf) (resolved's upstreams) are added. Entries that are not IP addresses
        are ignored with a warning; an IPv6 zone (C(%eth0)) is dropped.
      - Name servers on loopback need no rule of their own with O(keep_loopback).
      - The rules follow the host's configuration as it is at each run; a resolver change (a new DHCP lease with
        other name servers) needs a new run, or fixed O(nameservers).
    type: bool
    default: true
  keep_dhcp:
    description:
      - Allow the DHCP client's traffic, so address leases can be renewed. Out, with V(egress) in O(directions),
        UDP from port 68 to port 67 and DHCPv6 from port 546 to port 547. In, with V(ingress), the servers'
        answers, UDP from port 67 to port 68 and from port 547 to port 546.
      - The DHCPv6 rules are written where IPv6 is managed, so always with V(nftables) and V(pf), with V(iptables)
        when O(ipv6=true).
    type: bool
    default: true
  nameservers:
    description:
      - The name servers O(keep_dns) allows DNS to, instead of the ones read from the host. IP addresses only.
    type: list
    elements: str
    default: []
  client_networks:
    description:
      - Gateway mode, required with V(forward) in O(directions) and not allowed without it. The networks of the
        clients behind this host, as CIDR networks or single addresses, IPv4 and IPv6 (V(10.20.0.0/16),
        V(2001:db8:20::/48)); host bits are cleared.
      - Only forwarded traffic whose source is in one of these networks is filtered.
    type: list
    elements: str
    default: []
  client_nameservers:
    description:
      - Gateway mode. Name servers the clients may reach through this host with DNS (UDP and TCP port 53), besides
        the V(forward) O(rules). IP addresses only.
      - When empty and O(keep_dns) is on, the host's own name servers (O(nameservers), or the ones read on the
        host, without loopback addresses) are used, as clients usually get the same resolvers. Otherwise forwarded
        DNS is only allowed when port 53 is in the V(forward) O(rules).
      - A resolver on this host itself (dnsmasq on the gateway) is reached by the clients as ingress, not forward.
    type: list
    elements: str
    default: []
  ipv6:
    description:
      - With O(backend=iptables), also manage the IPv6 chains with C(ip6tables-restore).
    type: bool
    default: true
  iptables_variant:
    description:
      - Which iptables to use. V(auto) uses C(iptables-restore)/C(iptables-save) from the path.
    type: str
    choices: [auto, nft, legacy]
    default: auto
  iptables_save_path:
    description:
      - With O(backend=iptables), the file the IPv4 ruleset is saved to so it is restored at boot. The default is
        where Debian's C(netfilter-persistent) (C(iptables-persistent)) loads it from; RHEL's C(iptables-services)
        uses V(/etc/sysconfig/iptables). An empty string does not save.
      - The file gets the output of C(iptables-save) of the variant in use (O(iptables_variant)) for the whole
        ruleset, without its timestamp comments and with the chain counters zeroed, so it only changes when the
        rules change. It is written atomically (mode C(0640); a missing directory is created), only when its content
        differs, after the change is confirmed (see O(rollback_timeout)) or removed with O(state=absent), and never
        when the apply fails or is rolled back.
    type: path
    default: /etc/iptables/rules.v4
  ip6tables_save_path:
    description:
      - Same as O(iptables_save_path) for the IPv6 ruleset (C(ip6tables-save)), used with O(ipv6=true).
        RHEL's C(iptables-services) uses V(/etc/sysconfig/ip6tables). An empty string does not save.
    type: path
    default: /etc/iptables/rules.v6
  rollback_timeout:
    description:
      - Seconds after which a host-side watchdog restores the previous ruleset unless the change is confirmed with
        O(confirm). V(0) disables the watchdog. The action plugin confirms automatically over a new connection.
      - With V(firewalld) the watchdog writes the module's previous files back and reloads firewalld; with V(ufw) it
        deletes the new rules and adds the previous ones.
      - With V(pf) every change is covered, a first install included. The watchdog puts the anchor file,
        O(pf_conf) and the LaunchDaemon back as they were (removing those the change created), reloads or flushes
        the anchor and boots the previous LaunchDaemon back in if it was loaded.
    type: int
    default: 0
  confirm:
    description:
      - Token of a pending rollback to cancel (RV(rollback.token) of the run that applied the change). With this
        option nothing else is done, except that with O(backend=iptables) the confirmed ruleset is then saved to
        O(iptables_save_path) and O(ip6tables_save_path).
      - The action plugin does not use it; it confirms over a new connection with an equivalent shell command that
        claims RV(rollback.marker) and renames the staged RV(rollback.saves) into place.
    type: str
  state_dir:
    description:
      - Directory for the last-applied state, the rollback data and the pending-rollback marker.
      - An existing directory must belong to the user the module runs as and must not be writable by its group or
        others, and the marker and rollback data in it must be plain files (not symlinks); otherwise the module
        fails before changing anything.
    type: path
    default: /var/lib/macfleet-firewall
  pf_conf:
    description: Path of the main pf configuration (pf backend).
    type: path
    default: /etc/pf.conf
  pf_anchors_dir:
    description: Directory of the anchor file (pf backend).
    type: path
    default: /etc/pf.anchors
  launchdaemons_dir:
    description: Directory of the LaunchDaemon plist (pf backend).
    type: path
    default: /Library/LaunchDaemons
  launchdaemon_label:
    description: Label of the LaunchDaemon; unset or empty means C(com.macfleet.firewall.<name>).
    type: str
  pfctl_path:
    description: Path of C(pfctl).
    type: path
    default: /sbin/pfctl
  launchctl_path:
    description: Path of C(launchctl).
    type: path
    default: /bin/launchctl
notes:
  - Bad input (a port outside 1-65535, a value that is not an address, a name with spaces) fails before anything
    is read from or written to the host.
  - Gateway mode needs IP forwarding, which the module does not switch on; set C(net.ipv4.ip_forward=1) (and
    C(net.ipv6.conf.all.forwarding=1) for IPv6 clients) with M(ansible.posix.sysctl) or the host's network
    configuration. The forward chain only ever drops traffic from O(client_networks); another table or the
    built-in C(FORWARD) policy of the host can still drop the rest.
  - Egress to Apple's time servers (NTP, UDP 123) is not an essential; it is part of the selection (the catalog's
    ports).
  - With pf, the hook in O(pf_conf) takes effect when the main ruleset is next loaded (at boot); the module never
    reloads or flushes the main ruleset and never disables pf. RV(pf_hook_active) tells whether it is active now.
seealso:
  - plugin: macfleet.apple_network.firewall_selection
    plugin_type: lookup
  - module: community.general.iptables_state
"""

EXAMPLES = r"""
- name: Allow APNs and HTTPS out, Bonjour in; everything else dropped
  # example: needs root on a real host (changes the host's firewall; tests/system/firewall runs the module in network namespaces)
  macfleet.apple_network.firewall_rules:
    directions: [egress, ingress]
    rules:
      - {direction: egress, protocol: tcp, ports: [443, "5223"]}
      - {direction: ingress, protocol: udp, ports: [5353]}
    destinations: [17.0.0.0/8]
    rollback_timeout: 30

- name: Egress only; DNS to fixed name servers, no DHCP (static addresses)
  # example: needs root on a real host (changes the host's firewall; tests/system/firewall runs the module in network namespaces)
  macfleet.apple_network.firewall_rules:
    directions: [egress]
    rules:
      - {direction: egress, protocol: tcp, ports: [443]}
    nameservers: [10.0.0.53, "2001:db8::53"]
    keep_dhcp: false

- name: Same with iptables-legacy chains
  # example: needs root on a real host (changes the host's firewall; tests/system/firewall runs the module in network namespaces)
  macfleet.apple_network.firewall_rules:
    backend: iptables
    iptables_variant: legacy
    rules:
      - {direction: egress, protocol: tcp, ports: ["5223-5224"]}

- name: Gateway mode, the Macs in 10.20.0.0/16 may reach HTTPS and APNs at Apple only
  # example: needs root on a real host (changes the host's firewall; tests/system/firewall runs the module in network namespaces)
  macfleet.apple_network.firewall_rules:
    directions: [forward]
    client_networks: [10.20.0.0/16, "2001:db8:20::/48"]
    rules:
      - {direction: forward, protocol: tcp, ports: [443, 5223]}
    destinations: [17.0.0.0/8, "2620:149::/32"]
    client_nameservers: [10.20.0.53]

- name: firewalld (RHEL, Fedora) - own policies macfleet_in and macfleet_out, ingress and egress
  # example: needs root on a real host (changes the host's firewall; tests/system/firewall runs the module in network namespaces)
  macfleet.apple_network.firewall_rules:
    backend: firewalld
    rules:
      - {direction: egress, protocol: tcp, ports: [443, "5223"]}
      - {direction: ingress, protocol: tcp, ports: [5900]}
    rollback_timeout: 30

- name: ufw (Ubuntu) - rules tagged with the comment macfleet-macfleet
  # example: needs root on a real host (changes the host's firewall; tests/system/firewall runs the module in network namespaces)
  macfleet.apple_network.firewall_rules:
    backend: ufw
    directions: [egress]
    rules:
      - {direction: egress, protocol: tcp, ports: [443, "5223"]}

- name: Remove what the module added
  # example: needs root on a real host (changes the host's firewall; tests/system/firewall runs the module in network namespaces)
  macfleet.apple_network.firewall_rules:
    state: absent
"""

RETURN = r"""
rendered:
  description:
    - The ruleset that was (or would be) applied; for pf the anchor file; for firewalld the policy and ipset files,
      each after a C(# <path>) line; for ufw the C(ufw) commands that add the rules.
  returned: success and O(state=present)
  type: str
rollback:
  description: The armed watchdog; empty when none is armed.
  returned: success
  type: dict
  contains:
    token:
      description: Token to pass as O(confirm).
      type: str
    timeout:
      description: Seconds until the previous ruleset is restored.
      type: int
    pid:
      description: Process ID of the watchdog.
      type: int
    marker:
      description: Path of the pending-rollback marker; the confirmation claims it by renaming it.
      type: str
    saves:
      description:
        - With O(backend=iptables), the save files staged for this change, as C({staged, path}). The confirmation
          renames each staged file to its path; a rollback removes them.
      type: list
      elements: dict
confirmed:
  description: Whether O(confirm) cancelled a pending rollback.
  returned: when O(confirm) is given
  type: bool
management_ports:
  description: The TCP ports kept open for the management connection.
  returned: success
  type: list
  elements: int
restricted_to:
  description:
    - Where egress (and forwarded traffic from the clients) may go; the lists are empty when neither O(destinations) nor
      O(resolved_destinations) is given (any destination). Empty when nothing is applied (O(state=absent)).
    - In check mode it shows the destinations the ruleset would use.
  returned: success
  type: dict
  contains:
    networks:
      description: The networks of O(destinations), collapsed, IPv4 then IPv6.
      type: list
      elements: str
      sample: [17.0.0.0/8, 2403:300::/32, 2620:149::/32, 2a01:b740::/32]
    addresses:
      description: The single addresses of O(resolved_destinations), sorted and unique, IPv4 then IPv6.
      type: list
      elements: str
      sample: [17.253.144.10]
essentials:
  description: The essential traffic kept besides the selection; empty when nothing is applied (O(state=absent)).
  returned: success
  type: dict
  contains:
    loopback:
      description: Whether loopback traffic is accepted (O(keep_loopback)).
      type: bool
    dns:
      description: Whether DNS to RV(essentials.nameservers) is allowed (O(keep_dns)).
      type: bool
    dhcp:
      description: Whether the DHCP client's traffic is allowed (O(keep_dhcp)).
      type: bool
    nameservers:
      description: The name servers DNS is allowed to (loopback ones are covered by the loopback rule).
      type: list
      elements: str
      sample: [10.0.0.53, 127.0.0.53]
    nameserver_sources:
      description: Where the name servers came from, V(nameservers) (the option) or the files read on the host.
      type: list
      elements: str
      sample: [/etc/resolv.conf, /run/systemd/resolve/resolv.conf]
    client_nameservers:
      description:
        - The name servers the clients may reach with DNS through this host (O(client_nameservers)).
        - Only in gateway mode (V(forward) in O(directions)).
      type: list
      elements: str
      sample: [10.0.0.53]
firewalld_running:
  description: Whether firewalld was running (C(firewall-cmd --get-policies) answered), so the change was reloaded.
  returned: O(backend=firewalld)
  type: bool
ufw_active:
  description: Whether ufw is active (C(ufw status)); an inactive ufw keeps the rules without applying them.
  returned: O(backend=ufw)
  type: bool
pf_hook_active:
  description: Whether the live main pf ruleset references the anchor (C(pfctl -sr)).
  returned: O(backend=pf) and O(state=present)
  type: bool
saved:
  description:
    - The iptables save files written (in check mode, that would be written) because their content changed.
  returned: O(backend=iptables)
  type: list
  elements: str
  sample: [/etc/iptables/rules.v4]
commands:
  description: Commands that changed the host, in order.
  returned: success
  type: list
  elements: str
"""

import json
import os
import plistlib
import shlex
import shutil
import stat
import tempfile
import uuid

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.files import write_atomic
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import firewalld as fwd
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import iptables as ipt
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import nftables as nft
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import pf
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import plan
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import resolvers
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import rollback
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import ufw as ufwr
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import FirewallInputError, check_label


class Runner:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.commands = []
        self.state_dir = module.params["state_dir"]

    def run(self, argv, data=None, check_rc=True, record=True):
        rc, out, err = self.module.run_command(argv, data=data, binary_data=True)
        if record:
            self.commands.append(" ".join(argv))
        if check_rc and rc != 0:
            self.module.fail_json(msg="%s failed (rc %d): %s" % (" ".join(argv), rc, (err or out).strip()),
                                  commands=self.commands, rc=rc, stderr=err, stdout=out)
        return rc, out, err

    def write_state_file(self, name, content):
        if not os.path.isdir(self.state_dir):
            os.makedirs(self.state_dir, 0o700)
        path = os.path.join(self.state_dir, name)
        write_atomic(path, content.encode("utf-8"), 0o600)
        return path

    def read_state_file(self, name):
        try:
            with rollback.open_state_file(os.path.join(self.state_dir, name)) as handle:
                return handle.read()
        except (IOError, OSError):
            return None

    def remove_state_file(self, name):
        try:
            os.unlink(os.path.join(self.state_dir, name))
        except OSError:
            pass

    def arm(self, name, backend, restore_argv, restore_input_text, token=None, discard=()):
        timeout = self.params["rollback_timeout"]
        if timeout <= 0:
            return {}
        token = token or uuid.uuid4().hex
        restore_file = rollback.restore_input_path(self.state_dir, name, backend)
        self.write_state_file(os.path.basename(restore_file), restore_input_text)
        try:
            pid = rollback.arm(self.module.run_command, self.state_dir, name, backend, token, timeout, restore_argv,
                               restore_file, discard)
        except OSError as exc:
            self.module.fail_json(msg="the change was applied, but its rollback watchdog could not be armed: %s" % exc,
                                  commands=self.commands)
        return {"token": token, "timeout": timeout, "pid": pid,
                "marker": rollback.pending_path(self.state_dir, name, backend)}


# -- nftables -----------------------------------------------------------------------------------

def nftables_apply(module, runner, spec):
    name = spec["name"] if spec else module.params["name"]
    binary = module.get_bin_path("nft", required=True)
    rc, listing, _err = runner.run([binary, "list", "table", nft.FAMILY, name], check_rc=False, record=False)
    current = listing if rc == 0 else None
    state_name = "%s.nftables.json" % name
    status = plan.nftables_status(name, module.params["state"], spec, current, runner.read_state_file(state_name))
    result = {"changed": False, "commands": runner.commands}

    if module.params["state"] == "absent":
        if status["in_sync"]:
            return result
        if status["foreign"]:
            module.fail_json(msg="table %s %s exists but was not created by this module; refusing to delete it"
                             % (nft.FAMILY, name))
        result.update(changed=True, diff=status["diff"])
        if not module.check_mode:
            runner.run([binary, "-f", "-"], data=nft.delete_script(name))
            runner.remove_state_file(state_name)
        return result

    rendered = status["rendered"]
    script = nft.replace_script(spec)
    result.update(rendered=rendered, diff=status["diff"])
    if status["in_sync"]:
        return result
    result["changed"] = True
    check_file = runner.write_state_file("%s.nftables.candidate" % name, script) if not module.check_mode else None
    if module.check_mode:
        with tempfile.NamedTemporaryFile("w", suffix=".nft") as handle:
            handle.write(script)
            handle.flush()
            runner.run([binary, "-c", "-f", handle.name], record=False)
        return result
    runner.run([binary, "-c", "-f", check_file])
    restore_text = nft.restore_script(name, current)
    runner.run([binary, "-f", check_file])
    rc, listing, _err = runner.run([binary, "list", "table", nft.FAMILY, name], record=False)
    runner.write_state_file(state_name, json.dumps({"sha256": status["digest"], "rendered": rendered,
                                                    "listing": nft.normalize_listing(listing)}))
    runner.remove_state_file("%s.nftables.candidate" % name)
    result["rollback"] = runner.arm(name, "nftables", [binary, "-f", "-"], restore_text)
    return result


# -- iptables -----------------------------------------------------------------------------------

def _iptables_binaries(module, version):
    base = "iptables" if version == 4 else "ip6tables"
    variant = module.params["iptables_variant"]
    suffix = "" if variant == "auto" else "-" + variant
    return (module.get_bin_path("%s%s-save" % (base, suffix), required=True),
            module.get_bin_path("%s%s-restore" % (base, suffix), required=True))


def _read_text(path):
    data = _read(path)
    return None if data is None else data.decode("utf-8", "replace")


def _staged_path(path, token):
    return os.path.join(os.path.dirname(path) or ".", ".%s.macfleet-%s" % (os.path.basename(path), token))


def _stage(module, path, content, token):
    """Write ``content`` next to ``path`` as a staged file with the attributes ``path`` has (or would get)."""
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    staged = _staged_path(path, token)
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content.encode("utf-8"))
    if os.path.exists(path):  # keep the mode, owner and SELinux context of the existing file
        info = os.stat(path)
        os.chmod(staged, stat.S_IMODE(info.st_mode))
        try:
            os.chown(staged, info.st_uid, info.st_gid)
        except OSError:
            pass
        context = module.selinux_context(path) if module.selinux_enabled() else None
    else:
        os.chmod(staged, 0o640)  # as netfilter-persistent creates it
        context = module.selinux_default_context(path) if module.selinux_enabled() else None
    if context:
        module.set_context_if_different(staged, context, False)
    return staged


def iptables_save_files(module, runner, token=None):
    """Save ``iptables-save`` (``ip6tables-save``) output of the variant in use to the save paths, only where it
    differs. Returns ``(paths, diffs, stages)``; in check mode nothing is written.

    Without ``token`` each file is replaced at once (atomically, by rename). With ``token`` (a change waiting for
    its confirmation) the content is only staged next to the file: ``stages`` lists ``(staged, path)`` for the
    confirmation to rename, and the rollback watchdog removes them instead.
    """
    paths, diffs, stages = [], [], []
    for version, path in sorted(plan.save_paths(module.params).items()):
        save, _restore = _iptables_binaries(module, version)
        _rc, out, _err = runner.run([save], record=False)
        content, before = ipt.normalize_save(out), _read_text(path)
        if content == before:
            continue
        paths.append(path)
        diffs.append(plan.file_diff(path, before, content))
        if module.check_mode:
            continue
        staged = _stage(module, path, content, token or uuid.uuid4().hex)
        if token:
            stages.append((staged, path))
            continue
        os.rename(staged, path)
        runner.commands.append("%s > %s" % (save, path))
    return paths, diffs, stages


def iptables_apply(module, runner, spec):
    name = spec["name"] if spec else module.params["name"]
    versions = [4, 6] if module.params["ipv6"] else [4]
    paths = plan.save_paths(module.params)
    result = {"changed": False, "commands": runner.commands, "saved": []}
    lives, restores = {}, {}
    for version in versions:
        save, restores[version] = _iptables_binaries(module, version)
        lives[version] = runner.run([save] if version in paths else [save, "-t", "filter"], record=False)[1]
    files = dict((v, _read_text(p)) for v, p in paths.items())
    status = plan.iptables_status(name, module.params["state"], spec, lives, paths, files)
    result["diff"] = status["diff"]
    if "rendered" in status:
        result["rendered"] = status["rendered"]
    if status["in_sync"]:
        return result
    result["changed"] = True
    plans = [(v, restores[v], forward, backward) for v, forward, backward in status["plans"]]
    for version, restore, forward, _backward in plans:
        runner.run([restore, "--noflush", "--test"], data=forward, record=not module.check_mode)
    if module.check_mode:
        result["saved"] = [path for _v, path, _b, _a, _p in status["files"]]
        return result
    applied = []
    for version, restore, forward, backward in plans:
        rc, out, err = runner.run([restore, "--noflush"], data=forward, check_rc=False)
        if rc != 0:
            for _v, r, _f, back in reversed(applied):
                runner.run([r, "--noflush"], data=back, check_rc=False)
            module.fail_json(msg="%s failed (rc %d): %s; the chains were restored" % (restore, rc, (err or out).strip()),
                             commands=runner.commands)
        applied.append((version, restore, forward, backward))
    if applied and module.params["state"] == "present" and module.params["rollback_timeout"] > 0:
        # One watchdog restores every IP version: a shell pipeline per version. The save files are only staged:
        # the confirmation renames them into place, a rollback removes them, so a rolled-back ruleset never
        # comes back at boot.
        token = uuid.uuid4().hex
        pending_paths, diffs, stages = iptables_save_files(module, runner, token)
        script = "".join(rollback.heredoc("%s --noflush" % shlex.quote(r), back) for _v, r, _f, back in applied)
        result["rollback"] = runner.arm(name, "iptables", ["/bin/sh"], script, token=token,
                                        discard=[staged for staged, _p in stages])
        result["rollback"]["saves"] = [{"staged": staged, "path": path} for staged, path in stages]
        result["diff"] = status["diff"][:1] + diffs
        return result
    result["saved"], diffs, _stages = iptables_save_files(module, runner)
    result["diff"] = status["diff"][:1] + diffs
    return result


# -- pf -----------------------------------------------------------------------------------------

def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def _plist_text(data):
    """A LaunchDaemon's bytes as text for the rollback script (a binary plist as the same plist in XML)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return plistlib.dumps(plistlib.loads(data), fmt=plistlib.FMT_XML).decode("utf-8")


def pf_apply(module, runner, spec):
    params = module.params
    name = spec["name"] if spec else params["name"]
    label = params["launchdaemon_label"] or "com.macfleet.firewall.%s" % name
    check_label(label)
    pfctl, launchctl = params["pfctl_path"], params["launchctl_path"]
    anchor_path = os.path.join(params["pf_anchors_dir"], name)
    plist_path = os.path.join(params["launchdaemons_dir"], "%s.plist" % label)
    pf_conf_bytes = _read(params["pf_conf"])
    if pf_conf_bytes is None:
        module.fail_json(msg="%s does not exist; pf is not set up on this host" % params["pf_conf"])
    pf_conf = pf_conf_bytes.decode("utf-8")
    old_anchor, old_plist = _read(anchor_path), _read(plist_path)
    rc, _o, _e = runner.run([launchctl, "print", "system/%s" % label], check_rc=False, record=False)
    loaded = rc == 0
    result = {"changed": False, "commands": runner.commands}

    if params["state"] == "absent":
        new_conf = pf.remove_hook(pf_conf, name)
        changed = loaded or old_anchor is not None or old_plist is not None or new_conf != pf_conf
        result.update(changed=changed, diff={"before": (old_anchor or b"").decode("utf-8"), "after": ""})
        if changed and not module.check_mode:
            if loaded:
                runner.run([launchctl, "bootout", "system/%s" % label])
            if old_plist is not None:
                os.unlink(plist_path)
            runner.run([pfctl, "-a", name, "-F", "all"])
            if new_conf != pf_conf:
                write_atomic(params["pf_conf"], new_conf.encode("utf-8"), 0o644)
            if old_anchor is not None:
                os.unlink(anchor_path)
        return result

    anchor = pf.render_anchor(spec).encode("utf-8")
    plist = pf.render_launchdaemon(label, pfctl, name, anchor_path)
    new_conf = pf.add_hook(pf_conf, name, anchor_path)
    # Validate the anchor before anything is written: pfctl -n parses without loading.
    with tempfile.NamedTemporaryFile("wb", suffix=".pf") as handle:
        handle.write(anchor)
        handle.flush()
        runner.run([pfctl, "-n", "-a", name, "-f", handle.name], record=False)
    changes = {"anchor": old_anchor != anchor, "plist": old_plist != plist, "hook": new_conf != pf_conf,
               "loaded": not loaded}
    result.update(rendered=anchor.decode("utf-8"),
                  diff={"before": (old_anchor or b"").decode("utf-8"), "after": anchor.decode("utf-8")})
    if any(changes.values()):
        result["changed"] = True
        if not module.check_mode:
            previous = {}
            if changes["anchor"]:
                previous[anchor_path] = None if old_anchor is None else old_anchor.decode("utf-8")
            if changes["hook"]:
                previous[params["pf_conf"]] = pf_conf
            if changes["plist"]:
                previous[plist_path] = None if old_plist is None else _plist_text(old_plist)
            if changes["anchor"]:
                write_atomic(anchor_path, anchor, 0o644)
            if changes["hook"]:
                write_atomic(params["pf_conf"], new_conf.encode("utf-8"), 0o644)
            if changes["plist"]:
                write_atomic(plist_path, plist, 0o644)
            if changes["plist"] or changes["loaded"]:
                if loaded:
                    runner.run([launchctl, "bootout", "system/%s" % label])
                # RunAtLoad: pfctl -E -a NAME -f ANCHOR runs now and at every boot.
                runner.run([launchctl, "bootstrap", "system", plist_path])
            elif changes["anchor"]:
                runner.run([pfctl, "-a", name, "-f", anchor_path])
            # Every change can be rolled back, a first install to no anchor and the original pf.conf.
            token = uuid.uuid4().hex
            result["rollback"] = runner.arm(name, "pf", ["/bin/sh"], pf.restore_script(
                pfctl, launchctl, name, label, previous, anchor_path, plist_path,
                relaunched=changes["plist"] or changes["loaded"], was_loaded=loaded, token=token), token=token)
    rc, out, _e = runner.run([pfctl, "-s", "rules"], check_rc=False, record=False)
    result["pf_hook_active"] = rc == 0 and ('anchor "%s"' % name) in out
    if not result["pf_hook_active"]:
        module.warn("The main pf ruleset does not reference anchor %s yet; the hook in %s takes effect when "
                    "the main ruleset is next loaded (at boot)." % (name, params["pf_conf"]))
    return result


# -- firewalld ----------------------------------------------------------------------------------

def _firewalld_live(runner, firewall_cmd):
    """``{"policies": set, "ipsets": set}`` of the running firewalld, or None when it is not running."""
    live = {}
    for kind in ("policies", "ipsets"):
        rc, out, _err = runner.run([firewall_cmd, "--get-%s" % kind], check_rc=False, record=False)
        if rc != 0:
            return None
        live[kind] = set(out.split())
    return live


def _firewalld_write(files):
    """Write (or remove, for None) the managed files under the configuration directory, each atomically."""
    for path in sorted(files):
        target = os.path.join(fwd.CONFIG_DIR, path)
        if files[path] is None:
            if os.path.exists(target):
                os.unlink(target)
            continue
        if not os.path.isdir(os.path.dirname(target)):
            os.makedirs(os.path.dirname(target), 0o750)
        write_atomic(target, files[path].encode("utf-8"), 0o644)


def _firewalld_check(module, runner, offline_cmd, name, wanted):
    """``firewall-offline-cmd --check-config`` on a copy of the configuration directory holding the rendered files:
    what firewalld would reject fails here, before anything of the host's is written."""
    scratch = tempfile.mkdtemp(prefix="macfleet-firewalld-")
    try:
        candidate = os.path.join(scratch, "firewalld")
        shutil.copytree(fwd.CONFIG_DIR, candidate, symlinks=True)
        for path in fwd.managed_files(name):
            if os.path.exists(os.path.join(candidate, path)):
                os.unlink(os.path.join(candidate, path))
        for path, content in wanted.items():
            if not os.path.isdir(os.path.dirname(os.path.join(candidate, path))):
                os.makedirs(os.path.dirname(os.path.join(candidate, path)))
            with open(os.path.join(candidate, path), "w") as handle:
                handle.write(content)
        rc, out, err = runner.run([offline_cmd, "--system-config", candidate, "--check-config"], check_rc=False,
                                  record=False)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if rc != 0:
        module.fail_json(msg="firewalld rejects the rendered configuration (firewall-offline-cmd --check-config, rc %d): "
                             "%s; nothing was changed" % (rc, (err or out).strip()), commands=runner.commands)


def firewalld_apply(module, runner, spec):
    name = module.params["name"]
    firewall_cmd = module.get_bin_path("firewall-cmd", required=True)
    offline_cmd = module.get_bin_path("firewall-offline-cmd", required=True)
    if not os.path.isdir(fwd.CONFIG_DIR):
        module.fail_json(msg="%s does not exist; firewalld is not installed on this host" % fwd.CONFIG_DIR)
    current = dict((path, _read_text(os.path.join(fwd.CONFIG_DIR, path))) for path in fwd.managed_files(name))
    live = _firewalld_live(runner, firewall_cmd)
    status = fwd.status(name, spec, current, live)
    if status["foreign"]:
        module.fail_json(msg="%s exists but was not created by this module; refusing to change it"
                         % os.path.join(fwd.CONFIG_DIR, status["foreign"][0]))
    wanted = status["wanted"]
    result = {"changed": False, "commands": runner.commands, "firewalld_running": live is not None,
              "diff": status["diff"]}
    if "rendered" in status:
        result["rendered"] = status["rendered"]
    if status["in_sync"]:
        return result
    result["changed"] = True
    if wanted:
        _firewalld_check(module, runner, offline_cmd, name, wanted)
    if module.check_mode:
        return result
    _firewalld_write(dict((path, wanted.get(path)) for path in current))
    runner.commands.append("write %s" % " ".join(os.path.join(fwd.CONFIG_DIR, p) for p in sorted(current)))
    if live is None:
        if spec:
            module.warn("firewalld is not running: the policies were written to %s and take effect when it starts"
                        % fwd.CONFIG_DIR)
        return result
    rc, out, err = runner.run([firewall_cmd, "--reload"], check_rc=False)
    live = _firewalld_live(runner, firewall_cmd) if rc == 0 else None
    if live is None or not fwd.live_matches(live, name, wanted):
        _firewalld_write(current)
        runner.run([firewall_cmd, "--reload"], check_rc=False)
        reason = (err or out).strip() if rc != 0 else "the reloaded firewalld does not list the policies and ipsets"
        module.fail_json(msg="firewall-cmd --reload failed (rc %d): %s; the previous configuration was restored"
                             % (rc, reason), commands=runner.commands)
    if spec:
        token = uuid.uuid4().hex
        result["rollback"] = runner.arm(name, "firewalld", ["/bin/sh"],
                                        fwd.restore_script(fwd.CONFIG_DIR, current, firewall_cmd, token), token=token)
    return result


# -- ufw ----------------------------------------------------------------------------------------

def _ufw_owned(runner, ufw_cmd, name):
    return ufwr.owned(runner.run([ufw_cmd, "show", "added"], record=False)[1], name)


def ufw_apply(module, runner, spec):
    name = module.params["name"]
    ufw_cmd = module.get_bin_path("ufw", required=True)
    current = _ufw_owned(runner, ufw_cmd, name)
    state_name = "%s.ufw.json" % name
    stored = json.loads(runner.read_state_file(state_name) or "{}")
    wanted = ufwr.render(spec) if spec else []
    rendered = ufwr.text(wanted)
    # The rules as ufw lists them differ in form from the ones we give it: the state file pairs both.
    matches = bool(current) and stored.get("listing") == current
    result = {"changed": False, "commands": runner.commands,
              "diff": {"before": stored.get("rendered", "") if matches else "".join(l + "\n" for l in current),
                       "after": rendered}}
    status = runner.run([ufw_cmd, "status"], record=False)[1]
    result["ufw_active"] = status.splitlines()[0].strip() == "Status: active" if status.strip() else False
    if spec:
        result["rendered"] = rendered
        if not result["ufw_active"]:
            module.warn("ufw is inactive: its rules (ours included) take effect when it is enabled (ufw enable), "
                        "which this module leaves to you")
    in_sync = (matches and stored.get("rendered") == rendered) if spec else not current
    if in_sync:
        return result
    result["changed"] = True
    for argv in wanted:  # ufw parses each rule without changing anything
        rc, out, err = runner.run([ufw_cmd, "--dry-run"] + argv, check_rc=False, record=False)
        if rc != 0:
            module.fail_json(msg="ufw rejects the rule %s (rc %d): %s; nothing was changed"
                                 % (" ".join(argv), rc, (err or out).strip()), commands=runner.commands)
    if module.check_mode:
        return result
    # No transaction in ufw: our old rules go first (more open for a moment, never locked out), then the new ones.
    # Whatever fails puts our previous rules back.
    previous = ufwr.previous_rules(current, stored)
    steps = [ufwr.delete_argv(line) for line in current] + wanted
    for argv in steps:
        rc, out, err = runner.run([ufw_cmd] + argv, check_rc=False)
        if rc != 0:
            restore = [ufwr.delete_argv(line) for line in _ufw_owned(runner, ufw_cmd, name)] + previous
            for undo in restore:
                runner.run([ufw_cmd] + undo, check_rc=False)
            module.fail_json(msg="ufw %s failed (rc %d): %s; the previous rules were restored"
                                 % (" ".join(argv), rc, (err or out).strip()), commands=runner.commands)
    if not spec:
        runner.remove_state_file(state_name)
        return result
    listing = _ufw_owned(runner, ufw_cmd, name)
    runner.write_state_file(state_name, json.dumps({"rendered": rendered, "argv": wanted, "listing": listing}))
    result["rollback"] = runner.arm(name, "ufw", ["/bin/sh"], ufwr.restore_script(ufw_cmd, listing, previous))
    return result


BACKENDS = {"nftables": nftables_apply, "iptables": iptables_apply, "pf": pf_apply, "firewalld": firewalld_apply,
            "ufw": ufw_apply}


def confirm(module, runner):
    params = module.params
    ok, reason = rollback.confirm(params["state_dir"], params["name"], params["backend"], params["confirm"])
    if not ok:
        module.fail_json(msg=reason, confirmed=False)
    result = {"changed": False, "confirmed": True, "commands": runner.commands, "rollback": {},
              "management_ports": [], "essentials": {}, "restricted_to": {}, "saved": []}
    if params["backend"] == "iptables":
        # The change is confirmed: only now does it become the ruleset restored at boot. This path saves afresh;
        # the copies the apply staged for the action plugin's confirmation are not needed.
        for path in plan.save_paths(params).values():
            try:
                os.unlink(_staged_path(path, params["confirm"]))
            except OSError:
                pass
        result["saved"], diffs, _stages = iptables_save_files(module, runner)
        result.update(changed=bool(result["saved"]), diff=diffs)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


def main():
    module = AnsibleModule(argument_spec=plan.ARGUMENT_SPEC, mutually_exclusive=plan.MUTUALLY_EXCLUSIVE,
                           supports_check_mode=True)
    params = module.params
    # Validate everything before the host is even read.
    try:
        plan.take_selection(params)
        spec, mgmt = plan.validate(params, os.environ.get("SSH_CONNECTION"))
        if plan.needs_host_resolvers(params):
            # Only now, with every option valid, is the host's resolver configuration read.
            spec, mgmt = plan.validate(params, os.environ.get("SSH_CONNECTION"), resolvers.read_host_files())
    except FirewallInputError as exc:
        module.fail_json(msg=str(exc))
    for warning in plan.essentials_warnings(spec):
        module.warn(warning)

    try:
        rollback.check_state_dir(params["state_dir"], params["name"], params["backend"])
    except rollback.StateDirError as exc:
        module.fail_json(msg=str(exc))
    runner = Runner(module)
    if params["confirm"] is not None:
        confirm(module, runner)

    result = BACKENDS[params["backend"]](module, runner, spec)
    result.setdefault("rollback", {})
    result["management_ports"] = [p for s, e in mgmt for p in range(s, e + 1)] if spec else []
    result["essentials"] = plan.essentials(spec)
    result["restricted_to"] = plan.restricted_to(spec)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
