# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""firewall_rules' argument spec, shared by the module and its action plugin, and the ``selection`` option taken apart."""

from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import FirewallInputError, parse_network
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.ports import PROTOCOLS

ARGUMENT_SPEC = dict(
    backend=dict(type="str", default="nftables", choices=["nftables", "iptables", "pf", "firewalld", "ufw"]),
    name=dict(type="str", default="macfleet"),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    directions=dict(type="list", elements="str", default=["egress", "ingress"], choices=["egress", "ingress", "forward"]),
    rules=dict(type="list", elements="dict", default=[], options=dict(
        direction=dict(type="str", required=True, choices=["egress", "ingress", "forward"]),
        protocol=dict(type="str", required=True, choices=list(PROTOCOLS)),
        ports=dict(type="list", elements="raw", required=True),
    )),
    destinations=dict(type="list", elements="str", default=[]),
    resolved_destinations=dict(type="list", elements="str", default=[]),
    address_timeout=dict(type="int", default=86400),
    management_ports=dict(type="list", elements="raw", default=[22]),
    keep_current_connection=dict(type="bool", default=True),
    policy=dict(type="str", default="drop", choices=["drop", "reject"]),
    allow_icmp=dict(type="bool", default=True),
    keep_loopback=dict(type="bool", default=True),
    keep_dns=dict(type="bool", default=True),
    keep_dhcp=dict(type="bool", default=True),
    nameservers=dict(type="list", elements="str", default=[]),
    client_networks=dict(type="list", elements="str", default=[]),
    client_nameservers=dict(type="list", elements="str", default=[]),
    ipv6=dict(type="bool", default=True),
    iptables_variant=dict(type="str", default="auto", choices=["auto", "nft", "legacy"]),
    iptables_save_path=dict(type="path", default="/etc/iptables/rules.v4"),
    ip6tables_save_path=dict(type="path", default="/etc/iptables/rules.v6"),
    rollback_timeout=dict(type="int", default=0),
    confirm=dict(type="str"),
    state_dir=dict(type="path", default="/var/lib/macfleet-firewall"),
    pf_conf=dict(type="path", default="/etc/pf.conf"),
    pf_anchors_dir=dict(type="path", default="/etc/pf.anchors"),
    launchdaemons_dir=dict(type="path", default="/Library/LaunchDaemons"),
    launchdaemon_label=dict(type="str"),
    pfctl_path=dict(type="path", default="/sbin/pfctl"),
    launchctl_path=dict(type="path", default="/bin/launchctl"),
    selection=dict(type="dict"),
)
# What the firewall_selection lookup returns that the module uses; ``selection`` passes all of it at once.
SELECTION_KEYS = ("rules", "destinations", "resolved_destinations")
MUTUALLY_EXCLUSIVE = [["selection", key] for key in SELECTION_KEYS]


def take_selection(params):
    """Fill ``rules``, ``destinations`` and ``resolved_destinations`` from ``selection``; returns ``params``.

    ``selection`` is the firewall_selection lookup's result as it is, so a role templates (and the lookup runs)
    once instead of once per option. Its other keys (record ids, host names, unresolved names) are not used.
    The three parts are validated as the options themselves are.
    """
    selection = params.get("selection")
    if selection is None:
        return params
    given = dict((key, selection[key]) for key in SELECTION_KEYS if selection.get(key) is not None)
    validated = ArgumentSpecValidator(dict((key, ARGUMENT_SPEC[key]) for key in SELECTION_KEYS)).validate(given)
    if validated.error_messages:
        raise FirewallInputError("selection: %s" % "; ".join(validated.error_messages))
    for key in ("destinations", "resolved_destinations"):
        for index, value in enumerate(validated.validated_parameters.get(key) or []):
            parse_network(value, "selection.%s[%d]" % (key, index))  # the error names where the value came from
    params.update(validated.validated_parameters)
    return params
