# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""DNS with dnspython: asking given name servers, and the detail view beside the system resolver.

dnspython is optional on the managed host. With ``nameservers`` it asks those servers and decides
the DNS verdict; without, the system resolver decides (``sysresolve.py``) and dnspython, where
installed, adds the CNAME chain and rcode from the servers in ``/etc/resolv.conf``, and says so
when its answer disagrees with the system resolver's.
"""

from __future__ import annotations

import traceback

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules import addresses as address_rule

try:
    import dns.exception  # noqa: F401  (the import decides HAS_DNSPYTHON)
    import dns.rcode
    import dns.rdatatype
    import dns.resolver
except ImportError:
    DNSPYTHON_IMPORT_ERROR = traceback.format_exc()
else:
    DNSPYTHON_IMPORT_ERROR = None

HAS_DNSPYTHON = DNSPYTHON_IMPORT_ERROR is None
SOURCE = "dnspython"


class ResolverSetupError(Exception):
    """The system resolver configuration cannot be read."""


def make_resolver(nameservers):
    """A dnspython resolver for ``[(address, port), ...]``, or the system configuration when empty."""
    if not nameservers:
        try:
            return dns.resolver.Resolver(configure=True)
        except dns.resolver.NoResolverConfiguration as exc:
            raise ResolverSetupError("the system resolver configuration cannot be read (%s); set nameservers" % exc)
    resolver = dns.resolver.Resolver(configure=False)
    try:
        from dns.nameserver import Do53Nameserver
    except ImportError:  # dnspython < 2.4
        resolver.nameservers = [address for address, _port in nameservers]
        resolver.nameserver_ports = dict(nameservers)
    else:
        resolver.nameservers = [Do53Nameserver(address, port) for address, port in nameservers]
    return resolver


def _nameserver_errors(exc):
    """The rcodes the name servers answered with, from a NoNameservers exception."""
    rcodes = []
    for error in (getattr(exc, "kwargs", None) or {}).get("errors", []) or []:
        answer = error[-1] if isinstance(error, tuple) else None
        rcode = getattr(answer, "rcode", None)
        if callable(rcode):
            rcodes.append(dns.rcode.to_text(rcode()))
        elif answer is not None:
            rcodes.append(str(answer))
    return rcodes


def resolve(resolver, host, budget):
    """Resolve A and AAAA of ``host`` within ``budget`` seconds.

    Returns ``(verdict_or_None, info)``; ``info`` has addresses, cname_chain, canonical_name and rcode.
    """
    import time

    info = {"source": SOURCE, "addresses": [], "cname_chain": [], "canonical_name": None, "rcode": None}
    deadline = time.monotonic() + budget
    no_answer = 0
    for rdtype in ("A", "AAAA"):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            if info["addresses"]:
                break
            return "dns_timeout", dict(info, error="no answer within %.1f s" % budget)
        try:
            answer = resolver.resolve(host, rdtype, lifetime=remaining, search=False, raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN:
            info["rcode"] = "NXDOMAIN"
            return "nxdomain", info
        except dns.resolver.NoNameservers as exc:
            rcodes = _nameserver_errors(exc)
            if info["addresses"]:
                continue
            info["rcode"] = rcodes[0] if rcodes else "SERVFAIL"
            return "servfail", dict(info, error=str(exc))
        except dns.exception.Timeout:
            if info["addresses"]:
                continue
            return "dns_timeout", dict(info, error="no answer within %.1f s" % budget)
        except dns.exception.DNSException as exc:
            if info["addresses"]:
                continue
            return "servfail", dict(info, error="%s: %s" % (type(exc).__name__, exc))
        if info["rcode"] is None or not info["addresses"]:
            info["rcode"] = "NOERROR"
        response = answer.response
        if not info["cname_chain"]:
            try:
                chaining = response.resolve_chaining()
                for rrset in chaining.cnames:
                    info["cname_chain"].append({"name": rrset.name.to_text(omit_final_dot=True),
                                                "target": rrset[0].target.to_text(omit_final_dot=True)})
            except Exception:  # pylint: disable=broad-except
                pass  # an odd answer without a usable chain still has its addresses
            info["canonical_name"] = answer.canonical_name.to_text(omit_final_dot=True)
        if answer.rrset is None:
            no_answer += 1
            continue
        info["addresses"].extend(rdata.address for rdata in answer.rrset if rdata.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA))
    if not info["addresses"]:
        return "no_answer", info
    return None, info


def system_view(host, budget):
    """dnspython's answer from the system configuration (``/etc/resolv.conf``), or None when it cannot ask."""
    if not HAS_DNSPYTHON or budget <= 0:
        return None
    try:
        resolver = make_resolver([])
    except ResolverSetupError as exc:
        return {"verdict": None, "error": str(exc)}
    verdict, info = resolve(resolver, host, budget)
    info["verdict"] = verdict
    return info


def disagreement(system_verdict, system_info, view):
    """A sentence when dnspython's view differs from the system resolver's, else None."""
    if not view or "addresses" not in view:
        return None
    if system_verdict != view["verdict"]:
        return ("the system resolver says %s, dnspython (/etc/resolv.conf) says %s: per-domain resolvers, VPN split DNS "
                "or a profile's DNS settings may apply" % (system_verdict or "ok", view["verdict"] or "ok"))
    if system_verdict is None and sorted(system_info["addresses"]) != sorted(view["addresses"]):
        return "the system resolver answers %s, dnspython (/etc/resolv.conf) answers %s" % (
            ", ".join(sorted(system_info["addresses"])), ", ".join(sorted(view["addresses"])))
    return None


def sinkholed(addresses, networks):
    """The addresses that fall in one of the sinkhole networks."""
    result = []
    for address in addresses:
        # An answer from getaddrinfo may carry a zone (fe80::1%en0); it does not change which network holds the address.
        ip = address_rule.parse_ip_address(address_rule.without_zone(address), "address")
        if any(ip.version == net.version and ip in net for net in networks):
            result.append(address)
    return result
