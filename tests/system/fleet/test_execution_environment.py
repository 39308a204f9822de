# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The execution environment: ansible-builder builds its context (no container engine needed)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
import tomllib

import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from conftest import COLLECTION_ROOT, _ansible_env

PYTHON_NEEDS = ("dnspython", "jmespath", "cryptography", "publicsuffixlist")
# The newest ansible-core release CI tests (core_matrix in antsibull-nox.toml); the execution environment builds on it.
NEWEST_CORE = "2.21"
TESTED_CORES = ("2.19", "2.20", "2.21")


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
    # The newest tested ansible-core, on a Python it supports (2.20 and later need 3.12 or later).
    assert "ansible-core>=2.21,<2.22" in containerfile, containerfile
    assert 'ARG PYCMD="/usr/bin/python3.12"' in containerfile and 'ARG PYPKG="python3.12"' in containerfile, containerfile
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


def _core_matrix():
    with open(COLLECTION_ROOT / "antsibull-nox.toml", "rb") as config:
        return tomllib.load(config)["core_matrix"]


def test_ansible_core_range_is_the_tested_one():
    """antsibull-nox.toml's core_matrix names the releases CI tests; requires_ansible and requirements.txt start at the
    oldest with no upper bound, and the EE pin holds the newest only."""
    requires_ansible = SpecifierSet(yaml.safe_load((COLLECTION_ROOT / "meta" / "runtime.yml").read_text())["requires_ansible"])
    controller = SpecifierSet(next(line for line in (COLLECTION_ROOT / "requirements.txt").read_text().splitlines()
                                   if line.startswith("ansible-core")).split("ansible-core", 1)[1])
    definition = yaml.safe_load((COLLECTION_ROOT / "execution-environment.yml").read_text())
    ee_core = SpecifierSet(definition["dependencies"]["ansible_core"]["package_pip"].split("ansible-core", 1)[1])
    matrix = _core_matrix()
    assert [row["release"] for row in matrix] == list(TESTED_CORES)
    for row in matrix:
        pin = Version(row["ansible_core"])
        assert "%d.%d" % (pin.major, pin.minor) == row["release"]
        assert pin in requires_ansible and pin in controller, (pin, requires_ansible, controller)
        assert (pin in ee_core) == (row["release"] == NEWEST_CORE), (pin, ee_core)
    assert Version("2.18.9") not in requires_ansible and Version("2.18.9") not in controller
    assert Version("2.22.0") in requires_ansible and Version("2.22.0") in controller
