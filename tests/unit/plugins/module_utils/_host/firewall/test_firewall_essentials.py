# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Essential traffic kept by default: the host's name servers (read on the host), DHCP, loopback."""

from __future__ import annotations

import ipaddress
import subprocess
from pathlib import Path

import pytest
import yaml

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import argspec
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import resolvers
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import summary
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import validation
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import nftables as nft
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import FirewallInputError, build_spec
from ansible_collections.macfleet.apple_network.plugins.plugin_utils import _firewall_probe as probe
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._firewall_selection import select
from ansible_collections.macfleet.apple_network.tests.unit.plugins.module_utils._host.firewall.firewall_params import module_params, with_defaults

RULES = [{"direction": "egress", "protocol": "tcp", "ports": [443]}]
STUB = """# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).
nameserver 127.0.0.53
options edns0 trust-ad
search corp.example
"""
UPSTREAMS = """# This is /run/systemd/resolve/resolv.conf managed by man:systemd-resolved(8).
nameserver 10.1.0.53
nameserver 2001:db8::53
nameserver 10.1.0.53
search corp.example
"""


params = with_defaults(module_params, rules=RULES, directions=["egress"])


# -- reading resolv.conf ------------------------------------------------------------------------

def test_parse_resolv_conf():
    text = ("# comment\n; other comment\nnameserver 10.0.0.1\n  nameserver\t10.0.0.2  # trailing\nnameserver fe80::1%eth0\n"
            "nameserver dns.example\nnameserver 10.0.0.0/24\nnameserver\nsearch example\nnameserver 10.0.0.1\n"
            "nameserver 2001:DB8:0::53\n")
    assert resolvers.parse_resolv_conf(text) == (["10.0.0.1", "10.0.0.2", "fe80::1", "2001:db8::53"],
                                                 ["dns.example", "10.0.0.0/24"])
    assert resolvers.parse_resolv_conf("") == ([], []) and resolvers.parse_resolv_conf(None) == ([], [])


def test_host_nameservers_plain_and_missing():
    files = {resolvers.RESOLV_CONF: "nameserver 10.0.0.53\n", resolvers.RESOLVED_UPSTREAMS: UPSTREAMS}
    # Not the stub: resolved's upstream file (present or not) is not read.
    assert resolvers.host_nameservers(files) == {"nameservers": ["10.0.0.53"], "sources": [resolvers.RESOLV_CONF],
                                                 "ignored": []}
    assert resolvers.host_nameservers({resolvers.RESOLV_CONF: None}) == {"nameservers": [], "sources": [], "ignored": []}


def test_host_nameservers_systemd_resolved_stub():
    files = {resolvers.RESOLV_CONF: STUB, resolvers.RESOLVED_UPSTREAMS: UPSTREAMS}
    assert resolvers.host_nameservers(files) == {
        "nameservers": ["127.0.0.53", "10.1.0.53", "2001:db8::53"],
        "sources": [resolvers.RESOLV_CONF, resolvers.RESOLVED_UPSTREAMS], "ignored": []}
    # The stub without resolved's file (resolved not running): only the stub, which the loopback rule covers.
    assert resolvers.host_nameservers({resolvers.RESOLV_CONF: STUB, resolvers.RESOLVED_UPSTREAMS: None})["nameservers"] == [
        "127.0.0.53"]


def test_read_host_files(tmp_path):
    present = tmp_path / "resolv.conf"
    present.write_bytes(b"nameserver 10.0.0.53\nsearch \xff\n")
    files = resolvers.read_host_files([str(present), str(tmp_path / "missing")])
    assert files == {str(present): "nameserver 10.0.0.53\nsearch \ufffd\n", str(tmp_path / "missing"): None}


# -- strict validation of what goes into a ruleset -----------------------------------------------

@pytest.mark.parametrize("value", ["10.0.0.0/24", "dns.example", "fe80::1%eth0", "10.0.0.1; flush ruleset",
                                   "10.0.0.1 }", "", True, 53, "1.2.3.4/32"])
def test_bad_nameservers_are_rejected(value):
    with pytest.raises(FirewallInputError, match="nameservers: .* is not an IP address"):
        build_spec(rules=RULES, nameservers=[value])
    with pytest.raises(FirewallInputError, match="not an IP address"):
        validation.validate(params(nameservers=[value]), None)


def test_nameservers_must_be_a_list():
    with pytest.raises(FirewallInputError, match="expected a list"):
        build_spec(rules=RULES, nameservers="10.0.0.53")


