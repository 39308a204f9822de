# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reading a file, and writing one whole or not at all (standard library only: used on the managed host and on the controller)."""

from __future__ import annotations

import os
import tempfile


def write_atomic(path, data, mode):
    """Write ``data`` (bytes) through a private temporary file in the same directory, fsync, then rename: never
    a partial or briefly world-readable file."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_bytes(path):
    """The content of ``path`` as bytes, or None when it is missing or cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def read_text(path):
    """The content of ``path`` as text (undecodable bytes replaced), or None when it is missing or cannot be read."""
    data = read_bytes(path)
    return None if data is None else data.decode("utf-8", "replace")
