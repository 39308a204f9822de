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

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe import dnsprobe, sysproxy, sysresolve, tlsinspect
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.netprobe import (
    StepError,
    connect,
    http_request,
    proxy_connect,
    sntp_query,
    tls_handshake,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.options import NTP_PORT, proxy_for
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.trust import Trust
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.der import visible_text
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.verdicts import PROBE_ERROR, category_of, status_of, summarize

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
        self.step = "setup"   # the step running now, named in a probe error
        self.result = {
            "target": dict(spec["target"]),
            "status": None, "verdict": None, "category": None, "message": None, "error": None,
            "dns": None, "tcp": None, "tls": None, "http": None, "proxy": None, "ntp": None, "path": None,
            "timings_ms": dict((step, None) for step in _STEPS + ("total",)),
        }

    def budget(self, step):
        return max(min(self.config["steps"][step], self.deadline - time.monotonic()), 0.0)

    def finish(self, verdict, message):
        self.result.update(verdict=verdict, status=status_of(verdict), category=category_of(verdict), message=message)
        self.result["timings_ms"]["total"] = _ms(time.monotonic() - self.started)
        return self.result

    def timed(self, step, func, *args):
        self.step = step
        started = time.monotonic()
        try:
            return func(*args)
        finally:
            self.result["timings_ms"][step] = _ms(time.monotonic() - started)


def _name(target):
    return "%s port %d/%s" % (target["host"], target["port"], target["protocol"])


# What the network can do to a step: these end in a network verdict. Any other exception is a bug in
# the probe (or in the Python it runs on) and becomes a probe error: never a verdict about the network.
_ERROR_MESSAGE_CHARS = 300


def _unexpected(run, exc):
    """The record of a target whose probe raised ``exc``: a network verdict for network errors, else a probe error."""
    target = run.spec["target"]
    if isinstance(exc, StepError):
        return run.finish(exc.verdict, exc.detail)
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return run.finish("timeout", "%s: no answer in step %s: %s" % (_name(target), run.step, exc))
    if isinstance(exc, ssl.SSLError):
        return run.finish("tls_error", "%s: TLS failed in step %s: %s" % (_name(target), run.step, exc))
    if isinstance(exc, OSError):
        return run.finish("refused", "%s: the network refused step %s: %s" % (_name(target), run.step, exc))
    text = visible_text(str(exc))
    if len(text) > _ERROR_MESSAGE_CHARS:
        text = text[:_ERROR_MESSAGE_CHARS - 3] + "..."
    run.result["error"] = {"step": run.step, "type": type(exc).__name__, "message": text}
    return run.finish(PROBE_ERROR, "probe error in step %s for %s: %s: %s (a bug in the probe, not an answer from the network)"
                      % (run.step, target["host"], type(exc).__name__, text))


def _route(spec, config):
    """The path this target takes: a record for the result, and the proxy to use (or None)."""
    target = spec["target"]
    mode = config["proxy_mode"] if target["protocol"] == "tcp" else "direct"  # UDP (SNTP) never uses a proxy
    if mode == "url":
        proxy = config["proxy"]
        return {"source": "option", "mode": "proxy", "proxy": "%s:%d" % (proxy["host"], proxy["port"]),
                "bypass_entry": None, "note": None}, proxy
    if mode == "system":
        path = sysproxy.choose_path(config["system_proxy"], target["host"], target["port"], spec["tls"],
                                    spec["http"]["enabled"], spec["literal"])
        record = {"source": "system", "mode": path["mode"], "proxy": None, "bypass_entry": path.get("bypass_entry"),
                  "note": path.get("note")}
        if path["mode"] == "proxy" and path.get("proxy"):
            chosen = path["proxy"]
            record["proxy"] = "%s:%d" % (chosen["host"], chosen["port"])
            return record, proxy_for(chosen["host"], chosen["port"], config["proxy_auth"])
        return record, None
    return {"source": "none", "mode": "direct", "proxy": None, "bypass_entry": None, "note": None}, None


class _ProxyAddresses:
    """Each proxy host is resolved once per run (with the system resolver), whichever thread asks first."""

    def __init__(self, config, deadline):
        self.config, self.deadline = config, deadline
        self.lock = threading.Lock()
        self.cache = {}

    def get(self, proxy):
        host = proxy["host"]
        with self.lock:
            if host not in self.cache:
                self.cache[host] = self._resolve(host)
            return self.cache[host]

    def _resolve(self, host):
        try:
            socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
            return [host]
        except OSError:
            pass
        budget = max(min(self.config["steps"]["dns"], self.deadline - time.monotonic()), 0.0)
        _verdict, info = sysresolve.resolve(host, budget)
        return sorted(info["addresses"], key=lambda a: ":" in a)


def _dns_step(run, host):
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
        run.result["timings_ms"]["dns"] = _ms(time.monotonic() - started)
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


def probe_target(spec, config, proxy_addresses, deadline):
    """Probe one target; always returns a result record (an exception becomes a verdict or a probe error)."""
    run = _Run(spec, config, deadline)
    try:
        return _probe(run, proxy_addresses)
    except Exception as exc:  # pylint: disable=broad-except
        return _unexpected(run, exc)


def _probe(run, proxy_addresses):
    spec, config = run.spec, run.config
    target = spec["target"]
    if spec["skip_reason"]:
        return run.finish("skipped", spec["skip_reason"])
    host, port = target["host"], target["port"]
    run.step = "path"
    path, proxy = _route(spec, config)
    run.result["path"] = path
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
        addresses = _dns_step(run, host)
        if addresses is None:
            return run.result

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
            return _http_step(run, sock, http, proxy if plain_http_via_proxy else None)
    finally:
        try:
            sock.close()
        except Exception:  # pylint: disable=broad-except
            pass
    if spec["tls"]:
        return run.finish("ok", "%s: %s" % (_name(target), _tls_ok_words(run.result["tls"])))
    return run.finish("ok", "%s: TCP connection accepted%s" % (_name(target), " through the proxy" if proxy else ""))


def _tls_host(run):
    return None if run.spec["literal"] else run.spec["target"]["host"]


def _tls_ok_words(tls):
    if tls["trust"]["decided_by"] == "pin":
        return "TLS verified against the pinned CA %s" % tls["matched_issuer"]
    if tls["trust"]["decided_by"] == "host_override":
        return "TLS verified by the %s (%s)" % (tls["trust"]["rule"], tls["matched_issuer"])
    return "TLS verified against %s (issued by %s)" % (tls["trust"]["anchors"], tls["resigned_by"] or tls["leaf_issuer"] or "?")


class _Handshake:
    """One TLS handshake on a fresh connection; ``error`` is set instead of raising."""

    def __init__(self, run, sock, context, open_socket):
        self.ssock, self.verify_error, self.error = None, None, None
        host = run.spec["target"]["host"]
        budget = run.budget("tls")
        try:
            if sock is None:
                sock, _info = open_socket()
            self.ssock = tls_handshake(sock, context, host, budget)
        except ssl.SSLCertVerificationError as exc:
            self.verify_error = exc.verify_message or str(exc)
            sock.close()
        except (socket.timeout, TimeoutError):
            self.error = ("timeout", "%s: no TLS handshake within %.1f s" % (_name(run.spec["target"]), budget))
            if sock is not None:
                sock.close()
        except StepError as exc:
            self.error = (exc.verdict, "reconnecting for a second handshake failed: %s" % exc.detail)
        except (ssl.SSLError, OSError) as exc:
            self.error = ("tls_error", "%s: TLS handshake failed: %s" % (_name(run.spec["target"]), exc))
            if sock is not None:
                sock.close()


def _tls_step(run, sock, open_socket):
    """The interception verdict: anchors decide ok; the host's own trust tells intercepted from untrusted."""
    config, target = run.config, run.spec["target"]
    trust = config["trust"]
    rule = trust.rule_for(_tls_host(run))
    tls = {"sni": None if run.spec["literal"] else target["host"], "verified": False, "verify_error": None,
           "version": None, "cipher": None, "chain": [], "issuers_seen": [], "leaf_issuer": None,
           "expected_issuers": list(config["expected_issuers"]), "matched_issuer": None, "issuer_name_match": None,
           "interception": False, "resigned_by": None,
           "trust": {"decided_by": None, "anchors": trust.label_for(rule), "pin_rule": rule, "host_trust": None, "host_trust_result": None,
                     "rule": trust.rule_text(_tls_host(run), rule)}}
    run.result["tls"] = tls
    run.step = "tls"
    started = time.monotonic()
    try:
        return _tls_verdict(run, tls, trust, rule, sock, open_socket)
    finally:
        run.result["timings_ms"]["tls"] = _ms(time.monotonic() - started)


def _evidence(tls, ssock, config):
    tls["version"] = ssock.version()
    tls["cipher"] = (ssock.cipher() or (None,))[0]
    chain = tlsinspect.describe(tlsinspect.served_chain(ssock))
    tls["chain"] = tlsinspect.public_chain(chain)
    tls["issuers_seen"] = tlsinspect.issuers_seen(chain)
    tls["leaf_issuer"] = tlsinspect.resigning_ca(chain)
    tls["issuer_name_match"] = tlsinspect.issuer_name_match(chain, config["expected_names"])
    return chain


def _tls_verdict(run, tls, trust, rule, sock, open_socket):
    config, target = run.config, run.spec["target"]
    first = _Handshake(run, sock, trust.anchor_context(rule), open_socket)
    if first.error:
        return _finish_step(run, *first.error)
    if first.ssock is not None:
        _evidence(tls, first.ssock, config)
        tls["verified"] = True
        tls["trust"]["decided_by"] = "anchors"
        tls["matched_issuer"] = tls["issuer_name_match"] or tls["leaf_issuer"]
        _mark_proxy(run, False)
        return first.ssock
    tls["verify_error"] = first.verify_error

    # The chain as served, for the evidence and for pins that only the chain shows.
    served = _Handshake(run, None, trust.insecure, open_socket)
    if served.error:
        return _finish_step(run, served.error[0], "TLS verification against %s failed (%s); %s"
                            % (tls["trust"]["anchors"], first.verify_error, served.error[1]))
    chain = _evidence(tls, served.ssock, config)
    served.ssock.close()

    if rule == "apple":
        # Apple's per-host rule: the expected_issuers pins do not apply; only the host's own override may.
        override = trust.override_for(_tls_host(run))
        if override is not None:
            accepted = _override_handshake(run, trust, override, chain, open_socket)
            if accepted is not None:
                ssock, matched = accepted
                tls["verified"] = True
                tls["trust"]["decided_by"] = "host_override"
                tls["trust"]["rule"] = trust.override_text(override)
                tls["matched_issuer"] = matched
                _mark_proxy(run, False)
                return ssock
    else:
        pin_context, pins = trust.pin_context(chain)
        if pin_context is not None:
            pinned = _Handshake(run, None, pin_context, open_socket)
            if pinned.ssock is not None:
                tls["verified"] = True
                tls["trust"]["decided_by"] = "pin"
                tls["matched_issuer"] = _pins_text(pins)
                _mark_proxy(run, False)
                return pinned.ssock

    if rule == "apple":
        public = _Handshake(run, None, trust.public_context(), open_socket)
        if public.ssock is not None:
            public.ssock.close()
            tls["trust"]["decided_by"] = "anchors"
            return _finish_step(run, "pin_mismatch", "%s: the chain verifies against a public CA (issued by %s) but Apple's "
                                "pin policy lets this host anchor only at Apple's roots, as macOS itself checks"
                                % (_name(target), tls["leaf_issuer"]))

    trusted, detail = _host_trust(run, tls, trust, chain, open_socket)
    tls["trust"]["host_trust"] = trust.host_label
    tls["trust"]["host_trust_result"] = detail
    via = " through the proxy %s" % run.result["proxy"]["url"] if run.result["proxy"] else ""
    if trusted:
        tls["verified"] = True
        tls["interception"] = True
        tls["resigned_by"] = tls["leaf_issuer"]
        tls["trust"]["decided_by"] = "host_trust"
        _mark_proxy(run, True)
        return _finish_step(run, "intercepted", "%s%s: the chain does not verify against %s (%s) but the %s trusts it: "
                            "HTTPS interception, re-signed by %s" % (_name(target), via, tls["trust"]["anchors"],
                                                                     first.verify_error, trust.host_label, tls["leaf_issuer"]))
    return _finish_step(run, "untrusted", "%s%s: the chain (issued by %s) verifies neither against %s (%s) nor against the %s (%s)"
                        % (_name(target), via, tls["leaf_issuer"] or "?", tls["trust"]["anchors"], first.verify_error,
                           trust.host_label, detail))


def _pins_text(pins):
    return pins[0] if len(pins) == 1 else "one of %s" % ", ".join(pins)


def _override_handshake(run, trust, override, chain, open_socket):
    """(TLS socket, what matched) when the host's ``pin_overrides`` entry accepts the chain, else None."""
    if override["context"] is not None:
        anchored = _Handshake(run, None, override["context"], open_socket)
        if anchored.ssock is not None:
            return anchored.ssock, tlsinspect.resigning_ca(chain) or "pin_overrides trust_anchors"
    pin_context, pins = trust.pin_context(chain, override["pins"])
    if pin_context is not None:
        pinned = _Handshake(run, None, pin_context, open_socket)
        if pinned.ssock is not None:
            return pinned.ssock, _pins_text(pins)
    return None


def _mark_proxy(run, intercepted):
    if run.result["proxy"] is not None:
        run.result["proxy"]["intercepted"] = intercepted


def _host_trust(run, tls, trust, chain, open_socket):
    """(trusted, detail) from the host's own trust: the Keychain on macOS, else an ssl context."""
    if trust.host_kind == "keychain":
        return trust.verify_cert([c["der"] for c in chain], run.spec["target"]["host"])
    check = _Handshake(run, None, trust.host_context(), open_socket)
    if check.ssock is not None:
        check.ssock.close()
        return True, "verified"
    if check.error:
        return False, check.error[1]
    return False, check.verify_error


def _finish_step(run, verdict, message):
    run.finish(verdict, message)
    return None


def _http_step(run, sock, http, proxy):
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
        return run.finish("timeout", "%s: no HTTP answer within %.1f s" % (_name(target), budget))
    except (ssl.SSLError, OSError) as exc:
        return run.finish("http_unexpected_status", "%s: the HTTP request failed: %s" % (_name(target), exc))
    finally:
        run.result["timings_ms"]["http"] = _ms(time.monotonic() - started)
    if answer is None:
        return run.finish("http_unexpected_status", "%s: the answer to %s %s is not HTTP" % (_name(target), http["method"], http["path"]))
    record["status"], record["reason"] = answer
    if http["expected_status"] and answer[0] not in http["expected_status"]:
        if proxy and answer[0] in (403, 407):
            return run.finish("proxy_denied", "%s: the proxy answered HTTP %d %s" % (_name(target), answer[0], answer[1]))
        return run.finish("http_unexpected_status", "%s: %s %s answered HTTP %d, expected %s" % (
            _name(target), http["method"], http["path"], answer[0], ", ".join(str(s) for s in http["expected_status"])))
    tls_part = (_tls_ok_words(run.result["tls"]) + ", ") if run.result["tls"] else ""
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


def prepare(config, host_trust="default_paths", system_proxy=None, verify_cert=None, resolver=None):
    """Complete a parsed config with what the host gave: its proxy settings, its trust, a dnspython resolver.

    ``system_proxy`` is ``sysproxy.system_proxy_settings`` output (None: no system proxy, probe direct);
    ``host_trust`` is ``keychain`` (with ``verify_cert``, a function (DER chain, host) -> (trusted, detail)),
    or ``default_paths``; ``ca_bundle`` in the config wins over both.
    """
    config["resolver"] = resolver
    config["system_proxy"] = system_proxy
    if config["proxy_mode"] in ("auto", "system"):
        config["proxy_mode"] = "system" if system_proxy is not None else "direct"
    config["trust"] = Trust(user_anchors=config["trust_anchors"], mode=config["trust_anchors_mode"], host_trust=host_trust,
                            ca_bundle=config["ca_bundle"], ca_bundle_pem=config["ca_bundle_pem"],
                            pins=config["expected_fingerprints"], verify_cert=verify_cert,
                            pin_overrides=config.get("pin_overrides") or ())
    return config


def run_probes(specs, config):
    """Probe all targets concurrently; returns (results, summary) within ``config['timeout']`` seconds.

    ``config`` is what ``options.parse_config`` returns, completed by :func:`prepare`.
    """
    run_started = time.monotonic()
    deadline = run_started + config["timeout"]
    proxy_addresses = _ProxyAddresses(config, deadline)
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
                record = probe_target(specs[index], config, proxy_addresses, deadline)
            except Exception as exc:  # pylint: disable=broad-except
                record = _unexpected(_Run(specs[index], config, deadline), exc)
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
