# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fixtures shared by the system tests: real processes, network namespaces, playbook runs.

Rules (see TESTING.md): every process a test starts is stopped by its PID; every namespace a
test creates is removed; traffic stays on loopback or inside the test's own namespaces.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

COLLECTION_ROOT = Path(__file__).resolve().parents[2]
# ansible-core 2.19 redirects ansible.builtin.json to ansible.posix, which the tests do not install.
CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"
COLLECTIONS_PATH = COLLECTION_ROOT.parents[2]
# Lets tests import the collection's pure code as ansible_collections.macfleet.apple_network.
if str(COLLECTIONS_PATH) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_PATH))


_COUNTERS = re.compile(r" \[\d+:\d+\]$")


def host_rulesets():
    """The host's own firewall: rulesets (without counters and timestamps) and firewalld/ufw files (digests)."""
    result = {}
    for cmd in (["nft", "list", "ruleset"], ["iptables-nft-save"], ["iptables-legacy-save"],
                ["ip6tables-nft-save"], ["ip6tables-legacy-save"]):
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        # iptables-save prints a timestamp in its comment lines and the packet and byte counters of each chain
        # (":INPUT ACCEPT [24500:97164717]"), which the host's own traffic moves; everything else must match exactly.
        result[cmd[0]] = (proc.returncode, [_COUNTERS.sub("", line) for line in proc.stdout.splitlines()
                                            if not line.startswith("#")])
    # The firewalld and ufw tests bind-mount copies over these: the host's own files must stay as they are.
    for top in ("/etc/firewalld", "/etc/ufw", "/etc/default/ufw", "/lib/ufw"):
        paths = [top] if os.path.isfile(top) else sorted(os.path.join(d, f) for d, _s, fs in os.walk(top) for f in fs)
        for path in paths:
            with open(path, "rb") as handle:
                result[path] = hashlib.sha256(handle.read()).hexdigest()
    return result


def shared_dir(name):
    """``shared/<name>`` beside the repository, or beside any folder above it (worktrees, copies).

    The source documents live outside the collection; hacking/test-all.sh exports MACFLEET_REPO_ROOT.
    """
    starts = [Path(__file__).resolve()]
    if os.environ.get("MACFLEET_REPO_ROOT"):
        starts.insert(0, Path(os.environ["MACFLEET_REPO_ROOT"]).resolve())
    for start in starts:
        for folder in [start] + list(start.parents):
            candidate = folder / "shared" / name
            if candidate.is_dir():
                return candidate
    pytest.fail("shared/%s not found beside %s; run through hacking/test-all.sh" % (name, ", ".join(str(s) for s in starts)))


def _ansible_env(extra=None):
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_PATH),
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_HOST_KEY_CHECKING": "0",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
    })
    env.update(extra or {})
    return env


class PlaybookResult:
    """An ansible-playbook run with the json callback: ``results(task_name)`` gives per-host results."""

    def __init__(self, proc):
        self.proc = proc
        self.rc = proc.returncode
        self.stderr = proc.stderr
        try:
            self.data = json.loads(proc.stdout)
        except ValueError:
            self.data = None

    def __repr__(self):
        return "PlaybookResult(rc=%s)\nSTDOUT:\n%s\nSTDERR:\n%s" % (self.rc, self.proc.stdout[-6000:], self.stderr[-3000:])

    def tasks(self):
        for play in (self.data or {}).get("plays", []):
            yield from play.get("tasks", [])

    def results(self, task_name, host=None):
        """Per-host result dicts of the task with that name (the last one, if it ran several times)."""
        found = None
        for task in self.tasks():
            if task["task"]["name"] == task_name:
                found = task["hosts"]
        if found is None:
            raise KeyError("task %r not in the run:\n%r" % (task_name, self))
        return found[host] if host else found

    @property
    def stats(self):
        return (self.data or {}).get("stats", {})


