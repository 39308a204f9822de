# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A 'Mac' for the proxy_bypass system tests: the stateful networksetup stand-in in a scratch directory."""

from __future__ import annotations

import json
import os
from pathlib import Path

STAND_IN = Path(__file__).resolve().parents[2] / "stand-ins" / "macos" / "networksetup"


class FakeMac:
    def __init__(self, directory, services):
        self.path = directory / "networksetup"
        os.symlink(STAND_IN, self.path)
        self.state_file = directory / "networksetup.state.json"
        self.log_file = directory / "networksetup.state.json.log"
        self.state_file.write_text(json.dumps({"services": services}))

    @property
    def state(self):
        return {s["name"]: s for s in json.loads(self.state_file.read_text())["services"]}

    def calls(self):
        if not self.log_file.exists():
            return []
        return [json.loads(line) for line in self.log_file.read_text().splitlines()]

    def set_calls(self):
        return [call for call in self.calls() if call[0].startswith("-set")]
