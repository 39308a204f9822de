# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The probe pipeline per target (DNS, TCP or proxy tunnel, TLS, HTTP, SNTP) and the bounded concurrent run.

Every step gets ``min(step timeout, time left before the deadline)``; worker threads are daemons,
so a step that is still stuck when the deadline passes never delays the caller.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
import time

from ansible_collections.macfleet.apple_network.plugins.module_utils._probe import dnsprobe, tlsinspect
from ansible_collections.macfleet.apple_network.plugins.module_utils._probe.netprobe import (
    StepError,
    connect,
    http_request,
    proxy_connect,
    sntp_query,
    tls_handshake,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._probe.options import NTP_PORT
from ansible_collections.macfleet.apple_network.plugins.module_utils._probe.verdicts import category_of, status_of, summarize

_STEPS = ("dns", "tcp", "tls", "http", "ntp")
_GRACE = 0.3


def _ms(seconds):
    return round(seconds * 1000.0, 1)


class _Run:
    """One target's probe: collects step records, timings and the verdict."""

    def __init__(self, spec, config, deadline):
        self.spec = spec
        self.config = config
        self.deadline = deadline
        self.started = time.monotonic()
        self.result = {
            "target": dict(spec["target"]),
            "status": None, "verdict": None, "category": None, "message": None,
            "dns": None, "tcp": None, "tls": None, "http": None, "proxy": None, "ntp": None,
            "timings_ms": dict((step, None) for step in _STEPS + ("total",)),
        }

    def budget(self, step):
        return max(min(self.config["steps"][step], self.deadline - time.monotonic()), 0.0)

    def finish(self, verdict, message):
        self.result.update(verdict=verdict, status=status_of(verdict), category=category_of(verdict), message=message)
        self.result["timings_ms"]["total"] = _ms(time.monotonic() - self.started)
        return self.result

    def timed(self, step, func, *args):
        started = time.monotonic()
        try:
            return func(*args)
        finally:
            self.result["timings_ms"][step] = _ms(time.monotonic() - started)


def _name(target):
    return "%s port %d/%s" % (target["host"], target["port"], target["protocol"])


def probe_target(spec, config, resolver, proxy_addresses, deadline):
    """Probe one target; always returns a result record (never raises for network trouble)."""
    run = _Run(spec, config, deadline)
    target = spec["target"]
    if spec["skip_reason"]:
        return run.finish("skipped", spec["skip_reason"])
    host, port = target["host"], target["port"]
    proxy = config["proxy"] if target["protocol"] == "tcp" else None
    if proxy:
        run.result["proxy"] = {"url": proxy["url"], "used": True, "status": None, "reason": None, "tunnel": None,
                               "intercepted": None}

    # -- DNS ------------------------------------------------------------------------------
    addresses = []
    if spec["literal"]:
        addresses = [host]
        run.result["dns"] = {"skipped": "the target is an IP address", "addresses": [host], "cname_chain": [], "rcode": None}
    elif proxy:
        run.result["dns"] = {"skipped": "the proxy resolves the name", "addresses": [], "cname_chain": [], "rcode": None}
    else:
        verdict, info = run.timed("dns", dnsprobe.resolve, resolver, host, run.budget("dns"))
        run.result["dns"] = info
        if verdict == "nxdomain":
            return run.finish(verdict, "%s does not exist in DNS (NXDOMAIN)" % host)
        if verdict == "servfail":
            return run.finish(verdict, "the name servers failed to resolve %s (%s)" % (host, info["rcode"]))
        if verdict == "dns_timeout":
            return run.finish(verdict, "no DNS answer for %s within %.1f s" % (host, config["steps"]["dns"]))
        if verdict == "no_answer":
            return run.finish(verdict, "%s exists but has no A or AAAA record" % host)
        holes = dnsprobe.sinkholed(info["addresses"], config["sinkholes"])
        info["sinkholed"] = holes
        if holes and len(holes) == len(info["addresses"]):
            return run.finish("sinkhole", "%s resolves to the sinkhole address %s: DNS filtering blocks it"
                              % (host, ", ".join(holes)))
        addresses = [a for a in info["addresses"] if a not in holes]
        # IPv4 first: a Mac on an IPv4-only network would otherwise spend the step on unroutable IPv6.
        addresses.sort(key=lambda a: ":" in a)

    # -- UDP: NTP ---------------------------------------------------------------------------
    if target["protocol"] == "udp":
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

    # -- TCP (direct or through the proxy) ------------------------------------------------------
    http = spec["http"]
    plain_http_via_proxy = proxy and not spec["tls"] and http["enabled"]

    def open_socket():
        if proxy:
            if not proxy_addresses:
                raise StepError("proxy_error", "the proxy host %s does not resolve" % proxy["host"])
            if plain_http_via_proxy:
                sock = connect(proxy_addresses[0], proxy["port"], run.budget("tcp"))
                return sock, {"status": None, "reason": None, "tunnel": False}
            return proxy_connect(proxy_addresses[0], proxy, host, port, run.budget("tcp"))
        last = None
        for address in addresses:
            try:
                return connect(address, port, run.budget("tcp")), {"address": address}
            except StepError as exc:
                last = exc
                if exc.verdict == "timeout" or run.budget("tcp") <= 0:
                    break
        raise last

    try:
        sock, info = run.timed("tcp", open_socket)
    except StepError as exc:
        if proxy:
            run.result["proxy"].update(exc.info)
            run.result["tcp"] = {"connected": False, "via_proxy": True, "error": exc.detail}
        else:
            run.result["tcp"] = {"connected": False, "address": addresses[0], "error": exc.detail}
        return run.finish(exc.verdict, exc.detail)
    if proxy:
        run.result["proxy"].update(info)
        run.result["tcp"] = {"connected": True, "via_proxy": True, "address": None}
    else:
        run.result["tcp"] = {"connected": True, "address": info["address"]}

    try:
        if spec["tls"]:
            sock = _tls_step(run, sock, open_socket)
            if run.result["verdict"] is not None:
                return run.result
        if http["enabled"]:
            return _http_step(run, sock, http, bool(plain_http_via_proxy))
    finally:
        try:
            sock.close()
        except Exception:  # pylint: disable=broad-except
            pass
    if spec["tls"]:
        return run.finish("ok", "%s: TLS verified, issued by the expected issuer %s" % (_name(target), run.result["tls"]["matched_issuer"]))
    return run.finish("ok", "%s: TCP connection accepted%s" % (_name(target), " through the proxy" if proxy else ""))


def _tls_step(run, sock, open_socket):
    """Handshake with verification; on failure, a second handshake without it to see the served chain."""
    config, target = run.config, run.spec["target"]
    tls = {"sni": None if run.spec["literal"] else target["host"], "verified": False, "verify_error": None, "version": None,
           "cipher": None, "chain": [], "issuers_seen": [], "expected_issuers": list(config["expected_issuers"]),
           "matched_issuer": None, "interception": False}
    run.result["tls"] = tls
    started = time.monotonic()
    try:
        try:
            ssock = tls_handshake(sock, config["tls_verify"], target["host"], run.budget("tls"))
            tls["verified"] = True
        except ssl.SSLCertVerificationError as exc:
            tls["verify_error"] = exc.verify_message or str(exc)
            sock.close()
            try:
                sock, _info = open_socket()
            except StepError as again:
                return _finish_step(run, again.verdict, "TLS verification failed (%s); reconnecting to read the chain failed: %s"
                                    % (tls["verify_error"], again.detail))
            ssock = tls_handshake(sock, config["tls_insecure"], target["host"], run.budget("tls"))
        except (socket.timeout, TimeoutError):
            return _finish_step(run, "timeout", "%s: no TLS handshake within %.1f s" % (_name(target), config["steps"]["tls"]))
    except (socket.timeout, TimeoutError):
        return _finish_step(run, "timeout", "%s: no TLS handshake within %.1f s" % (_name(target), config["steps"]["tls"]))
    except (ssl.SSLError, OSError) as exc:
        return _finish_step(run, "tls_error", "%s: TLS handshake failed: %s" % (_name(target), exc))
    finally:
        run.result["timings_ms"]["tls"] = _ms(time.monotonic() - started)
    tls["version"] = ssock.version()
    tls["cipher"] = (ssock.cipher() or (None,))[0]
    chain = tlsinspect.describe(tlsinspect.served_chain(ssock, tls["verified"]))
    tls["chain"] = tlsinspect.public_chain(chain)
    tls["issuers_seen"] = tlsinspect.issuers_seen(chain)
    matched = tlsinspect.match_issuers(chain, config["expected_names"], config["expected_fingerprints"])
    tls["matched_issuer"] = matched
    tls["interception"] = matched is None
    if run.result["proxy"] is not None:
        run.result["proxy"]["intercepted"] = matched is None
    issuers = "; ".join(tls["issuers_seen"]) or "no certificate"
    if matched is None:
        how = ("it verifies against a locally trusted CA" if tls["verified"]
               else "it does not verify (%s)" % tls["verify_error"])
        via = " through the proxy %s" % run.result["proxy"]["url"] if run.result["proxy"] else ""
        _finish_step(run, "intercepted", "%s%s: the certificate chain is not from an expected issuer (issued by %s) and %s: "
                     "HTTPS interception" % (_name(target), via, issuers, how))
        ssock.close()
        return None
    if not tls["verified"]:
        _finish_step(run, "untrusted", "%s: the chain is from %s but does not verify: %s" % (_name(target), matched, tls["verify_error"]))
        ssock.close()
        return None
    return ssock


def _finish_step(run, verdict, message):
    run.finish(verdict, message)
    return None


def _http_step(run, sock, http, absolute):
    target = run.spec["target"]
    started = time.monotonic()
    record = {"method": http["method"], "path": http["path"], "expected_status": list(http["expected_status"]),
              "status": None, "reason": None}
    run.result["http"] = record
    try:
        answer = http_request(sock, http["method"], target["host"], target["port"], http["path"], run.budget("http"), absolute)
    except (socket.timeout, TimeoutError):
        return run.finish("timeout", "%s: no HTTP answer within %.1f s" % (_name(target), run.config["steps"]["http"]))
    except (ssl.SSLError, OSError) as exc:
        return run.finish("http_unexpected_status", "%s: the HTTP request failed: %s" % (_name(target), exc))
    finally:
        run.result["timings_ms"]["http"] = _ms(time.monotonic() - started)
    if answer is None:
        return run.finish("http_unexpected_status", "%s: the answer to %s %s is not HTTP" % (_name(target), http["method"], http["path"]))
    record["status"], record["reason"] = answer
    if http["expected_status"] and answer[0] not in http["expected_status"]:
        if absolute and answer[0] in (403, 407):
            return run.finish("proxy_denied", "%s: the proxy answered HTTP %d %s" % (_name(target), answer[0], answer[1]))
        return run.finish("http_unexpected_status", "%s: %s %s answered HTTP %d, expected %s" % (
            _name(target), http["method"], http["path"], answer[0], ", ".join(str(s) for s in http["expected_status"])))
    tls_part = ("TLS verified (issuer %s), " % run.result["tls"]["matched_issuer"]) if run.result["tls"] else ""
    return run.finish("ok", "%s: %s%s %s answered HTTP %d" % (_name(target), tls_part, http["method"], http["path"], answer[0]))


def _unfinished(spec, started, config, run_started):
    """The record of a target that the deadline cut off."""
    run = _Run(spec, config, 0)
    run.started = run_started
    if started:
        return run.finish("timeout", "%s: still unanswered when the overall timeout of %.1f s ran out"
                          % (_name(spec["target"]), config["timeout"]))
    return run.finish("skipped", "not probed: the overall timeout of %.1f s ran out first (raise timeout or concurrency)"
                      % config["timeout"])


def _resolve_proxy(config, resolver, deadline):
    proxy = config.get("proxy")
    if not proxy:
        return []
    if proxy["host"][0].isdigit() or ":" in proxy["host"]:
        try:
            socket.inet_pton(socket.AF_INET6 if ":" in proxy["host"] else socket.AF_INET, proxy["host"])
            return [proxy["host"]]
        except OSError:
            pass
    budget = max(min(config["steps"]["dns"], deadline - time.monotonic()), 0.0)
    _verdict, info = dnsprobe.resolve(resolver, proxy["host"], budget)
    return sorted(info["addresses"], key=lambda a: ":" in a)


def run_probes(specs, config, resolver):
    """Probe all targets concurrently; returns (results, summary) within ``config['timeout']`` seconds."""
    run_started = time.monotonic()
    deadline = run_started + config["timeout"]
    proxy_addresses = _resolve_proxy(config, resolver, deadline) if config.get("proxy") else []
    results = [None] * len(specs)
    started = [False] * len(specs)
    lock = threading.Condition()
    state = {"next": 0, "closed": False, "done": 0}

    def worker():
        while True:
            with lock:
                if state["closed"] or state["next"] >= len(specs) or time.monotonic() >= deadline:
                    return
                index = state["next"]
                state["next"] += 1
                started[index] = True
            try:
                record = probe_target(specs[index], config, resolver, proxy_addresses, deadline)
            except Exception as exc:  # pylint: disable=broad-except
                record = _Run(specs[index], config, deadline).finish(
                    "tls_error" if isinstance(exc, ssl.SSLError) else "refused",
                    "%s: the probe failed unexpectedly: %s: %s" % (_name(specs[index]["target"]), type(exc).__name__, exc))
            with lock:
                if not state["closed"]:
                    results[index] = record
                    state["done"] += 1
                    lock.notify_all()

    threads = [threading.Thread(target=worker, name="endpoint-probe-%d" % i, daemon=True)
               for i in range(min(config["concurrency"], len(specs)))]
    for thread in threads:
        thread.start()
    with lock:
        while state["done"] < len(specs):
            # A short grace lets a step that ends exactly at the deadline report its own verdict.
            remaining = deadline + _GRACE - time.monotonic()
            if remaining <= 0:
                break
            lock.wait(remaining)
        state["closed"] = True
        final = [results[i] if results[i] is not None else _unfinished(specs[i], started[i], config, run_started) for i in range(len(specs))]
    return final, summarize(final)


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
