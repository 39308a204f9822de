# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The AWX contract of the collection's playbooks, as data: surveys, argument specs, runner fixtures.

For every ``playbooks/<name>.yml``:

- ``awx/surveys/<name>.json`` is its AWX survey specification;
- its argument specification is ``playbooks/argument_specs/<name>.yml`` (optional) plus the
  ``meta/argument_specs.yml`` entry point of every role of this collection it runs (``roles:``,
  ``import_role``/``include_role``), plus those of the collection playbooks it imports;
- ``tests/system/fleet/runner_fixtures/<name>.yml`` (optional) gives the ansible-runner test (keys):
  ``inventory`` (text of the inventory file), ``extravars`` (on top of the survey defaults),
  ``netns: true`` (the test creates a network namespace for the job and removes it afterwards; the
  host's own firewall is compared before and after), ``files`` (written into the private data dir
  before the job: ``{path, content}`` or ``{path, src}`` with ``src`` relative to the collection, and
  an optional ``mode``), ``expect_files``, ``expect_results`` (``{task name: {key: value}}`` every
  ``ok`` result of that task must have), ``netns_expect`` (``{command, contains}``: after the job,
  the command run inside the namespace prints every text of ``contains``) and ``check_mode_absent`` (paths a ``--check`` job must not
  create). Every string may use the placeholders ``{private_data_dir}``, ``{collection_root}``,
  ``{python}`` (the test's interpreter) and ``{netns}`` (the namespace's name).

:func:`check_playbook` returns every disagreement between a survey and the specs as text.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

NAMESPACE = "macfleet.apple_network"
SURVEY_TYPES = ("text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect")
# Which argument spec types a survey question type may feed (AWX sends text for text-like questions;
# the argument spec converts "a,b" to a list, "true" to a bool).
TYPE_MAP = {
    "text": ("str", "path", "raw", "list"),
    "textarea": ("str", "raw", "list"),
    "password": ("str",),
    "integer": ("int",),
    "float": ("float",),
    "multiplechoice": ("str", "path", "raw", "bool"),
    "multiselect": ("list",),
}
VALIDATE_ACTIONS = ("ansible.builtin.validate_argument_spec", "validate_argument_spec")
ROLE_ACTIONS = ("ansible.builtin.import_role", "ansible.builtin.include_role", "import_role", "include_role")
IMPORT_PLAYBOOK = ("ansible.builtin.import_playbook", "import_playbook")


def playbooks(root):
    return sorted(p for p in (Path(root) / "playbooks").glob("*.yml"))


def load_survey(root, name):
    path = Path(root) / "awx" / "surveys" / ("%s.json" % name)
    if not path.exists():
        return None
    return json.loads(path.read_text())


def _role_name(value):
    if isinstance(value, dict):
        value = value.get("role") or value.get("name")
    if not isinstance(value, str):
        return None
    if value.startswith(NAMESPACE + "."):
        return value[len(NAMESPACE) + 1:]
    return value if "." not in value else None


def _walk_tasks(tasks):
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        yield task
        for key in ("block", "rescue", "always"):
            yield from _walk_tasks(task.get(key))


def _role_entry(root, role, entry):
    path = Path(root) / "roles" / role / "meta" / "argument_specs.yml"
    if not path.exists():
        return {}, None
    specs = (yaml.safe_load(path.read_text()) or {}).get("argument_specs", {})
    return specs.get(entry, {}).get("options", {}), "%s (%s)" % (path.relative_to(root), entry)


