# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The firewall guide's example playbooks (playbooks/examples/), run with the community ``ansible`` 12 package
(ansible-core 2.19, ansible.posix, community.general), allow what the collection's firewall role allows.

Each test runs an example playbook (the firewall_shape filter inside its tasks) twice (the second run changes
nothing), sends real traffic, then brings the firewall back to where it started and runs the role with the same
selection: the same ports must pass or be blocked, and the port sets parsed from both configurations must be equal.

- ``ansible.builtin.iptables``: namespace ``fw``, egress to servers in the peer namespace ``cl``.
- ``community.general.ufw``: a real ufw in a test host of its own (:mod:`.isolated`), egress to a peer namespace.
- ``ansible.posix.firewalld``: a real firewalld in a test host of its own, ingress from a peer namespace; the module
  (ansible.posix 2.1) has no policy option, so the example opens the ingress selection in the zone ``public``.
"""

from __future__ import annotations

import os
import random
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.ports import merge_ranges as merge

from .helpers import ns_run, probe, start_servers

COLLECTION_ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = COLLECTION_ROOT / "playbooks" / "examples"
DEFAULT_VENV = Path.home() / ".cache" / "macfleet-apple_network" / "venv-ansible12-py3.11"
# Debian's Python, the one with python3-firewall (installed with firewalld): ansible.posix.firewalld imports it.
FIREWALLD_PYTHON = "/usr/bin/python3"

ROLE_PLAY = """
- name: Firewall role with the example's selection
  hosts: all
  gather_facts: false
  roles:
    - role: macfleet.apple_network.firewall
