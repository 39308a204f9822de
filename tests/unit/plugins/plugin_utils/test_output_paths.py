# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Paths a user gives a job: relative means the controller's working directory; never inside the collection."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.macfleet.apple_network.plugins.filter.output_path import output_path as output_path_filter
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._output_paths import (
    COLLECTION_DIR,
    OutputPathError,
    output_path,
    user_path,
)


def test_the_collection_dir_is_the_collection_root():
    assert os.path.isfile(os.path.join(COLLECTION_DIR, "galaxy.yml"))
    assert os.path.isfile(os.path.join(COLLECTION_DIR, "plugins", "plugin_utils", "_output_paths.py"))


def test_a_relative_path_means_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert user_path("report", "dest") == str(tmp_path / "report")
    assert output_path("out/./results/", "result_dir") == str(tmp_path / "out" / "results")
    assert output_path("../elsewhere", "dest") == str(tmp_path.parent / "elsewhere")


def test_home_and_absolute_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert output_path("~/.ansible/out", "dest") == str(tmp_path / "home" / ".ansible" / "out")
    assert output_path(str(tmp_path / "abs"), "dest") == str(tmp_path / "abs")


@pytest.mark.parametrize("inside", ["", "playbooks", "playbooks/report", "plugins/../playbooks/x"])
def test_a_destination_inside_the_collection_is_refused(inside):
    path = os.path.join(COLLECTION_DIR, inside) if inside else COLLECTION_DIR
    with pytest.raises(OutputPathError, match=r"^dest: .* is inside the installed collection \(%s\)" % COLLECTION_DIR):
        output_path(path, "dest")
    # Reading from it is not refused: only writing is.
    assert user_path(path, "src[0]") == os.path.normpath(path)


def test_a_relative_destination_from_inside_the_collection_is_refused(monkeypatch):
    monkeypatch.chdir(os.path.join(COLLECTION_DIR, "playbooks"))
    with pytest.raises(OutputPathError, match="macfleet_readiness_output_dir: .*/playbooks/relout is inside the installed"):
        output_path("relout", "macfleet_readiness_output_dir")


def test_a_symlink_into_the_collection_is_refused(tmp_path):
    link = tmp_path / "link"
    link.symlink_to(Path(COLLECTION_DIR) / "playbooks")
    with pytest.raises(OutputPathError, match="inside the installed collection"):
        output_path(str(link / "report"), "dest")


def test_a_sibling_whose_name_starts_like_the_collection_is_not_inside(tmp_path):
    sibling = COLLECTION_DIR + "-reports"
    assert output_path(sibling, "dest") == sibling


@pytest.mark.parametrize("value", ["", None, 3, ["a"], "a\0b"])
def test_not_a_path(value):
    with pytest.raises(OutputPathError, match=r"^dest: .* is not a path"):
        output_path(value, "dest")


def test_an_unreadable_working_directory_is_named(tmp_path, monkeypatch):
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    with pytest.raises(OutputPathError, match="relative, and the directory ansible-playbook runs in cannot be read"):
        user_path("report", "dest")
    assert user_path("/abs/report", "dest") == "/abs/report"


def test_the_filter_names_itself_and_the_variable(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert output_path_filter("probe-output", "macfleet_probe_output_dir") == str(tmp_path / "probe-output")
    with pytest.raises(AnsibleFilterError, match=r"^macfleet.apple_network.output_path: macfleet_probe_output_dir: .* inside"):
        output_path_filter(COLLECTION_DIR, "macfleet_probe_output_dir")
