# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The execution environment: ansible-builder builds its context (no container engine needed)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile

import yaml

from conftest import COLLECTION_ROOT, _ansible_env

PYTHON_NEEDS = ("dnspython", "jmespath", "cryptography")


def _names(requirements_text):
    names = set()
    for line in requirements_text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(re.split(r"[<>=!~;\[ ]", line, maxsplit=1)[0].lower())
    return names


def test_builder_create_context(scratch):
    tree = scratch / "src" / "ansible_collections" / "macfleet" / "apple_network"
    shutil.copytree(COLLECTION_ROOT, tree, ignore=shutil.ignore_patterns("tests", "dist", "context", "__pycache__"))
    env = _ansible_env()
    subprocess.run(["bash", str(tree / "hacking" / "build-ee.sh"), str(scratch / "context")],
                   check=True, capture_output=True, text=True, env=env, timeout=300)
    build = scratch / "context" / "_build"
    requirements = (build / "requirements.txt").read_text()
    assert set(PYTHON_NEEDS) <= _names(requirements), requirements
    assert "openssl" in (build / "bindep.txt").read_text()
    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    assert galaxy["collections"][0]["type"] == "file"
    containerfile = (scratch / "context" / "Dockerfile").read_text()
    assert "COPY _build/collections/ /tmp/macfleet-collections/" in containerfile
    assert "ansible-core>=2.19,<2.20" in containerfile
    # The tarball in the context is this collection, with its EE metadata inside.
    with tarfile.open(build / "collections" / "macfleet-apple_network.tar.gz") as tar:
        members = set(tar.getnames())
    assert {"meta/execution-environment.yml", "meta/ee-requirements.txt", "meta/ee-bindep.txt",
            "plugins/modules/readiness_report.py"} <= members


def test_builder_introspects_collection_metadata():
    """What AWX's EE build reads from the installed collection: meta/execution-environment.yml."""
    proc = subprocess.run(["ansible-builder", "introspect", "--sanitize", str(COLLECTION_ROOT.parents[2])],
                          check=True, capture_output=True, text=True, timeout=120)
    data = yaml.safe_load(proc.stdout)
    python = {_names(line.split("#")[0]).pop(): line for line in data["python"]}
    for name in PYTHON_NEEDS:
        assert python[name].endswith("# from collection macfleet.apple_network"), proc.stdout
    assert any(line.startswith("openssl ") and "macfleet.apple_network" in line for line in data["system"]), proc.stdout
