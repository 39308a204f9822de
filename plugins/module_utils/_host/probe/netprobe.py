# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Network steps of a probe with the standard library: TCP, HTTP CONNECT, TLS, HTTP, SNTP."""

from __future__ import annotations

import os
import re
import socket
import struct
import time

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.addresses import format_authority, format_host

NTP_EPOCH_OFFSET = 2208988800  # seconds from 1900-01-01 to 1970-01-01
_STATUS_LINE = re.compile(rb"^HTTP/(\d)\.(\d) (\d{3})(?: (.*))?$")


class StepError(Exception):
    """A step that failed with a verdict; ``detail`` says why in words."""

    def __init__(self, verdict, detail, **info):
        Exception.__init__(self, detail)
        self.verdict = verdict
        self.detail = detail
        self.info = info


def connect(address, port, timeout):
    """A connected TCP socket; StepError refused/timeout otherwise."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(max(timeout, 0.001))
    try:
        sock.connect((address, port))
    except socket.timeout:
        sock.close()
        raise StepError("timeout", "no answer from %s port %d within %.1f s (dropped or blackholed)" % (address, port, timeout))
    except ConnectionRefusedError:
        sock.close()
        raise StepError("refused", "%s refused the connection on port %d" % (address, port))
    except OSError as exc:
        sock.close()
        raise StepError("refused", "cannot connect to %s port %d: %s" % (address, port, exc.strerror or exc))
    return sock


def read_head(sock, deadline, limit=16384):
    """Read an HTTP response head (up to the blank line) before ``deadline``."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < limit:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout()
        sock.settimeout(remaining)
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def parse_status(head):
    """(status, reason) of an HTTP response head; None when it is not HTTP."""
    line = head.split(b"\r\n", 1)[0]
    match = _STATUS_LINE.match(line)
    if not match:
        return None
    return int(match.group(3)), (match.group(4) or b"").decode("latin-1").strip()


def proxy_connect(proxy_address, proxy, host, port, timeout):
    """Open an HTTP CONNECT tunnel to host:port; returns (socket, info)."""
    started = time.monotonic()
    try:
        sock = connect(proxy_address, proxy["port"], timeout)
    except StepError as exc:
        raise StepError("proxy_error", "cannot reach the proxy %s: %s" % (proxy["url"], exc.detail))
    authority = format_authority(host, port)
    request = ("CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: macfleet-endpoint-probe\r\n%s\r\n"
               % (authority, authority, _proxy_authorization(proxy)))
    try:
        sock.settimeout(max(timeout - (time.monotonic() - started), 0.001))
        sock.sendall(request.encode("ascii"))
        head = read_head(sock, started + timeout)
    except socket.timeout:
        sock.close()
        raise StepError("timeout", "the proxy %s did not answer CONNECT %s within %.1f s" % (proxy["url"], authority, timeout))
    except OSError as exc:
        sock.close()
        raise StepError("proxy_error", "the proxy %s dropped the connection: %s" % (proxy["url"], exc.strerror or exc))
    if not head:
        sock.close()
        raise StepError("proxy_error", "the proxy %s closed the connection without answering CONNECT %s" % (proxy["url"], authority))
    status = parse_status(head)
    if status is None:
        sock.close()
        raise StepError("proxy_error", "the proxy %s answered CONNECT with something that is not HTTP: %r"
                        % (proxy["url"], head[:60]))
    info = {"status": status[0], "reason": status[1], "tunnel": status[0] == 200}
    if status[0] != 200:
        sock.close()
        why = "requires authentication" if status[0] == 407 else "refused the tunnel"
        raise StepError("proxy_denied", "the proxy %s %s to %s (HTTP %d %s)" % (proxy["url"], why, authority, status[0], status[1]),
                        **info)
    return sock, info


def tls_handshake(sock, context, server_hostname, timeout):
    """Wrap ``sock`` in TLS with SNI and hostname checks as the context says."""
    sock.settimeout(max(timeout, 0.001))
    return context.wrap_socket(sock, server_hostname=server_hostname)


def _proxy_authorization(proxy):
    """The ``Proxy-Authorization`` header line for a proxy with credentials, else nothing."""
    return "Proxy-Authorization: %s\r\n" % proxy["auth"] if proxy and proxy.get("auth") else ""


