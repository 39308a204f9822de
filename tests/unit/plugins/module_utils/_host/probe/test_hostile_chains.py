# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Hostile chains from real loopback TLS servers: they never change a verdict or a rule (issue 20, points 2, 3, 8).

The host's own trust is ``ca_bundle`` (the stand-in the probe tests use for the Keychain); names resolve to the
loopback server through a patched system resolver.
"""

from __future__ import annotations

import hashlib
import socket
import ssl
import threading

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe import der, engine, tlsinspect
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.engine import prepare, run_probes
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.options import ProbeInputError, parse_config

pytest.importorskip("cryptography")

from ansible_collections.macfleet.apple_network.tests.unit.plugins.module_utils._host.probe.hostile_certs import (  # noqa: E402
    Authority,
    long_oid_tlv,
)


class Server:
    """A loopback TLS server for one certificate chain (leaf DER, CA DER) and key."""

    def __init__(self, tmp_path, leaf_der, ca_der, key_pem):
        chain = tmp_path / ("chain-%d.pem" % id(self))
        chain.write_text(ssl.DER_cert_to_PEM_cert(leaf_der) + ssl.DER_cert_to_PEM_cert(ca_der))
        key = tmp_path / ("key-%d.pem" % id(self))
        key.write_text(key_pem)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(str(chain), str(key))
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _peer = self.listener.accept()
            except OSError:
                return
            try:
                self.context.wrap_socket(conn, server_side=True).close()
            except (OSError, ssl.SSLError):
                conn.close()

    def close(self):
        self.listener.close()


@pytest.fixture
def serve(tmp_path, monkeypatch):
    """serve(leaf DER, CA DER, key PEM) -> port; every name resolves to 127.0.0.1."""
    monkeypatch.setattr(engine.sysresolve, "resolve", lambda host, budget: (None, {"addresses": ["127.0.0.1"], "source": "test"}))
    servers = []

    def start(leaf_der, ca_der, key_pem):
        servers.append(Server(tmp_path, leaf_der, ca_der, key_pem))
        return servers[-1].port

    yield start
    for server in servers:
        server.close()


def _probe(tmp_path, params, trusted_pems=()):
    """Run the probe; ``trusted_pems`` is the host's own trust (ca_bundle)."""
    if trusted_pems:
        bundle = tmp_path / "host-trust.pem"
        bundle.write_text("".join(trusted_pems))
        params = dict(params, ca_bundle=str(bundle))
    specs, cfg = parse_config(dict({"sinkhole_addresses": ["0.0.0.0"], "timeout": 10}, **params))
    results, summary = run_probes(specs, prepare(cfg))
    return results, summary


# ---------------------------------------------------------------- point 2: an oversized OID, a bug in the reader


@pytest.mark.parametrize("digits", [3000, 5000])
def test_oversized_oid_does_not_hide_interception(serve, tmp_path, digits):
    """A leaf carrying a sub-identifier of thousands of digits: still intercepted, and the re-signing CA is named.

    5,000 digits is above Python's int-to-text limit (4,300), where the reader used to raise a plain ValueError
    that the engine reported as ``refused``; 3,000 digits is below it and must be refused by the reader's own bound.
    """
    corp = Authority("Corp Inspection CA")
    leaf, key = corp.issue("swscan.apple.com", swap_oid=long_oid_tlv(digits))
    with pytest.raises(der.DERError, match="OBJECT IDENTIFIER of [0-9]+ bytes is longer"):
        der.read_certificate(leaf)
    port = serve(leaf, corp.der, key)
    (result,), summary = _probe(tmp_path, {"targets": [{"host": "swscan.apple.com", "port": port, "tls": True}]}, [corp.pem])
    assert (result["verdict"], result["category"]) == ("intercepted", "intercepted"), result
    assert result["tls"]["resigned_by"] == "Corp Inspection CA", result["tls"]
    assert result["tls"]["chain"][0]["subject"] == "CN=swscan.apple.com"
    assert "only its names can be read" in result["tls"]["chain"][0]["error"]
    assert summary["intercepted"] == 1
    # Trusted by nothing: untrusted, not a network verdict.
    (result,), _summary = _probe(tmp_path, {"targets": [{"host": "swscan.apple.com", "port": port, "tls": True}]})
    assert result["verdict"] == "untrusted", result


