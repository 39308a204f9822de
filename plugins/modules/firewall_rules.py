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

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import argspec
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import resolvers
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import rollback
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import summary
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import validation
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends.firewalld import FirewalldBackend
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends.iptables import IptablesBackend
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends.nftables import NftablesBackend
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends.pf import PfBackend
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends.ufw import UfwBackend
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.runner import Runner
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import FirewallInputError

BACKENDS = {"nftables": NftablesBackend, "iptables": IptablesBackend, "pf": PfBackend, "firewalld": FirewalldBackend,
            "ufw": UfwBackend}


def main():
    module = AnsibleModule(argument_spec=argspec.ARGUMENT_SPEC, mutually_exclusive=argspec.MUTUALLY_EXCLUSIVE,
                           supports_check_mode=True)
    params = module.params
    # Validate everything before the host is even read.
    try:
        argspec.take_selection(params)
        spec, mgmt = validation.validate(params, os.environ.get("SSH_CONNECTION"))
        if validation.needs_host_resolvers(params):
            # Only now, with every option valid, is the host's resolver configuration read.
            spec, mgmt = validation.validate(params, os.environ.get("SSH_CONNECTION"), resolvers.read_host_files())
    except FirewallInputError as exc:
        module.fail_json(msg=str(exc))
    for warning in summary.essentials_warnings(spec):
        module.warn(warning)

    try:
        rollback.check_state_dir(params["state_dir"], params["name"], params["backend"])
    except rollback.StateDirError as exc:
        module.fail_json(msg=str(exc))
    backend = BACKENDS[params["backend"]](module, Runner(module), spec)
    result = backend.run() if params["confirm"] is None else backend.confirm()
    result.setdefault("rollback", {})
    result["management_ports"] = [p for s, e in mgmt for p in range(s, e + 1)] if spec else []
    result["essentials"] = summary.essentials(spec)
    result["restricted_to"] = summary.restricted_to(spec)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
