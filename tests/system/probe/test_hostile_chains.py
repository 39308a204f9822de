# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Hostile chains against endpoint_probe in the probe test network (issue 20, points 2 and 3).

Two more TLS servers join this module's probe network, both with certificates from a corporate CA that the host
trusts (``ca_bundle``, the stand-in for the Keychain): one serves gdmf.apple.com (a host Apple pins to its own
roots), one serves swdist.apple.com with a leaf carrying an OBJECT IDENTIFIER sub-identifier of thousands of digits.
The client finds both names in its hosts file. Each test runs with the stock Python 3.9 and with the venv's Python.
"""

from __future__ import annotations

import hashlib
import json
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from probe_env import HERE, NET, hostile_certs, wait_port
from test_endpoint_probe import PLAY, base_args, by_host, task

pytest.importorskip("cryptography")

PINNED_ADDR = NET + ".30"   # gdmf.apple.com, corporate CA
OID_ADDR = {3000: NET + ".31", 5000: NET + ".32"}   # leaves with a long OID, corporate CA
OID_HOSTS = {3000: "swdist.apple.com", 5000: "swdownload.apple.com"}


class HostileServers:
    def __init__(self, net):
        self.net = net
        self.corp = hostile_certs.Authority("Corp Inspection CA", organization="Example Corp Proxy")
        self.corp_fingerprint = hashlib.sha256(self.corp.der).hexdigest()
        self.corp_pem = net.dir / "hostile-corp-ca.pem"
        self.corp_pem.write_text(self.corp.pem)
        self.trusted = net.dir / "hostile-trusted.pem"   # the host's own trust: the corporate CA
        self.trusted.write_text(self.corp.pem)
        device = subprocess.run(["ip", "-n", net.server, "-o", "-4", "addr", "show", "to", NET + ".2/32"], capture_output=True,
                                text=True, check=True).stdout.split()[1]
        items, hosts = [], []
        for address, names, swap in [(PINNED_ADDR, ("gdmf.apple.com",), None)] + [
                (OID_ADDR[digits], (OID_HOSTS[digits],), hostile_certs.long_oid_tlv(digits)) for digits in sorted(OID_ADDR)]:
            subprocess.run(["ip", "-n", net.server, "addr", "add", address + "/24", "dev", device], check=True)
            leaf, key = self.corp.issue(*names, swap_oid=swap)
            chain, key_file = net.dir / ("hostile-%s-chain.pem" % address), net.dir / ("hostile-%s-key.pem" % address)
            chain.write_text(ssl.DER_cert_to_PEM_cert(leaf) + self.corp.pem)
            key_file.write_text(key)
            items.append({"address": address, "port": 443, "certchain": str(chain), "key": str(key_file), "status": 403})
            hosts += ["%s %s" % (address, name) for name in names]
        config, ready = net.dir / "hostile-servers.json", net.dir / "hostile-servers.ready"
        config.write_text(json.dumps({"tls": items, "sntp": []}))
        net.procs.start(["ip", "netns", "exec", net.server, sys.executable, str(HERE / "servers.py"), str(config), str(ready)],
                        wait_for=ready.exists)
        for item in items:
            wait_port(net.client, item["address"], 443)
        client_hosts = Path("/etc/netns") / net.client / "hosts"
        client_hosts.write_text(client_hosts.read_text() + "".join(line + "\n" for line in hosts))


@pytest.fixture(scope="module")
def hostile(probe_net):
    return HostileServers(probe_net)


def _run(probe_playbook, net, hostile, name, **extra):
    args = base_args(net, ca_bundle=str(hostile.trusted), **extra)
    run = probe_playbook(PLAY % task(name, args), netns=net.client)
    assert run.rc == 0, run
    return by_host(run.results(name, "localhost"))


def test_oversized_oid_leaves_interception_visible(probe_net, probe_playbook, hostile):
    targets = [{"host": OID_HOSTS[digits], "port": 443} for digits in sorted(OID_HOSTS)]
    got = _run(probe_playbook, probe_net, hostile, "Long OIDs", targets=targets)
    # 5,000 digits first: above Python's int-to-text limit, it is the case that used to become "refused".
    for digits, host in sorted(OID_HOSTS.items(), reverse=True):
        result = got["%s:443" % host]
        assert (result["verdict"], result["category"]) == ("intercepted", "intercepted"), (digits, result)
        assert result["tls"]["resigned_by"] == "Corp Inspection CA", (digits, result["tls"])
        assert result["tls"]["chain"][0]["subject"] == "CN=%s" % host and "error" in result["tls"]["chain"][0]
        assert result["error"] is None


def test_apple_per_host_rule_beats_a_pin_unless_overridden(probe_net, probe_playbook, hostile):
    gdmf = [{"host": "gdmf.apple.com", "port": 443}]
    pinned = _run(probe_playbook, probe_net, hostile, "Pinned corporate CA", targets=gdmf,
                  expected_issuers=[hostile.corp_fingerprint])["gdmf.apple.com:443"]
    assert pinned["verdict"] == "intercepted", pinned
    assert pinned["tls"]["trust"]["decided_by"] == "host_trust"
    assert pinned["tls"]["trust"]["rule"].startswith("Apple pins gdmf.apple.com to Apple's roots (per-host rule Pallas)")
    added = _run(probe_playbook, probe_net, hostile, "Added corporate anchor", targets=gdmf,
                 trust_anchors=[str(probe_net.anchor_file), str(hostile.corp_pem)])["gdmf.apple.com:443"]
    assert added["verdict"] == "intercepted", added
    overridden = _run(probe_playbook, probe_net, hostile, "Overridden", targets=gdmf, expected_issuers=[hostile.corp_fingerprint],
                      pin_overrides=[{"host": "gdmf.apple.com", "trust_anchors": [str(hostile.corp_pem)]}])["gdmf.apple.com:443"]
    assert overridden["verdict"] == "ok", overridden
    assert overridden["tls"]["trust"]["decided_by"] == "host_override"
    assert overridden["tls"]["trust"]["rule"].startswith("user override for gdmf.apple.com (pin_overrides")