def collect_specs(root, name, _seen=None):
    """``{variable: [(origin, option spec), ...]}`` for playbook ``name`` (without ``.yml``)."""
    seen = _seen if _seen is not None else set()
    if name in seen:
        return {}
    seen.add(name)
    root = Path(root)
    found = {}

    def add(options, origin):
        for var, spec in (options or {}).items():
            found.setdefault(var, []).append((origin, spec or {}))

    own = root / "playbooks" / "argument_specs" / ("%s.yml" % name)
    if own.exists():
        add((yaml.safe_load(own.read_text()) or {}).get("argument_specs", {}).get("main", {}).get("options"),
            str(own.relative_to(root)))
    plays = yaml.safe_load((root / "playbooks" / ("%s.yml" % name)).read_text()) or []
    for play in plays:
        for key in IMPORT_PLAYBOOK:
            target = play.get(key)
            if isinstance(target, str):
                target = target[len(NAMESPACE) + 1:] if target.startswith(NAMESPACE + ".") else Path(target).stem
                for var, items in collect_specs(root, target, seen).items():
                    found.setdefault(var, []).extend(items)
        for role in play.get("roles") or []:
            role_name = _role_name(role)
            if role_name:
                add(*_role_entry(root, role_name, "main"))
        for section in ("pre_tasks", "tasks", "post_tasks", "handlers"):
            for task in _walk_tasks(play.get(section)):
                for action in ROLE_ACTIONS:
                    args = task.get(action)
                    if isinstance(args, dict):
                        role_name = _role_name(args.get("name"))
                        if role_name:
                            add(*_role_entry(root, role_name, args.get("tasks_from", "main")))
    return found


def first_task_action(root, name):
    """The action of the first task the first play runs (pre_tasks before roles and tasks)."""
    plays = yaml.safe_load((Path(root) / "playbooks" / ("%s.yml" % name)).read_text()) or []
    play = plays[0]
    for key in IMPORT_PLAYBOOK:
        if key in play:
            target = play[key]
            target = target[len(NAMESPACE) + 1:] if target.startswith(NAMESPACE + ".") else Path(target).stem
            return first_task_action(root, target)
    tasks = list(_walk_tasks(play.get("pre_tasks"))) or ([] if play.get("roles") else list(_walk_tasks(play.get("tasks"))))
    if not tasks:
        return "(roles run first)" if play.get("roles") else None
    task = tasks[0]
    for key in task:
        if key not in ("name", "when", "tags", "vars", "delegate_to", "run_once", "check_mode", "register", "block"):
            return key
    return None


def survey_default(question, spec):
    """The survey default converted the way the argument spec will see it; ``None`` when there is none."""
    default = question.get("default")
    if default in (None, "", []):
        return None
    qtype = question["type"]
    if qtype == "integer":
        return int(default)
    if qtype == "float":
        return float(default)
    if qtype == "multiselect":
        return default if isinstance(default, list) else [line for line in str(default).split("\n") if line]
    if spec.get("type") == "bool":
        return {"true": True, "false": False}.get(str(default).lower(), default)
    if spec.get("type") == "list":
        return [part.strip() for part in str(default).split(",") if part.strip()]
    return default


def survey_choices(question):
    choices = question.get("choices")
    if isinstance(choices, str):
        choices = [line for line in choices.split("\n") if line]
    return choices or []


def extravars_from_defaults(survey):
    """What AWX sends for a survey left at its defaults: every question that has a default."""
    result = {}
    for question in survey["spec"]:
        default = question.get("default")
        if default in (None, "", []):
            continue
        if question["type"] == "multiselect":
            default = default if isinstance(default, list) else [v for v in str(default).split("\n") if v]
        elif question["type"] == "integer":
            default = int(default)
        elif question["type"] == "float":
            default = float(default)
        result[question["variable"]] = default
    return result