def test_oversized_oid_in_a_pinned_ca_keeps_the_pin(serve, tmp_path):
    """A served CA certificate the reader refuses is still matched by its fingerprint: the pin decides, not the parse."""
    corp = Authority("Corp Pinned CA", swap_oid=long_oid_tlv(5000))
    leaf, key = corp.issue("swscan.apple.com")
    with pytest.raises(der.DERError):
        der.read_certificate(corp.der)
    pin = hashlib.sha256(corp.der).hexdigest()
    entry = tlsinspect.describe([corp.der])[0]
    assert entry["sha256"] == pin and entry["subject"] == "CN=Corp Pinned CA,O=Example Corp Proxy", entry
    port = serve(leaf, corp.der, key)
    (result,), _summary = _probe(tmp_path, {"targets": [{"host": "swscan.apple.com", "port": port, "tls": True}],
                                            "expected_issuers": [pin]})
    if len(result["tls"]["chain"]) < 2:
        pytest.skip("before Python 3.10 a pin needs the certificate among the known ones (only the leaf is served)")
    assert result["verdict"] == "ok" and result["tls"]["trust"]["decided_by"] == "pin", result
    assert result["tls"]["chain"][1]["sha256"] == pin


def test_a_reader_bug_is_a_probe_error_not_a_verdict(serve, tmp_path, monkeypatch):
    corp = Authority("Corp Inspection CA")
    leaf, key = corp.issue("swscan.apple.com")
    port = serve(leaf, corp.der, key)
    monkeypatch.setattr(tlsinspect, "_READ_CACHE", {})

    def broken(reader):
        raise KeyError("a bug in the reader")

    monkeypatch.setattr(der, "_oid", broken)
    targets = [{"host": "swscan.apple.com", "port": port, "tls": True, "required": True}]
    (result,), summary = _probe(tmp_path, {"targets": targets}, [corp.pem])
    assert (result["verdict"], result["status"], result["category"]) == ("probe_error", "error", "error"), result
    assert result["error"]["step"] == "tls" and result["error"]["type"] == "KeyError", result["error"]
    assert result["message"].startswith("probe error in step tls for swscan.apple.com: KeyError: ")
    assert result["message"].endswith("(a bug in the probe, not an answer from the network)")
    assert summary["error"] == 1 and summary["failed"] == 0
    # Network errors still get network verdicts; only other exceptions are probe errors.
    spec_run = engine._Run({"target": dict(targets[0], protocol="tcp"), "literal": False, "skip_reason": None}, {"steps": {}}, 0)
    spec_run.step = "tcp"
    assert engine._unexpected(spec_run, ConnectionResetError("reset"))["verdict"] == "refused"
    spec_run.step = "dns"
    huge = engine._unexpected(spec_run, RuntimeError("\u202e" + "x" * 5000))
    assert huge["verdict"] == "probe_error" and len(huge["error"]["message"]) == 300
    assert huge["error"]["message"].startswith("\\u202exxx") and huge["error"]["step"] == "dns"


# ---------------------------------------------------------------- point 3: Apple's per-host pin rule


