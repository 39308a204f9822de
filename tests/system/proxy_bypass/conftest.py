# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the proxy_bypass system tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"


@pytest.fixture
def play(run_playbook):
    """run_playbook with a JSON stdout callback that exists without ansible.posix."""

    def run(*args, **kwargs):
        env = dict(kwargs.pop("env", None) or {})
        env.setdefault("ANSIBLE_CALLBACK_PLUGINS", str(CALLBACKS))
        env.setdefault("ANSIBLE_STDOUT_CALLBACK", "json_results")
        env.setdefault("PATH", os.environ["PATH"])
        return run_playbook(*args, env=env, **kwargs)

    return run
