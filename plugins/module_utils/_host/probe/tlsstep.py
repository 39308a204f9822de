# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The TLS step of a probe: the handshakes and the interception verdict.

The rule: the chain is ``ok`` when it verifies, host name included, against the anchors for the host (Apple's
roots alone for the hosts Apple pins), or against a pinned CA (``expected_issuers``; for a pinned host only
its ``pin_overrides`` entry). A chain that does not, but that the host's own trust accepts (the Keychain, the
default verify paths or ``ca_bundle``), is ``intercepted``; one that verifies against neither is ``untrusted``;
one that a pinned host could anchor only at a public CA is ``pin_mismatch``. Every further handshake is made on
a fresh connection from ``open_socket``.
"""

from __future__ import annotations

import socket
import ssl
import time

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe import tlsinspect
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.netprobe import StepError, tls_handshake
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.steps import ms, target_name


def _tls_host(run):
    return None if run.spec["literal"] else run.spec["target"]["host"]


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
            self.error = ("timeout", "%s: no TLS handshake within %.1f s" % (target_name(run.spec["target"]), budget))
            if sock is not None:
                sock.close()
        except StepError as exc:
            self.error = (exc.verdict, "reconnecting for a second handshake failed: %s" % exc.detail)
        except (ssl.SSLError, OSError) as exc:
            self.error = ("tls_error", "%s: TLS handshake failed: %s" % (target_name(run.spec["target"]), exc))
            if sock is not None:
                sock.close()


def tls_step(run, sock, open_socket):
    """The TLS socket when the chain is ok, else None after finish() (the interception verdict)."""
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
        run.result["timings_ms"]["tls"] = ms(time.monotonic() - started)


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

    accepted = _pinned(run, tls, trust, rule, chain, open_socket)
    if accepted is not None:
        return accepted

    if rule == "apple":
        public = _Handshake(run, None, trust.public_context(), open_socket)
        if public.ssock is not None:
            public.ssock.close()
            tls["trust"]["decided_by"] = "anchors"
            return _finish_step(run, "pin_mismatch", "%s: the chain verifies against a public CA (issued by %s) but Apple's "
                                "pin policy lets this host anchor only at Apple's roots, as macOS itself checks"
                                % (target_name(target), tls["leaf_issuer"]))
    return _host_trust_verdict(run, tls, trust, chain, open_socket, first.verify_error)


def _pinned(run, tls, trust, rule, chain, open_socket):
    """The TLS socket when a pin accepts the chain (the host's ``pin_overrides`` entry for a host Apple pins,
    else ``expected_issuers``), else None."""
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
        return None
    pin_context, pins = trust.pin_context(chain)
    if pin_context is not None:
        pinned = _Handshake(run, None, pin_context, open_socket)
        if pinned.ssock is not None:
            tls["verified"] = True
            tls["trust"]["decided_by"] = "pin"
            tls["matched_issuer"] = _pins_text(pins)
            _mark_proxy(run, False)
            return pinned.ssock
    return None


def _host_trust_verdict(run, tls, trust, chain, open_socket, verify_error):
    """``intercepted`` when the host's own trust accepts the chain, else ``untrusted``; None after finish()."""
    target = run.spec["target"]
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
                            "HTTPS interception, re-signed by %s" % (target_name(target), via, tls["trust"]["anchors"],
                                                                     verify_error, trust.host_label, tls["leaf_issuer"]))
    return _finish_step(run, "untrusted", "%s%s: the chain (issued by %s) verifies neither against %s (%s) nor against the %s (%s)"
                        % (target_name(target), via, tls["leaf_issuer"] or "?", tls["trust"]["anchors"], verify_error,
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
