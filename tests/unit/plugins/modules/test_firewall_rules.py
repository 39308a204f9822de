# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""firewall_rules: the rollback snapshot is the ruleset from *before* the change, for every backend.

The backends run against a fake module whose commands answer with a "before" ruleset until the change is
applied and an "after" ruleset from then on; the watchdog (``rollback.arm``) is replaced by a recorder. Where
``unshare --net`` and the tools exist, the snapshot is also fed to the real ``nft`` / ``iptables-restore`` in a
private network namespace (created for the one command, gone when it exits) and must give back the "before" ruleset.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import shutil
import subprocess

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import rollback
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import validation
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import iptables as ipt
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import nftables as nft
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import pf
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends.iptables import IptablesBackend
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends.nftables import NftablesBackend
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends.pf import PfBackend
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.runner import Runner
from ansible_collections.macfleet.apple_network.tests.unit.plugins.module_utils._host.firewall.firewall_params import module_params, with_defaults

OLD_RULES = [{"direction": "ingress", "protocol": "tcp", "ports": [5900]}]
NEW_RULES = [{"direction": "ingress", "protocol": "tcp", "ports": [5901]}]
SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin"])


class Failed(Exception):
    pass


class FakeModule:
    """What the backends use of AnsibleModule; ``responder(argv, data)`` answers each command."""

    def __init__(self, params, responder):
        self.params = params
        self.check_mode = False
        self._diff = True
        self.responder = responder
        self.calls = []
        self.warnings = []

    def run_command(self, argv, data=None, binary_data=False):
        self.calls.append((list(argv), data))
        return self.responder(list(argv), data)

    def get_bin_path(self, name, required=False):
        return "/sbin/" + name

    def fail_json(self, **kwargs):
        raise Failed(kwargs)

    def warn(self, message):
        self.warnings.append(message)

    def selinux_enabled(self):
        return False


def params(tmp_path, **kwargs):
    return with_defaults(module_params, name="mf", directions=["ingress"], rules=NEW_RULES, nameservers=["10.0.0.53"],
                         rollback_timeout=30, state_dir=str(tmp_path / "state"))(**kwargs)


