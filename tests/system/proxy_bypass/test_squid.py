# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role's squid target against a real squid on loopback.

Names resolve only through squid's hosts_file (to local servers); dns_nameservers points at a
dead loopback address, so no real DNS query can happen and Apple's hosts are never contacted.
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import threading
import time

import pytest
import trustme

from squid_env import SQUID, Squid, free_port, http_status, parent_squid

APPLE = "swscan.apple.com"
OTHER = "www.example.org"
ROLE_PLAY = """
- hosts: localhost
  gather_facts: false
  roles:
    - role: macfleet.apple_network.proxy_bypass
      vars:
        proxy_bypass_targets: [squid]
"""
DROPIN_TASK = "macfleet.apple_network.proxy_bypass : Write the squid drop-in (checked with squid -k parse before it replaces the old one)"

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists(SQUID), reason="needs root and squid")


class TLSServer:
    """A TLS server in a thread answering every request with its own name."""

    def __init__(self, ca, name):
        self.name = name
        self.cert = ca.issue_cert(name)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.cert.configure_cert(ctx)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.ctx = ctx
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    @property
    def der(self):
        return ssl.PEM_cert_to_DER_cert(self.cert.cert_chain_pems[0].bytes().decode())

    def serve(self):
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def handle(self, conn):
        try:
            with self.ctx.wrap_socket(conn, server_side=True) as tls:
                tls.recv(4096)
                body = self.name.encode()
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
        except (OSError, ssl.SSLError):
            pass

    def close(self):
        self.sock.close()


