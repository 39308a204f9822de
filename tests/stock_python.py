# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where the tests find a Mac's stock interpreter: a bare Python 3.9, as Apple's Command Line Tools ship it.

Used by the unit, system and benchmark code alike; standard library only.
"""

from __future__ import annotations

import glob
import os
import re


def _version_key(path):
    """``[3, 9, 18]`` for ``.../versions/3.9.18/bin/python3.9``: versions compare as numbers (3.9.19 after 3.9.9)."""
    return [int(number) for number in re.findall(r"\d+", path.split(os.sep)[-3])]


def stock_python():
    """``MACFLEET_STOCK_PYTHON``, else the newest pyenv Python 3.9 (``$PYENV_ROOT`` or ``~/.pyenv``), else None."""
    configured = os.environ.get("MACFLEET_STOCK_PYTHON")
    if configured:
        return configured
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    found = [path for path in glob.glob(os.path.join(root, "versions", "3.9.*", "bin", "python3.9")) if os.access(path, os.X_OK)]
    found.sort(key=_version_key)
    return found[-1] if found else None
