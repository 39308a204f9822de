# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every backend of firewall_rules implements the one interface of backends/base.py, and its render is the
ruleset its status reports as RV rendered."""

from __future__ import annotations

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import argspec
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import validation
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import firewalld
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import iptables
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import nftables
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import pf
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import ufw
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends.base import Backend
from ansible_collections.macfleet.apple_network.plugins.modules import firewall_rules

INTERFACE = ("render", "read", "diff", "apply", "remove", "snapshot")
RULES = [{"direction": "egress", "protocol": "tcp", "ports": [443, "5223-5224"]},
         {"direction": "ingress", "protocol": "udp", "ports": [5353]}]


class Module:
    def __init__(self, params):
        self.params = params


def params(backend):
    result = dict((key, value.get("default")) for key, value in argspec.ARGUMENT_SPEC.items())
    result.update(backend=backend, name="mf", rules=RULES, nameservers=["10.0.0.53"])
    return result


@pytest.mark.parametrize("backend", sorted(firewall_rules.BACKENDS))
def test_each_backend_implements_the_interface(backend):
    cls = firewall_rules.BACKENDS[backend]
    assert issubclass(cls, Backend) and cls.backend == backend
    for method in INTERFACE:
        assert getattr(cls, method) is not getattr(Backend, method), "%s does not implement %s" % (backend, method)


@pytest.mark.parametrize("backend, rendered", [
    ("nftables", lambda s: nftables.status("mf", "present", s, None, None)["rendered"]),
    ("iptables", lambda s: iptables.status("mf", "present", s, {4: "", 6: ""}, {}, {})["rendered"]),
    ("pf", pf.render_anchor),
    ("firewalld", lambda s: firewalld.status("mf", s, dict.fromkeys(firewalld.managed_files("mf")), None)["rendered"]),
    ("ufw", lambda s: ufw.status(s, [], {})["rendered"]),
])
def test_render_is_the_rendered_result(backend, rendered):
    prm = params(backend)
    spec = validation.validate(prm, None)[0]
    assert firewall_rules.BACKENDS[backend](Module(prm), None, spec).render() == rendered(spec)
