# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A real nginx serving a feed directory inside a network namespace, a poller that makes the products' conditional
requests with curl in the same namespace, and the feeds playbook run against a directory of the test."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
import socket
import subprocess
import time

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CURL = shutil.which("curl") or "/usr/bin/curl"
PUBLISH_TASK = ("macfleet.apple_network.feeds : Publish the feed set (refused when it removes more than "
                "feeds_max_removed_percent of the entries)")


class Nginx:
    """nginx with its own configuration, pid file and logs, listening on the namespace's loopback only."""

    def __init__(self, scratch, processes, netns, root, port=8080):
        self.dir = scratch / "nginx"
        self.dir.mkdir()
        self.netns, self.port, self.processes = netns, port, processes
        for name in ("client", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.dir / name).mkdir()
        self.config = self.dir / "nginx.conf"
        self.config.write_text("\n".join([
            "daemon off;",
            "worker_processes 1;",
            "pid %s/nginx.pid;" % self.dir,
            "error_log %s/error.log;" % self.dir,
            "events { worker_connections 64; }",
            "http {",
            "  access_log %s/access.log;" % self.dir,
            "  client_body_temp_path %s/client;" % self.dir,
            "  proxy_temp_path %s/proxy;" % self.dir,
            "  fastcgi_temp_path %s/fastcgi;" % self.dir,
            "  uwsgi_temp_path %s/uwsgi;" % self.dir,
            "  scgi_temp_path %s/scgi;" % self.dir,
            "  types { text/plain txt md5; application/json json; }",
            "  default_type text/plain;",
            "  server {",
            "    listen 127.0.0.1:%d;" % port,
            # The feed set being served: a symlink the publisher swaps; nginx resolves it per request.
            "    root %s;" % root,
            "  }",
            "}",
            "",
        ]))

    def start(self):
        def ready():
            probe = subprocess.run(["ip", "netns", "exec", self.netns, CURL, "-s", "-o", "/dev/null",
                                    "http://127.0.0.1:%d/" % self.port], check=False)
            return probe.returncode == 0
        self.processes.start(["ip", "netns", "exec", self.netns, NGINX, "-c", str(self.config)], wait_for=ready,
                             timeout=20)

    def get(self, path, headers=None):
        """``(status, headers, body)`` of a GET made from inside the namespace, with the given request headers."""
        head, body = self.dir / "head.txt", self.dir / "body.bin"
        cmd = ["ip", "netns", "exec", self.netns, CURL, "-sS", "-D", str(head), "-o", str(body)]
        for key, value in (headers or {}).items():
            cmd += ["-H", "%s: %s" % (key, value)]
        subprocess.run(cmd + ["http://127.0.0.1:%d/%s" % (self.port, path)], check=True, capture_output=True)
        lines = head.read_text().splitlines()
        status = int(lines[0].split()[1])
        fields = dict((k.strip().lower(), v.strip()) for k, _sep, v in (line.partition(":") for line in lines[1:] if line))
        return status, fields, body.read_bytes()

    def served_set(self, manifest):
        """Every file the manifest lists, as nginx serves it."""
        return dict((path, self.get(path)[2]) for path in list(manifest["files"]) + ["feeds.json"])


def user_catalog(count, drop=0):
    """A user catalog of ``count`` hosts of source ``corp``, the first ``drop`` of them left out (a catalog change)."""
    lines = ["catalog_format: 1", "sources: {corp: {title: Corporate hosts}}", "hosts:"]
    for index in range(drop, count):
        host = "*.w%d.corp.example.com" % index if index % 5 == 0 else "h%d.corp.example.com" % index
        lines.append('  - {source: corp, group: corp, host: "%s", supports_proxies: not_stated, '
                     'bypass_https_interception: %s}' % (host, "true" if index % 2 else "false"))
    return "\n".join(lines) + "\n"


def feeds_vars(dest, catalog, **extra):
    return dict({"feeds_dest": str(dest), "feeds_catalog_files": [str(catalog)], "feeds_catalog_sources": ["corp"],
                 "feeds_pinned_hosts": False}, **extra)


def run_feeds(run_playbook, scratch, extra_vars, **kwargs):
    inventory = scratch / "inventory.ini"
    inventory.write_text("[feeds_servers]\nlocalhost ansible_connection=local\n")
    return run_playbook("macfleet.apple_network.feeds", inventory=str(inventory), extra_vars=extra_vars, **kwargs)


def manifest_of(directory):
    return json.loads((directory / "feeds.json").read_text())


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met within %s s" % timeout)
        time.sleep(0.05)


def load_proxy_bypass_module(name, module_name=None):
    """A helper module of tests/system/proxy_bypass, by path; registered under ``module_name`` (default: ``name``)."""
    module_name = module_name or name
    if module_name in sys.modules:
        return sys.modules[module_name]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "proxy_bypass", name + ".py")
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
