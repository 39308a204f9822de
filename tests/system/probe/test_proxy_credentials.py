# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""endpoint_probe through a squid that asks for Basic authentication (basic_ncsa_auth).

The plain-HTTP step sends ``Proxy-Authorization`` when credentials are configured (the same rule as CONNECT), so an
authenticating proxy is passed rather than reported ``proxy_denied``; ``system_proxy_credentials: false`` keeps the
credentials from a proxy that the Mac's settings (the scutil stand-in) name. squid's access log shows which requests
it authenticated. Runs with the bare Python 3.9 and the venv's Python (fixture ``interpreter``).
"""

from __future__ import annotations

import json
import subprocess

import pytest

from probe_env import ADDR, PROXY_HOST, wait_port
from test_endpoint_probe import PLAY, _mac_tools, base_args, by_host, task

AUTH_PORT = 3129
USER, PASSWORD = "prober", "s3cret pass"


@pytest.fixture(scope="module")
def auth_proxy(probe_net):
    """A second squid (port 3129) that needs Basic authentication, and a plain HTTP server for swscan.apple.com:80."""
    sq = probe_net.dir / "squid-auth"
    (sq / "logs").mkdir(parents=True)
    (sq / "logs").chmod(0o777)
    passwords = sq / "passwords"
    hashed = subprocess.run(["openssl", "passwd", "-apr1", PASSWORD], capture_output=True, text=True, check=True).stdout
    passwords.write_text("%s:%s\n" % (USER, hashed.strip()))
    passwords.chmod(0o644)
    (sq / "hosts").write_text("%s swscan.apple.com updates.cdn-apple.com\n" % ADDR["good"])
    conf = sq / "squid.conf"
    conf.write_text("\n".join([
        "http_port %s:%d" % (PROXY_HOST, AUTH_PORT), "cache deny all", "pinger_enable off", "cache_effective_user proxy",
        "shutdown_lifetime 1 seconds", "pid_filename %s" % (sq / "squid.pid"),
        "access_log %s" % (sq / "logs" / "access.log"), "cache_log %s" % (sq / "logs" / "cache.log"),
        "hosts_file %s" % (sq / "hosts"), "dns_nameservers 127.0.0.9",
        "auth_param basic program /usr/lib/squid/basic_ncsa_auth %s" % passwords, "auth_param basic children 2",
        "auth_param basic realm macfleet-test",
        "acl authed proxy_auth REQUIRED", "acl SSL_ports port 443", "acl CONNECT method CONNECT",
        "acl allowed dstdomain swscan.apple.com updates.cdn-apple.com",
        "http_access deny CONNECT !SSL_ports", "http_access deny !authed", "http_access allow allowed",
        "http_access deny all", ""]))
    probe_net.procs.start(["ip", "netns", "exec", probe_net.server, "squid", "-N", "-f", str(conf)])
    wait_port(probe_net.client, PROXY_HOST, AUTH_PORT)
    www = probe_net.dir / "www"
    www.mkdir()
    (www / "index.html").write_text("plain http\n")
    probe_net.procs.start(["ip", "netns", "exec", probe_net.server, "python3", "-m", "http.server", "80", "--bind",
                           ADDR["good"], "--directory", str(www)])
    wait_port(probe_net.server, ADDR["good"], 80)
    return {"url": "http://%s:%d" % (PROXY_HOST, AUTH_PORT), "log": sq / "logs" / "access.log"}


PLAIN = {"host": "swscan.apple.com", "port": 80, "tls": False, "http": {"expected_status": [200]}}
TUNNEL = {"host": "swscan.apple.com", "port": 443, "http": {"expected_status": [403]}}


def new_log_lines(log, before):
    return log.read_text()[before:] if log.exists() else ""


def test_plain_http_and_connect_send_the_credentials(probe_net, probe_playbook, auth_proxy):
    log = auth_proxy["log"]
    before = len(log.read_text()) if log.exists() else 0
    args = base_args(probe_net, proxy=auth_proxy["url"], proxy_username=USER, proxy_password=PASSWORD,
                     targets=[PLAIN, TUNNEL])
    run = probe_playbook(PLAY % task("Authenticated", args), netns=probe_net.client)
    assert run.rc == 0, run
    got = by_host(run.results("Authenticated", "localhost"))
    plain = got["swscan.apple.com:80"]
    assert plain["verdict"] == "ok" and plain["http"]["status"] == 200, plain
    assert plain["proxy"]["url"] == auth_proxy["url"] and plain["dns"]["skipped"] == "the proxy resolves the name"
    tunnel = got["swscan.apple.com:443"]
    assert tunnel["verdict"] == "ok" and tunnel["proxy"]["tunnel"] is True, tunnel
    # squid logs the authenticated user of each request: the plain GET and the CONNECT both carried the credentials
    seen = new_log_lines(log, before)
    assert "GET http://swscan.apple.com/ - " not in seen, seen
    assert any(" GET http://swscan.apple.com/ %s " % USER in line for line in seen.splitlines()), seen
    assert any(" CONNECT swscan.apple.com:443 %s " % USER in line for line in seen.splitlines()), seen


def test_without_credentials_the_proxy_denies(probe_net, probe_playbook, auth_proxy):
    args = base_args(probe_net, proxy=auth_proxy["url"], targets=[PLAIN, TUNNEL])
    run = probe_playbook(PLAY % task("Anonymous", args), netns=probe_net.client)
    got = by_host(run.results("Anonymous", "localhost"))
    assert got["swscan.apple.com:80"]["verdict"] == "proxy_denied", got["swscan.apple.com:80"]
    assert got["swscan.apple.com:80"]["http"]["status"] == 407
    assert got["swscan.apple.com:443"]["verdict"] == "proxy_denied" and got["swscan.apple.com:443"]["proxy"]["status"] == 407


@pytest.mark.parametrize("send, verdict", [(True, "ok"), (False, "proxy_denied")])
def test_system_proxy_credentials(probe_net, probe_playbook, auth_proxy, scratch, send, verdict):
    """proxy=system: the scutil stand-in names the authenticating squid; the option decides whether it gets the password."""
    state = {"HTTPEnable": 1, "HTTPProxy": PROXY_HOST, "HTTPPort": AUTH_PORT,
             "HTTPSEnable": 1, "HTTPSProxy": PROXY_HOST, "HTTPSPort": AUTH_PORT}
    path = _mac_tools(scratch, state, probe_net.ca_bundle)
    args = base_args(probe_net, proxy="system", proxy_username=USER, proxy_password=PASSWORD,
                     system_proxy_credentials=send, targets=[PLAIN, TUNNEL])
    run = probe_playbook(PLAY % task("System proxy", args), netns=probe_net.client, env={"PATH": path})
    assert run.rc == 0, run
    got = by_host(run.results("System proxy", "localhost"))
    for key in ("swscan.apple.com:80", "swscan.apple.com:443"):
        assert got[key]["path"]["source"] == "system" and got[key]["path"]["mode"] == "proxy", got[key]["path"]
        assert got[key]["verdict"] == verdict, got[key]
    assert json.dumps(run.results("System proxy", "localhost")).count(PASSWORD) == 0
