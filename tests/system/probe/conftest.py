# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from probe_env import Namespaces, ProbeNetwork, Processes, stock_python  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(scope="module")
def probe_net():
    """One probe network per test module; every process and namespace is removed afterwards."""
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    scratch = Path(tempfile.mkdtemp(prefix="macfleet-probe-"))
    os.chmod(scratch, 0o755)
    spaces, procs = Namespaces("mfp"), Processes()
    try:
        yield ProbeNetwork(spaces, procs, scratch)
    finally:
        procs.stop_all()
        spaces.cleanup()
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(scope="module", params=["stock", "full"])
def interpreter(request):
    """Every probe test runs twice: with a bare Python 3.9 (a Mac's Command Line Tools Python) and with the test venv's
    Python, which has dnspython and cryptography. The verdicts asserted are the same for both."""
    if request.param == "stock":
        return "stock", stock_python()
    return "full", sys.executable


@pytest.fixture
def probe_playbook(run_playbook, interpreter):
    """run_playbook with the managed-host interpreter of this round."""
    def run(*args, **kwargs):
        env = dict(kwargs.pop("env", None) or {})
        env.setdefault("ANSIBLE_PYTHON_INTERPRETER", interpreter[1])
        return run_playbook(*args, env=env, **kwargs)
    run.interpreter = interpreter[0]
    return run