"""
# The role's default sources plus two explicit ports: TCP then needs two multiport rules (16 of 15 slots).
EXTRA_PORTS = ["3000/tcp", "3002/tcp"]
# (protocol, port, allowed): ranges, the second multiport rule (50000), explicit ports and their neighbour, 3306.
TARGETS = [("tcp", 443, True), ("tcp", 5223, True), ("tcp", 8443, True), ("tcp", 3002, True), ("tcp", 3001, False),
           ("tcp", 50000, True), ("tcp", 3306, False), ("udp", 5353, True), ("udp", 50001, True), ("udp", 3306, False)]
# What the selection holds, as the unit tests pin it: the sets parsed from both rulesets must equal this.
EXPECTED = {
    "tcp": [(80, 80), (123, 123), (443, 443), (554, 554), (1900, 1900), (3000, 3000), (3002, 3002), (3689, 3689),
            (5223, 5224), (8000, 8999), (42000, 42999), (49152, 65535)],
    "udp": [(123, 123), (554, 554), (5350, 5351), (5353, 5353), (49152, 65535)],
}
MULTIPORT = re.compile(r"^-A (\S+) .*-p (tcp|udp) .*-m multiport --dports (\S+) .*-j ACCEPT$")
EXPECTED_TRAFFIC = dict(((proto, port), ok) for proto, port, ok in TARGETS)
# Into the firewalld host: Screen Sharing's ports (the example's default selection) pass, 6000 and 3306 do not.
INGRESS_TARGETS = [("tcp", 88, True), ("tcp", 5900, True), ("tcp", 6000, False), ("tcp", 3306, False)]
INGRESS_SELECTION = ["5900/tcp", "88/tcp"]
# The zone the firewalld example opens the ports in: Debian's default zone, where every interface without a zone of
# its own (the test's veth) lands; its target "default" rejects what the zone does not allow.
ZONE = "public"


@pytest.fixture(scope="module")
def ansible12():
    """The venv of the community ansible 12 package (hacking/bootstrap.sh install_ansible_package_venv)."""
    configured = os.environ.get("MACFLEET_ANSIBLE12_VENV")
    venv = Path(configured) if configured else DEFAULT_VENV
    if not (venv / "bin" / "ansible-playbook").exists():
        if configured:
            pytest.fail("MACFLEET_ANSIBLE12_VENV=%s has no ansible-playbook" % configured)
        pytest.skip("the ansible 12 venv is missing: run hacking/bootstrap.sh full (tests/requirements-ansible12.txt)")
    return {"ansible_playbook": str(venv / "bin" / "ansible-playbook"), "python": str(venv / "bin" / "python")}


def collections_of(ansible12_venv):
    """The site-packages of the ansible 12 venv: its ansible_collections holds ansible.posix and community.general."""
    return subprocess.run([ansible12_venv["python"], "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()


def allowed_ports(save_text, chain):
    """``{protocol: [(start, end)]}`` of the multiport ACCEPT rules of ``chain`` in iptables-save output."""
    found = {"tcp": [], "udp": []}
    for line in save_text.splitlines():
        match = MULTIPORT.match(line)
        if match and match.group(1) == chain:
            for item in match.group(3).split(","):
                start, _sep, end = item.partition(":")
                found[match.group(2)].append((int(start), int(end or start)))
    return dict((proto, merge(ranges)) for proto, ranges in found.items())


def ufw_allowed(show_added):
    """``{protocol: [(start, end)]}`` of the ``ufw show added`` rules that let ports out to any address (not the rules
    for DNS to one name server nor those with a source port, the DHCP client's)."""
    found = {"tcp": [], "udp": []}
    for line in show_added.splitlines():
        words = shlex.split(line)
        if words[:3] != ["ufw", "allow", "out"]:
            continue
        words = words[3:words.index("comment")] if "comment" in words else words[3:]
        if len(words) == 1:  # ufw's short form: PORTS/PROTO
            ports, _sep, proto = words[0].partition("/")
            protocols = [proto] if proto else ["tcp", "udp"]
        else:
            options = dict(zip(words[::2], words[1::2]))
            if len(options) * 2 != len(words) or set(options) - {"proto", "to", "port"}:
                continue  # a source address or port: not a selection rule
            if options.get("to", "any") != "any" or "port" not in options:
                continue
            ports, protocols = options["port"], [options["proto"]] if "proto" in options else ["tcp", "udp"]
        for proto in protocols:
            for item in ports.split(","):
                start, _sep, end = item.partition(":")
                found[proto].append((int(start), int(end or start)))
    return dict((proto, merge(ranges)) for proto, ranges in found.items())


def firewalld_ports(host, *where):
    """The ports ``firewall-cmd --list-ports`` lists for ``where`` (``--zone Z``, ``--policy P``, ``--permanent``),
    sorted."""
    return sorted(host.run("firewall-cmd", *(list(where) + ["--list-ports"])).stdout.split())


def run_example(fw_playbook, ansible12, name, extra_vars, python, env=None, **where):
    """Runs an example playbook with the ansible 12 venv's ansible-playbook (``where``: netns or wrap)."""
    env = dict(env or {}, ANSIBLE_COLLECTIONS_PATH="%s:%s" % (COLLECTION_ROOT.parents[2], collections_of(ansible12)),
               ANSIBLE_PYTHON_INTERPRETER=python)
    return fw_playbook(str(EXAMPLES / name), extra_vars=extra_vars, env=env, ansible_playbook=ansible12["ansible_playbook"],
                       **where)


def run_example_twice(*args, **kwargs):
    """The first run of the example (it succeeded); the second run succeeded and changed nothing."""
    first = run_example(*args, **kwargs)
    assert first.rc == 0, first
    again = run_example(*args, **kwargs)
    assert again.rc == 0, again
    assert again.stats["localhost"]["changed"] == 0, again
    return first


def add_peer(netns, host_netns):
    """A peer namespace joined to ``host_netns``: ``(peer, host address, peer address)``."""
    net = "10.%d.%d" % (random.randint(64, 250), random.randint(0, 250))
    peer = netns.add("cl")
    netns.link(host_netns, net + ".1/24", peer, net + ".2/24")
    return peer, net + ".1", net + ".2"


def reached(netns, address, targets):
    """``{(protocol, port): reachable}`` probed from ``netns`` to ``address``."""
    seen = probe(netns, [(proto, address, port) for proto, port, _ok in targets])
    return dict(((proto, port), ok) for (proto, _addr, port), ok in seen.items())


def kernel_rules(netns):
    """iptables-save and ip6tables-save of ``netns`` without comments and packet counters."""
    return dict((tool, [re.sub(r"\[\d+:\d+\]", "", line) for line in ns_run(netns, tool).stdout.splitlines()
                        if not line.startswith("#")]) for tool in ("iptables-nft-save", "ip6tables-nft-save"))


@pytest.fixture
def topo(netns, processes, scratch):
    fw = netns.add("fw")
    cl, _fw_ip, cl_ip = add_peer(netns, fw)
    start_servers(processes, cl, scratch, ["%s:0.0.0.0:%d" % (proto, port) for proto, port, _ok in TARGETS])
    etc = Path("/etc/netns") / fw
    etc.mkdir(parents=True)
    (etc / "resolv.conf").write_text("nameserver %s\n" % cl_ip)
    return {"fw": fw, "cl": cl, "cl_ip": cl_ip, "scratch": scratch}


def traffic(topo):
    return reached(topo["fw"], topo["cl_ip"], TARGETS)


def test_iptables_example_allows_what_the_role_allows(topo, fw_playbook, ansible12):
    fw = topo["fw"]
    assert all(traffic(topo).values()), "a server of the test did not answer before any rule"
    example_vars = {"apple_egress_ports": EXTRA_PORTS, "apple_nameservers": [topo["cl_ip"]]}
    res = run_example_twice(fw_playbook, ansible12, "firewall_with_ansible_builtin_iptables.yml", example_vars,
                            ansible12["python"], netns=fw)
    looped = res.results("Let the selected Apple ports out, at most 15 ports per rule")["localhost"]["results"]
    assert [(r["item"][0]["protocol"], len(r["item"][0]["destination_ports"]), r["item"][1]) for r in looped] == [
        ("tcp", 11, "ipv4"), ("tcp", 11, "ipv6"), ("tcp", 1, "ipv4"), ("tcp", 1, "ipv6"), ("udp", 5, "ipv4"), ("udp", 5, "ipv6")]

    by_example = traffic(topo)
    assert by_example == EXPECTED_TRAFFIC, by_example
    saved = {4: ns_run(fw, "iptables-nft-save").stdout, 6: ns_run(fw, "ip6tables-nft-save").stdout}
    example_sets = dict((v, allowed_ports(saved[v], "OUTPUT")) for v in (4, 6))
    assert example_sets == {4: EXPECTED, 6: EXPECTED}, saved[4]
    assert len([line for line in saved[4].splitlines() if MULTIPORT.match(line)]) == 3  # 16 TCP slots: two rules

    # Back to an open OUTPUT chain, then the role (iptables backend) with the same selection and name servers.
    for tool in ("iptables-nft", "ip6tables-nft"):
        ns_run(fw, tool, "-P", "OUTPUT", "ACCEPT")
        ns_run(fw, tool, "-F", "OUTPUT")
    assert all(traffic(topo).values())
    role_vars = {"firewall_backend": "iptables", "firewall_iptables_variant": "nft", "firewall_egress_ports": EXTRA_PORTS,
                 "firewall_nameservers": [topo["cl_ip"]], "firewall_state_dir": str(topo["scratch"] / "state"),
                 "firewall_iptables_save_path": str(topo["scratch"] / "save" / "rules.v4"),
                 "firewall_ip6tables_save_path": str(topo["scratch"] / "save" / "rules.v6")}
    role = fw_playbook(ROLE_PLAY, extra_vars=role_vars, netns=fw)
    assert role.rc == 0, role
    assert traffic(topo) == by_example
    role_saved = {4: ns_run(fw, "iptables-nft-save").stdout, 6: ns_run(fw, "ip6tables-nft-save").stdout}
    assert dict((v, allowed_ports(role_saved[v], "macfleet_out")) for v in (4, 6)) == example_sets


def test_ufw_example_allows_what_the_role_allows(ufw_host, netns, fw_playbook, ansible12, processes, scratch):
    host = ufw_host
    peer, _address, peer_address = add_peer(netns, host.netns)
    start_servers(processes, peer, scratch, ["%s:0.0.0.0:%d" % (proto, port) for proto, port, _ok in TARGETS])
    initial = {"shown": host.shown(), "config": host.saved_config(), "kernel": kernel_rules(host.netns)}
    assert initial["shown"]["status verbose"].startswith("Status: inactive"), initial["shown"]
    assert all(reached(host.netns, peer_address, TARGETS).values()), "a server of the test did not answer"

    example_vars = {"apple_egress_ports": EXTRA_PORTS, "apple_nameservers": [peer_address]}
    run_example_twice(fw_playbook, ansible12, "firewall_with_community_general_ufw.yml", example_vars,
                      ansible12["python"], wrap=host.prefix, env=host.env)
    by_example = reached(host.netns, peer_address, TARGETS)
    assert by_example == EXPECTED_TRAFFIC, by_example
    example_shown = host.shown()
    assert "deny (outgoing)" in example_shown["status verbose"], example_shown
    example_sets = ufw_allowed(example_shown["show added"])
    assert example_sets == EXPECTED, example_shown["show added"]

    # Back to ufw as installed: disabled, its configuration files as they were, and no ufw chains left in the
    # namespace (ufw disable keeps its empty chains; a reboot of the test host would drop them).
    host.run("ufw", "--force", "disable")
    host.restore_config(initial["config"])
    ns_run(host.netns, "nft", "flush", "ruleset")
    assert host.shown() == initial["shown"]
    assert host.saved_config() == initial["config"]
    assert kernel_rules(host.netns) == initial["kernel"]
    assert all(reached(host.netns, peer_address, TARGETS).values())
    # The role never enables ufw nor changes its defaults: an administrator's ufw, enabled with them (allow out).
    host.run("ufw", "--force", "enable")
    role_vars = {"firewall_backend": "ufw", "firewall_egress_ports": EXTRA_PORTS, "firewall_nameservers": [peer_address],
                 "firewall_state_dir": str(scratch / "state")}
    role = fw_playbook(ROLE_PLAY, extra_vars=role_vars, wrap=host.prefix, env=host.env)
    assert role.rc == 0, role
    assert reached(host.netns, peer_address, TARGETS) == by_example
    role_shown = host.shown()
    assert "allow (outgoing)" in role_shown["status verbose"], role_shown
    assert ufw_allowed(role_shown["show added"]) == example_sets, role_shown["show added"]


def test_firewalld_example_opens_what_the_role_opens(firewalld_host, netns, fw_playbook, ansible12, processes, scratch):
    host = firewalld_host
    peer, address, _peer_address = add_peer(netns, host.netns)
    start_servers(processes, host.netns, scratch, ["tcp:%s:%d" % (address, port) for _proto, port, _ok in INGRESS_TARGETS])
    assert host.run("firewall-cmd", "--get-default-zone").stdout.strip() == ZONE
    assert host.run("firewall-cmd", "--permanent", "--zone", ZONE, "--get-target").stdout.strip() == "default"
    initial = host.shown()
    assert firewalld_ports(host, "--zone", ZONE) == []
    assert not any(reached(peer, address, INGRESS_TARGETS).values()), "the zone lets a port in before the example"

    run_example_twice(fw_playbook, ansible12, "firewall_with_ansible_posix_firewalld.yml", {"apple_zone": ZONE},
                      FIREWALLD_PYTHON, wrap=host.prefix, env=host.env)
    by_example = reached(peer, address, INGRESS_TARGETS)
    assert by_example == dict(((proto, port), ok) for proto, port, ok in INGRESS_TARGETS), by_example
    example_ports = firewalld_ports(host, "--zone", ZONE)
    assert example_ports == firewalld_ports(host, "--permanent", "--zone", ZONE) == INGRESS_SELECTION, example_ports

    # Back to firewalld as it started: the ports out of the zone, permanent and runtime.
    for port in INGRESS_SELECTION:
        host.run("firewall-cmd", "--permanent", "--zone", ZONE, "--remove-port", port)
        host.run("firewall-cmd", "--zone", ZONE, "--remove-port", port)
    assert host.shown() == initial
    assert not any(reached(peer, address, INGRESS_TARGETS).values())
    role_vars = {"firewall_backend": "firewalld", "firewall_name": "mf_shapes", "firewall_directions": ["ingress"],
                 "firewall_ingress_used_by": ["Screen Sharing"], "firewall_management_ports": [22],
                 "firewall_state_dir": str(scratch / "state")}
    role = fw_playbook(ROLE_PLAY, extra_vars=role_vars, wrap=host.prefix, env=host.env)
    assert role.rc == 0, role
    assert reached(peer, address, INGRESS_TARGETS) == by_example
    # The role's ingress policy holds the management port too; the zone keeps SSH as its ssh service.
    policy_ports = firewalld_ports(host, "--policy", "mf_shapes_in")
    assert "22/tcp" in policy_ports and sorted(set(policy_ports) - {"22/tcp"}) == example_ports, policy_ports
    assert firewalld_ports(host, "--zone", ZONE) == []
