# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Real TLS and SNTP servers for the probe tests and the benchmark.

    python servers.py CONFIG.json READY_FILE

CONFIG: {"tls": [{"address", "port", "certchain" (PEM leaf+intermediates), "key", "delay", "status"}],
         "sntp": [{"address", "port", "mode": "good" | "silent" | "kiss"}]}
Writes READY_FILE once every socket listens; runs until SIGTERM.
"""

from __future__ import annotations

import json
import signal
import socket
import ssl
import struct
import sys
import threading
import time

NTP_EPOCH_OFFSET = 2208988800


def serve_tls(listener, context, delay, status):
    while True:
        conn, _peer = listener.accept()
        threading.Thread(target=handle_tls, args=(conn, context, delay, status), daemon=True).start()


def handle_tls(conn, context, delay, status):
    try:
        if delay:
            time.sleep(delay)  # the endpoint answers slowly: nothing is sent before the delay
        conn.settimeout(10)
        tls = context.wrap_socket(conn, server_side=True)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = tls.recv(4096)
            if not chunk:
                break
            data += chunk
        if data:
            tls.sendall(b"HTTP/1.1 %d Status\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" % status)
        tls.close()
    except (OSError, ssl.SSLError):
        conn.close()


def serve_sntp(sock, mode):
    while True:
        data, peer = sock.recvfrom(1024)
        if mode == "silent" or len(data) < 48:
            continue
        now = time.time() + NTP_EPOCH_OFFSET
        stamp = struct.pack("!II", int(now), int((now % 1) * 2 ** 32))
        reply = bytearray(48)
        if mode == "kiss":
            reply[0] = (3 << 6) | (4 << 3) | 4
            reply[1] = 0
            reply[12:16] = b"DENY"
        else:
            reply[0] = (0 << 6) | (4 << 3) | 4
            reply[1] = 2
            reply[12:16] = bytes([10, 99, 0, 1])
        reply[16:24] = stamp
        reply[24:32] = data[40:48]
        reply[32:40] = stamp
        reply[40:48] = stamp
        sock.sendto(bytes(reply), peer)


def main():
    config = json.load(open(sys.argv[1]))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    threads = []
    for item in config.get("tls", []):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(item["certchain"], item["key"])
        family = socket.AF_INET6 if ":" in item["address"] else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((item["address"], item["port"]))
        listener.listen(128)
        item["port"] = listener.getsockname()[1]
        threads.append(threading.Thread(target=serve_tls, daemon=True,
                                        args=(listener, context, item.get("delay", 0), item.get("status", 200))))
    for item in config.get("sntp", []):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((item["address"], item["port"]))
        threads.append(threading.Thread(target=serve_sntp, args=(sock, item.get("mode", "good")), daemon=True))
    for thread in threads:
        thread.start()
    with open(sys.argv[2] + ".tmp", "w") as handle:
        json.dump(config, handle)
    import os
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
