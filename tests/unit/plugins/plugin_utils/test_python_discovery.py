# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The interpreter discovery command, run by a real /bin/sh with the macOS uname and xcode-select stand-ins on PATH."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ansible_collections.macfleet.apple_network.plugins.plugin_utils._python_discovery import (
    APPLE_STUB,
    DiscoveryError,
    discovery_command,
    no_python_message,
    parse_discovery,
)

STAND_INS = Path(__file__).resolve().parents[3] / "stand-ins" / "macos"


def run(named, path):
    proc = subprocess.run(discovery_command(named), shell=True, capture_output=True, text=True, check=False,
                          env=dict(os.environ, PATH=path))
    return parse_discovery(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(name="mac_path")
def mac_path_fixture(tmp_path):
    """A PATH whose uname says Darwin and whose xcode-select knows no developer directory (a Mac without the tools)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("uname", "xcode-select"):
        shutil.copy2(STAND_INS / name, bin_dir / name)
    return bin_dir


def test_on_linux_the_named_interpreter_else_python3_on_path(tmp_path):
    python = tmp_path / "python3"
    python.write_text("#!/bin/sh\n")
    python.chmod(0o755)
    facts = run(str(python), "/usr/bin:/bin")
    assert facts["interpreter"] == str(python) and facts["os"] == "Linux"
    assert run("", "%s:/usr/bin:/bin" % tmp_path)["interpreter"] == str(python)
    assert run("auto_silent", "%s:/usr/bin:/bin" % tmp_path)["interpreter"] == str(python)


def test_a_missing_named_interpreter_is_not_replaced(tmp_path):
    facts = run("/nonexistent/python3", "/usr/bin:/bin")
    assert facts["interpreter"] is None
    assert facts["skipped"] == [("/nonexistent/python3", "not an executable file")]
    assert "/nonexistent/python3: not an executable file" in no_python_message(facts)
    assert "interpreter discovery" in no_python_message(facts)  # how the report's classifier knows no_python


@pytest.mark.skipif(not os.access(APPLE_STUB, os.X_OK), reason="needs a file at /usr/bin/python3 to stand for the stub")
def test_apple_stub_is_passed_over_without_the_command_line_tools(mac_path, tmp_path):
    facts = run(APPLE_STUB, "%s:/usr/bin:/bin" % mac_path)
    assert facts["os"] == "Darwin" and facts["interpreter"] is None
    assert facts["skipped"][0][0] == APPLE_STUB and "Command Line Tools are not installed" in facts["skipped"][0][1]
    assert run("", "%s:/usr/bin:/bin" % mac_path)["interpreter"] is None
    assert '["xcode-select", "-p"]' in (mac_path / "calls.log").read_text()
    # With the tools installed (xcode-select -p names an existing directory), /usr/bin/python3 is the real thing.
    developer = tmp_path / "CommandLineTools"
    developer.mkdir()
    (mac_path / "xcode-select.path").write_text(str(developer))
    assert run(APPLE_STUB, "%s:/usr/bin:/bin" % mac_path)["interpreter"] == APPLE_STUB
    assert run("", "%s:/usr/bin:/bin" % mac_path)["interpreter"] == APPLE_STUB


def test_a_failed_or_cut_discovery_is_an_error():
    with pytest.raises(DiscoveryError, match="exit 127"):
        parse_discovery(127, "", "sh: not found")
    with pytest.raises(DiscoveryError, match="exit 0"):
        parse_discovery(0, "os=Darwin\n", "")
