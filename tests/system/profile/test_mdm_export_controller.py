# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""MDM export from any controller: the MDM guide's controller example, taken from the guide as written, runs on this
Linux machine and renders a .mobileconfig that Apple's schemas accept, and no macOS tool is started: every macOS
command name on PATH (and at the role's default absolute paths, which do not exist here) is a stand-in that records
being started and fails."""

from __future__ import annotations

import importlib.util
import os
import plistlib
import re
import stat
import sys
from pathlib import Path

import yaml

from apple_schema import Schemas

HERE = Path(__file__).resolve().parent
COLLECTION = HERE.parents[2]
GUIDE = "docs/docsite/rst/mdm_profile_guide.rst"
MACOS_TOOLS = ("sw_vers", "profiles", "networksetup", "scutil", "security", "plutil", "launchctl", "pfctl", "open")


def _doc_examples():
    spec = importlib.util.spec_from_file_location("macfleet_doc_examples", COLLECTION / "tests" / "installed" / "doc_examples.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _guide_example():
    """The guide's one playbook block: the controller example, exactly as a reader copies it."""
    module = _doc_examples()
    blocks = [b for b in module.rst_blocks(COLLECTION / GUIDE, COLLECTION) if module.classify(b) == "playbook"]
    assert len(blocks) == 1, [b.origin for b in blocks]
    return blocks[0].text


def _recording_stand_ins(directory, log):
    directory.mkdir()
    for tool in MACOS_TOOLS:
        path = directory / tool
        path.write_text("#!/bin/sh\necho \"$0 $*\" >> %s\nexit 1\n" % log)
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def test_guide_controller_example_renders_on_linux_without_a_macos_tool(run_playbook, tmp_path):
    text = _guide_example()
    output = re.search(r"macos_proxy_profile_output_dir: (\S+)", text).group(1)
    identifier = re.search(r"macos_proxy_profile_identifier: (\S+)", text).group(1)
    # The reader's output folder, moved into this test's folder; nothing else of the example changes.
    playbook = tmp_path / "mdm.yml"
    playbook.write_text(text.replace(output, str(tmp_path / "mdm")))
    log = tmp_path / "macos-tools.log"
    _recording_stand_ins(tmp_path / "bin", log)
    for path in ("/usr/bin/sw_vers", "/usr/bin/profiles", "/usr/sbin/networksetup"):
        assert not os.path.exists(path), "this test needs a Linux machine without %s" % path
    run = run_playbook(str(playbook), env={"PATH": "%s:%s" % (tmp_path / "bin", os.environ["PATH"])})
    assert run.rc == 0, run
    assert not log.exists(), "a macOS tool was started: %s" % log.read_text()
    rendered = tmp_path / "mdm" / "localhost" / ("%s.mobileconfig" % identifier)
    profile = plistlib.loads(rendered.read_bytes())
    target = yaml.safe_load(text)[0]["tasks"][0]["vars"]["macos_proxy_profile_macos_version"]
    assert Schemas().validate_profile(profile, target=str(target)) == []
    proxies = [p for p in profile["PayloadContent"] if p["PayloadType"] == "com.apple.SystemConfiguration"][0]["Proxies"]
    assert proxies["HTTPSProxy"] == "proxy.example.com" and proxies["HTTPSEnable"] == 1
    # The guide's promise: the catalog's bypass hosts, and macOS's defaults only because the example lists them.
    assert "swscan.apple.com" in proxies["ExceptionsList"]
    assert {"*.local", "169.254/16"} & set(proxies["ExceptionsList"]), proxies["ExceptionsList"]
    outcome = [r for t in run.tasks() for r in t["hosts"].values() if "exported to" in str(r.get("msg", ""))]
    assert outcome and "Installed on this Mac: not checked" in outcome[0]["msg"], outcome