@pytest.fixture
def run_playbook(tmp_path):
    """Run a playbook (text or path) against an inventory; returns :class:`PlaybookResult`.

    ``netns`` runs the whole ansible-playbook inside that network namespace (``ip netns exec``); ``wrap`` (an argv
    prefix, such as ``nsenter`` into a test host's namespaces) runs it under that command instead; ``ansible_playbook``
    names another ansible-playbook (that of another venv) than the one on ``PATH``.
    """

    def run(playbook, inventory="localhost,", extra_vars=None, check=False, diff=False, netns=None,
            env=None, args=(), timeout=600, wrap=None, ansible_playbook="ansible-playbook"):
        if "\n" in str(playbook):
            path = tmp_path / ("play-%s.yml" % uuid.uuid4().hex[:8])
            path.write_text(playbook)
        else:
            path = Path(playbook)
        cmd = [ansible_playbook, "-i", inventory, "-c", "local", str(path)]
        if extra_vars:
            vars_file = tmp_path / ("vars-%s.json" % uuid.uuid4().hex[:8])
            vars_file.write_text(json.dumps(extra_vars))
            cmd += ["-e", "@%s" % vars_file]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        cmd += list(args)
        if netns:
            cmd = ["ip", "netns", "exec", netns] + cmd
        if wrap:
            cmd = list(wrap) + cmd
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False,
                              env=_ansible_env(dict({"ANSIBLE_STDOUT_CALLBACK": "json_results",
                                                     "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS)}, **(env or {}))))
        return PlaybookResult(proc)

    return run


@pytest.fixture
def ansible_env():
    return _ansible_env()


class Processes:
    """Starts background processes and stops each by its own PID."""

    def __init__(self):
        self.procs = []

    def start(self, cmd, wait_for=None, timeout=10.0, **kwargs):
        kwargs.setdefault("stdout", subprocess.DEVNULL)
        kwargs.setdefault("stderr", subprocess.DEVNULL)
        proc = subprocess.Popen(cmd, **kwargs)
        self.procs.append(proc)
        if wait_for is not None:
            deadline = time.monotonic() + timeout
            while not wait_for():
                if proc.poll() is not None:
                    raise RuntimeError("%s exited with %s before it was ready" % (cmd, proc.returncode))
                if time.monotonic() > deadline:
                    raise RuntimeError("%s was not ready within %.1f s" % (cmd, timeout))
                time.sleep(0.02)
        return proc

    def stop_all(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self.procs = []


@pytest.fixture
def processes():
    procs = Processes()
    yield procs
    procs.stop_all()


def _ip(*args):
    subprocess.run(["ip"] + list(args), check=True, capture_output=True, text=True)


class Namespaces:
    """Network namespaces joined by veth pairs; everything is removed in the finaliser."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.names = []

    def add(self, short):
        name = "%s-%s-%s" % (self.prefix, short, uuid.uuid4().hex[:4])
        _ip("netns", "add", name)
        self.names.append(name)
        _ip("-n", name, "link", "set", "lo", "up")
        return name

    def link(self, ns_a, addr_a, ns_b, addr_b):
        """Join two namespaces with a veth pair; addresses in CIDR form (10.77.0.1/24)."""
        tag = uuid.uuid4().hex[:6]
        dev_a, dev_b = "va%s" % tag, "vb%s" % tag
        _ip("link", "add", dev_a, "type", "veth", "peer", "name", dev_b)
        _ip("link", "set", dev_a, "netns", ns_a)
        _ip("link", "set", dev_b, "netns", ns_b)
        _ip("-n", ns_a, "addr", "add", addr_a, "dev", dev_a)
        _ip("-n", ns_b, "addr", "add", addr_b, "dev", dev_b)
        _ip("-n", ns_a, "link", "set", dev_a, "up")
        _ip("-n", ns_b, "link", "set", dev_b, "up")
        return dev_a, dev_b

    def exec_cmd(self, ns, *cmd):
        return ["ip", "netns", "exec", ns] + list(cmd)

    def cleanup(self):
        for name in reversed(self.names):
            subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
            shutil.rmtree("/etc/netns/%s" % name, ignore_errors=True)
        self.names = []


@pytest.fixture
def netns(request):
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    spaces = Namespaces("mf")
    yield spaces
    spaces.cleanup()


@pytest.fixture
def scratch():
    path = Path(tempfile.mkdtemp(prefix="macfleet-sys-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)