def test_a_pin_or_added_anchor_does_not_override_apples_per_host_rule(serve, tmp_path):
    corp = Authority("Corp Inspection CA")
    leaf, key = corp.issue("gdmf.apple.com", "swscan.apple.com")
    port = serve(leaf, corp.der, key)
    pin = hashlib.sha256(corp.der).hexdigest()
    gdmf = {"host": "gdmf.apple.com", "port": port, "tls": True}
    swscan = {"host": "swscan.apple.com", "port": port, "tls": True}
    for how in ({"expected_issuers": [pin]}, {"trust_anchors": [corp.pem]}):
        (pinned, free), _summary = _probe(tmp_path, dict(how, targets=[gdmf, swscan]), [corp.pem])
        assert pinned["verdict"] == "intercepted", (how, pinned)
        assert pinned["tls"]["trust"]["decided_by"] == "host_trust"
        assert pinned["tls"]["trust"]["rule"].startswith("Apple pins gdmf.apple.com to Apple's roots (per-host rule Pallas)")
        # A host without a per-host rule still takes the pin or the anchor.
        assert free["verdict"] == "ok" and free["tls"]["trust"]["decided_by"] == ("pin" if "expected_issuers" in how else "anchors")
        assert free["tls"]["trust"]["rule"].startswith("no per-host rule for swscan.apple.com")
        # Not locally trusted either: untrusted, never ok.
        (pinned, _free), _summary = _probe(tmp_path, dict(how, targets=[gdmf, swscan]))
        assert pinned["verdict"] == "untrusted", pinned
    # Only an override naming the host replaces the rule, and the result says so.
    for override in ({"host": "GDMF.apple.com.", "expected_issuers": [pin]}, {"host": "gdmf.apple.com", "trust_anchors": [corp.pem]}):
        (pinned,), _summary = _probe(tmp_path, {"targets": [gdmf], "pin_overrides": [override]}, [corp.pem])
        assert pinned["verdict"] == "ok", pinned
        assert pinned["tls"]["trust"]["decided_by"] == "host_override"
        assert pinned["tls"]["trust"]["rule"].startswith("user override for gdmf.apple.com (pin_overrides")
        assert "TLS verified by the user override for gdmf.apple.com" in pinned["message"]
    # An override for another host changes nothing for gdmf.apple.com.
    (pinned,), _summary = _probe(tmp_path, {"targets": [gdmf], "expected_issuers": [pin],
                                            "pin_overrides": [{"host": "gs.apple.com", "expected_issuers": [pin]}]}, [corp.pem])
    assert pinned["verdict"] == "intercepted", pinned


@pytest.mark.parametrize("overrides, message", [
    ("gdmf.apple.com", "pin_overrides: 'gdmf.apple.com' is not a list"),
    ([{"host": "swscan.apple.com", "expected_issuers": ["ab" * 32]}], "pin_overrides[0].host: 'swscan.apple.com' is not a host that Apple pins"),
    ([{"host": "gdmf.apple.com"}], "pin_overrides[0]: give expected_issuers (SHA-256 fingerprints) or trust_anchors for gdmf.apple.com"),
    ([{"host": "gdmf.apple.com", "expected_issuers": ["Corp CA"]}], "pin_overrides[0].expected_issuers: 'Corp CA' is not a SHA-256"),
    ([{"host": "gdmf.apple.com", "expected_issuers": ["ab:cd:ef:01:23:45:67:89:ab"]}], "pin_overrides[0].expected_issuers[0]: "),
    ([{"host": "gdmf.apple.com", "trust_anchors": ["/nonexistent.pem"]}], "pin_overrides[0].trust_anchors[0]: cannot read"),
    ([{"host": "gdmf.apple.com", "expected_issuers": ["ab" * 32], "pins": []}], "pin_overrides[0]: unknown key(s) pins"),
    ([{"host": "gdmf.apple.com", "expected_issuers": ["ab" * 32]}, {"host": "gdmf.apple.com.", "expected_issuers": ["ab" * 32]}],
     "pin_overrides[1].host: gdmf.apple.com is named twice"),
])
def test_pin_overrides_are_checked(overrides, message):
    with pytest.raises(ProbeInputError) as err:
        parse_config({"targets": [], "pin_overrides": overrides})
    assert str(err.value).startswith(message), str(err.value)


# ---------------------------------------------------------------- point 8: names from certificates are neutralised


def test_bidi_and_control_characters_in_names_are_shown_as_escapes(serve, tmp_path):
    corp = Authority("Evil\u202eAC kroW\u0007\u200b", organization="Corp\u2028Line")
    leaf, key = corp.issue("swscan.apple.com")
    port = serve(leaf, corp.der, key)
    (result,), _summary = _probe(tmp_path, {"targets": [{"host": "swscan.apple.com", "port": port, "tls": True}]}, [corp.pem])
    assert result["verdict"] == "intercepted", result
    assert result["tls"]["resigned_by"] == "Evil\\u202eAC kroW\\x07\\u200b"
    assert result["tls"]["chain"][0]["issuer"] == "CN=Evil\\u202eAC kroW\\x07\\u200b,O=Corp\\u2028Line"
    assert "\u202e" not in result["message"] and "Evil\\u202eAC" in result["message"]
    assert der.visible_text("Apple Inc.\u00a0") == "Apple Inc.\\xa0"
    assert der.visible_text("Zürich 東京 🍎 e\u0301") == "Zürich 東京 🍎 e\u0301"   # letters and combining marks stay
    assert der.visible_text("\U000e0041\ufeff") == "\\U000e0041\\ufeff"
