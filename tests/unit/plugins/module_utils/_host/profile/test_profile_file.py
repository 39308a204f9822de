# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.profile import profile_file
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.profile.render import build_profile, render

PROFILE = {"identifier": "com.example.p", "proxy": {"web_proxy": {"host": "proxy.example.com", "port": 3128}}}


def test_existing_profile_reads_a_plain_profile(tmp_path):
    path = tmp_path / "p.mobileconfig"
    assert profile_file.read_profile_file(str(path)) is None
    assert profile_file.existing_profile(None) == (None, None, False)
    profile, _warnings = build_profile(PROFILE)
    path.write_bytes(render(profile))
    content, parsed, signed = profile_file.existing_profile(profile_file.read_profile_file(str(path)))
    assert content == render(profile) and parsed == profile and not signed


def test_a_file_larger_than_any_profile_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "p.mobileconfig"
    path.write_bytes(b"x" * 11)
    monkeypatch.setattr(profile_file, "PROFILE_LIMIT", 10)
    with pytest.raises(profile_file.ProfileFileError, match=r"^path: .* is larger than 10 bytes"):
        profile_file.read_profile_file(str(path))


def test_remove_profile(tmp_path):
    path = tmp_path / "p.mobileconfig"
    profile, _warnings = build_profile(PROFILE)
    path.write_bytes(render(profile))
    result = profile_file.remove_profile(str(path), check_mode=True, diff=True)
    assert result["changed"] and path.exists() and "proxy.example.com" in result["diff"]["before"]
    assert profile_file.remove_profile(str(path), check_mode=False, diff=False) == {"changed": True, "path": str(path)}
    assert not path.exists()
    assert profile_file.remove_profile(str(path), check_mode=False, diff=False)["changed"] is False


def test_an_unreadable_signing_file_names_the_option(tmp_path):
    signing = {"certificate": str(tmp_path / "missing.pem"), "private_key": str(tmp_path / "key.pem"), "chain": []}
    with pytest.raises(profile_file.ProfileFileError, match=r"^signing.certificate: cannot read .*missing.pem: "):
        profile_file.signed_bytes(signing, b"content", None, None)


def test_write_profile_needs_the_directory(tmp_path):
    with pytest.raises(profile_file.ProfileFileError, match="^path: the directory .* does not exist$"):
        profile_file.write_profile(str(tmp_path / "no" / "p.mobileconfig"), b"x", 0o644, True)
