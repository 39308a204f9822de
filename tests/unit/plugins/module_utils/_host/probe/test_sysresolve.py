# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import socket
import threading
import time

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe import dnsprobe, sysresolve


def _answers(*addresses):
    out = []
    for index, address in enumerate(addresses):
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sockaddr = (address, 0, 0, 0) if family == socket.AF_INET6 else (address, 0)
        out.append((family, socket.SOCK_STREAM, 6, "canonical.example.com" if index == 0 else "", sockaddr))
    return out


@pytest.mark.parametrize("code, verdict, name", [
    (socket.EAI_NONAME, "nxdomain", "EAI_NONAME"),
    (getattr(socket, "EAI_NODATA", socket.EAI_NONAME), "no_answer" if hasattr(socket, "EAI_NODATA") else "nxdomain", None),
    (socket.EAI_AGAIN, "servfail", "EAI_AGAIN"),
    (socket.EAI_FAIL, "servfail", "EAI_FAIL"),
])
def test_eai_codes_decide_the_verdict(monkeypatch, code, verdict, name):
    def fail(*_args, **_kwargs):
        raise socket.gaierror(code, "resolver says no")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    got, info = sysresolve.resolve("swscan.apple.com", 1.0)
    assert got == verdict
    assert info["error"] == "resolver says no" and info["addresses"] == []
    if name:
        assert info["eai"] == name
    assert "swscan.apple.com" in sysresolve.describe_failure(got, "swscan.apple.com", info, 1.0)


def test_addresses_are_deduplicated_and_the_canonical_name_kept(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", lambda *_a, **_k: _answers("17.253.1.1", "17.253.1.1", "fe80::1%eth0", "2001:db8::1"))
    verdict, info = sysresolve.resolve("swscan.apple.com", 1.0)
    assert verdict is None
    assert info["addresses"] == ["17.253.1.1", "fe80::1", "2001:db8::1"]
    assert info["canonical_name"] == "canonical.example.com" and info["source"] == sysresolve.SOURCE


def test_a_resolver_that_never_returns_is_cut_at_the_budget(monkeypatch):
    release = threading.Event()

    def hang(*_args, **_kwargs):
        release.wait(10)
        raise socket.gaierror(socket.EAI_AGAIN, "late")

    monkeypatch.setattr(socket, "getaddrinfo", hang)
    started = time.monotonic()
    verdict, info = sysresolve.resolve("swscan.apple.com", 0.3)
    elapsed = time.monotonic() - started
    release.set()
    assert verdict == "dns_timeout" and "0.3 s" in info["error"]
    assert elapsed < 2.0, "the abandoned lookup must not hold the caller"
    assert "within 0.3 s" in sysresolve.describe_failure(verdict, "swscan.apple.com", info, 0.3)


def test_a_slow_temporary_failure_is_the_resolver_giving_up(monkeypatch):
    def slow(*_args, **_kwargs):
        time.sleep(sysresolve.SLOW_AGAIN + 0.1)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", slow)
    verdict, info = sysresolve.resolve("swscan.apple.com", 3.0)
    assert verdict == "dns_timeout" and info["eai"] == "EAI_AGAIN" and "gave up after" in info["error"]


def test_dnspython_view_disagreement_is_reported_not_decisive():
    system = {"addresses": ["17.253.1.1"]}
    assert dnsprobe.disagreement(None, system, {"verdict": None, "addresses": ["17.253.1.1"]}) is None
    text = dnsprobe.disagreement(None, system, {"verdict": "nxdomain", "addresses": []})
    assert "system resolver says ok" in text and "dnspython" in text and "nxdomain" in text
    moved = dnsprobe.disagreement(None, system, {"verdict": None, "addresses": ["10.0.0.1"]})
    assert "17.253.1.1" in moved and "10.0.0.1" in moved
    assert dnsprobe.disagreement(None, system, None) is None
