# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""firewall_rules: the rollback's own files can be trusted (state directory, marker, here-documents).

The module runs as a program, as Ansible runs it, against the pfctl and launchctl stand-ins in a scratch directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall import rollback

STAND_INS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "stand-ins", "macos")
PF_CONF = 'anchor "com.apple/*"\nload anchor "com.apple" from "/etc/pf.anchors/com.apple"\n'


def scratch_mac(tmp_path):
    for name in ("state", "anchors", "LaunchDaemons", "pfctl", "launchctl"):
        (tmp_path / name).mkdir()
    os.chmod(str(tmp_path / "state"), 0o700)
    (tmp_path / "pf.conf").write_text(PF_CONF)
    return {"name": "mf", "backend": "pf", "directions": ["ingress"], "nameservers": ["10.0.0.53"],
            "rules": [{"direction": "ingress", "protocol": "tcp", "ports": [5901]}], "rollback_timeout": 30,
            "state_dir": str(tmp_path / "state"), "pf_conf": str(tmp_path / "pf.conf"),
            "pf_anchors_dir": str(tmp_path / "anchors"), "launchdaemons_dir": str(tmp_path / "LaunchDaemons"),
            "pfctl_path": os.path.abspath(os.path.join(STAND_INS, "pfctl")),
            "launchctl_path": os.path.abspath(os.path.join(STAND_INS, "launchctl"))}


def run_module(tmp_path, args):
    (tmp_path / "args.json").write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    # This interpreter's own library stays out: the stand-ins may run under another Python.
    path = [entry for entry in sys.path if entry and (not entry.startswith(sys.base_prefix) or "-packages" in entry)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path), PFCTL_STANDIN_STATE=str(tmp_path / "pfctl"),
               LAUNCHCTL_STANDIN_STATE=str(tmp_path / "launchctl"))
    done = subprocess.run([sys.executable, "-m", "ansible_collections.macfleet.apple_network.plugins.modules.firewall_rules",
                           str(tmp_path / "args.json")], capture_output=True, text=True, env=env, timeout=120, check=False)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result.get("rollback", {}).get("pid"):  # a watchdog was started: stop it (and its sleep) by its process group
        os.killpg(result["rollback"]["pid"], 15)
    return result


def nothing_applied(tmp_path):
    return ((tmp_path / "pf.conf").read_text() == PF_CONF and not os.listdir(str(tmp_path / "anchors"))
            and not os.listdir(str(tmp_path / "LaunchDaemons")) and not (tmp_path / "pfctl" / "calls.log").exists())


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o720, 0o702], ids=lambda mode: "%04o" % mode)
def test_group_or_world_writable_state_dir_is_refused_before_anything_is_applied(tmp_path, mode):
    args = scratch_mac(tmp_path)
    os.chmod(args["state_dir"], mode)
    result = run_module(tmp_path, args)
    assert result["failed"] is True
    assert result["msg"] == ("state_dir %s is writable by its group or by others (mode %04o); make it 0700 (chmod go-w); "
                             "nothing was changed" % (args["state_dir"], mode))
    assert nothing_applied(tmp_path)


def test_state_dir_of_another_user_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(rollback.os, "geteuid", lambda: os.stat(str(tmp_path)).st_uid + 1)
    with pytest.raises(rollback.StateDirError, match=r"state_dir .* belongs to uid \d+, not to the user running the "
                                                     r"module \(uid \d+\); nothing was changed"):
        rollback.check_state_dir(str(tmp_path), "mf", "pf")


@pytest.mark.parametrize("which", ["pending", "rollback"])
def test_symlinked_state_file_is_refused_before_anything_is_applied(tmp_path, which):
    args = scratch_mac(tmp_path)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    link = tmp_path / "state" / ("mf.pf.%s" % which)
    os.symlink(str(victim), str(link))
    result = run_module(tmp_path, args)
    assert result["failed"] is True
    assert result["msg"] == "%s is a symlink, not a plain file; refusing to use it; nothing was changed" % link
    assert victim.read_text() == "precious\n" and os.path.islink(str(link))
    assert nothing_applied(tmp_path)


def test_arm_does_not_follow_a_symlink_planted_as_the_marker(tmp_path):
    # Between the module's check and the watchdog's arming: the marker is created with O_EXCL and O_NOFOLLOW.
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    os.symlink(str(victim), str(tmp_path / "mf.pf.pending"))
    started = []
    with pytest.raises(OSError):
        rollback.arm(lambda *a, **k: started.append(a) or (0, "1\n", ""), str(tmp_path), "mf", "pf", "tok", 30,
                     ["/bin/sh"], str(tmp_path / "mf.pf.rollback"))
    assert victim.read_text() == "precious\n" and not started
    # A symlink is not read as a marker either: confirming finds nothing pending.
    assert rollback.confirm(str(tmp_path), "mf", "pf", "precious")[0] is False


def test_first_install_arms_a_rollback_in_a_fresh_state_dir(tmp_path):
    args = scratch_mac(tmp_path)
    os.rmdir(args["state_dir"])
    result = run_module(tmp_path, args)
    assert result.get("changed") is True and result["rollback"]["pid"] > 0, result
    assert oct(os.stat(args["state_dir"]).st_mode & 0o777) == oct(0o700)
    marker = result["rollback"]["marker"]
    assert not os.path.islink(marker) and oct(os.stat(marker).st_mode & 0o777) == oct(0o600)


@pytest.mark.parametrize("content", [
    "-A mf_in -j ACCEPT\nMACFLEET_EOF\nrm -rf /tmp/x\n",   # the end marker the iptables watchdog used to use
    "MACFLEET_EOF_\nno newline at the end",
    "",
])
def test_heredoc_carries_any_content_and_its_marker_is_random(content):
    script = rollback.heredoc("cat", content)
    done = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout == (content if content.endswith("\n") else content + "\n")
    assert rollback.heredoc("cat", content).splitlines()[0] != script.splitlines()[0]


def test_heredoc_marker_never_occurs_in_the_content(monkeypatch):
    tokens = iter(["a" * 32, "b" * 32])

    class PredictableUUID:
        def __init__(self):
            self.hex = next(tokens)

    monkeypatch.setattr(rollback.uuid, "uuid4", PredictableUUID)
    script = rollback.heredoc("cat", "MACFLEET_EOF_%s\n" % ("a" * 32))
    assert script.splitlines()[0] == "cat <<'MACFLEET_EOF_%s'" % ("b" * 32)
