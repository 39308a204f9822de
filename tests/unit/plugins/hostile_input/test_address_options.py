# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every option that takes an address refuses an IPv6 zone ID, naming the option and showing the value.

Python's ``ipaddress`` accepts ``2001:db8::1%<anything but % and />`` and keeps the suffix in ``str()``, so without
the address rule a value such as ``2001:db8::1%x\\naccept`` would reach the nft script, the iptables-restore input, the
pf anchor, the squid configuration, the PAC file, the plist or the probe's request line. The modules are run through
their ``main()`` with every command recorded: they fail before any command runs and before any file is written.
These tests use only the public entry points (modules, filters, catalog loading), not the rule's own module.
"""

from __future__ import annotations

import json
import os

import pytest

from ansible.errors import AnsibleFilterError
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.macfleet.apple_network.plugins.filter.firewall_ruleset import firewall_ruleset
from ansible_collections.macfleet.apple_network.plugins.filter.proxy_bypass import (
    macos_bypass_list,
    pac_file,
    squid_acl,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.errors import CatalogError
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe import sysproxy
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.options import ProbeInputError, parse_proxy
from ansible_collections.macfleet.apple_network.plugins.modules import endpoint_probe as endpoint_probe_module
from ansible_collections.macfleet.apple_network.plugins.modules import firewall_rules as firewall_rules_module
from ansible_collections.macfleet.apple_network.plugins.modules import macos_proxy as macos_proxy_module
from ansible_collections.macfleet.apple_network.plugins.modules import mobileconfig as mobileconfig_module

# One extra-vars value (an AWX survey answer) that would add an accept rule to an nft script.
ZONED_ADDRESS = "2001:db8::1%x }\n    chain output { type filter hook output priority -1; policy accept; }\n#"
ZONED_NETWORK = "2001:db8::%x\naccept/64"
ZONED = [ZONED_ADDRESS, "fe80::1%en0", "2001:db8::1%x\r\nX-Injected: 1"]
RULES = [{"direction": "egress", "protocol": "tcp", "ports": [443]}]


class Failed(Exception):
    pass


class Exited(Exception):
    pass


@pytest.fixture
def run_module(monkeypatch):
    """Run a module's main() with arguments; returns (failure message or None, the commands it ran)."""
    commands = []

    def run_command(self, args, *rest, **kwargs):
        commands.append(args)
        return 0, "", ""

    def fail_json(self, **kwargs):
        raise Failed(kwargs)

    def exit_json(self, **kwargs):
        raise Exited(kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)

    def run(module, args):
        with patch_module_args(args):
            with pytest.raises((Failed, Exited)) as exc:
                module.main()
        return (exc.value.args[0]["msg"] if isinstance(exc.value, Failed) else None), commands

    return run


def assert_names(message, option, value):
    assert message is not None, "accepted %r in %s" % (value, option)
    assert option in message, message
    assert repr(value) in message or repr(value)[1:-1] in message, message
    assert "\n" not in message, "the message shows the value with repr(): %r" % message


def files_under(path):
    return sorted(os.path.join(d, f) for d, _dirs, names in os.walk(str(path)) for f in names)


# -- firewall_rules: the module and the firewall_ruleset filter ---------------------------------------------------

def firewall_args(tmp_path, **kwargs):
    args = {"name": "mf", "directions": ["egress"], "rules": RULES, "nameservers": ["10.0.0.53"], "backend": "nftables",
            "state_dir": str(tmp_path / "state"), "rollback_timeout": 0}
    args.update(kwargs)
    return args


@pytest.mark.parametrize("value", ZONED)
@pytest.mark.parametrize("backend", ["nftables", "iptables", "pf"])
@pytest.mark.parametrize("option", ["resolved_destinations", "destinations"])
def test_firewall_rules_module_refuses_a_zone_before_anything_runs(tmp_path, run_module, option, backend, value):
    message, commands = run_module(firewall_rules_module, firewall_args(tmp_path, backend=backend, **{option: [value]}))
    assert_names(message, option, value)
    assert commands == [] and files_under(tmp_path) == []


@pytest.mark.parametrize("key", ["resolved_destinations", "destinations"])
def test_firewall_rules_module_refuses_a_zone_in_the_selection(tmp_path, run_module, key):
    first = "17.0.0.0/8" if key == "destinations" else "17.1.1.1"
    args = firewall_args(tmp_path, selection={"rules": RULES, key: [first, ZONED_ADDRESS]})
    del args["rules"]
    message, commands = run_module(firewall_rules_module, args)
    assert_names(message, "selection.%s[1]" % key, ZONED_ADDRESS)
    assert commands == [] and files_under(tmp_path) == []


@pytest.mark.parametrize("backend", ["nftables", "pf"])
@pytest.mark.parametrize("key, value", [("resolved_destinations", ZONED_ADDRESS), ("destinations", ZONED_ADDRESS),
                                        ("destinations", ZONED_NETWORK)])
def test_firewall_ruleset_filter_refuses_a_zone(backend, key, value):
    with pytest.raises(AnsibleFilterError) as exc:
        firewall_ruleset({"rules": RULES, key: [value]}, backend=backend, directions=["egress"])
    assert_names(str(exc.value), key, value)


# -- bypass network entries: the filters and the macos_proxy / mobileconfig modules ------------------------------