def test_loopback_name_servers_need_only_the_loopback_rule():
    s = build_spec(rules=RULES, nameservers=["127.0.0.53", "10.0.0.53", "::1", "10.0.0.53"])
    assert s["nameservers"] == {4: [ipaddress.ip_address("10.0.0.53"), ipaddress.ip_address("127.0.0.53")],
                                6: [ipaddress.ip_address("::1")]}
    assert s["dns"] == {4: [ipaddress.ip_address("10.0.0.53")], 6: []}
    without_lo = build_spec(rules=RULES, nameservers=["127.0.0.53", "10.0.0.53"], keep_loopback=False)
    assert [str(a) for a in without_lo["dns"][4]] == ["10.0.0.53", "127.0.0.53"]
    assert build_spec(rules=RULES, nameservers=["10.0.0.53"], keep_dns=False)["dns"] == {4: [], 6: []}


def test_defaults_keep_everything():
    s = build_spec(rules=RULES)
    assert s["keep"] == {"loopback": True, "dns": True, "dhcp": True}
    for option in ("keep_loopback", "keep_dns", "keep_dhcp"):
        assert argspec.ARGUMENT_SPEC[option] == {"type": "bool", "default": True}
    assert argspec.ARGUMENT_SPEC["nameservers"] == {"type": "list", "elements": "str", "default": []}


# -- the module's flow: validate, then read the host -----------------------------------------------

def test_validate_reads_the_host_only_when_needed():
    files = {resolvers.RESOLV_CONF: STUB, resolvers.RESOLVED_UPSTREAMS: UPSTREAMS}
    assert validation.needs_host_resolvers(params())
    assert not validation.needs_host_resolvers(params(nameservers=["10.0.0.53"]))
    assert not validation.needs_host_resolvers(params(keep_dns=False))
    assert not validation.needs_host_resolvers(params(state="absent"))
    assert not validation.needs_host_resolvers(params(confirm="tok"))

    first, _mgmt = validation.validate(params(), None)  # before the host is read: no name server yet
    assert first["dns"] == {4: [], 6: []}
    read, _mgmt = validation.validate(params(), None, files)
    assert [str(a) for a in read["dns"][4]] == ["10.1.0.53"] and [str(a) for a in read["dns"][6]] == ["2001:db8::53"]
    assert summary.essentials(read) == {"loopback": True, "dns": True, "dhcp": True,
                                        "nameservers": ["10.1.0.53", "127.0.0.53", "2001:db8::53"],
                                        "nameserver_sources": [resolvers.RESOLV_CONF, resolvers.RESOLVED_UPSTREAMS]}
    assert summary.essentials_warnings(read) == []

    # The option replaces what the host says.
    fixed, _mgmt = validation.validate(params(nameservers=["192.0.2.53"]), None, files)
    assert summary.essentials(fixed)["nameservers"] == ["192.0.2.53"]
    assert summary.essentials(fixed)["nameserver_sources"] == ["nameservers"]
    off, _mgmt = validation.validate(params(keep_dns=False, keep_dhcp=False, keep_loopback=False), None, files)
    assert summary.essentials(off) == {"loopback": False, "dns": False, "dhcp": False, "nameservers": [],
                                       "nameserver_sources": []}
    assert summary.essentials(None) == {}


def test_warnings_when_no_name_server_is_found():
    missing, _mgmt = validation.validate(params(), None, {resolvers.RESOLV_CONF: None, resolvers.RESOLVED_UPSTREAMS: None})
    assert "no name server was found (/etc/resolv.conf is missing)" in summary.essentials_warnings(missing)[0]
    odd, _mgmt = validation.validate(params(), None, {resolvers.RESOLV_CONF: "nameserver dns.example\nnameserver 10.0.0.53\n"})
    assert summary.essentials_warnings(odd) == ["Name server entries that are not IP addresses were ignored: dns.example"]
    # Only a local resolver (the stub without resolved's upstream file, dnsmasq on 127.0.0.1): its upstreams are unknown.
    local, _mgmt = validation.validate(params(), None, {resolvers.RESOLV_CONF: STUB, resolvers.RESOLVED_UPSTREAMS: None})
    assert summary.essentials_warnings(local) == [
        "Only local name servers were found (127.0.0.53): the host's resolver is a local one, and the servers it forwards "
        "to are not known, so DNS out of the host is blocked; set the nameservers option to them."]
    # Named by the option, or with resolved's upstreams read: no warning; an ingress-only policy does not filter DNS out.
    assert summary.essentials_warnings(validation.validate(params(nameservers=["127.0.0.1"]), None)[0]) == []
    assert summary.essentials_warnings(validation.validate(params(), None, {resolvers.RESOLV_CONF: STUB,
                                                                            resolvers.RESOLVED_UPSTREAMS: UPSTREAMS})[0]) == []
    ingress = params(directions=["ingress"], rules=[{"direction": "ingress", "protocol": "tcp", "ports": [5900]}])
    assert summary.essentials_warnings(validation.validate(ingress, None, {resolvers.RESOLV_CONF: None})[0]) == []


