# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the proxy_bypass system tests."""

from __future__ import annotations

import http.server
import os
import threading

import pytest

from squid_env import Handler


@pytest.fixture
def play(run_playbook):
    """run_playbook with the venv's PATH (the networksetup stand-in runs with ``python``)."""

    def run(*args, **kwargs):
        env = dict(kwargs.pop("env", None) or {})
        env.setdefault("PATH", os.environ["PATH"])
        return run_playbook(*args, env=env, **kwargs)

    return run


@pytest.fixture
def web_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
