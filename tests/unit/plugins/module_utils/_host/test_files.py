# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.files import (
    FileTooLarge,
    fsync_dir,
    parse_mode,
    read_bytes,
    write_atomic,
    write_new,
)


def test_read_bytes_is_bounded(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    assert read_bytes(str(path), 10) == b"x" * 10
    with pytest.raises(FileTooLarge, match="larger than 9 bytes") as exc:
        read_bytes(str(path), 9)
    assert isinstance(exc.value, OSError)


def test_read_bytes_missing(tmp_path):
    assert read_bytes(str(tmp_path / "none"), 10, missing_ok=True) is None
    with pytest.raises(FileNotFoundError):
        read_bytes(str(tmp_path / "none"), 10)


def test_write_atomic_and_write_new(tmp_path):
    path = tmp_path / "a"
    write_atomic(str(path), b"one", 0o600)
    assert path.read_bytes() == b"one" and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.listdir(tmp_path) == ["a"]
    write_new(str(tmp_path / "b"), b"two", 0o644)
    assert (tmp_path / "b").read_bytes() == b"two"
    with pytest.raises(FileExistsError):
        write_new(str(tmp_path / "b"), b"again", 0o644)
    fsync_dir(str(tmp_path))


@pytest.mark.parametrize("value, mode", [("0644", 0o644), ("755", 0o755), (0o600, 0o600), (420, 420)])
def test_parse_mode(value, mode):
    assert parse_mode(value, "file_mode") == mode


def test_parse_mode_names_the_field():
    class Refused(Exception):
        pass

    with pytest.raises(Refused, match=r"^dir_mode: '0x9' is not an octal file mode$"):
        parse_mode("0x9", "dir_mode", Refused)
