# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Real TCP/UDP servers and probes run inside network namespaces (stdlib only, started with ip netns exec)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

SERVER = r"""
import socket, sys, threading, os
ready, specs = sys.argv[1], sys.argv[2:]
def tcp(addr, port):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((addr, port)); s.listen(64)
    return s
def serve_tcp(s):
    while True:
        c, _ = s.accept(); c.sendall(b"ok"); c.close()
def serve_udp(s):
    while True:
        data, peer = s.recvfrom(100); s.sendto(b"ok", peer)
threads = []
for spec in specs:
    proto, rest = spec.split(":", 1); addr, port = rest.rsplit(":", 1)
    addr, port = addr.strip("[]"), int(port)
    if proto == "tcp":
        threads.append(threading.Thread(target=serve_tcp, args=(tcp(addr, port),), daemon=True))
    else:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((addr, port))
        threads.append(threading.Thread(target=serve_udp, args=(u,), daemon=True))
for t in threads: t.start()
open(ready, "w").close()
threading.Event().wait()
"""

PROBE = r"""
import json, socket, sys, concurrent.futures
def probe(item):
    proto, addr, port = item
    try:
        if proto == "tcp":
            s = socket.create_connection((addr, port), timeout=1.0)
            ok = s.recv(2) == b"ok"; s.close(); return ok
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(1.0)
        u.sendto(b"hi", (addr, port)); return u.recvfrom(10)[0] == b"ok"
    except OSError:
        return False
items = json.loads(sys.argv[1])
with concurrent.futures.ThreadPoolExecutor(len(items) or 1) as pool:
    print(json.dumps(list(pool.map(probe, items))))
"""


def start_servers(processes, netns, scratch, specs):
    """Start one server process in ``netns`` for ``specs`` like ``tcp:10.1.0.1:5900`` or ``tcp:[2001:db8::1]:443``
    (TCP only for IPv6); waits until bound."""
    ready = os.path.join(str(scratch), "ready-%s-%d" % (netns, len(processes.procs)))
    processes.start(["ip", "netns", "exec", netns, sys.executable, "-c", SERVER, ready] + list(specs),
                    wait_for=lambda: os.path.exists(ready))


def probe(netns, targets):
    """``{(proto, addr, port): reachable}`` for targets probed from inside ``netns``."""
    items = [list(t) for t in targets]
    out = subprocess.run(["ip", "netns", "exec", netns, sys.executable, "-c", PROBE, json.dumps(items)],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    return dict(zip([tuple(t) for t in targets], json.loads(out)))


def ns_run(netns, *cmd, check=True, input=None):
    return subprocess.run(["ip", "netns", "exec", netns] + list(cmd), capture_output=True, text=True, check=check,
                          input=input)


def wait_until(predicate, timeout, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


# A DNS client (A query over UDP, over TCP, and through the system resolver) and a DHCP client renewing its lease
# (DHCPREQUEST from port 68 to the server's port 67, RFC 2131 RENEWING state): stdlib only, run inside a namespace.
DNS_PROBE = r"""
import json, os, socket, struct, sys
server, name = sys.argv[1], sys.argv[2]
qid = os.urandom(2)
query = (qid + b"\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
         + b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\x00\x00\x01\x00\x01")
def answer(data):
    if data[:2] != qid:
        return "error: wrong id"
    rcode, count = data[3] & 0x0F, struct.unpack("!H", data[6:8])[0]
    if rcode or not count:
        return "error: rcode %d, %d answers" % (rcode, count)
    return "ok " + socket.inet_ntoa(data[-4:])
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2.0)
    s.sendto(query, (server, 53)); return answer(s.recv(4096))
def tcp():
    s = socket.create_connection((server, 53), timeout=2.0)
    s.sendall(struct.pack("!H", len(query)) + query)
    data = b""
    while len(data) < 2 or len(data) < 2 + struct.unpack("!H", data[:2])[0]:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return answer(data[2:])
def system():
    return "ok " + socket.gethostbyname(name)
result = {}
for key, call in (("udp", udp), ("tcp", tcp), ("system", system)):
    try:
        result[key] = call()
    except (OSError, socket.timeout) as exc:
        result[key] = "error: %s" % (exc.strerror or exc.__class__.__name__ if isinstance(exc, OSError) else exc)
print(json.dumps(result))
"""

DHCP_RENEW = r"""
import json, os, socket, struct, sys
client, server = sys.argv[1], sys.argv[2]
xid = os.urandom(4)
packet = struct.pack("!BBBB4sHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0, socket.inet_aton(client), b"\0" * 4,
                     b"\0" * 4, b"\0" * 4, bytes.fromhex("02aabbccdd01") + b"\0" * 10, b"\0" * 64, b"\0" * 128)
packet += b"\x63\x82\x53\x63" + bytes([53, 1, 3, 255])  # magic cookie, DHCP message type REQUEST, end
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 68))
s.settimeout(2.0)
try:
    s.sendto(packet, (server, 67))
    while True:
        data, peer = s.recvfrom(2048)
        if data[4:8] == xid:
            options, kind, i = data[240:], "other", 0
            while i + 1 < len(options) and options[i] != 255:
                if options[i] == 0:
                    i += 1
                    continue
                if options[i] == 53:
                    kind = {5: "ack", 6: "nak"}.get(options[i + 2], "other")
                i += 2 + options[i + 1]
            print(json.dumps("%s from %s:%d" % (kind, peer[0], peer[1])))
            break
except OSError as exc:
    print(json.dumps("error: %s" % (exc.strerror or exc.__class__.__name__)))
"""


def dns_probe(netns, server, name):
    """``{udp, tcp, system}``: ``ok <address>`` or ``error: <reason>`` for an A query from inside ``netns``."""
    out = subprocess.run(["ip", "netns", "exec", netns, sys.executable, "-c", DNS_PROBE, server, name],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    return json.loads(out)


def dhcp_renew(netns, client, server):
    """``ack from <server>:67`` when the DHCP server answers a lease renewal sent from inside ``netns``."""
    out = subprocess.run(["ip", "netns", "exec", netns, sys.executable, "-c", DHCP_RENEW, client, server],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    return json.loads(out)


def start_dnsmasq(processes, netns, scratch, listen, records, extra=()):
    """A real dnsmasq in ``netns`` answering ``records`` (``{name: address}``) on port 53 of the ``listen``
    addresses (UDP and TCP), forwarding nothing; waits until it answers. Stopped by PID with ``processes``."""
    log = scratch / ("dnsmasq-%s.log" % netns)
    conf = scratch / ("dnsmasq-%s.conf" % netns)
    conf.write_text("\n".join(["port=53", "listen-address=%s" % ",".join(listen), "bind-interfaces", "no-resolv",
                               "no-hosts"] + ["host-record=%s,%s" % item for item in sorted(records.items())]
                              + list(extra)) + "\n")
    processes.start(["ip", "netns", "exec", netns, "dnsmasq", "--conf-file=%s" % conf, "--keep-in-foreground",
                     "--pid-file=", "--log-facility=%s" % log],
                    wait_for=lambda: log.exists() and "started" in log.read_text())
    name, address = sorted(records.items())[0]
    assert wait_until(lambda: dns_probe(netns, listen[0], name)["udp"] == "ok " + address, 10)
    return log