@pytest.fixture
def armed(monkeypatch):
    """Records what the watchdog would restore instead of starting it."""
    record = []
    signature = inspect.signature(rollback.arm)

    def arm(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        call = bound.arguments
        with open(call["restore_input"]) as handle:
            record.append({"backend": call["backend"], "argv": call["restore_argv"], "input": handle.read(),
                           "discard": list(call["discard"])})
        return 4242

    monkeypatch.setattr(rollback, "arm", arm)
    return record


def sandbox_shell(script, tools):
    """Run a shell script in a private network namespace; skip where that or a tool is not available."""
    for tool in tools:
        if shutil.which(tool, path=SBIN_PATH) is None:
            pytest.skip("%s is not installed" % tool)
    unshare = shutil.which("unshare", path=SBIN_PATH)
    prefix = [unshare, "--net"] if os.geteuid() == 0 else [unshare, "--user", "--map-root-user", "--net"]
    if unshare is None or subprocess.run(prefix + ["true"], capture_output=True, check=False).returncode != 0:
        pytest.skip("no private network namespace (unshare --net)")
    env = dict(os.environ, PATH=SBIN_PATH)
    return subprocess.run(prefix + ["/bin/sh", "-ec", script], capture_output=True, text=True, check=False, env=env,
                          timeout=60)


# -- nftables -----------------------------------------------------------------------------------

def old_spec(tmp_path):
    return validation.validate(params(tmp_path, rules=OLD_RULES), None)[0]


def test_nftables_snapshot_is_the_table_before_the_change(tmp_path, armed):
    before = nft.render(old_spec(tmp_path))
    state = {"applied": False}

    def responder(argv, data):
        if argv[1:3] == ["list", "table"]:
            return 0, ("AFTER\n" if state["applied"] else before), ""
        if argv[1:3] == ["-f", str(tmp_path / "state" / "mf.nftables.candidate")]:
            state["applied"] = True
        return 0, "", ""

    prm = params(tmp_path)
    module = FakeModule(prm, responder)
    result = NftablesBackend(module, Runner(module), validation.validate(prm, None)[0]).run()
    assert result["changed"] and result["rollback"]["pid"] == 4242
    assert armed == [{"backend": "nftables", "argv": ["/sbin/nft", "-f", "-"], "discard": [],
                      "input": "add table inet mf\ndelete table inet mf\n" + before}]
    assert "5900" in armed[0]["input"] and "AFTER" not in armed[0]["input"]


def test_nftables_snapshot_without_a_table_removes_it(tmp_path, armed):
    def responder(argv, data):
        if argv[1:3] == ["list", "table"]:
            return (0, "AFTER\n", "") if any(c[0][1] == "-f" for c in module.calls[:-1]) else (1, "", "No such file")
        return 0, "", ""

    prm = params(tmp_path)
    module = FakeModule(prm, responder)
    NftablesBackend(module, Runner(module), validation.validate(prm, None)[0]).run()
    assert armed[0]["input"] == "add table inet mf\ndelete table inet mf\n"


def test_nftables_snapshot_restores_the_listing_in_a_namespace(tmp_path):
    """The real nft: apply the old table, list it, apply the new one, feed the snapshot: the old listing is back."""
    (tmp_path / "old.nft").write_text(nft.replace_script(old_spec(tmp_path)))
    (tmp_path / "new.nft").write_text(nft.replace_script(validation.validate(params(tmp_path), None)[0]))
    script = ("nft -f {d}/old.nft; nft list table inet mf > {d}/before; nft -f {d}/new.nft\n"
              "nft list table inet mf > {d}/changed\n"
              "{{ printf 'add table inet mf\\ndelete table inet mf\\n'; cat {d}/before; }} | nft -f -\n"
              "nft list table inet mf > {d}/restored\n").format(d=tmp_path)
    done = sandbox_shell(script, ["nft"])
    assert done.returncode == 0, done.stderr
    before = (tmp_path / "before").read_text()
    assert (tmp_path / "changed").read_text() != before and "5901" in (tmp_path / "changed").read_text()
    assert (tmp_path / "restored").read_text() == before
    # The module's restore script is exactly what was fed.
    assert nft.restore_script("mf", before) == "add table inet mf\ndelete table inet mf\n" + before


# -- iptables -----------------------------------------------------------------------------------

def test_iptables_snapshot_is_the_chains_before_the_change(tmp_path, armed):
    old = old_spec(tmp_path)
    chains, jumps = ipt.chain_rules(old, 4), sorted(ipt.jump_rules(old).values())
    before_save = ipt.predict_save("", "mf", chains, jumps)
    state = {"live": before_save}

    def responder(argv, data):
        if argv[0].endswith("-save"):
            return 0, state["live"], ""
        if argv[0].endswith("-restore") and "--test" not in argv:
            state["live"] = "*filter\n:INPUT ACCEPT [0:0]\n-A mf_in -p tcp -m multiport --dports 5901 -j ACCEPT\nCOMMIT\n"
        return 0, "", ""

    prm = params(tmp_path, backend="iptables", ipv6=False, iptables_variant="nft", iptables_save_path="")
    module = FakeModule(prm, responder)
    new = validation.validate(prm, None)[0]
    result = IptablesBackend(module, Runner(module), new).run()
    assert result["changed"] and result["rollback"]["pid"] == 4242
    record = armed[0]
    assert record["backend"] == "iptables" and record["argv"] == ["/bin/sh"]
    heredoc = re.match(r"^(\S+) --noflush <<'MACFLEET_EOF_([0-9a-f]{32})'\n(.*)MACFLEET_EOF_\2\n$", record["input"], re.S)
    assert heredoc and heredoc.group(1) == "/sbin/iptables-nft-restore"
    new_chains, new_jumps = ipt.chain_rules(new, 4), sorted(ipt.jump_rules(new).values())
    assert heredoc.group(3) == ipt.restore_input("mf", chains, jumps, new_chains, new_jumps)
    assert "--dports 5900" in heredoc.group(3) and "--dports 5901" not in heredoc.group(3)


def iptables_round_trip(tmp_path, variant, old, new):
    """Apply ``old``'s chains, change to ``new``'s, feed the snapshot back, with the real iptables-restore of
    ``variant`` in a private network namespace. Returns ``rules(name)``: the saved lines of "before", "changed" and
    "restored"."""
    chains, jumps = ipt.chain_rules(old, 4), sorted(ipt.jump_rules(old).values())
    new_chains, new_jumps = ipt.chain_rules(new, 4), sorted(ipt.jump_rules(new).values())
    (tmp_path / "old").write_text(ipt.restore_input("mf", chains, jumps, {}, []))
    (tmp_path / "forward").write_text(ipt.restore_input("mf", new_chains, new_jumps, chains, jumps))
    (tmp_path / "backward").write_text(ipt.restore_input("mf", chains, jumps, new_chains, new_jumps))
    script = ("R=iptables-{v}-restore S=iptables-{v}-save\n"
              "$R --noflush < {d}/old; $S -t filter > {d}/before\n"
              "$R --noflush < {d}/forward; $S -t filter > {d}/changed\n"
              "$R --noflush < {d}/backward; $S -t filter > {d}/restored\n").format(v=variant, d=tmp_path)
    done = sandbox_shell(script, ["iptables-%s-restore" % variant])
    assert done.returncode == 0, done.stderr

    def rules(name):
        return ipt.normalize_save((tmp_path / name).read_text()).splitlines()

    return rules


@pytest.mark.parametrize("variant", ["nft", "legacy"])
def test_iptables_snapshot_restores_the_chains_in_a_namespace(tmp_path, variant):
    rules = iptables_round_trip(tmp_path, variant, old_spec(tmp_path), validation.validate(params(tmp_path), None)[0])
    assert rules("changed") != rules("before") and "-A mf_in -p tcp -m multiport --dports 5901 -j ACCEPT" in rules("changed")
    assert rules("restored") == rules("before")
    assert "-A mf_in -p tcp -m multiport --dports 5900 -j ACCEPT" in rules("restored")


# -- pf -----------------------------------------------------------------------------------------

STAND_INS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "stand-ins", "macos")
STOCK_PF_CONF = 'anchor "com.apple/*"\nload anchor "com.apple" from "/etc/pf.anchors/com.apple"\n'