@pytest.mark.parametrize("value", ["fd00::1%x\n}", "fd00::%en0/8", "fe80::1%25en0", "fd00::1%x;DIRECT"])
@pytest.mark.parametrize("render", [
    lambda selection: pac_file(selection, proxy="proxy.example.com:3128"),
    squid_acl,
    macos_bypass_list,
], ids=["pac_file", "squid_acl", "macos_bypass_list"])
def test_bypass_filters_refuse_a_zone_in_a_network_entry(render, value):
    with pytest.raises(AnsibleFilterError) as exc:
        render(["apple.com", {"host": value, "supports_proxies": "not_stated"}])
    assert_names(str(exc.value), "bypass host", value)


@pytest.mark.parametrize("args, option, value", [
    ({"bypass_domains": ["apple.com", "fd00::1%x\n}"]}, "bypass host", "fd00::1%x\n}"),
    ({"web_proxy": {"server": "fe80::1%en0", "port": 3128}}, "web_proxy.server", "fe80::1%en0"),
    ({"secure_web_proxy": {"server": "2001:db8::1%x\nX", "port": 3128}}, "secure_web_proxy.server", "2001:db8::1%x\nX"),
])
def test_macos_proxy_refuses_a_zone_before_networksetup_runs(tmp_path, run_module, args, option, value):
    tool = tmp_path / "networksetup"
    tool.write_text("#!/bin/sh\nexit 0\n")
    tool.chmod(0o755)
    message, commands = run_module(macos_proxy_module, dict(args, networksetup_path=str(tool)))
    assert_names(message, option, value)
    assert "nothing was changed" in message
    assert commands == []


@pytest.mark.parametrize("proxy, option, value", [
    ({"web_proxy": {"host": "proxy.example.com", "port": 3128}, "bypass_domains": ["apple.com", "fd00::1%en0"]},
     "bypass_domains", "fd00::1%en0"),
    # Refused on 55c42ac too (the host grammar had no '%'); kept so that the IP address branch keeps refusing it.
    ({"web_proxy": {"host": "fe80::1%en0", "port": 3128}}, "proxy.web_proxy.host", "fe80::1%en0"),
])
def test_mobileconfig_refuses_a_zone_before_writing(tmp_path, run_module, proxy, option, value):
    path = tmp_path / "proxy.mobileconfig"
    message, commands = run_module(mobileconfig_module, {"path": str(path), "identifier": "com.example.proxy",
                                                         "proxy": proxy})
    assert_names(message, option, value)
    assert commands == [] and not path.exists()


def test_mobileconfig_takes_an_ip_address_as_proxy_host(tmp_path, run_module):
    """The same host rule as every other proxy host: an IPv6 address is a proxy host too."""
    path = tmp_path / "proxy.mobileconfig"
    message, _commands = run_module(mobileconfig_module, {"path": str(path), "identifier": "com.example.proxy",
                                                          "proxy": {"web_proxy": {"host": "2001:DB8::8", "port": 3128}}})
    assert message is None and b"<string>2001:db8::8</string>" in path.read_bytes()


# -- endpoint_probe: targets, proxy, name servers, sinkholes; scutil's proxy hosts ---------------------------------

@pytest.mark.parametrize("args, option, value", [
    ({"targets": [{"host": ZONED_ADDRESS, "port": 443}]}, "targets[0].host", ZONED_ADDRESS),
    ({"targets": [{"host": "[fe80::1%x\r\nX: y]", "port": 80}]}, "targets[0].host", "[fe80::1%x\r\nX: y]"),
    ({"targets": [{"host": "swscan.apple.com", "port": 443}], "proxy": "http://[fe80::1%x\r\nX: y]:3128"},
     "proxy host", "fe80::1%x\r\nX: y"),
    ({"targets": [{"host": "swscan.apple.com", "port": 443}], "nameservers": ["[fe80::1%x\nevil]:53"]},
     "nameservers[0]", "fe80::1%x\nevil"),
    ({"targets": [{"host": "swscan.apple.com", "port": 443}], "sinkhole_addresses": ["fe80::%x\n/64"]},
     "sinkhole_addresses[0]", "fe80::%x\n/64"),
])
def test_endpoint_probe_refuses_a_zone_before_probing(run_module, monkeypatch, args, option, value):
    monkeypatch.setattr(endpoint_probe_module, "run_probes", lambda *a: pytest.fail("probed %r" % (a,)))
    message, commands = run_module(endpoint_probe_module, dict({"proxy": "direct", "host_trust": "default_paths"}, **args))
    assert_names(message, option, value)
    assert commands == []


def test_the_action_plugins_proxy_check_refuses_a_zone():
    with pytest.raises(ProbeInputError) as exc:
        parse_proxy("http://[fe80::1%en0]:3128")
    assert_names(str(exc.value), "proxy host", "fe80::1%en0")


@pytest.mark.parametrize("host", ["fe80::1%en0", "2001:db8::1%x y", "proxy.exa mple.com"])
def test_a_scutil_proxy_host_outside_the_rule_is_refused(host):
    settings = {"HTTPSEnable": 1, "HTTPSProxy": host, "HTTPSPort": 3128}
    with pytest.raises(sysproxy.SystemProxyError) as exc:
        sysproxy.system_proxy_settings(settings)
    assert_names(str(exc.value), "HTTPSProxy", host)


# -- catalog files ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("network", ["2001:db8::1%x\naccept/128", "2001:db8::%en0/32", "fe80::1%en0"])
def test_a_catalog_network_entry_with_a_zone_is_refused(tmp_path, network):
    path = tmp_path / "zoned.yml"
    path.write_text("catalog_format: 1\nsources: {acme: {}}\nnetworks:\n  - {source: acme, network: %s, purpose: x}\n"
                    % json.dumps(network))
    with pytest.raises(CatalogError) as exc:
        load_catalog([str(path)])
    assert_names(str(exc.value), "network", network)
