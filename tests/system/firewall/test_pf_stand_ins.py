# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""macOS pf backend against the pfctl and launchctl stand-ins in tests/stand-ins/macos (all paths in a scratch dir)."""

from __future__ import annotations

import json
import os
import plistlib

from .helpers import HERE, wait_until

STAND_INS = os.path.join(HERE, "..", "..", "stand-ins", "macos")
APPLY = "macfleet.apple_network.firewall : Apply the firewall rules atomically (confirm-or-rollback)"
PLAY = """
- name: pf
  hosts: all
  gather_facts: false
  roles:
    - role: macfleet.apple_network.firewall
"""
STOCK = ('scrub-anchor "com.apple/*"\nnat-anchor "com.apple/*"\nrdr-anchor "com.apple/*"\n'
         'dummynet-anchor "com.apple/*"\nanchor "com.apple/*"\nload anchor "com.apple" from "/etc/pf.anchors/com.apple"\n')


def calls(path):
    with open(path) as handle:
        return [json.loads(line) for line in handle]


def scratch_mac(scratch):
    """pf.conf, the anchors and LaunchDaemons directories and the stand-ins' state in ``scratch``: (env, role_vars)."""
    for name in ("anchors", "LaunchDaemons", "pfctl", "launchctl", "state"):
        (scratch / name).mkdir()
    (scratch / "state").chmod(0o700)
    (scratch / "pf.conf").write_text(STOCK)
    env = {"PFCTL_STANDIN_STATE": str(scratch / "pfctl"), "LAUNCHCTL_STANDIN_STATE": str(scratch / "launchctl")}
    role_vars = {
        "firewall_backend": "pf", "firewall_name": "macfleet",
        "firewall_directions": ["egress", "ingress"], "firewall_egress_used_by": ["APNs"], "firewall_egress_sources": [],
        "firewall_ingress_ports": ["5353/udp"], "firewall_restrict_destinations": True,
        "firewall_resolve_hosts": False, "firewall_state_dir": str(scratch / "state"),
        "firewall_nameservers": ["10.0.0.53", "127.0.0.1"],  # never this machine's own resolv.conf
        "firewall_pf_conf": str(scratch / "pf.conf"), "firewall_pf_anchors_dir": str(scratch / "anchors"),
        "firewall_launchdaemons_dir": str(scratch / "LaunchDaemons"),
        "firewall_pfctl_path": os.path.abspath(os.path.join(STAND_INS, "pfctl")),
        "firewall_launchctl_path": os.path.abspath(os.path.join(STAND_INS, "launchctl")),
    }
    return env, role_vars