def run_for_real(env):
    """A responder running each command for real (the pfctl and launchctl stand-ins) with ``env``."""
    def responder(argv, data):
        done = subprocess.run(argv, input=data, capture_output=True, text=True, env=env, check=False, timeout=60)
        return done.returncode, done.stdout, done.stderr

    return responder


def pf_host(tmp_path):
    """A scratch Mac: pf.conf, anchors and LaunchDaemons directories, the pfctl and launchctl stand-ins' state."""
    for name in ("anchors", "LaunchDaemons", "pfctl", "launchctl"):
        (tmp_path / name).mkdir()
    (tmp_path / "pf.conf").write_text(STOCK_PF_CONF)
    env = dict(os.environ, PFCTL_STANDIN_STATE=str(tmp_path / "pfctl"), LAUNCHCTL_STANDIN_STATE=str(tmp_path / "launchctl"))
    prm = params(tmp_path, backend="pf", pf_conf=str(tmp_path / "pf.conf"), pf_anchors_dir=str(tmp_path / "anchors"),
                 launchdaemons_dir=str(tmp_path / "LaunchDaemons"),
                 pfctl_path=os.path.abspath(os.path.join(STAND_INS, "pfctl")),
                 launchctl_path=os.path.abspath(os.path.join(STAND_INS, "launchctl")))
    return prm, env


def pf_snapshot(tmp_path):
    """The files and the stand-ins' pf and launchd state, to compare before a change and after its rollback."""
    def read(path):
        return path.read_bytes() if path.exists() else None

    return {"pf.conf": read(tmp_path / "pf.conf"), "anchors": sorted(os.listdir(str(tmp_path / "anchors"))),
            "anchor": read(tmp_path / "anchors" / "mf"), "daemons": sorted(os.listdir(str(tmp_path / "LaunchDaemons"))),
            "plist": read(tmp_path / "LaunchDaemons" / "com.macfleet.firewall.mf.plist"),
            "pf anchor": read(tmp_path / "pfctl" / "anchors" / "mf"),
            "loaded": sorted(os.listdir(str(tmp_path / "launchctl" / "loaded")))
            if (tmp_path / "launchctl" / "loaded").exists() else []}


def test_pf_first_install_is_rolled_back_to_nothing(tmp_path, armed):
    prm, env = pf_host(tmp_path)
    before = pf_snapshot(tmp_path)
    module = FakeModule(prm, run_for_real(env))
    result = PfBackend(module, Runner(module), validation.validate(prm, None)[0]).run()
    assert result["changed"] and result["rollback"]["pid"] == 4242
    installed = pf_snapshot(tmp_path)
    assert installed["anchor"] and installed["plist"] and installed["pf anchor"] and installed["loaded"]
    assert b'anchor "mf"' in installed["pf.conf"]
    # What the watchdog would run, run for real against the stand-ins: everything is as it was.
    (record,) = armed
    assert record["backend"] == "pf" and record["argv"] == ["/bin/sh"]
    done = subprocess.run(["/bin/sh"], input=record["input"], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert pf_snapshot(tmp_path) == before
    assert ["-a", "mf", "-F", "all"] in [json.loads(line) for line in (tmp_path / "pfctl" / "calls.log").read_text().splitlines()]


def test_pf_change_is_rolled_back_to_the_previous_anchor(tmp_path, armed):
    prm, env = pf_host(tmp_path)
    module = FakeModule(dict(prm, rules=OLD_RULES), run_for_real(env))
    PfBackend(module, Runner(module), old_spec(tmp_path)).run()
    before = pf_snapshot(tmp_path)
    assert b"5900" in before["anchor"] and before["pf anchor"] == before["anchor"]
    del armed[:]
    module = FakeModule(prm, run_for_real(env))
    new = validation.validate(prm, None)[0]
    result = PfBackend(module, Runner(module), new).run()
    assert result["changed"] and pf_snapshot(tmp_path)["anchor"] == pf.render_anchor(new).encode()
    (record,) = armed
    # Only the anchor changed: the rollback neither rewrites pf.conf nor touches launchd.
    assert str(tmp_path / "pf.conf") not in record["input"] and "launchctl" not in record["input"]
    done = subprocess.run(["/bin/sh"], input=record["input"], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert pf_snapshot(tmp_path) == before
