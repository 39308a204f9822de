# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What firewall_rules reports about the spec it applies: the essentials kept, where traffic is restricted to, and
warnings about the name servers (pure, no I/O)."""

from __future__ import annotations

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import resolvers


def essentials(spec):
    """What is kept besides the selection (the module's RV ``essentials``); ``{}`` when nothing is applied."""
    if not spec:
        return {}
    config = spec.get("resolver_config") or {"nameservers": [], "sources": []}
    result = {"loopback": spec["keep"]["loopback"], "dns": spec["keep"]["dns"], "dhcp": spec["keep"]["dhcp"],
              "nameservers": [str(a) for v in (4, 6) for a in spec["nameservers"][v]] if spec["keep"]["dns"] else [],
              "nameserver_sources": list(config["sources"]) if spec["keep"]["dns"] else []}
    if "forward" in spec["directions"]:
        result["client_nameservers"] = [str(a) for v in (4, 6) for a in spec["client_dns"][v]]
    return result


def restricted_to(spec):
    """Where egress and forward may go (the module's RV ``restricted_to``); ``{}`` when nothing is applied."""
    if not spec:
        return {}
    return {"networks": [str(n) for v in (4, 6) for n in spec["destinations"][v]] if spec["restricted"] else [],
            "addresses": [str(a) for v in (4, 6) for a in spec["resolved"][v]] if spec["restricted"] else []}


def essentials_warnings(spec):
    """Warnings about the essentials: DNS kept but no name server found, resolver entries that were ignored."""
    if not spec or not spec["keep"]["dns"]:
        return []
    config = spec.get("resolver_config") or {"nameservers": [], "sources": [], "ignored": []}
    warnings = []
    if "forward" in spec["directions"] and not (spec["client_dns"][4] or spec["client_dns"][6]):
        warnings.append("Gateway mode: no name server for the clients (the host has none besides local ones), so DNS "
                        "forwarded from the client networks is blocked (a resolver on this host is not affected); "
                        "set the client_nameservers option to the name servers the clients use.")
    if config["ignored"]:
        warnings.append("Name server entries that are not IP addresses were ignored: %s" % ", ".join(config["ignored"]))
    if "egress" not in spec["directions"]:
        return warnings
    if not config["nameservers"]:
        warnings.append("DNS is kept, but no name server was found (%s); egress DNS is blocked unless the "
                        "nameservers option names the host's resolvers." % (", ".join(config["sources"]) or
                                                                            "%s is missing" % resolvers.RESOLV_CONF))
    elif config["sources"] != ["nameservers"] and all(a.is_loopback for v in (4, 6) for a in spec["nameservers"][v]):
        warnings.append("Only local name servers were found (%s): the host's resolver is a local one, and the servers "
                        "it forwards to are not known, so DNS out of the host is blocked; set the nameservers option to "
                        "them." % ", ".join(config["nameservers"]))
    return warnings
