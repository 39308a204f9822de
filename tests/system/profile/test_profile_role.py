# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The macos_proxy_profile role's delivery modes against stand-in `profiles` and `sw_vers` (tests/stand-ins/macos)."""

from __future__ import annotations

import hashlib
import json
import os
import plistlib
import shutil
import subprocess
from pathlib import Path

import pytest

from profile_play import COLLECTIONS_PATH, run_tasks

STAND_INS = Path(__file__).resolve().parents[2] / "stand-ins" / "macos"
COLLECTION = Path(__file__).resolve().parents[3]
MACOS = {
    "10.15": {"product_name": "Mac OS X", "product_version": "10.15.7", "build_version": "19H2"},
    "14": {"product_name": "macOS", "product_version": "14.4.1", "build_version": "23E224"},
}
IDENT = "com.example.macfleet.proxy"


class Mac:
    """A directory with stand-in executables and their shared state (the 'Mac')."""

    def __init__(self, base, version):
        self.bin = base / "bin"
        self.bin.mkdir()
        for name in ("profiles", "sw_vers"):
            shutil.copy2(STAND_INS / name, self.bin / name)
        self.state_file = self.bin / "state.json"
        self.state_file.write_text(json.dumps(dict(MACOS[version], installed={})))

    @property
    def state(self):
        return json.loads(self.state_file.read_text())

    def calls(self):
        log = self.bin / "calls.log"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def approve(self, path):
        """The user opens the staged profile and clicks Install in System Settings."""
        subprocess.run([str(self.bin / "profiles"), "_approve", "-path", str(path)], check=True)


def _role(base, mac, **extra):
    role_vars = {
        "macos_proxy_profile_web_proxy": {"host": "proxy.example.com", "port": 3128},
        "macos_proxy_profile_secure_web_proxy": {"host": "proxy.example.com", "port": 3128},
        "macos_proxy_profile_bypass_domains": ["*.example.org"],
        "macos_proxy_profile_output_dir": str(base / "controller"),
        "macos_proxy_profile_stage_dir": str(base / "stage"),
        "macos_proxy_profile_profiles_path": str(mac.bin / "profiles"),
        "macos_proxy_profile_sw_vers_path": str(mac.bin / "sw_vers"),
    }
    role_vars.update(extra)
    tasks = [{"name": "Run the role", "ansible.builtin.include_role": {"name": "macfleet.apple_network.macos_proxy_profile"}},
             {"name": "Keep the outcome", "ansible.builtin.set_fact": {"r": "{{ macos_proxy_profile_result }}"}}]
    return run_tasks(base, tasks, play_vars=role_vars, registers=("r",))


@pytest.fixture
def mac_10_15(tmp_path):
    return Mac(tmp_path, "10.15")


@pytest.fixture
def mac_14(tmp_path):
    return Mac(tmp_path, "14")


def _role_changes(run):
    """Changed tasks of the role (the harness's own "Save the result" task always reports changed)."""
    return run.stdout.count("changed: [localhost]") - 1


def _rendered(base):
    return base / "controller" / "localhost" / ("%s.mobileconfig" % IDENT)