def check_playbook(root, name):
    """Every disagreement between the survey of playbook ``name`` and its argument specs."""
    errors = []
    survey = load_survey(root, name)
    if survey is None:
        return ["playbooks/%s.yml has no survey awx/surveys/%s.json" % (name, name)]
    for key in ("name", "description", "spec"):
        if key not in survey:
            errors.append("survey %s: missing top-level key %r" % (name, key))
    if errors:
        return errors
    specs = collect_specs(root, name)
    variables = [q.get("variable") for q in survey["spec"]]
    if len(set(variables)) != len(variables):
        errors.append("survey %s: a variable is asked twice: %s" % (name, variables))
    if survey["spec"] and first_task_action(root, name) not in VALIDATE_ACTIONS:
        errors.append("playbooks/%s.yml: the first task must be ansible.builtin.validate_argument_spec, found %r"
                      % (name, first_task_action(root, name)))
    for question in survey["spec"]:
        var = question.get("variable")
        where = "survey %s, question %r" % (name, var)
        for key in ("question_name", "variable", "type", "required"):
            if key not in question:
                errors.append("%s: missing key %r" % (where, key))
        if question.get("type") not in SURVEY_TYPES:
            errors.append("%s: type %r is not an AWX survey type (%s)" % (where, question.get("type"), ", ".join(SURVEY_TYPES)))
            continue
        if var not in specs:
            errors.append("%s: no argument spec of the playbook or its roles defines %r" % (where, var))
            continue
        for origin, spec in specs[var]:
            at = "%s against %s" % (where, origin)
            spec_type = spec.get("type", "str")
            if spec_type not in TYPE_MAP[question["type"]]:
                errors.append("%s: survey type %r cannot feed argument type %r" % (at, question["type"], spec_type))
            if question["type"] == "multiselect" and spec.get("elements", "str") != "str":
                errors.append("%s: multiselect needs list elements str, spec has %r" % (at, spec.get("elements")))
            expected = spec.get("choices") or (["true", "false"] if spec_type == "bool" else [])
            if question["type"] in ("multiplechoice", "multiselect") or spec.get("choices"):
                if question["type"] not in ("multiplechoice", "multiselect"):
                    errors.append("%s: the argument has choices %s, the survey question must offer them" % (at, expected))
                elif [str(c) for c in survey_choices(question)] != [str(c) for c in expected]:
                    errors.append("%s: choices %s differ from the argument's %s" % (at, survey_choices(question), expected))
            want = spec.get("default")
            try:
                have = survey_default(question, spec)
            except ValueError as exc:
                errors.append("%s: default %r does not convert: %s" % (at, question.get("default"), exc))
                continue
            if want in ([], {}, "") and have is None:
                continue
            if have != want:
                errors.append("%s: survey default %r differs from the argument default %r" % (at, have, want))
            if bool(spec.get("required")) != bool(question.get("required")) and (spec.get("required") or want is None):
                errors.append("%s: survey required=%s but the argument has required=%s"
                              % (at, question.get("required"), bool(spec.get("required"))))
        origins = specs[var]
        for (origin_a, a), (origin_b, b) in zip(origins, origins[1:]):
            for key in ("type", "elements", "choices", "default"):
                if a.get(key) != b.get(key):
                    errors.append("%r: %s says %s=%r, %s says %r" % (var, origin_a, key, a.get(key), origin_b, b.get(key)))
    for var, items in specs.items():
        for origin, spec in items:
            if spec.get("required") and var not in variables and origin.startswith("playbooks/"):
                errors.append("survey %s: required argument %r (%s) is not asked" % (name, var, origin))
    return errors


def check_play_defaults(root, name):
    """Play ``vars`` of the playbook hold the same defaults as its own argument spec."""
    errors = []
    own = Path(root) / "playbooks" / "argument_specs" / ("%s.yml" % name)
    if not own.exists():
        return errors
    options = (yaml.safe_load(own.read_text()) or {}).get("argument_specs", {}).get("main", {}).get("options", {})
    plays = yaml.safe_load((Path(root) / "playbooks" / ("%s.yml" % name)).read_text()) or []
    play_vars = {}
    for play in plays:
        play_vars.update(play.get("vars") or {})
    for var, spec in options.items():
        if "default" in spec and play_vars.get(var) != spec["default"]:
            errors.append("playbooks/%s.yml: play var %s=%r, argument spec default %r" % (name, var, play_vars.get(var), spec["default"]))
    return errors


def runner_fixture(root, name):
    path = Path(root) / "tests" / "system" / "fleet" / "runner_fixtures" / ("%s.yml" % name)
    return (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}
