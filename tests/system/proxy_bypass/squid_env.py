# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A real squid on loopback for the proxy_bypass system tests, and a client for it.

Names resolve only through squid's hosts_file (to local servers); dns_nameservers points at a
dead loopback address, so no real DNS query can happen.
"""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import time

SQUID = shutil.which("squid") or "/usr/sbin/squid"
CERTGEN = "/usr/lib/squid/security_file_certgen"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server API)
        body = b"reached"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def http_status(proxy_port, name, port):
    with socket.create_connection(("127.0.0.1", proxy_port), timeout=10) as sock:
        sock.sendall(("GET http://%s:%d/ HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n" % (name, port, name, port)).encode())
        head = sock.recv(64)
    return int(head.split(b" ")[1])


class Squid:
    def __init__(self, scratch, processes, dropin, extra, name="squid"):
        self.dir = scratch / name
        self.dir.mkdir()
        os.chmod(self.dir, 0o777)
        self.port = free_port()
        self.config = self.dir / "squid.conf"
        self.dropin = dropin
        self.processes = processes
        self.extra = extra

    def write(self, hosts, ssl_bump=None):
        (self.dir / "hosts").write_text("".join("127.0.0.1 %s\n" % name for name in hosts))
        port_line = "http_port 127.0.0.1:%d" % self.port
        lines = []
        if ssl_bump:
            ssl_db = self.dir / "ssl_db"
            subprocess.run([CERTGEN, "-c", "-s", str(ssl_db), "-M", "4MB"], check=True, capture_output=True)
            shutil.chown(ssl_db, "proxy", "proxy")
            for path in ssl_db.rglob("*"):
                shutil.chown(path, "proxy", "proxy")
            port_line += (" ssl-bump generate-host-certificates=on dynamic_cert_mem_cache_size=4MB tls-cert=%s"
                          % ssl_bump["ca_file"])
            lines += [
                "sslcrtd_program %s -s %s -M 4MB" % (CERTGEN, ssl_db),
                "sslcrtd_children 2 startup=1 idle=1",
                "tls_outgoing_options cafile=%s" % ssl_bump["upstream_ca"],
            ]
        self.config.write_text("\n".join([
            port_line,
            "cache deny all",
            "pinger_enable off",
            "cache_effective_user proxy",
            "shutdown_lifetime 1 seconds",
            "pid_filename %s/squid.pid" % self.dir,
            "access_log %s/access.log" % self.dir,
            "cache_log %s/cache.log" % self.dir,
            "cache_store_log none",
            "netdb_filename none",
            "hosts_file %s/hosts" % self.dir,
            "dns_nameservers 127.0.0.9",
            "coredump_dir %s" % self.dir,
        ] + lines + [
            "include %s" % self.dropin,
        ] + self.extra + [""]))

    def start(self):
        def ready():
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return True
            except OSError:
                return False
        self.processes.start([SQUID, "-N", "-f", str(self.config)], wait_for=ready, timeout=20)

    def parent_lines(self):
        """Config lines that make another squid send everything to this one, unless always_direct says otherwise.

        This squid needs its own ``visible_hostname`` (``extra``), or it takes the other's Via header for a loop.
        """
        return ["cache_peer 127.0.0.1 parent %d 0 no-query no-digest name=parent" % self.port, "never_direct allow all"]

    def hierarchy(self, count, timeout=10):
        """``(method, url, status, hierarchy code)`` of the first ``count`` requests in access.log, in order.

        The code is squid's peer status (``HIER_DIRECT``, ``FIRSTUP_PARENT``, ``HIER_NONE``...); squid writes a
        line when a request ends, so the lines come in the order of requests made one after the other. The
        connections :meth:`start` opens to see squid listen (no request, method ``-``) are left out.
        """
        log = self.dir / "access.log"
        deadline = time.monotonic() + timeout
        while True:
            lines = [line for line in (log.read_text().splitlines() if log.exists() else []) if line.split()[5] != "-"]
            if len(lines) >= count or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        entries = []
        for line in lines[:count]:
            fields = line.split()
            entries.append((fields[5], fields[6], int(fields[3].split("/")[1]), fields[8].split("/")[0]))
        assert len(entries) == count, lines
        return entries


def parent_squid(scratch, processes, names):
    """A plain squid (not started) for another one's ``parent_lines``: it lets loopback clients reach ``names``."""
    dropin = scratch / "parent.conf"
    dropin.write_text("# the parent has no bypass rules\n")
    parent = Squid(scratch, processes, dropin, ["visible_hostname macfleet-parent", "http_access allow localhost",
                                                "http_access deny all"], name="parent")
    parent.write(names)
    return parent
