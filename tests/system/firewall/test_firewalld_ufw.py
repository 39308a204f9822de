# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The firewall role on a real firewalld and a real ufw (issue 13), each in a test host of its own (:mod:`.isolated`).

The host ``fw`` runs the role (the playbook inside its network and mount namespaces); the peer ``cl`` runs a real
dnsmasq (the host's only name server, through ``/etc/netns/<fw>/resolv.conf``) and TCP servers. What firewalld
(``--list-all-policies``, ``--list-all``, ``--get-ipsets``, permanent and runtime) or ufw (``status verbose``,
``show added``) shows is captured before the first run and must be the same, to the character, after ``absent``.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest

from .helpers import HERE, dns_probe, probe, start_servers, wait_until
from .isolated import start_firewalld, start_ufw

ROLE_PLAY = """
- name: Firewall role on a host with firewalld or ufw
  hosts: all
  gather_facts: false
  roles:
    - role: macfleet.apple_network.firewall
"""
APPLY = "macfleet.apple_network.firewall : Apply the firewall rules atomically (confirm-or-rollback)"
MGMT = 2222
NAME = "swscan.apple.com"
STARTERS = {"firewalld": start_firewalld, "ufw": start_ufw}


@pytest.fixture(params=["firewalld", "ufw"])
def host(request, netns, processes, scratch):
    """``fw`` (firewalld or ufw) <-> ``cl`` (dnsmasq, servers on 443 and 3306)."""
    backend = request.param
    net = "10.%d.%d" % (random.randint(64, 250), random.randint(0, 250))
    fw_ip, cl_ip = net + ".1", net + ".2"
    fw, cl = netns.add("fw"), netns.add("cl")
    _dev_fw, dev_cl = netns.link(fw, fw_ip + "/24", cl, cl_ip + "/24")
    etc = Path("/etc/netns") / fw
    etc.mkdir(parents=True)
    (etc / "resolv.conf").write_text("nameserver %s\noptions timeout:1 attempts:1\n" % cl_ip)
    log, conf = scratch / "dnsmasq.log", scratch / "dnsmasq.conf"
    conf.write_text("\n".join(["port=53", "listen-address=%s" % cl_ip, "interface=%s" % dev_cl, "bind-interfaces",
                               "no-resolv", "no-hosts", "host-record=%s,%s" % (NAME, cl_ip)]) + "\n")
    processes.start(["ip", "netns", "exec", cl, "dnsmasq", "--conf-file=%s" % conf, "--keep-in-foreground",
                     "--pid-file=", "--log-facility=%s" % log],
                    wait_for=lambda: log.exists() and "started" in log.read_text())
    start_servers(processes, cl, scratch, ["tcp:0.0.0.0:443", "tcp:0.0.0.0:3306"])
    start_servers(processes, fw, scratch, ["tcp:%s:%d" % (fw_ip, p) for p in (5900, 6000, MGMT)])
    isolated = STARTERS[backend](processes, fw, scratch)
    if backend == "ufw":
        # An administrator's ufw: enabled with its defaults (deny in, allow out) and a rule of their own.
        isolated.run("ufw", "--force", "enable")
        isolated.run("ufw", "allow", "in", "proto", "tcp", "to", "any", "port", "6001")
    return {"backend": backend, "host": isolated, "fw": fw, "cl": cl, "fw_ip": fw_ip, "cl_ip": cl_ip,
            "scratch": scratch}


def role_vars(topo, **extra):
    result = {
        "firewall_backend": topo["backend"],
        "firewall_name": "mf_test",
        "firewall_directions": ["egress", "ingress"],
        "firewall_ingress_used_by": ["Screen Sharing"],  # 88, 5900 (tcp)
        "firewall_management_ports": [MGMT],
        "firewall_resolve_hosts": False,
        "firewall_rollback_timeout": 20,
        "firewall_state_dir": str(topo["scratch"] / "state"),
    }
    result.update(extra)
    return result


def play(fw_playbook, topo, **kwargs):
    return fw_playbook(ROLE_PLAY, wrap=topo["host"].prefix, env=topo["host"].env, **kwargs)


def shown(topo):
    return topo["host"].shown()


def traffic(topo):
    fw, cl = topo["fw_ip"], topo["cl_ip"]
    out = probe(topo["fw"], [("tcp", cl, 443), ("tcp", cl, 3306)])
    inbound = probe(topo["cl"], [("tcp", fw, 5900), ("tcp", fw, 6000), ("tcp", fw, MGMT)])
    return {"443": out[("tcp", cl, 443)], "3306": out[("tcp", cl, 3306)], "in 5900": inbound[("tcp", fw, 5900)],
            "in 6000": inbound[("tcp", fw, 6000)], "in mgmt": inbound[("tcp", fw, MGMT)],
            "dns": dns_probe(topo["fw"], cl, NAME)}


def assert_filtered(seen, topo):
    answer = "ok " + topo["cl_ip"]
    assert seen["dns"] == {"udp": answer, "tcp": answer, "system": answer}, seen
    assert (seen["443"], seen["3306"]) == (True, False), seen
    assert (seen["in 5900"], seen["in 6000"], seen["in mgmt"]) == (True, False, True), seen


def test_role_applies_reruns_checks_and_removes(host, fw_playbook):
    topo = host
    before = shown(topo)
    unfiltered = traffic(topo)
    assert unfiltered["3306"] is True and unfiltered["dns"]["udp"] == "ok " + topo["cl_ip"], unfiltered

    check = play(fw_playbook, topo, extra_vars=role_vars(topo), check=True, diff=True)
    assert check.rc == 0, check
    predicted = check.results(APPLY)["localhost"]
    assert predicted["changed"] is True
    assert predicted["essentials"]["nameservers"] == [topo["cl_ip"]]
    if topo["backend"] == "firewalld":
        assert '<destination address="%s" />' % topo["cl_ip"] in predicted["diff"]["after"]
        assert "# policies/mf_test_in.xml" in predicted["diff"]["after"]
    else:
        assert "ufw allow out proto udp to %s port 53 comment macfleet-mf_test\n" % topo["cl_ip"] in predicted["diff"]["after"]
    assert shown(topo) == before  # check mode changed nothing
    assert traffic(topo)["3306"] is True

    res = play(fw_playbook, topo, extra_vars=role_vars(topo), diff=True)
    assert res.rc == 0, res
    applied = res.results(APPLY)["localhost"]
    assert applied["changed"] is True and applied["confirmed"] is True, applied
    assert applied["diff"]["after"] == predicted["diff"]["after"] == applied["rendered"]
    assert_filtered(traffic(topo), topo)
    live = shown(topo)
    if topo["backend"] == "firewalld":
        assert "mf_test_out (active)" in live["--list-all-policies"] and "target: DROP" in live["--list-all-policies"]
    else:
        assert "# macfleet-mf_test" in live["status verbose"] and "6001/tcp" in live["status verbose"]

    remote_tmp = topo["scratch"] / "remote-tmp"
    again = fw_playbook(ROLE_PLAY, wrap=topo["host"].prefix, extra_vars=role_vars(topo), diff=True,
                        env=dict(topo["host"].env, ANSIBLE_REMOTE_TMP=str(remote_tmp), ANSIBLE_KEEP_REMOTE_FILES="1"))
    assert again.rc == 0, again
    assert again.results(APPLY)["localhost"]["changed"] is False
    transferred = [name for _d, _s, files in os.walk(str(remote_tmp)) for name in files]
    if topo["backend"] == "firewalld":  # the action plugin's probe proved it: the module was not even transferred
        assert transferred == [], transferred
    else:
        assert transferred, "ufw's no-change run is the module's own"
    assert again.results(APPLY)["localhost"]["diff"]["before"] == applied["diff"]["after"]
    assert shown(topo) == live

    gone = play(fw_playbook, topo, extra_vars=role_vars(topo, firewall_state="absent"))
    assert gone.rc == 0, gone
    assert gone.results(APPLY)["localhost"]["changed"] is True
    assert shown(topo) == before  # exactly as before the first run
    assert traffic(topo)["3306"] is True
    gone_again = play(fw_playbook, topo, extra_vars=role_vars(topo, firewall_state="absent"))
    assert gone_again.rc == 0 and gone_again.results(APPLY)["localhost"]["changed"] is False, gone_again


# Forces a rule the tool rejects at apply time, once: firewalld gets a port out of range in our ingress policy just
# before it reloads; ufw refuses to add the rule for port 5354 (its dry run still passes).
FIREWALL_CMD_WRAPPER = """#!/bin/sh
if [ "$1" = --reload ] && [ ! -e {flag} ]; then
  touch {flag}
  sed -i 's|</policy>|  <port protocol="tcp" port="99999" />\\n</policy>|' /etc/firewalld/policies/mf_test_in.xml
fi
exec /usr/bin/firewall-cmd "$@"
"""
UFW_WRAPPER = """#!/bin/sh
case "$*" in
  *--dry-run*) ;;
  *5354*) echo "ERROR: forced failure for port 5354" >&2; exit 1 ;;
esac
exec /usr/sbin/ufw "$@"
"""


def test_rule_rejected_at_apply_time_leaves_previous_state(host, fw_playbook):
    topo = host
    res = play(fw_playbook, topo, extra_vars=role_vars(topo))
    assert res.rc == 0, res
    live = shown(topo)
    bindir = topo["scratch"] / "bin"
    bindir.mkdir()
    if topo["backend"] == "firewalld":
        wrapper, text = bindir / "firewall-cmd", FIREWALL_CMD_WRAPPER.format(flag=topo["scratch"] / "injected")
    else:
        wrapper, text = bindir / "ufw", UFW_WRAPPER
    wrapper.write_text(text)
    wrapper.chmod(0o755)
    env = dict(topo["host"].env, PATH="%s:%s" % (bindir, os.environ["PATH"]))
    bad = fw_playbook(ROLE_PLAY, wrap=topo["host"].prefix, env=env,
                      extra_vars=role_vars(topo, firewall_ingress_ports=["5354/udp"]))
    assert bad.rc != 0
    failed = bad.results(APPLY)["localhost"]
    if topo["backend"] == "firewalld":
        assert "99999" in failed["msg"] and "the previous configuration was restored" in failed["msg"], failed
    else:
        assert "forced failure" in failed["msg"] and "the previous rules were restored" in failed["msg"], failed
    assert shown(topo) == live
    assert_filtered(traffic(topo), topo)


def test_lost_controller_connection_rolls_back(host, fw_playbook):
    topo = host
    res = play(fw_playbook, topo, extra_vars=role_vars(topo))
    assert res.rc == 0, res
    live = shown(topo)
    timeout = 5
    env = dict(topo["host"].env, ANSIBLE_CONNECTION_PLUGINS=os.path.join(HERE, "connection_plugins"))
    started = time.monotonic()
    lost = fw_playbook(ROLE_PLAY, wrap=topo["host"].prefix, env=env, args=["-e", "ansible_connection=flaky_local"],
                       extra_vars=role_vars(topo, firewall_ingress_ports=["5354/udp"], firewall_rollback_timeout=timeout))
    assert lost.rc != 0
    failed = lost.results(APPLY)["localhost"]
    assert failed.get("confirmed") is False and "restores the previous ruleset" in failed.get("msg", ""), failed
    assert shown(topo) != live  # the change is live until the bound
    assert wait_until(lambda: shown(topo) == live, timeout + 10, step=0.5)
    assert time.monotonic() - started < timeout + 10 + 60
    assert_filtered(traffic(topo), topo)
