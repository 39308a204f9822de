# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""File I/O: bounded reads, files written whole or not at all, file modes.

Standard library only: used on the managed host and on the controller.
"""

from __future__ import annotations

import os
import tempfile


class FileTooLarge(OSError):
    """A file larger than the bound its reader set (an ``OSError``: ``except OSError`` handlers see it too)."""


def read_bytes(path, limit, missing_ok=False):
    """The bytes of ``path``; reads at most ``limit`` bytes and raises :class:`FileTooLarge` for a larger file.

    With ``missing_ok`` a file that does not exist reads as None; any other ``OSError`` is raised.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        if missing_ok:
            return None
        raise
    if len(data) > limit:
        raise FileTooLarge("%s is larger than %d bytes" % (path, limit))
    return data


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


def read_if_readable(path):
    """The content of ``path`` as bytes, or None when it is missing or cannot be read (state a tool left, or not)."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def read_text(path):
    """The content of ``path`` as text (undecodable bytes replaced), or None when it is missing or cannot be read."""
    data = read_if_readable(path)
    return None if data is None else data.decode("utf-8", "replace")


def write_new(path, data, mode):
    """Create ``path`` (it must not exist) with ``mode`` and write ``data`` (bytes), fsynced; for a file inside a
    directory that is itself renamed into place once complete."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def fsync_dir(path):
    """Flush a directory's entries (a rename or a new file in it) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def parse_mode(value, field, error=ValueError):
    """A file mode: an octal string (``"0644"``) or a number -> int; ``error`` names ``field`` otherwise."""
    try:
        return int(value, 8) if isinstance(value, str) else int(value)
    except ValueError:
        raise error("%s: %r is not an octal file mode" % (field, value)) from None
