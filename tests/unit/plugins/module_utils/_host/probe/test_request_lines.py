# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The bytes the probe sends: request line, Host: and Proxy-Authorization, direct and through a proxy, IPv6 too."""

from __future__ import annotations

import socket
import threading

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe import netprobe
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.options import ProbeInputError, parse_config

AUTH = "Basic cHJvYmVyOnMzY3JldA=="
PROXY = {"host": "proxy.example.com", "port": 3128, "auth": AUTH, "url": "http://proxy.example.com:3128"}


def sent_by_http_request(host, port, path, proxy):
    """What ``http_request`` writes to its socket (the peer answers 200)."""
    ours, theirs = socket.socketpair()
    try:
        theirs.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
        assert netprobe.http_request(ours, "GET", host, port, path, 5, proxy) == (200, "OK")
        theirs.settimeout(2)
        return theirs.recv(65536).decode("ascii")
    finally:
        ours.close()
        theirs.close()


def head_lines(text):
    assert text.endswith("\r\n\r\n"), text
    return text[:-4].split("\r\n")


@pytest.mark.parametrize("host, port, line, host_header", [
    ("2001:db8::1", 80, "GET /x HTTP/1.1", "Host: [2001:db8::1]"),
    ("2001:db8::1", 8080, "GET /x HTTP/1.1", "Host: [2001:db8::1]:8080"),
    ("10.0.0.1", 8080, "GET /x HTTP/1.1", "Host: 10.0.0.1:8080"),
    ("swscan.apple.com", 443, "GET /x HTTP/1.1", "Host: swscan.apple.com"),
])
def test_direct_request_brackets_an_ipv6_host(host, port, line, host_header):
    lines = head_lines(sent_by_http_request(host, port, "/x", None))
    assert lines[0] == line and lines[1] == host_header
    assert not any(item.lower().startswith("proxy-authorization") for item in lines)


@pytest.mark.parametrize("host, port, line, host_header", [
    ("2001:db8::1", 80, "GET http://[2001:db8::1]/x HTTP/1.1", "Host: [2001:db8::1]"),
    ("2001:db8::1", 8080, "GET http://[2001:db8::1]:8080/x HTTP/1.1", "Host: [2001:db8::1]:8080"),
    ("swscan.apple.com", 80, "GET http://swscan.apple.com/x HTTP/1.1", "Host: swscan.apple.com"),
])
def test_plain_http_through_a_proxy_sends_the_credentials(host, port, line, host_header):
    lines = head_lines(sent_by_http_request(host, port, "/x", PROXY))
    assert lines[0] == line and lines[1] == host_header
    assert "Proxy-Authorization: %s" % AUTH in lines


def test_plain_http_through_a_proxy_without_credentials_sends_none():
    lines = head_lines(sent_by_http_request("swscan.apple.com", 80, "/", dict(PROXY, auth=None)))
    assert lines[0] == "GET http://swscan.apple.com/ HTTP/1.1"
    assert not any(item.lower().startswith("proxy-authorization") for item in lines)


def test_connect_brackets_an_ipv6_authority_and_sends_the_credentials():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    seen = []

    def serve():
        conn, _peer = listener.accept()
        seen.append(conn.recv(65536).decode("ascii"))
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    try:
        sock, info = netprobe.proxy_connect("127.0.0.1", dict(PROXY, port=port), "2001:db8::1", 443, 5)
        sock.close()
    finally:
        thread.join(5)
        listener.close()
    assert info["tunnel"] is True
    lines = head_lines(seen[0])
    assert lines[:2] == ["CONNECT [2001:db8::1]:443 HTTP/1.1", "Host: [2001:db8::1]:443"]
    assert "Proxy-Authorization: %s" % AUTH in lines


def params(**extra):
    result = {"targets": [{"host": "swscan.apple.com", "port": 443}], "proxy": "system", "proxy_username": "prober",
              "proxy_password": "s3cret"}
    result.update(extra)
    return result


def test_system_proxy_credentials_decide_what_a_system_proxy_gets():
    _targets, sent = parse_config(params())
    assert sent["proxy_auth"] == AUTH
    _targets, kept = parse_config(params(system_proxy_credentials=False))
    assert kept["proxy_auth"] is None
    _targets, explicit = parse_config(params(proxy="http://proxy.example.com:3128", system_proxy_credentials=False))
    assert explicit["proxy"]["auth"] == AUTH, "an explicit proxy URL always gets the credentials"
    with pytest.raises(ProbeInputError, match="system_proxy_credentials: 'no' is not a boolean"):
        parse_config(params(system_proxy_credentials="no"))
