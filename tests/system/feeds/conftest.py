# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the feeds system tests."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def play(run_playbook):
    """run_playbook with the venv's PATH."""

    def run(*args, **kwargs):
        env = dict(kwargs.pop("env", None) or {})
        env.setdefault("PATH", os.environ["PATH"])
        return run_playbook(*args, env=env, **kwargs)

    return run
