# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import re
import socket
import ssl
import struct
import threading
import time

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe import anchors, engine, netprobe, tlsinspect
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.engine import prepare, run_probes
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.netprobe import StepError, parse_status, validate_sntp_reply
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.options import parse_config
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._probe_targets import catalog_targets

trustme = pytest.importorskip("trustme")
pytest.importorskip("cryptography")

TRANSMIT = struct.pack("!II", 3900000000, 12345)


def reply(first=0x24, stratum=2, refid=b"\x0a\x00\x00\x01", echo=TRANSMIT, transmit=None):
    data = bytearray(48)
    data[0], data[1] = first, stratum
    data[12:16] = refid
    data[24:32] = echo
    stamp = struct.pack("!II", int(time.time()) + netprobe.NTP_EPOCH_OFFSET, 0)
    data[32:40] = stamp
    data[40:48] = stamp if transmit is None else transmit
    return bytes(data)


def test_sntp_reply_validation():
    now = time.time()
    info = validate_sntp_reply(reply(), TRANSMIT, now, now + 0.01)
    assert info["stratum"] == 2 and info["mode"] == 4 and info["reference_id"] == "10.0.0.1"
    assert abs(info["offset_ms"]) < 2000
    cases = [
        (reply(first=0x23), "server mode"),
        (reply(first=0x14), "version 2"),
        (reply(echo=b"\x00" * 8), "echo our transmit"),
        (reply(first=0xE4, stratum=0, refid=b"RATE"), "kiss-o'-death (RATE)"),
        (reply(first=0xE4), "not synchronised"),
        (reply(stratum=16), "invalid stratum"),
        (reply(transmit=b"\x00" * 8), "no transmit timestamp"),
    ]
    for data, text in cases:
        with pytest.raises(StepError) as err:
            validate_sntp_reply(data, TRANSMIT, now, now)
        assert err.value.verdict == "ntp_invalid" and text in err.value.detail


def test_parse_status():
    assert parse_status(b"HTTP/1.1 403 Forbidden\r\nServer: x\r\n\r\n") == (403, "Forbidden")
    assert parse_status(b"HTTP/1.0 200\r\n\r\n") == (200, "")
    assert parse_status(b"SSH-2.0-OpenSSH\r\n") is None