def test_profiles_cli_on_10_15_installs_verifies_is_idempotent_and_removes(tmp_path, mac_10_15):
    run = _role(tmp_path, mac_10_15, macos_proxy_profile_delivery="profiles_cli")
    assert run.rc == 0 and not run.result["_failed_task"], run
    r = run.result["r"]
    assert r["installed"] is True and r["matches"] is True and r["differences"] == [], r
    assert r["macos_version"] == "10.15.7"
    installs = [c for c in mac_10_15.calls() if c[:2] == ["profiles", "install"]]
    assert installs == [["profiles", "install", "-type", "configuration", "-path", str(tmp_path / "stage" / ("%s.mobileconfig" % IDENT))]]
    installed = mac_10_15.state["installed"]["_computerlevel"][0]
    proxies = installed["ProfileItems"][0]["PayloadContent"]["Proxies"]
    assert "swscan.apple.com" in proxies["ExceptionsList"], "catalog hosts are in the bypass list"
    assert {"*.example.org", "example.org"} <= set(proxies["ExceptionsList"])
    assert "installed with the profiles tool on macOS 10.15.7: matches" in run.stdout

    again = _role(tmp_path, mac_10_15, macos_proxy_profile_delivery="profiles_cli")
    assert again.rc == 0, again
    assert len([c for c in mac_10_15.calls() if c[:2] == ["profiles", "install"]]) == 1, "no second install"
    assert _role_changes(again) == 0, again

    # Something else installed under the same identifier: verification lists the difference, install fixes it.
    state = mac_10_15.state
    state["installed"]["_computerlevel"][0]["ProfileItems"][0]["PayloadContent"]["Proxies"]["HTTPPort"] = 8080
    mac_10_15.state_file.write_text(json.dumps(state))
    fixed = _role(tmp_path, mac_10_15, macos_proxy_profile_delivery="profiles_cli")
    assert fixed.rc == 0 and fixed.result["r"]["matches"] is True, fixed
    assert len([c for c in mac_10_15.calls() if c[:2] == ["profiles", "install"]]) == 2

    gone = _role(tmp_path, mac_10_15, macos_proxy_profile_delivery="profiles_cli", macos_proxy_profile_state="absent")
    assert gone.rc == 0, gone
    assert ["profiles", "remove", "-identifier", IDENT] in mac_10_15.calls()
    assert gone.result["r"]["installed"] is False
    assert mac_10_15.state["installed"]["_computerlevel"] == []
    assert not _rendered(tmp_path).exists() and not (tmp_path / "stage" / ("%s.mobileconfig" % IDENT)).exists()