def connect_through(proxy_port, name, port, trust, timeout=10):
    """CONNECT through squid, then TLS with a client that trusts only ``trust``; returns (status, cert, body)."""
    sock = socket.create_connection(("127.0.0.1", proxy_port), timeout=timeout)
    sock.sendall(("CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (name, port, name, port)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            break
        head += chunk
    status = int(head.split(b" ")[1]) if head else 0
    if status != 200:
        sock.close()
        return status, None, None
    ctx = ssl.create_default_context()
    trust.configure_trust(ctx)
    with ctx.wrap_socket(sock, server_hostname=name.rstrip(".").lower()) as tls:
        cert = tls.getpeercert(binary_form=True)
        tls.sendall(("GET / HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n" % (name, port)).encode())
        data = b""
        while True:
            chunk = tls.recv(4096)
            if not chunk:
                break
            data += chunk
    return status, cert, data.split(b"\r\n\r\n", 1)[-1]


def bumping_cas(scratch, upstream_ca):
    """The CA squid bumps with (and its key file) and the file of the CA the upstream servers' certificates are from."""
    proxy_ca = trustme.CA(key_type=trustme.KeyType.RSA)
    ca_file = scratch / "proxy-ca.pem"
    ca_file.write_bytes(proxy_ca.cert_pem.bytes() + proxy_ca.private_key_pem.bytes())
    upstream_file = scratch / "upstream-ca.pem"
    upstream_file.write_bytes(upstream_ca.cert_pem.bytes())
    return proxy_ca, {"ca_file": ca_file, "upstream_ca": upstream_file}


@pytest.fixture
def upstream():
    ca = trustme.CA()
    servers = {name: TLSServer(ca, name) for name in (APPLE, OTHER, "gg3.apple.com")}
    yield ca, servers
    for server in servers.values():
        server.close()


# The apexes mzstatic.com and cdn-apple.com are bypassed with their *.domain (the bypass rule's include_apex).
CASES_DIRECT = [APPLE, "SWSCAN.APPLE.COM", "swscan.apple.com.", "gg3.apple.com", "gg.apple.com", "a.b.mzstatic.com",
                "is1-ssl.mzstatic.com", "updates.cdn-apple.com", "mesu.apple.com", "itunes.apple.com",
                "init.itunes.apple.com", "ocsp.digicert.com", "mzstatic.com", "cdn-apple.com"]
CASES_DENIED = ["evilapple.com", "apple.com", "apple.com.evil.net", "ggx.apple.com.evil.net", "a.gg.apple.com",
                "evilmzstatic.com", "cdn-apple.com.evil.net", "example.org", "xswscan.apple.com"]


def test_splice_apple_bump_others_and_the_case_table(play, scratch, processes, upstream, web_server):
    ca, servers = upstream
    proxy_ca, bump = bumping_cas(scratch, ca)
    dropin = scratch / "bypass.conf"
    squid = Squid(scratch, processes, dropin, [
        "acl SSL_ports port %s" % " ".join(str(s.port) for s in servers.values()),
        "acl CONNECT method CONNECT",
        "acl step1 at_step SslBump1",
        "ssl_bump peek step1",
        "ssl_bump bump all",
        "http_access deny CONNECT !SSL_ports",
        "http_access allow CONNECT",
        "acl bumped_site dstdomain %s" % OTHER,  # the decrypted requests inside the bumped tunnel
        "http_access allow bumped_site",
        "http_access allow macfleet_bypass",
        "http_access allow macfleet_bypass_regex",
        "http_access deny all",
    ])
    squid.write([n.lower().rstrip(".") for n in CASES_DIRECT + CASES_DENIED] + [OTHER],
                ssl_bump=bump)
    extra = {"proxy_bypass_squid_dropin_path": str(dropin), "proxy_bypass_squid_config": str(squid.config),
             "proxy_bypass_squid_binary": SQUID, "proxy_bypass_squid_ssl_bump": True,
             "proxy_bypass_squid_reload": False}
    result = play(ROLE_PLAY, extra_vars=extra)
    assert result.rc == 0, result
    assert "ssl_bump splice macfleet_bypass_sni_regex" in dropin.read_text()
    subprocess.run([SQUID, "-k", "parse", "-f", str(squid.config)], check=True, capture_output=True)
    squid.start()

    # Apple names are spliced: the client sees the server's own certificate, unchanged.
    for name, server in ((APPLE, servers[APPLE]), ("GG3.Apple.com", servers["gg3.apple.com"])):
        status, cert, body = connect_through(squid.port, name, server.port, ca)
        assert status == 200
        assert cert == server.der
        assert body == server.name.encode()
    # Another name is bumped: squid presents a certificate made by its own CA.
    status, cert, body = connect_through(squid.port, OTHER, servers[OTHER].port, proxy_ca)
    assert status == 200 and body == OTHER.encode(), (squid.dir / "access.log").read_text()
    assert cert != servers[OTHER].der
    with pytest.raises(ssl.SSLCertVerificationError):
        connect_through(squid.port, OTHER, servers[OTHER].port, ca)

    # The case table, decided by squid's own ACL matching (allowed -> reaches the local web server).
    verdicts = {name: http_status(squid.port, name, web_server) for name in CASES_DIRECT + CASES_DENIED}
    assert verdicts == dict([(n, 200) for n in CASES_DIRECT] + [(n, 403) for n in CASES_DENIED])


def test_always_direct_reload_through_the_handler_idempotence_and_check_mode(play, scratch, processes, upstream):
    ca, servers = upstream
    dropin = scratch / "bypass.conf"
    dropin.write_text("# nothing yet\n")
    squid = Squid(scratch, processes, dropin, [
        "cache_peer 127.0.0.1 parent %d 0 no-query no-digest default" % free_port(),  # nobody listens there
        "never_direct allow all",
        "http_access allow localhost",
        "http_access deny all",
    ])
    squid.write([APPLE, OTHER])
    squid.start()
    assert connect_through(squid.port, APPLE, servers[APPLE].port, ca)[0] != 200  # only the dead parent so far

    extra = {"proxy_bypass_squid_dropin_path": str(dropin), "proxy_bypass_squid_config": str(squid.config),
             "proxy_bypass_squid_binary": SQUID, "proxy_bypass_squid_always_direct": True,
             "proxy_bypass_squid_mode": "0640"}
    checked = play(ROLE_PLAY, extra_vars=extra, check=True)
    assert checked.rc == 0, checked
    assert checked.results(DROPIN_TASK)["localhost"]["changed"] is True
    assert dropin.read_text() == "# nothing yet\n"

    result = play(ROLE_PLAY, extra_vars=extra)
    assert result.rc == 0, result
    assert result.results("macfleet.apple_network.proxy_bypass : Reconfigure squid")["localhost"]["changed"] is True
    assert oct(dropin.stat().st_mode & 0o777) == "0o640"
    assert "always_direct allow macfleet_bypass" in dropin.read_text()
    deadline = time.monotonic() + 15
    while True:
        status, cert, body = connect_through(squid.port, APPLE, servers[APPLE].port, ca)
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert status == 200 and cert == servers[APPLE].der and body == APPLE.encode()
    assert connect_through(squid.port, OTHER, servers[OTHER].port, ca)[0] != 200  # still only via the dead parent

    again = play(ROLE_PLAY, extra_vars=extra)
    assert again.rc == 0, again
    assert again.results(DROPIN_TASK)["localhost"]["changed"] is False
    assert not any("Reconfigure squid" in task["task"]["name"] for task in again.tasks())


@pytest.mark.parametrize("bad", ['evil".apple.com', "evil\\.apple.com", "evil\n.apple.com", "evil .apple.com"])
def test_bad_host_fails_before_the_dropin_is_written(play, scratch, bad):
    dropin = scratch / "bypass.conf"
    dropin.write_text("# old\n")
    extra = {"proxy_bypass_squid_dropin_path": str(dropin), "proxy_bypass_squid_config": str(scratch / "none.conf"),
             "proxy_bypass_squid_binary": SQUID, "proxy_bypass_extra_hosts": [bad]}
    result = play(ROLE_PLAY, extra_vars=extra)
    assert result.rc != 0
    assert "macfleet.apple_network.macos_bypass_list" in result.proc.stdout
    assert dropin.read_text() == "# old\n"


COLUMN_CATALOG = """catalog_format: 1
sources: {column: {title: Rows with the Supports proxies column}}
hosts:
  - {source: column, group: column, host: proxied.apple.com, supports_proxies: "yes"}
  - {source: column, group: column, host: notstated.apple.com, supports_proxies: not_stated}
"""


def test_connect_splices_every_catalog_host_and_sends_only_the_not_stated_one_direct(play, scratch, processes):
    """A real CONNECT through an SSL-bumping squid that has a parent: both hosts are spliced (the client sees
    the server's own certificate); the not-stated one goes DIRECT (always_direct), the proxy-capable one
    through the parent (never_direct for everything else), as squid's access.log shows."""
    ca = trustme.CA()
    servers = {name: TLSServer(ca, name) for name in ("proxied.apple.com", "notstated.apple.com", OTHER)}
    try:
        proxy_ca, bump = bumping_cas(scratch, ca)
        catalog = scratch / "column.yml"
        catalog.write_text(COLUMN_CATALOG)
        parent = parent_squid(scratch, processes, list(servers))
        dropin = scratch / "bypass.conf"
        squid = Squid(scratch, processes, dropin, parent.parent_lines() + [
            "acl step1 at_step SslBump1",
            "ssl_bump peek step1",
            "ssl_bump bump all",
            "http_access allow localhost",
            "http_access deny all",
        ])
        squid.write(list(servers), ssl_bump=bump)
        result = play(ROLE_PLAY, extra_vars={
            "proxy_bypass_catalog_files": [str(catalog)], "proxy_bypass_catalog_groups": ["column"],
            "proxy_bypass_squid_dropin_path": str(dropin), "proxy_bypass_squid_config": str(squid.config),
            "proxy_bypass_squid_binary": SQUID, "proxy_bypass_squid_ssl_bump": True,
            "proxy_bypass_squid_always_direct": True, "proxy_bypass_squid_reload": False,
        }, env={"MACFLEET_APPLE_NETWORK_CACHE_DIR": str(scratch / "cache")})
        assert result.rc == 0, result
        text = dropin.read_text()
        assert "acl macfleet_bypass_sni ssl::server_name proxied.apple.com" in text
        assert "acl macfleet_bypass_direct dstdomain -n notstated.apple.com" in text
        assert "acl macfleet_bypass_direct dstdomain -n proxied.apple.com" not in text
        subprocess.run([SQUID, "-k", "parse", "-f", str(squid.config)], check=True, capture_output=True)
        parent.start()
        squid.start()

        for name in ("proxied.apple.com", "notstated.apple.com"):
            status, cert, body = connect_through(squid.port, name, servers[name].port, ca)
            assert (status, body) == (200, name.encode()), (squid.dir / "cache.log").read_text()[-2000:]
            assert cert == servers[name].der  # spliced: the server's own certificate
        # Anything else is bumped, through the parent.
        status, cert, body = connect_through(squid.port, OTHER, servers[OTHER].port, proxy_ca)
        assert status == 200 and body == OTHER.encode() and cert != servers[OTHER].der

        hierarchy = [(method, url.rsplit(":", 1)[0], code) for method, url, _status, code in squid.hierarchy(3)]
        assert hierarchy[:2] == [("CONNECT", "proxied.apple.com", "FIRSTUP_PARENT"),
                                 ("CONNECT", "notstated.apple.com", "HIER_DIRECT")]
        parent_log = [(method, url.rsplit(":", 1)[0]) for method, url, _status, _code in parent.hierarchy(1)]
        assert parent_log[0] == ("CONNECT", "proxied.apple.com")
    finally:
        for server in servers.values():
            server.close()