def test_probe_reads_the_resolver_files_like_the_module(tmp_path, monkeypatch):
    """The action plugin's shell probe prints the resolver files; the spec built from them is the module's spec."""
    resolv, upstream = tmp_path / "resolv.conf", tmp_path / "upstream it's.conf"
    resolv.write_text(STUB)
    upstream.write_text(UPSTREAMS.rstrip("\n"))  # no trailing newline: kept exactly
    monkeypatch.setattr(resolvers, "HOST_FILES", (str(resolv), str(upstream)))
    monkeypatch.setattr(resolvers, "RESOLV_CONF", str(resolv))
    monkeypatch.setattr(resolvers, "RESOLVED_UPSTREAMS", str(upstream))
    prm = params(state_dir=str(tmp_path / "state"))
    script = probe.probe_script(prm, "B0")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "nft").write_text("#!/bin/sh\nexit 1\n")  # no table yet
    (bindir / "nft").chmod(0o755)
    env = {"PATH": "%s:/usr/bin:/bin" % bindir}
    sections = probe.parse_probe(subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, check=True,
                                                env=env).stdout, "B0")
    files = probe.host_files_from_probe(prm, sections)
    assert files == {str(resolv): STUB, str(upstream): UPSTREAMS.rstrip("\n")}
    assert files == resolvers.read_host_files()
    probed = validation.validate(prm, sections["ssh"], files)[0]
    assert probed == validation.validate(prm, None, resolvers.read_host_files())[0]
    assert nft.render(probed).count("10.1.0.53") == 1

    upstream.unlink()
    sections = probe.parse_probe(subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, check=True,
                                                env=env).stdout, "B0")
    assert probe.host_files_from_probe(prm, sections) == {str(resolv): STUB, str(upstream): None}

    # Fixed name servers: the probe does not read the files at all.
    fixed = params(nameservers=["10.0.0.53"])
    assert str(resolv) not in probe.probe_script(fixed, "B0") and probe.host_files_from_probe(fixed, {}) is None


def test_unchanged_result_reports_the_essentials():
    s, mgmt = validation.validate(params(nameservers=["10.0.0.53"]), None)
    status = nft.status("macfleet", "present", s, None, None)
    result = probe.unchanged_result(params(), status, mgmt, s)
    assert result["essentials"]["nameservers"] == ["10.0.0.53"]
    assert "ip daddr @dns4 udp dport 53 accept" in result["rendered"]
    assert probe.unchanged_result(params(state="absent"), {"in_sync": True}, [])["essentials"] == {}


def test_default_selection_keeps_apples_time_servers_and_not_dns():
    """The role's default egress selection: NTP (UDP 123, Apple's time servers) is part of it; DNS comes from the
    essentials, not from the catalog; 3306 (the acceptance test's blocked port) is outside it."""
    root = Path(__file__).resolve().parents[6]
    defaults = yaml.safe_load((root / "roles" / "firewall" / "defaults" / "main.yml").read_text())
    assert defaults["firewall_keep_dns"] is defaults["firewall_keep_dhcp"] is defaults["firewall_keep_loopback"] is True
    result = select(load_catalog(), defaults["firewall_directions"],
                    egress={"sources": defaults["firewall_egress_sources"], "used_by": defaults["firewall_egress_used_by"],
                            "ports": defaults["firewall_egress_ports"]})
    ranges = dict((r["protocol"], [(p["start"], p["end"]) for p in r["ports"]]) for r in result["rules"])

    def allowed(proto, port):
        return any(start <= port <= end for start, end in ranges.get(proto, []))

    assert allowed("udp", 123) and allowed("tcp", 443)
    assert not allowed("udp", 53) and not allowed("tcp", 53) and not allowed("tcp", 3306)
    assert not allowed("udp", 67) and not allowed("udp", 68)