def test_profiles_cli_on_14_is_refused_with_a_reason_and_nothing_written(tmp_path, mac_14):
    run = _role(tmp_path, mac_14, macos_proxy_profile_delivery="profiles_cli")
    assert run.result["_failed_task"] is True, run
    assert "cannot work on macOS 14.4.1" in run.stdout
    assert "no longer supports installs" in run.stdout
    assert "mdm_export" in run.stdout and "user_approval" in run.stdout and "networksetup" in run.stdout
    assert not (tmp_path / "controller").exists() and not (tmp_path / "stage").exists()
    assert [c for c in mac_14.calls() if c[0] == "profiles"] == []

    # The stand-in reproduces what the real tool prints when asked anyway.
    proc = subprocess.run([str(mac_14.bin / "profiles"), "install", "-type", "configuration", "-path", "/nonexistent"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1 and proc.stdout.startswith("profiles tool no longer supports installs.")


def test_user_approval_on_14_is_pending_until_the_user_installs_it(tmp_path, mac_14):
    run = _role(tmp_path, mac_14, macos_proxy_profile_delivery="user_approval")
    assert run.rc == 0, run
    r = run.result["r"]
    assert r["pending_user_approval"] is True and r["installed"] is False and r["matches"] is False
    staged = tmp_path / "stage" / ("%s.mobileconfig" % IDENT)
    assert staged.read_bytes() == _rendered(tmp_path).read_bytes()
    assert "PENDING user approval" in run.stdout
    assert not [c for c in mac_14.calls() if c[:2] == ["profiles", "install"]]

    mac_14.approve(staged)
    after = _role(tmp_path, mac_14, macos_proxy_profile_delivery="user_approval")
    assert after.rc == 0 and after.result["r"]["pending_user_approval"] is False and after.result["r"]["matches"] is True, after
    assert _role_changes(after) == 0, after

    # One bypass host changed: the installed profile no longer matches and the difference is named.
    changed = _role(tmp_path, mac_14, macos_proxy_profile_delivery="user_approval",
                    macos_proxy_profile_bypass_domains=["*.example.net"])
    r = changed.result["r"]
    assert r["pending_user_approval"] is True and r["matches"] is False
    assert any("ExceptionsList" in d for d in r["differences"]), r["differences"]


def test_mdm_export_signed_on_14_writes_controller_and_host_copies(tmp_path, mac_14):
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA(key_type=trustme.KeyType.RSA)
    leaf = ca.issue_cert("mdm.example.com", key_type=trustme.KeyType.RSA)
    leaf.cert_chain_pems[0].write_to_path(str(tmp_path / "signer.pem"))
    leaf.private_key_pem.write_to_path(str(tmp_path / "signer.key"))
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    run = _role(tmp_path, mac_14, macos_proxy_profile_delivery="mdm_export", macos_proxy_profile_verify_installed=True,
                macos_proxy_profile_export_dir=str(tmp_path / "export"),
                macos_proxy_profile_firewall={"enable_firewall": True, "enable_stealth_mode": True},
                macos_proxy_profile_signing={"certificate": str(tmp_path / "signer.pem"), "private_key": str(tmp_path / "signer.key")})
    assert run.rc == 0, run
    r = run.result["r"]
    assert r["installed"] is False and r["pending_user_approval"] is False
    data = _rendered(tmp_path).read_bytes()
    assert data[:1] == b"\x30" and (tmp_path / "export" / ("%s.mobileconfig" % IDENT)).read_bytes() == data
    proc = subprocess.run(["openssl", "smime", "-verify", "-binary", "-inform", "der", "-purpose", "any", "-CAfile",
                           str(tmp_path / "ca.pem"), "-in", str(_rendered(tmp_path))], capture_output=True, check=False)
    assert proc.returncode == 0, proc.stderr
    types = [p["PayloadType"] for p in plistlib.loads(proc.stdout)["PayloadContent"]]
    assert types == ["com.apple.SystemConfiguration", "com.apple.security.firewall"]
    assert ["profiles", "show", "-output", "stdout-xml"] in mac_14.calls()
    assert "exported to" in run.stdout


def test_profile_with_a_password_leaves_no_trace_of_it_in_the_log(tmp_path, mac_14, monkeypatch):
    # With --diff (run_tasks) and -v: a copy task shows the file in its diff and its SHA-1 and MD5 in its result.
    monkeypatch.setenv("ANSIBLE_VERBOSITY", "1")
    secret = "Sup3r-Secret-Proxy-Pw"
    run = _role(tmp_path, mac_14, macos_proxy_profile_delivery="mdm_export",
                macos_proxy_profile_export_dir=str(tmp_path / "export"),
                macos_proxy_profile_global_proxy={"host": "proxy.example.com", "port": 8080, "username": "svc",
                                                  "password": secret})
    assert run.rc == 0, run
    data = (tmp_path / "export" / ("%s.mobileconfig" % IDENT)).read_bytes()
    assert secret.encode() in data and data == _rendered(tmp_path).read_bytes()
    log = run.stdout + run.stderr
    assert secret not in log
    for digest in (hashlib.sha1(data), hashlib.md5(data), hashlib.sha256(data)):  # nosec - digests to look for
        assert digest.hexdigest() not in log, digest.name


def test_networksetup_delivery_and_removal(tmp_path, mac_14):
    """Without a profile: the same bypass list and proxies through macos_proxy, idempotent, and undone by absent."""
    networksetup = mac_14.bin / "networksetup"
    shutil.copy2(STAND_INS / "networksetup", networksetup)
    state_file = mac_14.bin / "networksetup.state.json"
    state_file.write_text(json.dumps({"services": [
        {"name": "Wi-Fi", "bypass": ["*.local", "169.254/16", "intranet.example.com"]},
        {"name": "USB 10/100/1000 LAN", "bypass": []},
    ]}))

    def services():
        return dict((s["name"], s) for s in json.loads(state_file.read_text())["services"])

    common = {"macos_proxy_profile_delivery": "networksetup", "macos_proxy_profile_networksetup_path": str(networksetup)}
    run = _role(tmp_path, mac_14, **common)
    assert run.rc == 0, run
    wifi, usb = services()["Wi-Fi"], services()["USB 10/100/1000 LAN"]
    assert wifi["bypass"][:3] == ["*.local", "169.254/16", "intranet.example.com"]
    for name in ("swscan.apple.com", "swcdn.apple.com", "*.example.org"):
        assert name in wifi["bypass"] and name in usb["bypass"]
    assert wifi["web"]["enabled"] and (wifi["web"]["server"], wifi["web"]["port"]) == ("proxy.example.com", 3128)
    assert usb["secureweb"]["enabled"] and usb["secureweb"]["server"] == "proxy.example.com"
    assert not (tmp_path / "stage").exists(), "networksetup delivery stages no profile"

    again = _role(tmp_path, mac_14, **common)
    assert again.rc == 0 and _role_changes(again) == 0, again

    removed = _role(tmp_path, mac_14, macos_proxy_profile_state="absent", **common)
    assert removed.rc == 0, removed
    wifi, usb = services()["Wi-Fi"], services()["USB 10/100/1000 LAN"]
    assert wifi["bypass"] == ["*.local", "169.254/16", "intranet.example.com"]
    assert usb["bypass"] == []
    assert not wifi["web"]["enabled"] and not usb["secureweb"]["enabled"]


def test_networksetup_refuses_profile_only_payloads(tmp_path, mac_14):
    run = _role(tmp_path, mac_14, macos_proxy_profile_delivery="networksetup",
                macos_proxy_profile_software_update={"automatic_check_enabled": True})
    assert run.result["_failed_task"] is True
    assert "need a configuration profile" in run.stdout
    assert not (tmp_path / "controller").exists()


def test_playbook_is_valid():
    proc = subprocess.run(["ansible-playbook", "--syntax-check", "-i", "localhost,",
                           str(COLLECTION / "playbooks" / "macos_proxy_profile.yml")],
                          capture_output=True, text=True, check=False,
                          env={"ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_PATH), "PATH": __import__("os").environ["PATH"]})
    assert proc.returncode == 0, proc.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="a read-only bind mount needs root")
def test_defaults_work_with_a_read_only_playbook_directory(tmp_path, mac_14, ansible_env):
    """As in an execution environment: the project is read-only, the profile goes to the user's home."""
    project = tmp_path / "project"
    project.mkdir()
    role_vars = {
        "macos_proxy_profile_web_proxy": {"host": "proxy.example.com", "port": 3128},
        "macos_proxy_profile_bypass_domains": ["*.example.org", "169.254/16"],
        "macos_proxy_profile_profiles_path": str(mac_14.bin / "profiles"),
        "macos_proxy_profile_sw_vers_path": str(mac_14.bin / "sw_vers"),
    }
    playbook = project / "site.yml"
    playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "vars": role_vars,
                                     "roles": ["macfleet.apple_network.macos_proxy_profile"]}]))
    home = tmp_path / "home"
    home.mkdir()
    # A private mount namespace: the bind mount is gone with the process; "touch" proves the project is read-only.
    script = ('mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1" || exit 96; '
              'touch "$1/probe" 2>/dev/null && exit 97; shift; exec "$@"')
    proc = subprocess.run(["unshare", "--mount", "sh", "-c", script, "sh", str(project),
                           "ansible-playbook", "-i", "localhost,", "-c", "local", str(playbook)],
                          env=dict(ansible_env, HOME=str(home)), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    rendered = home / ".ansible" / "macfleet_apple_network" / "mobileconfig" / "localhost" / ("%s.mobileconfig" % IDENT)
    with open(rendered, "rb") as handle:
        proxies = plistlib.load(handle)["PayloadContent"][0]["Proxies"]
    assert {"*.example.org", "example.org", "169.254.0.0/16"} <= set(proxies["ExceptionsList"])
    assert sorted(path.name for path in project.iterdir()) == ["site.yml"]
