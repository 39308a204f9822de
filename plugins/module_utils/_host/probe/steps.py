# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The steps of one target's probe other than TLS: DNS, SNTP, TCP (direct or through the proxy) and HTTP.

Each step takes the target's run (``engine._Run``): it records what it saw in ``run.result`` and either
returns what the next step needs or ends the run with ``run.finish(verdict, message)`` and returns None.
The TLS step is in ``tlsstep.py``.
"""

from __future__ import annotations

import socket
import ssl
import time

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe import dnsprobe, sysresolve
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.netprobe import (
    StepError,
    connect,
    http_request,
    proxy_connect,
    sntp_query,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.options import NTP_PORT


def ms(seconds):
    return round(seconds * 1000.0, 1)


def target_name(target):
    return "%s port %d/%s" % (target["host"], target["port"], target["protocol"])


def dns_step(run, proxy):
    """The addresses to connect to ([] when the proxy resolves the name), or None after finish()."""
    host = run.spec["target"]["host"]
    if run.spec["literal"]:
        run.result["dns"] = {"skipped": "the target is an IP address", "addresses": [host], "cname_chain": [], "rcode": None}
        return [host]
    if proxy:
        run.result["dns"] = {"skipped": "the proxy resolves the name", "addresses": [], "cname_chain": [], "rcode": None}
        return []
    return _resolve(run, host)


def _resolve(run, host):
    """Resolve with the system resolver (or the given name servers); returns the addresses or None after finish()."""
    config = run.config
    run.step = "dns"
    budget = run.budget("dns")
    started = time.monotonic()
    try:
        if config["resolver"] is not None:
            verdict, info = dnsprobe.resolve(config["resolver"], host, budget)
            message = _dnspython_message(verdict, host, info, budget)
        else:
            verdict, info = sysresolve.resolve(host, budget)
            message = sysresolve.describe_failure(verdict, host, info, budget) if verdict else None
            view = dnsprobe.system_view(host, max(budget - (time.monotonic() - started), 0.0))
            if view is not None:
                info["dnspython"] = dict((k, view.get(k)) for k in ("verdict", "addresses", "rcode", "cname_chain", "error"))
                info["cname_chain"] = view.get("cname_chain") or []
                info["rcode"] = view.get("rcode")
                info["disagreement"] = dnsprobe.disagreement(verdict, info, view)
    finally:
        run.result["timings_ms"]["dns"] = ms(time.monotonic() - started)
    run.result["dns"] = info
    if verdict:
        run.finish(verdict, message)
        return None
    holes = dnsprobe.sinkholed(info["addresses"], config["sinkholes"])
    info["sinkholed"] = holes
    if holes and len(holes) == len(info["addresses"]):
        run.finish("sinkhole", "%s resolves to the sinkhole address %s: DNS filtering blocks it" % (host, ", ".join(holes)))
        return None
    addresses = [a for a in info["addresses"] if a not in holes]
    # IPv4 first: a Mac on an IPv4-only network would otherwise spend the step on unroutable IPv6.
    addresses.sort(key=lambda a: ":" in a)
    return addresses


def _dnspython_message(verdict, host, info, budget):
    if verdict == "nxdomain":
        return "%s does not exist in DNS (NXDOMAIN)" % host
    if verdict == "servfail":
        return "the name servers failed to resolve %s (%s)" % (host, info["rcode"])
    if verdict == "dns_timeout":
        return "no DNS answer for %s within %.1f s" % (host, budget)
    if verdict == "no_answer":
        return "%s exists but has no A or AAAA record" % host
    return None


def ntp_step(run, addresses):
    """A UDP target: an SNTP query on port 123; other UDP ports are skipped. Returns the finished result."""
    host, port = run.spec["target"]["host"], run.spec["target"]["port"]
    if port != NTP_PORT:
        return run.finish("skipped", "UDP port %d has no probe: only NTP (UDP 123) answers a stateless query" % port)
    try:
        info = run.timed("ntp", sntp_query, addresses[0], port, run.budget("ntp"))
    except StepError as exc:
        run.result["ntp"] = dict(exc.info, address=addresses[0], reply=False)
        return run.finish(exc.verdict, exc.detail)
    run.result["ntp"] = dict(info, address=addresses[0], reply=True)
    return run.finish("ok", "%s answered a valid SNTP query (stratum %d, offset %.1f ms)"
                      % (host, info["stratum"], info["offset_ms"]))


def socket_opener(run, proxy, proxy_addresses, addresses, plain_http_via_proxy):
    """A function that opens a new connection to the target (through the proxy when there is one): (socket, info).

    The TLS step calls it again for each further handshake. A plain HTTP check through a proxy connects to the
    proxy without a tunnel; any other proxied connection is an HTTP CONNECT tunnel.
    """
    host, port = run.spec["target"]["host"], run.spec["target"]["port"]

    def open_socket():
        if proxy:
            found = proxy_addresses.get(proxy)
            if not found:
                raise StepError("proxy_error", "the proxy host %s does not resolve" % proxy["host"])
            if plain_http_via_proxy:
                sock = connect(found[0], proxy["port"], run.budget("tcp"))
                return sock, {"status": None, "reason": None, "tunnel": False}
            return proxy_connect(found[0], proxy, host, port, run.budget("tcp"))
        last = None
        for address in addresses:
            try:
                return connect(address, port, run.budget("tcp")), {"address": address}
            except StepError as exc:
                last = exc
                if exc.verdict == "timeout" or run.budget("tcp") <= 0:
                    break
        raise last

    return open_socket


def tcp_step(run, proxy, open_socket, addresses):
    """The connected socket, or None after finish()."""
    try:
        sock, info = run.timed("tcp", open_socket)
    except StepError as exc:
        if proxy:
            run.result["proxy"].update(exc.info)
            run.result["tcp"] = {"connected": False, "via_proxy": True, "error": exc.detail}
        else:
            run.result["tcp"] = {"connected": False, "address": addresses[0], "error": exc.detail}
        run.finish(exc.verdict, exc.detail)
        return None
    if proxy:
        run.result["proxy"].update(info)
        run.result["tcp"] = {"connected": True, "via_proxy": True, "address": None}
    else:
        run.result["tcp"] = {"connected": True, "address": info["address"]}
    return sock


def tls_ok_words(tls):
    """How a verified chain passed, in words, for the message of an ok target."""
    if tls["trust"]["decided_by"] == "pin":
        return "TLS verified against the pinned CA %s" % tls["matched_issuer"]
    if tls["trust"]["decided_by"] == "host_override":
        return "TLS verified by the %s (%s)" % (tls["trust"]["rule"], tls["matched_issuer"])
    return "TLS verified against %s (issued by %s)" % (tls["trust"]["anchors"], tls["resigned_by"] or tls["leaf_issuer"] or "?")


def http_step(run, sock, http, proxy):
    """Send the HTTP request on ``sock`` and check the status; returns the finished result."""
    target = run.spec["target"]
    run.step = "http"
    started = time.monotonic()
    record = {"method": http["method"], "path": http["path"], "expected_status": list(http["expected_status"]),
              "status": None, "reason": None}
    run.result["http"] = record
    budget = run.budget("http")
    try:
        answer = http_request(sock, http["method"], target["host"], target["port"], http["path"], budget, proxy)
    except (socket.timeout, TimeoutError):
        return run.finish("timeout", "%s: no HTTP answer within %.1f s" % (target_name(target), budget))
    except (ssl.SSLError, OSError) as exc:
        return run.finish("http_unexpected_status", "%s: the HTTP request failed: %s" % (target_name(target), exc))
    finally:
        run.result["timings_ms"]["http"] = ms(time.monotonic() - started)
    if answer is None:
        return run.finish("http_unexpected_status", "%s: the answer to %s %s is not HTTP" % (target_name(target), http["method"], http["path"]))
    record["status"], record["reason"] = answer
    if http["expected_status"] and answer[0] not in http["expected_status"]:
        if proxy and answer[0] in (403, 407):
            return run.finish("proxy_denied", "%s: the proxy answered HTTP %d %s" % (target_name(target), answer[0], answer[1]))
        return run.finish("http_unexpected_status", "%s: %s %s answered HTTP %d, expected %s" % (
            target_name(target), http["method"], http["path"], answer[0], ", ".join(str(s) for s in http["expected_status"])))
    tls_part = (tls_ok_words(run.result["tls"]) + ", ") if run.result["tls"] else ""
    return run.finish("ok", "%s: %s%s %s answered HTTP %d" % (target_name(target), tls_part, http["method"], http["path"], answer[0]))
