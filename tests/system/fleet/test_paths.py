# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Paths a user means: a relative path is the directory ansible-playbook runs in, never the installed collection.

The README's probe and report commands run as written, from a fresh directory, with the collection installed
(a copy under ``.../ansible_collections/macfleet/apple_network``). The inventory, ``macs.ini`` in that directory as
the README names it, holds a Mac that is unreachable (SSH to a closed loopback port) and one without a usable
Python: every host gets a result file without any network traffic; the verdicts do not matter here.
"""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import COLLECTION_ROOT, _ansible_env


def readme_commands():
    """The probe and the report command of the README's first console block that has them."""
    text = (COLLECTION_ROOT / "README.md").read_text()
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        lines = [line for line in block.splitlines() if line.startswith("ansible-playbook ")]
        probe = [line for line in lines if " macfleet.apple_network.probe" in line]
        report = [line for line in lines if " macfleet.apple_network.report" in line]
        if probe and report:
            return shlex.split(probe[0]), shlex.split(report[0])
    pytest.fail("README.md has no console block with the probe and report commands")


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


INVENTORY = """[macs]
mac-down ansible_connection=ssh ansible_host=127.0.0.1 ansible_port={port} ansible_user=nobody ansible_ssh_timeout=5 \
ansible_ssh_common_args='-o BatchMode=yes -o ConnectionAttempts=1'
mac-nopy ansible_connection=local ansible_python_interpreter=/nonexistent/python3
"""


def collection_files():
    """Every path under the installed collection, with its size and modification time."""
    found = {}
    for folder, dirs, files in os.walk(COLLECTION_ROOT):
        for name in dirs + files:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            found[os.path.relpath(path, COLLECTION_ROOT)] = (info.st_size, info.st_mtime_ns)
    return found


@pytest.fixture
def workdir():
    """A fresh directory outside the collection to run ansible-playbook in, with its own HOME."""
    path = Path(tempfile.mkdtemp(prefix="macfleet-paths-"))
    (path / "home").mkdir()
    (path / "macs.ini").write_text(INVENTORY.format(port=closed_port()))
    yield path
    subprocess.run(["rm", "-rf", str(path)], check=False)


def run(argv, cwd, **extra_vars):
    argv = list(argv) + [arg for name, value in extra_vars.items() for arg in ("-e", "%s=%s" % (name, value))]
    env = _ansible_env({"HOME": str(cwd / "home"), "ANSIBLE_STDOUT_CALLBACK": "default"})
    env.pop("ANSIBLE_CALLBACK_PLUGINS", None)
    return subprocess.run(argv, cwd=str(cwd), capture_output=True, text=True, timeout=600, check=False, env=env)


def test_readme_probe_and_report_write_under_the_working_directory(workdir):
    probe, report = readme_commands()
    before = collection_files()

    ran = run(probe, workdir)
    # Both hosts could not be checked: they get result files, then are failed.
    assert ran.returncode == 2, ran.stdout[-4000:] + ran.stderr[-2000:]
    results = workdir / "probe-output"
    assert sorted(p.name for p in results.glob("*.json")) == ["mac-down.json", "mac-nopy.json"], ran.stdout[-4000:]
    assert "Result files: %s" % results in ran.stdout, ran.stdout[-4000:]

    ran = run(report, workdir)
    assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-2000:]
    assert sorted(p.name for p in (workdir / "report").iterdir()) == ["readiness.csv", "readiness.html", "readiness.json"]
    assert re.search(r"Report: [^\n]*%s" % re.escape(str(workdir / "report" / "readiness.html")), ran.stdout), ran.stdout
    assert '"host_count": 2' in (workdir / "report" / "readiness.json").read_text()

    assert collection_files() == before, "the jobs wrote into the installed collection"


def test_relative_readiness_output_dir_lands_under_the_working_directory(workdir):
    before = collection_files()
    ran = run(["ansible-playbook", "-i", "macs.ini", "macfleet.apple_network.readiness"], workdir,
              macfleet_readiness_output_dir="relout", macfleet_readiness_timeout=5)
    assert ran.returncode == 2, ran.stdout[-4000:] + ran.stderr[-2000:]
    out = workdir / "relout"
    assert sorted(p.name for p in (out / "results").iterdir()) == ["mac-down.json", "mac-nopy.json"]
    assert (out / "artifacts" / "apple-bypass.pac").is_file() and (out / "artifacts" / "apple-proxy.mobileconfig").is_file()
    assert (out / "readiness.html").is_file() and (out / "readiness.json").is_file()
    for line in ("Report: %s" % (out / "readiness.html"), "Result files: %s" % (out / "results"),
                 "Artifacts: %s" % (out / "artifacts")):
        assert line in ran.stdout, (line, ran.stdout[-4000:])
    assert collection_files() == before, "the job wrote into the installed collection"


@pytest.mark.parametrize("job, variable", [
    ("report", "macfleet_report_dest"),
    ("probe", "macfleet_probe_output_dir"),
    ("readiness", "macfleet_readiness_output_dir"),
])
def test_an_output_inside_the_installed_collection_is_refused(workdir, job, variable):
    before = collection_files()
    inside = COLLECTION_ROOT / "playbooks" / "out"
    extra = {variable: str(inside)}
    if job == "report":
        extra["macfleet_report_src"] = str(workdir)
    ran = run(["ansible-playbook", "-i", "macs.ini", "macfleet.apple_network.%s" % job], workdir, **extra)
    assert ran.returncode != 0
    assert "%s: %s is inside the installed collection" % (variable if job != "report" else "dest", inside) in ran.stdout, \
        ran.stdout[-4000:]
    assert not inside.exists()
    assert collection_files() == before
