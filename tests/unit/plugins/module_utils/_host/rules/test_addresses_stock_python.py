# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The address rule and the probe's request heads under a bare Python 3.9 (a Mac's stock interpreter).

``ipaddress`` of Python 3.9 already keeps a zone ID in ``str()``; the rule must refuse it there too, with the standard
library only. The interpreter is ``MACFLEET_STOCK_PYTHON`` (set by hacking/bootstrap.sh) or pyenv's 3.9, as for the
system tests; skipped where neither exists.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from ansible_collections.macfleet.apple_network.tests.stock_python import stock_python

SNIPPET = r'''
import sys
assert sys.version_info[:2] == (3, 9), sys.version
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules import addresses
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe import netprobe
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.options import ProbeInputError, parse_config
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import FirewallInputError, build_spec
import ipaddress
assert str(ipaddress.ip_address("2001:db8::1%x\naccept")) == "2001:db8::1%x\naccept"  # what the rule guards against
for value in ("2001:db8::1%x\naccept", "fe80::1%en0", " 10.0.0.1", "10.0.0.1\x00"):
    for parse in (addresses.parse_ip_address, addresses.parse_ip_network, addresses.parse_host):
        try:
            parse(value, "field")
        except addresses.AddressError as exc:
            assert str(exc).startswith("field: %r is not" % value), exc
        else:
            raise AssertionError("accepted %r" % value)
try:
    build_spec(rules=[{"direction": "egress", "protocol": "tcp", "ports": [443]}],
               resolved_destinations=["2001:db8::1%x\naccept"], nameservers=["10.0.0.53"])
except FirewallInputError as exc:
    assert "resolved_destinations" in str(exc) and "zone ID" in str(exc), exc
else:
    raise AssertionError("build_spec accepted a zone")
try:
    parse_config({"targets": [{"host": "[fe80::1%en0]", "port": 443}], "proxy": "direct"})
except ProbeInputError as exc:
    assert "targets[0].host" in str(exc), exc
else:
    raise AssertionError("parse_config accepted a zone")
proxy = {"host": "p.example", "port": 3128, "auth": "Basic eDp5", "url": "http://p.example:3128"}
head = netprobe.request_head("GET", "2001:db8::1", 8080, "/", proxy)
assert head.startswith("GET http://[2001:db8::1]:8080/ HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n"), head
assert "Proxy-Authorization: Basic eDp5\r\n" in head, head
print("ok")
'''


def test_the_rule_under_the_stock_python():
    stock = stock_python()
    if not stock or not os.path.exists(stock):
        pytest.skip("no stock Python 3.9 (MACFLEET_STOCK_PYTHON or pyenv's 3.9)")
    here = Path(__file__).resolve()
    root = next(parent.parent for parent in here.parents if parent.name == "ansible_collections")
    result = subprocess.run([stock, "-I", "-c", "import sys; sys.path.insert(0, %r); exec(%r)" % (str(root), SNIPPET)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