def request_head(method, host, port, path, proxy=None):
    """The head of one HTTP request: origin form, or absolute form with the proxy's credentials when ``proxy``.

    *host* and *port* passed the address rule (``_catalog/addresses.py``); an IPv6 address is written in brackets.
    """
    default_port = 443 if port == 443 else 80
    authority = format_host(host) if port == default_port else format_authority(host, port)
    target = "http://%s%s" % (authority, path) if proxy else path
    return ("%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: macfleet-endpoint-probe\r\nAccept: */*\r\n%sConnection: close\r\n\r\n"
            % (method, target, authority, _proxy_authorization(proxy)))


def http_request(sock, method, host, port, path, timeout, proxy=None):
    """Send one request and return (status, reason) of the answer; ``proxy``: the request goes to that proxy."""
    started = time.monotonic()
    request = request_head(method, host, port, path, proxy)
    sock.settimeout(max(timeout, 0.001))
    sock.sendall(request.encode("ascii"))
    head = read_head(sock, started + timeout)
    return parse_status(head)


def _ntp_time(data, offset):
    seconds, fraction = struct.unpack("!II", data[offset:offset + 8])
    return seconds + fraction / 2.0 ** 32


def sntp_query(address, port, timeout):
    """Send an SNTP (v4, client mode) request and validate the reply; returns info or raises StepError."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.settimeout(max(timeout, 0.001))
        sock.connect((address, port))
        request = bytearray(48)
        request[0] = (0 << 6) | (4 << 3) | 3
        t1 = time.time()
        seconds = int(t1) + NTP_EPOCH_OFFSET
        # A random low part makes the originate timestamp hard to guess for a spoofed reply.
        fraction = (int((t1 % 1) * 2 ** 32) & 0xFFFF0000) | struct.unpack("!H", os.urandom(2))[0]
        transmit = struct.pack("!II", seconds, fraction)
        request[40:48] = transmit
        sock.send(bytes(request))
        deadline = time.monotonic() + timeout
        while True:
            try:
                data = sock.recv(1024)
            except socket.timeout:
                raise StepError("ntp_no_reply", "no SNTP reply from %s port %d within %.1f s" % (address, port, timeout))
            except ConnectionRefusedError:
                raise StepError("ntp_no_reply", "%s port %d is unreachable (ICMP port unreachable): no NTP server" % (address, port))
            t4 = time.time()
            if len(data) >= 48 and data[24:32] == transmit:
                break
            if time.monotonic() >= deadline:  # only stray packets arrived
                raise StepError("ntp_no_reply", "no matching SNTP reply from %s port %d within %.1f s" % (address, port, timeout))
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
    finally:
        sock.close()
    return validate_sntp_reply(data, transmit, t1, t4)


def validate_sntp_reply(data, transmit, t1, t4):
    leap, version, mode = data[0] >> 6, (data[0] >> 3) & 7, data[0] & 7
    stratum = data[1]
    refid = data[12:16]
    info = {"version": version, "mode": mode, "stratum": stratum, "leap": leap}
    if mode != 4:
        raise StepError("ntp_invalid", "the reply is not in server mode (mode %d)" % mode, **info)
    if version not in (3, 4):
        raise StepError("ntp_invalid", "the reply has NTP version %d" % version, **info)
    if data[24:32] != transmit:
        raise StepError("ntp_invalid", "the reply does not echo our transmit timestamp", **info)
    if stratum == 0:
        code = refid.decode("ascii", "replace").strip("\x00")
        raise StepError("ntp_invalid", "the server sent a kiss-o'-death (%s)" % code, kiss_code=code, **info)
    if leap == 3:
        raise StepError("ntp_invalid", "the server says its clock is not synchronised (leap indicator 3)", **info)
    if stratum > 15:
        raise StepError("ntp_invalid", "the reply has an invalid stratum %d" % stratum, **info)
    t2 = _ntp_time(data, 32) - NTP_EPOCH_OFFSET
    t3 = _ntp_time(data, 40) - NTP_EPOCH_OFFSET
    if _ntp_time(data, 40) == 0:
        raise StepError("ntp_invalid", "the reply has no transmit timestamp", **info)
    info["offset_ms"] = round(((t2 - t1) + (t3 - t4)) / 2 * 1000, 3)
    info["delay_ms"] = round(((t4 - t1) - (t3 - t2)) * 1000, 3)
    info["reference_id"] = (refid.decode("ascii", "replace").strip("\x00") if stratum == 1
                            else ".".join(str(b) for b in refid))
    return info
