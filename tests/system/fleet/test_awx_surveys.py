# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every playbook has an AWX survey that agrees with its argument specs (names, types, choices, defaults)."""

from __future__ import annotations

import json
import shutil

import pytest

from awx_contract import check_play_defaults, check_playbook, playbooks
from conftest import COLLECTION_ROOT

PLAYBOOKS = [p.stem for p in playbooks(COLLECTION_ROOT)]


def test_there_are_playbooks():
    assert "readiness" in PLAYBOOKS and "report" in PLAYBOOKS


@pytest.mark.parametrize("name", PLAYBOOKS)
def test_survey_agrees_with_argument_specs(name):
    assert check_playbook(COLLECTION_ROOT, name) == []


@pytest.mark.parametrize("name", PLAYBOOKS)
def test_play_defaults_match_argument_spec(name):
    assert check_play_defaults(COLLECTION_ROOT, name) == []


def test_no_orphan_surveys():
    surveys = {p.stem for p in (COLLECTION_ROOT / "awx" / "surveys").glob("*.json")}
    assert surveys <= set(PLAYBOOKS)


# The checker itself must catch disagreements: a tree with a role, a playbook and a survey that lie.
ROLE_SPEC = """
argument_specs:
  main:
    short_description: x
    options:
      fw_mode: {type: str, choices: [nft, pf], default: nft, description: x}
      fw_timeout: {type: int, default: 5, description: x}
      fw_ports: {type: list, elements: str, choices: ['80', '443'], default: ['443'], description: x}
      fw_enabled: {type: bool, default: true, description: x}
"""
PLAY = """
- name: Play
  hosts: all
  tasks:
    - name: Validate
      ansible.builtin.validate_argument_spec:
        argument_spec: {}
    - name: Role
      ansible.builtin.include_role:
        name: macfleet.apple_network.fw
"""


def fake_tree(tmp_path, questions, play=PLAY):
    (tmp_path / "roles" / "fw" / "meta").mkdir(parents=True)
    (tmp_path / "roles" / "fw" / "meta" / "argument_specs.yml").write_text(ROLE_SPEC)
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "playbooks" / "fw.yml").write_text(play)
    (tmp_path / "awx" / "surveys").mkdir(parents=True)
    (tmp_path / "awx" / "surveys" / "fw.json").write_text(json.dumps({"name": "fw", "description": "", "spec": questions}))
    return tmp_path


def q(var, qtype, default="", choices="", required=False):
    return {"question_name": var, "variable": var, "type": qtype, "default": default, "choices": choices, "required": required}


GOOD = [q("fw_mode", "multiplechoice", "nft", ["nft", "pf"]), q("fw_timeout", "integer", 5),
        q("fw_ports", "multiselect", "443", ["80", "443"]), q("fw_enabled", "multiplechoice", "true", ["true", "false"])]


def test_checker_accepts_an_agreeing_survey(tmp_path):
    assert check_playbook(fake_tree(tmp_path, GOOD), "fw") == []


@pytest.mark.parametrize("index, change, expect", [
    (0, {"default": "pf"}, "survey default 'pf' differs from the argument default 'nft'"),
    (0, {"choices": ["nft", "pf", "ipfw"]}, "choices ['nft', 'pf', 'ipfw'] differ"),
    (0, {"type": "text"}, "the argument has choices"),
    (1, {"type": "text"}, "survey type 'text' cannot feed argument type 'int'"),
    (1, {"default": 6}, "survey default 6 differs from the argument default 5"),
    (2, {"default": "80\n443"}, "survey default ['80', '443'] differs"),
    (3, {"choices": ["yes", "no"]}, "choices ['yes', 'no'] differ"),
    (0, {"variable": "fw_mod"}, "no argument spec of the playbook or its roles defines 'fw_mod'"),
    (0, {"type": "dropdown"}, "is not an AWX survey type"),
])
def test_checker_reports_disagreements(tmp_path, index, change, expect):
    questions = [dict(x) for x in GOOD]
    questions[index].update(change)
    errors = check_playbook(fake_tree(tmp_path, questions), "fw")
    assert any(expect in e for e in errors), errors


def test_checker_requires_validation_first_and_a_survey(tmp_path):
    tree = fake_tree(tmp_path, GOOD, play=PLAY.replace("ansible.builtin.validate_argument_spec", "ansible.builtin.debug"))
    assert any("first task must be ansible.builtin.validate_argument_spec" in e for e in check_playbook(tree, "fw"))
    shutil.copy(tree / "playbooks" / "fw.yml", tree / "playbooks" / "other.yml")
    assert check_playbook(tree, "other") == ["playbooks/other.yml has no survey awx/surveys/other.json"]
