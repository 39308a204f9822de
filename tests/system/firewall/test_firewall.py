# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The firewall role applied inside a network namespace; real traffic from a second namespace.

Namespace ``fw`` gets the role (``ip netns exec fw ansible-playbook -c local``); namespace ``cl`` is the
other side. Both are joined by a veth pair with 10.x addresses and removed afterwards.
"""

from __future__ import annotations

import json
import os
import random
import stat
import time

import pytest

from .helpers import HERE, ns_run, probe, start_servers, wait_until

ROLE_PLAY = """
- name: Firewall role in a namespace
  hosts: all
  gather_facts: false
  roles:
    - role: macfleet.apple_network.firewall
"""

MGMT = 2222  # the management port of these tests (stands in for SSH)
APPLY = "macfleet.apple_network.firewall : Apply the firewall rules atomically (confirm-or-rollback)"


@pytest.fixture
def topo(netns, processes, scratch):
    """fw <-> cl, with servers on both sides; returns a dict of addresses, ports and namespaces."""
    net = "10.%d.%d" % (random.randint(64, 250), random.randint(0, 250))
    fw, cl = netns.add("fw"), netns.add("cl")
    netns.link(fw, net + ".1/24", cl, net + ".2/24")
    dev = ns_run(cl, "ip", "-o", "link", "show", "type", "veth").stdout.split(":")[1].strip().split("@")[0]
    ns_run(cl, "ip", "addr", "add", net + ".3/24", "dev", dev)  # a second, not allowed, destination
    fw_ip, cl_ip, other_ip = net + ".1", net + ".2", net + ".3"
    start_servers(processes, fw, scratch, ["tcp:%s:%d" % (fw_ip, p) for p in (5900, 6000, MGMT)]
                  + ["udp:%s:%d" % (fw_ip, p) for p in (5353, 5354)])
    start_servers(processes, cl, scratch, ["tcp:0.0.0.0:%d" % p for p in (5223, 8081)] + ["udp:0.0.0.0:5353"])
    return {"fw": fw, "cl": cl, "fw_ip": fw_ip, "cl_ip": cl_ip, "other_ip": other_ip, "scratch": scratch}


def role_vars(topo, **extra):
    result = {
        "firewall_directions": ["egress", "ingress"],
        "firewall_egress_sources": [],
        "firewall_egress_used_by": ["APNs"],  # 2195, 2196, 5223 (tcp)
        "firewall_egress_ports": [],
        "firewall_ingress_used_by": ["Screen Sharing"],  # 88, 5900 (tcp)
        "firewall_ingress_ports": ["5353/udp"],
        "firewall_management_ports": [MGMT],
        "firewall_restrict_destinations": True,
        "firewall_destinations": [topo["cl_ip"] + "/32"],
        "firewall_resolve_hosts": False,
        "firewall_rollback_timeout": 20,
        "firewall_state_dir": str(topo["scratch"] / "state"),
        "firewall_name": "mf_test",
        # Never the host's /etc/iptables: the save files go to the test's scratch directory.
        "firewall_iptables_save_path": str(topo["scratch"] / "save" / "rules.v4"),
        "firewall_ip6tables_save_path": str(topo["scratch"] / "save" / "rules.v6"),
    }
    result.update(extra)
    return result


def targets(topo):
    fw, cl, other = topo["fw_ip"], topo["cl_ip"], topo["other_ip"]
    ingress = [("tcp", fw, 5900), ("tcp", fw, 6000), ("tcp", fw, MGMT), ("udp", fw, 5353), ("udp", fw, 5354)]
    egress = [("tcp", cl, 5223), ("tcp", cl, 8081), ("tcp", other, 5223), ("udp", cl, 5353)]
    return ingress, egress


EXPECTED_IN = {5900: True, 6000: False, MGMT: True, 5353: True, 5354: False}
EXPECTED_OUT = {("tcp", "cl", 5223): True, ("tcp", "cl", 8081): False, ("tcp", "other", 5223): False,
                ("udp", "cl", 5353): False}


def check_traffic(topo, filtered=True):
    ingress, egress = targets(topo)
    got_in = probe(topo["cl"], ingress)
    got_out = probe(topo["fw"], egress)
    names = {topo["cl_ip"]: "cl", topo["other_ip"]: "other"}
    seen_in = dict((port, ok) for (_p, _a, port), ok in got_in.items())
    seen_out = dict(((p, names[a], port), ok) for (p, a, port), ok in got_out.items())
    if filtered:
        assert seen_in == EXPECTED_IN
        assert seen_out == EXPECTED_OUT
    else:
        assert all(seen_in.values()) and all(seen_out.values()), (seen_in, seen_out)


def rerun_without_module(fw_playbook, topo, vars_, **kwargs):
    """A no-change re-run: reports changed=false and never transfers the module (the action plugin's live check)."""
    remote_tmp = topo["scratch"] / ("remote-tmp-%d" % random.randint(0, 1 << 30))
    env = {"ANSIBLE_REMOTE_TMP": str(remote_tmp), "ANSIBLE_KEEP_REMOTE_FILES": "1"}
    again = fw_playbook(ROLE_PLAY, extra_vars=vars_, netns=topo["fw"], env=env, **kwargs)
    assert again.rc == 0, again
    assert again.results(APPLY)["localhost"]["changed"] is False
    transferred = [name for _d, _s, files in os.walk(str(remote_tmp)) for name in files]
    assert transferred == [], transferred
    return again.results(APPLY)["localhost"]


def ruleset(ns):
    return ns_run(ns, "nft", "list", "ruleset").stdout


def test_nftables_traffic_rerun_check_mode_and_absent(topo, fw_playbook):
    fw = topo["fw"]
    ns_run(fw, "nft", "add table inet keepme; add chain inet keepme c { type filter hook input priority 10; }; "
           "add rule inet keepme c tcp dport 9 counter")
    other_before = ns_run(fw, "nft", "list", "table", "inet", "keepme").stdout
    check_traffic(topo, filtered=False)

    res = fw_playbook(ROLE_PLAY, extra_vars=role_vars(topo), netns=fw, diff=True)
    assert res.rc == 0, res
    applied = res.results(APPLY)["localhost"]
    assert applied["changed"] and applied["confirmed"] is True
    assert "table inet mf_test" in applied["diff"]["after"]
    check_traffic(topo)

    again = rerun_without_module(fw_playbook, topo, role_vars(topo), diff=True)
    assert again["diff"]["after"] == applied["diff"]["after"] == again["rendered"]

    live = ruleset(fw)
    check = fw_playbook(ROLE_PLAY, extra_vars=role_vars(topo, firewall_ingress_ports=["5354/udp"]),
                        netns=fw, check=True, diff=True)
    assert check.rc == 0, check
    result = check.results(APPLY)["localhost"]
    assert result["changed"] is True and "5354" in result["diff"]["after"] and "5354" not in result["diff"]["before"]
    assert ruleset(fw) == live  # check mode changed nothing

    # The confirmed change stays after its rollback bound (the watchdog was cancelled).
    assert not os.path.exists(str(topo["scratch"] / "state" / "mf_test.nftables.pending"))

    gone = fw_playbook(ROLE_PLAY, extra_vars=role_vars(topo, firewall_state="absent"), netns=fw)
    assert gone.rc == 0, gone
    assert "mf_test" not in ruleset(fw)
    assert ns_run(fw, "nft", "list", "table", "inet", "keepme").stdout == other_before
    check_traffic(topo, filtered=False)


def saved_rules(text):
    """The rule and chain lines of an iptables-save text (comments and counters left out)."""
    return sorted(line.rsplit(" [", 1)[0] for line in text.splitlines() if line and not line.startswith("#"))


@pytest.mark.parametrize("variant", ["nft", "legacy"])
def test_iptables_traffic_rerun_save_and_absent(topo, fw_playbook, variant):
    fw = topo["fw"]
    save = "iptables-%s-save" % variant
    ns_run(fw, "iptables-%s" % variant, "-N", "keepme")
    ns_run(fw, "iptables-%s" % variant, "-A", "keepme", "-p", "tcp", "--dport", "9", "-j", "ACCEPT")
    before_other = [l for l in ns_run(fw, save).stdout.splitlines() if "keepme" in l]
    vars_ = role_vars(topo, firewall_backend="iptables", firewall_iptables_variant=variant)
    rules_v4, rules_v6 = topo["scratch"] / "save" / "rules.v4", topo["scratch"] / "save" / "rules.v6"

    res = fw_playbook(ROLE_PLAY, extra_vars=vars_, netns=fw, diff=True)
    assert res.rc == 0, res
    applied = res.results(APPLY)["localhost"]
    assert applied["confirmed"] is True and applied["saved"] == [str(rules_v4), str(rules_v6)]
    saved = ns_run(fw, save).stdout
    assert "-A INPUT -j mf_test_in" in saved and "-A mf_test_out -d %s/32 -j mf_test_dst" % topo["cl_ip"] in saved
    check_traffic(topo)

    # The confirmed ruleset is saved with the variant's iptables-save (IPv4 and IPv6), mode 0640, as
    # netfilter-persistent would load it at boot: the role's chains and the host's other chains.
    v4, v6 = rules_v4.read_text(), rules_v6.read_text()
    assert stat.S_IMODE(rules_v4.stat().st_mode) == 0o640
    assert sorted(os.listdir(str(rules_v4.parent))) == ["rules.v4", "rules.v6"]  # the staged files were renamed
    assert saved_rules(v4) == saved_rules(saved)
    assert saved_rules(v6) == saved_rules(ns_run(fw, "ip6tables-%s-save" % variant).stdout)
    assert ":mf_test_in - [0:0]" in v4 and "-A OUTPUT -j mf_test_out" in v4 and "keepme" in v4
    assert "-A mf_test_in -p ipv6-icmp" in v6 and "# Generated" not in v4  # no timestamp: stable content
    restored = ns_run(fw, "iptables-%s-restore" % variant, "--test", input=v4)
    assert restored.returncode == 0, restored.stderr
    diffs = applied["diff"]
    assert [d.get("before_header") for d in diffs] == ["iptables chains", str(rules_v4), str(rules_v6)]
    assert diffs[1]["before"] == "" and diffs[1]["after"] == v4

    again = rerun_without_module(fw_playbook, topo, vars_)
    assert again["saved"] == [] and again["management_ports"] == applied["management_ports"]
    assert rules_v4.read_text() == v4

    # A save file that no longer matches the live ruleset is rewritten, without touching the chains.
    rules_v4.write_text("*filter\nCOMMIT\n")
    drift = fw_playbook(ROLE_PLAY, extra_vars=vars_, netns=fw, check=True, diff=True)
    assert drift.results(APPLY)["localhost"]["changed"] is True
    assert rules_v4.read_text() == "*filter\nCOMMIT\n"  # check mode wrote nothing
    fixed = fw_playbook(ROLE_PLAY, extra_vars=vars_, netns=fw)
    result = fixed.results(APPLY)["localhost"]
    assert result["changed"] is True and result["saved"] == [str(rules_v4)] and rules_v4.read_text() == v4
    assert ns_run(fw, save).stdout.count("mf_test") == saved.count("mf_test")

    gone = fw_playbook(ROLE_PLAY, extra_vars=dict(vars_, firewall_state="absent"), netns=fw)
    assert gone.rc == 0, gone
    after = ns_run(fw, save).stdout
    assert "mf_test" not in after
    assert [l for l in after.splitlines() if "keepme" in l] == before_other
    check_traffic(topo, filtered=False)
    # absent rewrites the save files without the role's chains, the host's other chains stay saved.
    assert "mf_test" not in rules_v4.read_text() and "mf_test" not in rules_v6.read_text()
    assert "-A keepme -p tcp -m tcp --dport 9 -j ACCEPT" in rules_v4.read_text()
    assert gone.results(APPLY)["localhost"]["saved"] == [str(rules_v4), str(rules_v6)]
    rerun_without_module(fw_playbook, topo, dict(vars_, firewall_state="absent"))


def test_iptables_check_mode_and_drift(topo, fw_playbook):
    """Check mode predicts the save file and writes nothing; a rule removed by hand is put back by the next run."""
    fw = topo["fw"]
    vars_ = role_vars(topo, firewall_backend="iptables", firewall_iptables_variant="nft", firewall_ipv6=False)
    rules_v4 = topo["scratch"] / "save" / "rules.v4"
    check = fw_playbook(ROLE_PLAY, extra_vars=vars_, netns=fw, check=True, diff=True)
    assert check.rc == 0, check
    predicted = check.results(APPLY)["localhost"]
    assert predicted["changed"] is True and predicted["saved"] == [str(rules_v4)]
    assert "mf_test" not in ns_run(fw, "iptables-nft-save").stdout and not rules_v4.exists()

    res = fw_playbook(ROLE_PLAY, extra_vars=vars_, netns=fw)
    assert res.rc == 0, res
    # The prediction has the same rules as what was saved after the real apply.
    assert saved_rules(predicted["diff"][1]["after"]) == saved_rules(rules_v4.read_text())
    saved = rules_v4.read_text()

    ns_run(fw, "iptables-nft", "-D", "mf_test_in", "-p", "udp", "-m", "multiport", "--dports", "5353", "-j", "ACCEPT")
    assert probe(topo["cl"], [("udp", topo["fw_ip"], 5353)])[("udp", topo["fw_ip"], 5353)] is False
    repaired = fw_playbook(ROLE_PLAY, extra_vars=vars_, netns=fw)
    assert repaired.rc == 0, repaired
    assert repaired.results(APPLY)["localhost"]["changed"] is True
    assert rules_v4.read_text() == saved
    check_traffic(topo)


def test_iptables_rolled_back_change_is_not_saved(topo, fw_playbook):
    fw = topo["fw"]
    vars_ = role_vars(topo, firewall_backend="iptables", firewall_iptables_variant="nft", firewall_ipv6=False)
    rules_v4 = topo["scratch"] / "save" / "rules.v4"
    res = fw_playbook(ROLE_PLAY, extra_vars=vars_, netns=fw)
    assert res.rc == 0, res
    saved, live = rules_v4.read_text(), ns_run(fw, "iptables-nft-save").stdout
    timeout = 3
    env = {"ANSIBLE_CONNECTION_PLUGINS": os.path.join(HERE, "connection_plugins")}
    lost = fw_playbook(ROLE_PLAY, extra_vars=dict(vars_, firewall_ingress_ports=["5354/udp"], firewall_rollback_timeout=timeout),
                       netns=fw, env=env, args=["-e", "ansible_connection=flaky_local"])
    assert lost.rc != 0
    assert "5354" in ns_run(fw, "iptables-nft-save").stdout and rules_v4.read_text() == saved  # not saved before confirm
    staged = [n for n in os.listdir(str(rules_v4.parent)) if n != "rules.v4"]
    assert len(staged) == 1 and staged[0].startswith(".rules.v4.macfleet-")  # staged for a confirmation that never came
    assert wait_until(lambda: "5354" not in ns_run(fw, "iptables-nft-save").stdout, timeout + 5)
    assert saved_rules(ns_run(fw, "iptables-nft-save").stdout) == saved_rules(live)
    assert rules_v4.read_text() == saved  # the rolled-back ruleset never reached the save file
    assert wait_until(lambda: os.listdir(str(rules_v4.parent)) == ["rules.v4"], 5)  # its staged copy was removed

    # A failed apply (iptables-restore rejects the input) leaves the save file alone too.
    bindir = topo["scratch"] / "bin"
    bindir.mkdir()
    wrapper = bindir / "iptables-restore"
    # Like iptables-restore, it reads all of its input before it fails (a wrapper that exits first makes the module's write
    # to its stdin fail with EPIPE, a different error, depending on timing).
    wrapper.write_text("#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = --test ] && exec iptables-nft-restore \"$@\"; done\n"
                       "cat >/dev/null\necho 'iptables-restore: line 3 failed' >&2\nexit 1\n")
    wrapper.chmod(0o755)
    failing = fw_playbook(ROLE_PLAY, extra_vars=dict(vars_, firewall_iptables_variant="auto", firewall_ingress_ports=["5355/udp"]),
                          netns=fw, env={"PATH": "%s:%s" % (bindir, os.environ["PATH"])})
    assert failing.rc != 0
    assert "line 3 failed" in failing.results(APPLY)["localhost"]["msg"]
    assert rules_v4.read_text() == saved


CONFIRM_PLAY = """
- name: Confirm a pending change with the module's own confirm option
  hosts: all
  gather_facts: false
  tasks:
    - name: Confirm
      macfleet.apple_network.firewall_rules:
        backend: iptables
        name: mf_test
        ipv6: false
        iptables_variant: nft
        state_dir: "{{ state_dir }}"
        iptables_save_path: "{{ save_path }}"
        confirm: "{{ token }}"
"""


def test_iptables_confirm_option_saves_and_removes_the_staged_file(topo, fw_playbook):
    """The module's confirm option (not used by the action plugin) also ends with the confirmed ruleset saved."""
    fw = topo["fw"]
    vars_ = role_vars(topo, firewall_backend="iptables", firewall_iptables_variant="nft", firewall_ipv6=False,
                      firewall_rollback_timeout=60)
    rules_v4 = topo["scratch"] / "save" / "rules.v4"
    env = {"ANSIBLE_CONNECTION_PLUGINS": os.path.join(HERE, "connection_plugins")}
    lost = fw_playbook(ROLE_PLAY, extra_vars=vars_, netns=fw, env=env, args=["-e", "ansible_connection=flaky_local"])
    assert lost.rc != 0
    pending = lost.results(APPLY)["localhost"]["rollback"]
    assert [item["path"] for item in pending["saves"]] == [str(rules_v4)] and not rules_v4.exists()
    done = fw_playbook(CONFIRM_PLAY, netns=fw, extra_vars={"state_dir": vars_["firewall_state_dir"], "token": pending["token"],
                                                           "save_path": str(rules_v4)})
    assert done.rc == 0, done
    result = done.results("Confirm")["localhost"]
    assert result["confirmed"] is True and result["saved"] == [str(rules_v4)]
    assert os.listdir(str(rules_v4.parent)) == ["rules.v4"] and "-A INPUT -j mf_test_in" in rules_v4.read_text()
    assert wait_until(lambda: not os.path.exists("/proc/%d" % pending["pid"]), 5)  # the watchdog was stopped
    check_traffic(topo)


NFT_WRAPPER = """#!/bin/sh
# Forces an invalid rule into every ruleset file this nft is given (apply only, or check and apply).
mode=%s
prev=""
for arg in "$@"; do
  if [ "$prev" = "-f" ] && [ "$arg" != "-" ]; then
    if [ "$mode" = both ] || [ "$1" != "-c" ]; then
      printf 'add rule inet mf_test input tcp dport 99999 accept\\n' >> "$arg"
    fi
  fi
  prev=$arg
done
exec %s "$@"
"""


@pytest.mark.parametrize("mode", ["both", "apply-only"])
def test_forced_invalid_rule_leaves_ruleset_byte_identical(topo, fw_playbook, mode):
    fw = topo["fw"]
    res = fw_playbook(ROLE_PLAY, extra_vars=role_vars(topo), netns=fw)
    assert res.rc == 0, res
    before = ruleset(fw)
    bindir = topo["scratch"] / "bin"
    bindir.mkdir()
    wrapper = bindir / "nft"
    wrapper.write_text(NFT_WRAPPER % (mode, "/usr/sbin/nft"))
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    env = {"PATH": "%s:%s" % (bindir, os.environ["PATH"])}
    bad = fw_playbook(ROLE_PLAY, extra_vars=role_vars(topo, firewall_ingress_ports=["5354/udp"]), netns=fw, env=env)
    assert bad.rc != 0
    failed = bad.results(APPLY)["localhost"]
    assert "99999" in failed["msg"] or "Error" in failed["msg"], failed
    if mode == "both":
        assert failed["commands"][-1].endswith("nft -c -f %s" % (topo["scratch"] / "state" / "mf_test.nftables.candidate"))
    assert ruleset(fw) == before
    check_traffic(topo)


def test_lost_controller_connection_rolls_back_within_bound(topo, fw_playbook):
    fw = topo["fw"]
    res = fw_playbook(ROLE_PLAY, extra_vars=role_vars(topo), netns=fw)
    assert res.rc == 0, res
    before = ruleset(fw)
    timeout = 3
    env = {"ANSIBLE_CONNECTION_PLUGINS": os.path.join(HERE, "connection_plugins")}
    started = time.monotonic()
    lost_vars = role_vars(topo, firewall_ingress_ports=["5354/udp"], firewall_rollback_timeout=timeout)
    lost = fw_playbook(ROLE_PLAY, extra_vars=lost_vars, netns=fw, env=env, args=["-e", "ansible_connection=flaky_local"])
    assert lost.rc != 0
    failed = lost.results(APPLY)["localhost"]
    assert failed.get("confirmed") is False and "restores the previous ruleset" in failed.get("msg", ""), failed
    assert "5354" in ruleset(fw)  # the new ruleset is live until the bound
    assert wait_until(lambda: ruleset(fw) == before, timeout + 5)
    elapsed = time.monotonic() - started
    assert elapsed < timeout + 5 + 30  # the bound plus the playbook run itself
    check_traffic(topo)


@pytest.mark.parametrize("override, message", [
    ({"firewall_ingress_ports": [70000]}, "70000"),
    ({"firewall_ingress_ports": ["no-such-service/tcp"]}, "no-such-service"),
    ({"firewall_destinations": ["not-an-address"]}, "not-an-address"),
    ({"firewall_name": "my set"}, "my set"),
    ({"firewall_management_ports": ["22; flush ruleset"]}, "flush ruleset"),
])
def test_bad_input_fails_before_anything_is_applied(netns, fw_playbook, scratch, override, message):
    fw = netns.add("bad")
    ns_run(fw, "nft", "add table inet keepme")
    before = ruleset(fw)
    topo = {"cl_ip": "10.99.0.2", "scratch": scratch}
    res = fw_playbook(ROLE_PLAY, extra_vars=role_vars(topo, **override), netns=fw)
    assert res.rc != 0
    assert message in json.dumps(res.data), res
    assert ruleset(fw) == before
    assert not os.path.exists(str(scratch / "state"))
