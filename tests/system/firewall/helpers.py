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
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((addr, port)); s.listen(64)
    return s
def serve_tcp(s):
    while True:
        c, _ = s.accept(); c.sendall(b"ok"); c.close()
def serve_udp(s):
    while True:
        data, peer = s.recvfrom(100); s.sendto(b"ok", peer)
threads = []
for spec in specs:
    proto, addr, port = spec.split(":"); port = int(port)
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
    """Start one server process in ``netns`` for ``specs`` like ``tcp:10.1.0.1:5900``; waits until bound."""
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