def _one_shot_proxy(answer):
    """A loopback listener that reads one request, sends ``answer`` (bytes) and closes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve():
        conn, _peer = listener.accept()
        conn.recv(4096)
        if answer:
            conn.sendall(answer)
        conn.close()
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    port = listener.getsockname()[1]
    return {"url": "http://127.0.0.1:%d" % port, "port": port}


@pytest.mark.parametrize("answer, verdict, message", [
    (b"", "proxy_error", "closed the connection without answering CONNECT swscan.apple.com:443"),
    (b"SSH-2.0-OpenSSH_9.2\r\n\r\n", "proxy_error", "answered CONNECT with something that is not HTTP: b'SSH-2.0"),
    (b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n", "proxy_denied", "requires authentication"),
    (b"HTTP/1.1 403 Forbidden\r\n\r\n", "proxy_denied", "refused the tunnel to swscan.apple.com:443 (HTTP 403 Forbidden)"),
])
def test_proxy_connect_failures(answer, verdict, message):
    proxy = _one_shot_proxy(answer)
    with pytest.raises(StepError) as failure:
        netprobe.proxy_connect("127.0.0.1", proxy, "swscan.apple.com", 443, 5)
    assert failure.value.verdict == verdict and message in failure.value.detail, failure.value.detail


def test_proxy_connect_tunnel():
    proxy = _one_shot_proxy(b"HTTP/1.1 200 Connection established\r\n\r\n")
    sock, info = netprobe.proxy_connect("127.0.0.1", proxy, "swscan.apple.com", 443, 5)
    sock.close()
    assert info == {"status": 200, "reason": "Connection established", "tunnel": True}


def test_proxy_connect_unreachable():
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    with pytest.raises(StepError) as failure:
        netprobe.proxy_connect("127.0.0.1", {"url": "http://127.0.0.1:%d" % port, "port": port}, "swscan.apple.com", 443, 5)
    assert failure.value.verdict == "proxy_error" and "cannot reach the proxy" in failure.value.detail


def _chain(ca, host="swscan.apple.com"):
    leaf = ca.issue_cert(host, common_name=host, organization_name="Apple Inc.", organization_unit_name="swscan")
    return [ssl.PEM_cert_to_DER_cert(blob.bytes().decode()) for blob in leaf.cert_chain_pems]


def test_chain_evidence_names_the_issuer_without_deciding():
    apple = trustme.CA(organization_name="Apple Inc.")
    corp = trustme.CA(organization_name="Example Corp Proxy")
    apple_chain = tlsinspect.describe(_chain(apple))
    corp_chain = tlsinspect.describe(_chain(corp))
    assert "O=Apple Inc." in apple_chain[0]["issuer"]
    assert tlsinspect.issuer_name_match(apple_chain, ["apple inc."]) == "apple inc."
    assert tlsinspect.issuer_name_match(corp_chain, ["Apple Inc.", "DigiCert Inc"]) is None
    # the subject text of the leaf is the same for both chains: only the issuers tell them apart
    assert apple_chain[0]["subject"] == corp_chain[0]["subject"]
    assert tlsinspect.resigning_ca(corp_chain) == "Example Corp Proxy" or "Example Corp Proxy" in tlsinspect.resigning_ca(corp_chain)
    assert tlsinspect.issuers_seen(corp_chain) == [corp_chain[0]["issuer"]]
    public = tlsinspect.public_chain(apple_chain)[0]
    assert "der" not in public and "_issuer_names" not in public
    assert set(("subject", "issuer", "sha256", "not_after")) <= set(public)


def test_chain_evidence_reads_each_certificate_once_and_names_the_leaf_alt_names(monkeypatch):
    ca = trustme.CA(organization_name="Apple Inc.")
    leaf = ca.issue_cert("gdmf.apple.com", "10.0.0.1")
    chain = [ssl.PEM_cert_to_DER_cert(blob.bytes().decode()) for blob in leaf.cert_chain_pems]
    other = _chain(ca)
    reads = []
    real_read = tlsinspect.der.read_certificate
    monkeypatch.setattr(tlsinspect, "_READ_CACHE", {})
    monkeypatch.setattr(tlsinspect.der, "read_certificate", lambda blob: reads.append(blob) or real_read(blob))
    first, again = tlsinspect.describe(chain), tlsinspect.describe(chain)
    assert first == again and reads == chain
    assert first[0]["subject_alt_names"] == ["gdmf.apple.com", "10.0.0.1"]
    # the bound: a full cache starts over instead of growing
    monkeypatch.setattr(tlsinspect, "_READ_CACHE_SIZE", 1)
    tlsinspect.describe(other)
    assert list(tlsinspect._READ_CACHE) == other


def test_catalog_targets_expand_selectors():
    catalog = load_catalog()
    targets = catalog_targets(catalog, used_by=["Software Update"])
    assert sorted((t["host"], t["port"]) for t in targets) == sorted(
        (h, p) for h in ("swcdn.apple.com", "swdownload.apple.com", "swquery.apple.com", "swscan.apple.com") for p in (80, 443))
    swscan = [t for t in targets if t["host"] == "swscan.apple.com" and t["port"] == 443][0]
    assert swscan["source"] == "software-update-servers" and swscan["required"] is True
    assert swscan["pattern"] == "swscan.apple.com" and swscan["protocol"] == "tcp"
    other = catalog_targets(catalog, groups=["other"], default_ports=[443, 80])
    amazon = [t for t in other if t["pattern"] == "*.amazonaws.com"]
    assert len(amazon) == 2 and all(t["host"] is None and "no concrete probe host" in t["skip_reason"] for t in amazon)
    digicert = [t for t in other if t["pattern"] == "*.digicert.com"][0]
    assert digicert["host"] == "ocsp.digicert.com"
    every = catalog_targets(catalog)
    assert len(set((t["host"] or t["pattern"], t["port"], t["protocol"]) for t in every)) == len(every)


@pytest.fixture
def tls_server():
    """A loopback TLS server (trustme) answering HTTP 403, and a listener that never completes a handshake."""
    ca = trustme.CA(organization_name="Apple Inc.")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    good = socket.socket()
    good.bind(("127.0.0.1", 0))
    good.listen(16)
    stuck = socket.socket()
    stuck.bind(("127.0.0.1", 0))
    stuck.listen(64)  # the kernel accepts TCP; nobody ever speaks TLS

    def serve():
        while True:
            try:
                conn, _peer = good.accept()
            except OSError:
                return
            try:
                tls = context.wrap_socket(conn, server_side=True)
                tls.recv(4096)
                tls.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                tls.close()
            except (OSError, ssl.SSLError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    pem = ca.cert_pem.bytes()
    yield good.getsockname()[1], stuck.getsockname()[1], pem
    good.close()
    stuck.close()


def _ready(params, **kwargs):
    specs, cfg = parse_config(params)
    return specs, prepare(cfg, **kwargs)


def test_run_probes_tls_http_and_hard_deadline(tls_server, tmp_path):
    good_port, stuck_port, pem = tls_server
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(pem)
    targets = [{"host": "127.0.0.1", "port": good_port, "tls": True, "http": {"expected_status": [403]}}]
    targets += [{"host": "127.0.0.1", "port": stuck_port, "tls": True} for _index in range(10)]
    specs, cfg = _ready({"targets": targets, "trust_anchors": [pem.decode()], "timeout": 1.5, "concurrency": 4,
                         "step_timeouts": {"tls": 60}})
    started = time.monotonic()
    results, summary = run_probes(specs, cfg)
    elapsed = time.monotonic() - started
    assert elapsed < 1.5 + 0.5
    assert results[0]["verdict"] == "ok" and results[0]["http"]["status"] == 403, results[0]
    assert results[0]["tls"]["trust"]["decided_by"] == "anchors" and results[0]["tls"]["issuer_name_match"] == "Apple Inc."
    stuck = results[1:]
    assert all(r["verdict"] in ("timeout", "skipped") for r in stuck)
    assert sum(r["verdict"] == "timeout" for r in stuck) >= 3  # the workers that were stuck in a handshake
    assert summary["total"] == 11 and summary["ok"] == 1
    # Not an anchor, but the host trusts it: a locally trusted CA re-signed the chain, whatever its name says.
    specs, cfg = _ready({"targets": targets[:1], "ca_bundle": str(bundle)})
    results, summary = run_probes(specs, cfg)
    assert results[0]["verdict"] == "intercepted" and results[0]["tls"]["verified"] is True, results[0]
    assert results[0]["tls"]["resigned_by"] == "Apple Inc." or "Apple Inc." in results[0]["tls"]["resigned_by"]
    assert results[0]["tls"]["trust"]["host_trust"] == "ca_bundle %s" % bundle
    assert summary["intercepted"] == 1
    # Trusted by nothing: untrusted, with the anchors' refusal in the message.
    specs, cfg = _ready({"targets": targets[:1]})
    results, _summary = run_probes(specs, cfg)
    assert results[0]["verdict"] == "untrusted" and results[0]["tls"]["verify_error"], results[0]
    # A pin of the CA (known from ca_bundle) makes it ok, without any anchor.
    fingerprint = tlsinspect.describe([ssl.PEM_cert_to_DER_cert(pem.decode())])[0]["sha256"]
    specs, cfg = _ready({"targets": targets[:1], "ca_bundle": str(bundle), "expected_issuers": [fingerprint]})
    results, _summary = run_probes(specs, cfg)
    assert results[0]["verdict"] == "ok" and results[0]["tls"]["trust"]["decided_by"] == "pin", results[0]
    assert results[0]["tls"]["matched_issuer"] == fingerprint


def test_trust_anchors_replace_the_shipped_set(tls_server):
    good_port, _stuck_port, pem = tls_server
    target = [{"host": "127.0.0.1", "port": good_port, "tls": True}]
    specs, cfg = _ready({"targets": target, "trust_anchors": [pem.decode()], "trust_anchors_mode": "replace"})
    (result,), _summary = run_probes(specs, cfg)
    assert result["verdict"] == "ok" and result["tls"]["trust"]["anchors"] == "trust_anchors only (1)", result
    assert result["tls"]["trust"]["pin_rule"] == "user"
    # The shipped anchors alone do not accept the test CA.
    specs, cfg = _ready({"targets": target})
    (result,), _summary = run_probes(specs, cfg)
    assert result["verdict"] == "untrusted" and result["tls"]["trust"]["anchors"] == "Apple service anchors (9)", result


def test_step_messages_give_the_bound_that_applied(tls_server):
    _good_port, stuck_port, _pem = tls_server
    specs, cfg = _ready({"targets": [{"host": "127.0.0.1", "port": stuck_port, "tls": True}], "timeout": 3,
                         "step_timeouts": {"tls": 5}})
    (result,), _summary = run_probes(specs, cfg)
    assert result["verdict"] == "timeout", result
    # the step was cut by what was left of the overall 3 s, so the message must not claim 5 s
    assert "5.0 s" not in result["message"], result
    assert re.search(r"within (2\.9|3\.0) s|overall timeout of 3\.0 s", result["message"]), result


def test_keychain_decides_intercepted_or_untrusted(tls_server):
    good_port, _stuck_port, _pem = tls_server
    asked = []

    def keychain(ders, host):
        asked.append((len(ders), host))
        return host == "127.0.0.1", "certificate verification successful."

    specs, cfg = _ready({"targets": [{"host": "127.0.0.1", "port": good_port, "tls": True}]}, host_trust="keychain",
                        verify_cert=keychain)
    (result,), _summary = run_probes(specs, cfg)
    assert result["verdict"] == "intercepted" and asked and asked[0][1] == "127.0.0.1", result
    assert result["tls"]["trust"]["host_trust"] == "macOS Keychain (security verify-cert)"
    assert result["tls"]["trust"]["host_trust_result"] == "certificate verification successful."


def test_apple_pinned_host_with_a_public_chain_is_a_pin_mismatch(monkeypatch):
    """gdmf.apple.com may anchor only at Apple's roots: a chain from a public anchor is not what macOS accepts."""
    ca = trustme.CA(organization_name="Test Public Root")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("gdmf.apple.com", "swscan.apple.com").configure_cert(context)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)

    def serve():
        while True:
            try:
                conn, _peer = listener.accept()
            except OSError:
                return
            try:
                context.wrap_socket(conn, server_side=True).close()
            except (OSError, ssl.SSLError):
                conn.close()

    threading.Thread(target=serve, daemon=True).start()
    # Both names resolve to the loopback server; the test CA stands in for a public (non-Apple) anchor.
    monkeypatch.setattr(engine.sysresolve, "resolve", lambda host, budget: (None, {"addresses": ["127.0.0.1"], "source": "test"}))
    public = dict(anchors.ANCHORS[0], apple=False, pem=ca.cert_pem.bytes().decode(), name="Test Public Root")
    monkeypatch.setattr(anchors, "ANCHORS", (public,) + tuple(a for a in anchors.ANCHORS if a["apple"]))
    port = listener.getsockname()[1]
    try:
        targets = [{"host": "swscan.apple.com", "port": port, "tls": True}, {"host": "gdmf.apple.com", "port": port, "tls": True}]
        specs, cfg = _ready({"sinkhole_addresses": ["0.0.0.0"], "targets": targets})
        (ok, pinned), _summary = run_probes(specs, cfg)
    finally:
        listener.close()
    assert ok["verdict"] == "ok" and ok["tls"]["trust"]["pin_rule"] == "any", ok
    assert pinned["verdict"] == "pin_mismatch" and pinned["tls"]["trust"]["pin_rule"] == "apple", pinned
    assert "Apple roots only" in pinned["tls"]["trust"]["anchors"] and "Apple's pin policy" in pinned["message"]


class _LeafOnlySocket:
    """An SSL socket as Python before 3.10 shows it: no chain API, only the peer's leaf certificate."""

    def __init__(self, ssl_socket):
        self._wrapped = ssl_socket

    def getpeercert(self, binary_form=False):
        return self._wrapped.getpeercert(binary_form)


def test_served_chain_falls_back_to_the_leaf(tls_server):
    good_port, _stuck_port, pem = tls_server
    context = ssl.create_default_context(cadata=pem.decode())
    with socket.create_connection(("127.0.0.1", good_port), 5) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as ssock:
            full = tlsinspect.served_chain(ssock)
            leaf_only = tlsinspect.served_chain(_LeafOnlySocket(ssock))
            leaf = ssock.getpeercert(binary_form=True)
    assert full[0] == leaf, "this Python reads the chain as served"
    assert leaf_only == [leaf]
    # The leaf's issuer still names the CA, as evidence, without the chain API.
    assert tlsinspect.issuer_name_match(tlsinspect.describe(leaf_only), ["Apple Inc."]) == "Apple Inc."
