# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Validation of firewall_rules' options into the spec the backends render (pure, no I/O).

The module and its action plugin both call :func:`validate`: every option is checked before the host is read.
"""

from __future__ import annotations

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import resolvers
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import (
    FirewallInputError,
    build_spec,
    check_forward_backend,
    check_label,
    check_name,
    parse_port,
    parse_ports,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.ports import merge_ranges

# The firewalld backend is imported where it is used: the action plugin is loaded, and Ansible compiles its imports
# from source, in every ansible-playbook run and task worker, and a run needs only the backend in use.


def management_ports(ports, keep_current_connection, ssh_connection):
    """The TCP ranges kept open: ``ports`` plus, when asked, the server port of ``SSH_CONNECTION``."""
    result = parse_ports(ports, "management_ports")
    if keep_current_connection:
        parts = (ssh_connection or "").split()
        if len(parts) == 4 and parts[3].isdigit():
            result = merge_ranges(result + [parse_port(parts[3], "SSH_CONNECTION")])
    return result


def needs_host_resolvers(params):
    """Whether the spec depends on the host's resolver configuration (DNS kept, no ``nameservers`` given)."""
    return (params["state"] == "present" and params["confirm"] is None and params["keep_dns"]
            and not params["nameservers"])


def resolver_config(params, host_files):
    """``{nameservers, sources, ignored}``: the ``nameservers`` option, else what ``host_files`` (``{path: text or None}``
    of :data:`resolvers.HOST_FILES`, read on the host) name; nothing while the host has not been read."""
    if params["nameservers"]:
        return {"nameservers": list(params["nameservers"]), "sources": ["nameservers"], "ignored": []}
    if not params["keep_dns"] or host_files is None:
        return {"nameservers": [], "sources": [], "ignored": []}
    return resolvers.host_nameservers(host_files)


def validate(params, ssh_connection, host_files=None):
    """Validate everything before the host is read. Returns ``(spec, management ranges)``; spec None unless applying.

    Call it first without ``host_files``: every option, ``nameservers`` included, is checked before anything is read.
    When :func:`needs_host_resolvers`, call it again with the host's resolver files to get the spec to render.
    The spec then carries ``resolver_config`` (where the name servers came from) for :func:`summary.essentials`.
    """
    check_name(params["name"])
    if params["backend"] == "firewalld":
        from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import firewalld as fwd

        fwd.check_firewalld_name(params["name"])
    if params["launchdaemon_label"]:
        check_label(params["launchdaemon_label"])
    check_forward_backend(params["backend"], params["directions"])
    if not 0 <= params["rollback_timeout"] <= 3600:
        raise FirewallInputError("rollback_timeout: %r is not between 0 and 3600 seconds" % params["rollback_timeout"])
    if params["state"] != "present" or params["confirm"] is not None:
        return None, []
    mgmt = management_ports(params["management_ports"], params["keep_current_connection"], ssh_connection)
    config = resolver_config(params, host_files)
    spec = build_spec(name=params["name"], directions=params["directions"], rules=params["rules"],
                      destinations=params["destinations"], resolved_destinations=params["resolved_destinations"],
                      address_timeout=params["address_timeout"], management_ports=mgmt,
                      policy=params["policy"], allow_icmp=params["allow_icmp"], keep_loopback=params["keep_loopback"],
                      keep_dns=params["keep_dns"], keep_dhcp=params["keep_dhcp"], nameservers=config["nameservers"],
                      client_networks=params["client_networks"], client_nameservers=params["client_nameservers"])
    spec["resolver_config"] = config
    return spec, mgmt
