# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The probe of one target (path, then the steps of ``steps.py`` and ``tlsstep.py``) and the bounded concurrent run.

Every step gets ``min(step timeout, time left before the deadline)``; worker threads are daemons,
so a step that is still stuck when the deadline passes never delays the caller.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
import time

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe import steps, sysproxy, sysresolve
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.der import visible_text
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.netprobe import StepError
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.options import proxy_for
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.steps import ms, target_name
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.tlsstep import tls_step
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.trust import Trust
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.verdicts import PROBE_ERROR, category_of, status_of, summarize

_STEPS = ("dns", "tcp", "tls", "http", "ntp")
_GRACE = 0.3


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
        self.result["timings_ms"]["total"] = ms(time.monotonic() - self.started)
        return self.result

    def timed(self, step, func, *args):
        self.step = step
        started = time.monotonic()
        try:
            return func(*args)
        finally:
            self.result["timings_ms"][step] = ms(time.monotonic() - started)


# What the network can do to a step: these end in a network verdict. Any other exception is a bug in
# the probe (or in the Python it runs on) and becomes a probe error: never a verdict about the network.
_ERROR_MESSAGE_CHARS = 300


def _unexpected(run, exc):
    """The record of a target whose probe raised ``exc``: a network verdict for network errors, else a probe error."""
    target = run.spec["target"]
    if isinstance(exc, StepError):
        return run.finish(exc.verdict, exc.detail)
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return run.finish("timeout", "%s: no answer in step %s: %s" % (target_name(target), run.step, exc))
    if isinstance(exc, ssl.SSLError):
        return run.finish("tls_error", "%s: TLS failed in step %s: %s" % (target_name(target), run.step, exc))
    if isinstance(exc, OSError):
        return run.finish("refused", "%s: the network refused step %s: %s" % (target_name(target), run.step, exc))
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


def probe_target(spec, config, proxy_addresses, deadline):
    """Probe one target; always returns a result record (an exception becomes a verdict or a probe error)."""
    run = _Run(spec, config, deadline)
    try:
        return _probe(run, proxy_addresses)
    except Exception as exc:  # pylint: disable=broad-except
        return _unexpected(run, exc)


def _probe(run, proxy_addresses):
    """The steps in order: path, DNS, then SNTP for UDP, or TCP, TLS and HTTP; each ends the run on failure."""
    spec, config = run.spec, run.config
    target = spec["target"]
    if spec["skip_reason"]:
        return run.finish("skipped", spec["skip_reason"])
    run.step = "path"
    path, proxy = _route(spec, config)
    run.result["path"] = path
    if proxy:
        run.result["proxy"] = {"url": proxy["url"], "used": True, "status": None, "reason": None, "tunnel": None,
                               "intercepted": None}
    addresses = steps.dns_step(run, proxy)
    if addresses is None:
        return run.result
    if target["protocol"] == "udp":
        return steps.ntp_step(run, addresses)
    plain_http_via_proxy = proxy and not spec["tls"] and spec["http"]["enabled"]
    open_socket = steps.socket_opener(run, proxy, proxy_addresses, addresses, plain_http_via_proxy)
    sock = steps.tcp_step(run, proxy, open_socket, addresses)
    if sock is None:
        return run.result
    return _session(run, sock, open_socket, proxy, plain_http_via_proxy)


def _session(run, sock, open_socket, proxy, plain_http_via_proxy):
    """TLS and HTTP on the connected socket, which is closed afterwards; returns the finished result."""
    spec = run.spec
    http = spec["http"]
    try:
        if spec["tls"]:
            sock = tls_step(run, sock, open_socket)
            if run.result["verdict"] is not None:
                return run.result
        if http["enabled"]:
            return steps.http_step(run, sock, http, proxy if plain_http_via_proxy else None)
    finally:
        try:
            sock.close()
        except Exception:  # pylint: disable=broad-except
            pass
    if spec["tls"]:
        return run.finish("ok", "%s: %s" % (target_name(spec["target"]), steps.tls_ok_words(run.result["tls"])))
    return run.finish("ok", "%s: TCP connection accepted%s" % (target_name(spec["target"]), " through the proxy" if proxy else ""))


def _unfinished(spec, started, config, run_started):
    """The record of a target that the deadline cut off."""
    run = _Run(spec, config, 0)
    run.started = run_started
    if started:
        return run.finish("timeout", "%s: still unanswered when the overall timeout of %.1f s ran out"
                          % (target_name(spec["target"]), config["timeout"]))
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