def test_pf_anchor_hook_launchdaemon_idempotent_and_absent(fw_playbook, scratch):
    env, role_vars = scratch_mac(scratch)
    pf_conf = scratch / "pf.conf"
    res = fw_playbook(PLAY, extra_vars=role_vars, env=env)
    assert res.rc == 0, res
    assert res.results(APPLY)["localhost"]["changed"] is True
    anchor = (scratch / "anchors" / "macfleet").read_text()
    assert "pass out quick proto tcp to <macfleet_dst> port { 2195:2196, 5223 } keep state" in anchor
    assert "pass in quick proto tcp to any port { 22 } keep state" in anchor
    # The essentials: loopback, DNS to the name servers (127.0.0.1 is covered by lo0), the DHCP client both ways.
    for rule in ("pass out quick on lo0 all", "pass in quick on lo0 all",
                 "pass out quick proto { udp, tcp } to { 10.0.0.53 } port 53 keep state",
                 "pass out quick inet proto udp from any port 68 to any port 67 keep state",
                 "pass out quick inet6 proto udp from any port 546 to any port 547 keep state",
                 "pass in quick inet proto udp from any port 67 to any port 68 keep state",
                 "pass in quick inet6 proto udp from any port 547 to any port 546 keep state"):
        assert rule in anchor.splitlines()
    assert res.results(APPLY)["localhost"]["essentials"]["nameservers"] == ["10.0.0.53", "127.0.0.1"]
    assert pf_conf.read_text() == STOCK + 'anchor "macfleet"\nload anchor "macfleet" from "%s"\n' % (scratch / "anchors" / "macfleet")
    plist = plistlib.loads((scratch / "LaunchDaemons" / "com.macfleet.firewall.macfleet.plist").read_bytes())
    assert plist["ProgramArguments"][1:] == ["-E", "-a", "macfleet", "-f", str(scratch / "anchors" / "macfleet")]
    # launchd ran the job (RunAtLoad): the stand-in pfctl holds the anchor and an enable reference.
    assert (scratch / "pfctl" / "anchors" / "macfleet").read_text() == anchor
    assert (scratch / "pfctl" / "references").read_text().split() == ["1000"]

    again = fw_playbook(PLAY, extra_vars=role_vars, env=env)
    assert again.rc == 0, again
    assert again.results(APPLY)["localhost"]["changed"] is False

    gone = fw_playbook(PLAY, extra_vars=dict(role_vars, firewall_state="absent"), env=env)
    assert gone.rc == 0, gone
    assert pf_conf.read_text() == STOCK
    assert not (scratch / "anchors" / "macfleet").exists()
    assert not os.listdir(str(scratch / "LaunchDaemons"))
    assert not (scratch / "pfctl" / "anchors" / "macfleet").exists()

    pfctl_calls = calls(scratch / "pfctl" / "calls.log")
    assert all("-d" not in argv for argv in pfctl_calls)  # pf is never disabled
    assert all("-a" in argv for argv in pfctl_calls if "-F" in argv or "-f" in argv)  # main ruleset never touched
    assert ["bootstrap", "system", str(scratch / "LaunchDaemons" / "com.macfleet.firewall.macfleet.plist")] in \
        calls(scratch / "launchctl" / "calls.log")
    assert ["bootout", "system/com.macfleet.firewall.macfleet"] in calls(scratch / "launchctl" / "calls.log")


def test_pf_first_install_is_rolled_back_when_the_host_is_lost(fw_playbook, scratch):
    """No anchor before: the watchdog of the unconfirmed first install puts back the stock pf.conf, removes the anchor
    and the LaunchDaemon, boots the job out and flushes the anchor from pf."""
    env, role_vars = scratch_mac(scratch)
    env["ANSIBLE_CONNECTION_PLUGINS"] = os.path.join(HERE, "connection_plugins")
    timeout = 3
    lost = fw_playbook(PLAY, extra_vars=dict(role_vars, firewall_rollback_timeout=timeout), env=env,
                       args=["-e", "ansible_connection=flaky_local"])
    assert lost.rc != 0
    applied = lost.results(APPLY)["localhost"]
    assert applied["rollback"]["pid"] > 0 and applied["rollback"]["timeout"] == timeout, applied
    anchor, plist = scratch / "anchors" / "macfleet", scratch / "LaunchDaemons" / "com.macfleet.firewall.macfleet.plist"
    assert 'anchor "macfleet"' in (scratch / "pf.conf").read_text() and anchor.exists() and plist.exists()
    assert (scratch / "pfctl" / "anchors" / "macfleet").exists()

    marker = applied["rollback"]["marker"]
    assert wait_until(lambda: not os.path.exists(marker) and not os.path.exists(marker + ".rollback"), timeout + 10)
    assert (scratch / "pf.conf").read_text() == STOCK
    assert not anchor.exists() and not os.listdir(str(scratch / "LaunchDaemons"))
    assert not (scratch / "pfctl" / "anchors" / "macfleet").exists()
    assert not os.listdir(str(scratch / "launchctl" / "loaded"))
    assert ["-a", "macfleet", "-F", "all"] in calls(scratch / "pfctl" / "calls.log")
    assert ["bootout", "system/com.macfleet.firewall.macfleet"] in calls(scratch / "launchctl" / "calls.log")
    assert sorted(os.listdir(str(scratch / "anchors"))) == []  # no staged copy left behind either
