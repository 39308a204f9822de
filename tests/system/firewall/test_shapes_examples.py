# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The firewall guide's example playbooks (playbooks/examples/), run with the community ``ansible`` 12 package
(ansible-core 2.19, ansible.posix, community.general), allow what the collection's firewall role allows.

Namespace ``fw`` runs the example playbook with the firewall_shape filter inside its tasks, then the role with the same
selection; real traffic from ``fw`` to servers in the peer namespace ``cl`` must pass or be blocked the same way both
times, and the port sets parsed from both rulesets must be equal.

The firewalld and ufw examples need a real firewalld / ufw running inside a namespace (own dbus-daemon, own
``/etc/firewalld``; own ``/etc/ufw``). Those fixtures come from the fw-backends work; the tests here ask for them by
name (``firewalld_namespace``, ``ufw_namespace``) and are skipped while they are not defined. What they use of them:
``netns`` and ``peer`` (namespace names), ``address`` and ``peer_address`` (their addresses), ``command`` (the argv prefix that runs a command next
to the daemon, e.g. ``ip netns exec NS`` plus the mount namespace), ``env`` (environment for ansible-playbook, e.g.
``DBUS_SYSTEM_BUS_ADDRESS``) and ``python`` (the interpreter with firewalld's bindings, for ansible.posix.firewalld).
"""

from __future__ import annotations

import os
import random
import re
import subprocess
from pathlib import Path

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._firewall.spec import merge

from .helpers import ns_run, probe, start_servers

COLLECTION_ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = COLLECTION_ROOT / "playbooks" / "examples"
DEFAULT_VENV = Path.home() / ".cache" / "macfleet-apple_network" / "venv-ansible12-py3.11"
FIXTURE_MISSING = "needs the firewalld/ufw namespace fixture from h/fw-backends"

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


@pytest.fixture
def topo(netns, processes, scratch):
    net = "10.%d.%d" % (random.randint(64, 250), random.randint(0, 250))
    fw, cl = netns.add("fw"), netns.add("cl")
    netns.link(fw, net + ".1/24", cl, net + ".2/24")
    cl_ip = net + ".2"
    start_servers(processes, cl, scratch, ["%s:0.0.0.0:%d" % (proto, port) for proto, port, _ok in TARGETS])
    etc = Path("/etc/netns") / fw
    etc.mkdir(parents=True)
    (etc / "resolv.conf").write_text("nameserver %s\n" % cl_ip)
    return {"fw": fw, "cl": cl, "cl_ip": cl_ip, "scratch": scratch}


def traffic(topo):
    seen = probe(topo["fw"], [(proto, topo["cl_ip"], port) for proto, port, _ok in TARGETS])
    return dict(((proto, port), ok) for (proto, _addr, port), ok in seen.items())


def test_iptables_example_allows_what_the_role_allows(topo, fw_playbook, ansible12):
    fw = topo["fw"]
    assert all(traffic(topo).values()), "a server of the test did not answer before any rule"
    env = {"ANSIBLE_COLLECTIONS_PATH": "%s:%s" % (COLLECTION_ROOT.parents[2], collections_of(ansible12)),
           "ANSIBLE_PYTHON_INTERPRETER": ansible12["python"]}
    example_vars = {"apple_egress_ports": EXTRA_PORTS, "apple_nameservers": [topo["cl_ip"]]}
    example = EXAMPLES / "firewall_with_ansible_builtin_iptables.yml"

    res = fw_playbook(str(example), extra_vars=example_vars, netns=fw, env=env, ansible_playbook=ansible12["ansible_playbook"])
    assert res.rc == 0, res
    looped = res.results("Let the selected Apple ports out, at most 15 ports per rule")["localhost"]["results"]
    assert [(r["item"][0]["protocol"], len(r["item"][0]["destination_ports"]), r["item"][1]) for r in looped] == [
        ("tcp", 11, "ipv4"), ("tcp", 11, "ipv6"), ("tcp", 1, "ipv4"), ("tcp", 1, "ipv6"), ("udp", 5, "ipv4"), ("udp", 5, "ipv6")]
    again = fw_playbook(str(example), extra_vars=example_vars, netns=fw, env=env, ansible_playbook=ansible12["ansible_playbook"])
    assert again.rc == 0, again
    assert again.stats["localhost"]["changed"] == 0, again

    by_example = traffic(topo)
    assert by_example == dict(((proto, port), ok) for proto, port, ok in TARGETS), by_example
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


def daemon_fixture(request, name):
    try:
        return request.getfixturevalue(name)
    except pytest.FixtureLookupError:
        pytest.skip(FIXTURE_MISSING)


def run_example_in(daemon, fw_playbook, ansible12, example, extra_vars, python):
    env = dict(daemon.get("env") or {}, ANSIBLE_COLLECTIONS_PATH="%s:%s" % (COLLECTION_ROOT.parents[2], collections_of(ansible12)),
               ANSIBLE_PYTHON_INTERPRETER=python)
    return fw_playbook(str(EXAMPLES / example), extra_vars=extra_vars, netns=daemon["netns"], env=env,
                       ansible_playbook=ansible12["ansible_playbook"])


def test_ufw_example_allows_what_the_role_allows(request, fw_playbook, ansible12, processes, scratch):
    daemon = daemon_fixture(request, "ufw_namespace")
    start_servers(processes, daemon["peer"], scratch, ["%s:0.0.0.0:%d" % (proto, port) for proto, port, _ok in TARGETS])
    example_vars = {"apple_egress_ports": EXTRA_PORTS, "apple_nameservers": [daemon["peer_address"]]}
    res = run_example_in(daemon, fw_playbook, ansible12, "firewall_with_community_general_ufw.yml", example_vars,
                         ansible12["python"])
    assert res.rc == 0, res
    again = run_example_in(daemon, fw_playbook, ansible12, "firewall_with_community_general_ufw.yml", example_vars,
                           ansible12["python"])
    assert again.rc == 0 and again.stats["localhost"]["changed"] == 0, again
    seen = probe(daemon["netns"], [(proto, daemon["peer_address"], port) for proto, port, _ok in TARGETS])
    assert dict(((p, port), ok) for (p, _a, port), ok in seen.items()) == dict(((p, port), ok) for p, port, ok in TARGETS)


def test_firewalld_example_opens_what_the_role_opens(request, fw_playbook, ansible12, processes, scratch):
    daemon = daemon_fixture(request, "firewalld_namespace")
    ingress = [("tcp", 88, True), ("tcp", 5900, True), ("tcp", 3306, False)]  # Screen Sharing: 88 and 5900
    start_servers(processes, daemon["netns"], scratch, ["%s:0.0.0.0:%d" % (proto, port) for proto, port, _ok in ingress])
    res = run_example_in(daemon, fw_playbook, ansible12, "firewall_with_ansible_posix_firewalld.yml", {}, daemon["python"])
    assert res.rc == 0, res
    again = run_example_in(daemon, fw_playbook, ansible12, "firewall_with_ansible_posix_firewalld.yml", {}, daemon["python"])
    assert again.rc == 0 and again.stats["localhost"]["changed"] == 0, again
    listed = subprocess.run(daemon["command"] + ["firewall-cmd", "--zone=public", "--list-ports"], capture_output=True,
                            text=True, check=True, env=dict(os.environ, **(daemon.get("env") or {}))).stdout.split()
    assert sorted(listed) == ["5900/tcp", "88/tcp"]
    seen = probe(daemon["peer"], [(proto, daemon["address"], port) for proto, port, _ok in ingress])
    assert dict(((p, port), ok) for (p, _a, port), ok in seen.items()) == dict(((p, port), ok) for p, port, ok in ingress)
