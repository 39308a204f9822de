# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every example of the INSTALLED collection runs as written (see doc_examples.py for what is found and the
markers), and ansible-doc renders every plugin and role without broken markup.

Run by tests/installed/run.sh (stage build-installed) with MACFLEET_INSTALLED_COLLECTION set to the installed
copy and ANSIBLE_COLLECTIONS_PATH to where it is installed. The counts (run, asserted, marked with reason) are
written to MACFLEET_EXAMPLE_COUNTS (default: <tmp>/example-counts.json) and printed.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import doc_examples  # noqa: E402  pylint: disable=wrong-import-position

INSTALLED = Path(os.environ.get("MACFLEET_INSTALLED_COLLECTION", Path(__file__).resolve().parents[2]))
CALLBACKS = INSTALLED / "tests" / "system" / "callback_plugins"
BLOCKS = doc_examples.all_blocks(INSTALLED)
COUNTS = {"run": [], "asserted": [], "marked": [], "syntax_checked": [], "parsed": []}
# Commands of a console block that run here: ansible-playbook is syntax-checked (its hosts are the reader's),
# ansible-doc runs. Any other command needs a block marker that says why it cannot run here.
RUNNABLE_COMMANDS = ("ansible-playbook", "ansible-doc")
# What an example may do on this machine: read, compute, probe. An example task with any other action (one that
# changes a host: a firewall, a file under /etc, a Mac's settings) must carry a marker and is never run here.
# Every run is also in a new network namespace (unshare --net): nothing reaches the network or this machine's
# firewall even if a marker is forgotten in a role.
READ_ONLY_ACTIONS = {"ansible.builtin.debug", "ansible.builtin.set_fact", "ansible.builtin.assert",
                     "macfleet.apple_network.endpoint_probe"}
# The one role example that runs: the MDM guide's controller export, which writes only under its output folder.
READ_ONLY_ROLES = {("macfleet.apple_network.macos_proxy_profile", "mdm_export")}
TASK_KEYWORDS = {"name", "register", "vars", "when", "loop", "loop_control", "delegate_to", "run_once", "changed_when",
                 "failed_when", "ignore_errors", "ignore_unreachable", "tags", "become", "check_mode", "no_log",
                 "environment", "module_defaults", "until", "retries", "delay", "args", "notify", "with_items"}


def _env():
    env = dict(os.environ)
    env.update({"ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0",
                "ANSIBLE_PYTHON_INTERPRETER": sys.executable, "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0"})
    return env


def _action(task):
    actions = [key for key in task if key not in TASK_KEYWORDS]
    return actions[0] if len(actions) == 1 else None


def _may_run(task):
    """Can this example task run on this machine (it changes nothing outside the test's own folder)?"""
    action = _action(task)
    if action in READ_ONLY_ACTIONS:
        return True
    if action == "ansible.builtin.copy":
        # A file for review in /tmp, nothing a host uses (the test runs as root: never a system path).
        return str(task[action].get("dest", "")).startswith("/tmp/") and "/../" not in str(task[action].get("dest"))
    if action in ("ansible.builtin.include_role", "ansible.builtin.import_role"):
        settings = dict(task.get("vars") or {})
        return (task[action].get("name"), settings.get("macos_proxy_profile_delivery")) in READ_ONLY_ROLES
    return False


def _playbook(path, cwd, *args):
    env = _env()
    env.update({"ANSIBLE_STDOUT_CALLBACK": "json_results", "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS)})
    isolate = ["unshare", "--net"] if os.geteuid() == 0 else []
    proc = subprocess.run(isolate + ["ansible-playbook", "-i", "localhost,", "-c", "local", str(path)] + list(args), cwd=str(cwd),
                          capture_output=True, text=True, env=env, check=False, timeout=600)
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        data = None
    return proc, data


def _results(data):
    found = {}
    for play in (data or {}).get("plays", []):
        for task in play.get("tasks", []):
            found[task["task"]["name"]] = task["hosts"].get("localhost", {})
    return found


def _ids(kind):
    return [b.origin for b in BLOCKS if doc_examples.classify(b) == kind]


def _block(origin):
    return [b for b in BLOCKS if b.origin == origin][0]


def _mark(origin, reason):
    assert reason and reason.strip(), "%s: a marker must say why" % origin
    COUNTS["marked"].append({"example": origin, "reason": reason.strip()})


def test_examples_are_found():
    # Guards the finder itself: a change that found nothing would make every test below vacuous.
    kinds = [doc_examples.classify(b) for b in BLOCKS]
    assert kinds.count("tasks") >= 30 and kinds.count("console") >= 5 and kinds.count("playbook") >= 3, kinds
    assert not [b.origin for b in BLOCKS if doc_examples.classify(b) == "invalid"], "YAML examples that do not parse"


@pytest.mark.parametrize("origin", _ids("tasks"))
def test_task_examples(origin, tmp_path):
    block = _block(origin)
    if block.marker:
        for task in block.tasks:
            _mark(origin, "%s: %s" % (block.marker[0], block.marker[1]))
        return
    tasks, expected = [], {}
    for index, task in enumerate(block.tasks):
        where = "%s task %d" % (origin, index + 1)
        if task.marker:
            _mark(where, task.marker)
            continue
        loaded = yaml.safe_load(task.text)[0]
        assert _may_run(loaded), ("%s (%s) would change this machine: mark it '# example: needs ... (why)'"
                                  % (where, _action(loaded)))
        name = "EX%02d %s" % (index, loaded.get("name", ""))
        loaded = dict(loaded, name=name, ignore_errors=True)
        tasks.append(loaded)
        expected[name] = (where, task.expectations)
    if not tasks:
        return
    play = [{"name": "Examples of %s" % origin, "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    path = tmp_path / "example.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    proc, data = _playbook(path, tmp_path)
    results = _results(data)
    problems = []
    for name, (where, expectations) in expected.items():
        result = results.get(name)
        if result is None:
            problems.append("%s did not run (rc %s): %s" % (where, proc.returncode, proc.stderr[-1500:]))
            continue
        if result.get("failed") or result.get("skipped"):
            problems.append("%s: %s" % (where, result.get("msg") or result))
            continue
        COUNTS["run"].append(where)
        actual = result.get("msg", result)
        for text in expectations:
            kind, value = doc_examples.parse_expectation(text)
            ok = (len(actual) == value) if kind == "length" else doc_examples.matches(value, actual)
            if not ok:
                problems.append("%s promises # -> %s, got %s" % (where, text, json.dumps(actual)[:600]))
            else:
                COUNTS["asserted"].append(where)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("origin", _ids("playbook"))
def test_playbook_examples(origin, tmp_path):
    block = _block(origin)
    path = tmp_path / "example.yml"
    path.write_text(block.text)
    if block.marker:
        proc, _data = _playbook(path, tmp_path, "--syntax-check")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        COUNTS["syntax_checked"].append(origin)
        _mark(origin, "%s: %s" % block.marker)
        return
    plays = yaml.safe_load(block.text)
    unsafe = [(play.get("name"), _action(task)) for play in plays for task in play.get("tasks", []) + play.get("roles", [])
              if play.get("hosts") != "localhost" or not _may_run(task)]
    assert not unsafe, "%s would change a host (%s): mark it '.. macfleet-example: KIND why'" % (origin, unsafe)
    proc, data = _playbook(path, tmp_path)
    failed = [(name, r.get("msg")) for name, r in _results(data).items() if r.get("failed") and not r.get("ignored")]
    assert proc.returncode == 0 and not failed, (failed, proc.stdout[-3000:], proc.stderr[-2000:])
    COUNTS["run"].append(origin)


@pytest.mark.parametrize("origin", _ids("catalog"))
def test_catalog_file_examples(origin, tmp_path):
    """A complete catalog file of the guide is valid: the catalog lookup loads it."""
    path = tmp_path / "example-catalog.yml"
    path.write_text(_block(origin).text)
    play = tmp_path / "load.yml"
    play.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Load", "ansible.builtin.debug": {"msg": "{{ query('macfleet.apple_network.hosts', catalog_files=['%s'], "
                                                          "source='example-corp') | length }}" % path}}]}]))
    proc, data = _playbook(play, tmp_path)
    result = _results(data).get("Load", {})
    assert proc.returncode == 0 and int(result.get("msg", 0)) > 0, (result, proc.stderr[-2000:])
    COUNTS["run"].append(origin)


@pytest.mark.parametrize("origin", _ids("data"))
def test_data_examples_parse(origin):
    assert isinstance(yaml.safe_load(_block(origin).text), dict)
    COUNTS["parsed"].append(origin)


@pytest.mark.parametrize("origin", [b.origin for b in BLOCKS if b.language == "ini"])
def test_inventory_examples_parse(origin, tmp_path):
    path = tmp_path / "inventory.ini"
    path.write_text("[macs]\nmac1 ansible_host=192.0.2.1\n" + _block(origin).text)
    proc = subprocess.run(["ansible-inventory", "-i", str(path), "--list"], capture_output=True, text=True, env=_env(),
                          check=False)
    assert proc.returncode == 0 and "mac1" in proc.stdout, proc.stderr
    configparser.ConfigParser(allow_no_value=True, delimiters=("=",)).read_string(_block(origin).text)
    COUNTS["parsed"].append(origin)


def _commands(text):
    """The commands of a console block: ``$`` prompts removed, continuations joined, comments dropped."""
    commands, pending = [], ""
    for line in text.splitlines():
        line = re.sub(r"^\$ ", "", line.strip())
        if not line or line.startswith("#"):
            continue
        pending += line
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        commands.append(pending)
        pending = ""
    return commands


@pytest.mark.parametrize("origin", _ids("console"))
def test_console_examples(origin, tmp_path):
    block = _block(origin)
    commands = _commands(block.text)
    assert commands, origin
    if block.marker:
        kind, why = block.marker
        if any("hacking/" in command for command in commands):
            assert kind == "source-repository", "%s names maintainer scripts (hacking/), which the installed " \
                                                "collection does not have; mark it source-repository" % origin
        _mark(origin, "%s: %s" % (kind, why))
        return
    for command in commands:
        argv = shlex.split(command.split(" #")[0])
        program = argv[0]
        assert program in RUNNABLE_COMMANDS, (
            "%s: %r cannot run from the installed collection here; run it, or mark the block with why" % (origin, command))
        if program == "ansible-playbook":
            argv.append("--syntax-check")
        proc = subprocess.run(argv, cwd=str(tmp_path), capture_output=True, text=True, env=_env(), check=False)
        assert proc.returncode == 0, (command, proc.stdout[-2000:], proc.stderr[-2000:])
        COUNTS["syntax_checked" if program == "ansible-playbook" else "run"].append("%s: %s" % (origin, command))


# -- ansible-doc ------------------------------------------------------------------------------------------------------

def _plugins():
    found = []
    for plugin_type in ("lookup", "filter", "test", "module", "role"):
        proc = subprocess.run(["ansible-doc", "-t", plugin_type, "-l", "macfleet.apple_network", "--json"],
                              capture_output=True, text=True, env=_env(), check=True)
        found += [(plugin_type, name) for name in sorted(json.loads(proc.stdout))]
    return found


PLUGINS = _plugins()
# Markup ansible-doc renders, read as it reads it: V(), O(), E() and RV() honour a backslash escape (V(f(x\))),
# C(), I() and B() end at the first ")". What one encloses is a value or a piece of code whose brackets balance;
# a ")" inside it closes the markup early (V([?contains(protocols, 'udp')].ports_text) renders broken).
MARKUP = re.compile(r"\b(?:V|O|E|RV)\(((?:[^\\)]|\\.)*)\)|\b(?:C|I|B)\(([^)]*)\)")
LEFTOVER = re.compile(r"\b(?:C|V|O|E|RV|I|B|M|U|L|R|P)\([^)]*$|\b(?:C|V|O|E|RV|I|B|M|U|L|R|P)\(\)")


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _balanced(text):
    pairs, stack = {")": "(", "]": "[", "}": "{"}, []
    for char in re.sub(r"'[^']*'|\"[^\"]*\"", "", text):
        if char in "([{":
            stack.append(char)
        elif char in pairs:
            if not stack or stack.pop() != pairs[char]:
                return False
    return not stack


def broken_markup(doc_text, rendered):
    """Problems in a plugin's documentation: a markup value that does not balance (the source, as ansible-doc reads
    it), or markup left raw in the rendered text."""
    problems = []
    for text in doc_text:
        for match in MARKUP.finditer(text):
            value = re.sub(r"\\(.)", r"\1", match.group(1)) if match.group(1) is not None else match.group(2)
            if not _balanced(value):
                problems.append("markup %r renders as %r: its brackets or quotes do not balance" % (match.group(0), value))
    for line in rendered.splitlines():
        if LEFTOVER.search(line):
            problems.append("rendered text keeps raw markup: %r" % line.strip())
    return problems


@pytest.mark.parametrize("plugin_type, name", PLUGINS, ids=["%s %s" % p for p in PLUGINS])
def test_ansible_doc_renders_without_broken_markup(plugin_type, name):
    rendered = subprocess.run(["ansible-doc", "-t", plugin_type, name], capture_output=True, text=True, env=_env(),
                              check=True).stdout
    doc = json.loads(subprocess.run(["ansible-doc", "-t", plugin_type, name, "--json"], capture_output=True, text=True,
                                    env=_env(), check=True).stdout)
    texts = [s for s in _strings(doc) if "(" in s]
    problems = broken_markup(texts, rendered)
    assert not problems, "\n".join(problems)


def test_the_markup_check_catches_the_query_break():
    # The break issue 21 found: V() closed by the ")" of contains(...), rendered as [?contains(protocols, 'udp''].
    broken = "for example V([?contains(protocols, 'udp')].ports_text)."
    assert broken_markup([broken], "") and not broken_markup(["V([?source=='x'].id)"], "")


def teardown_module(module):
    del module
    path = Path(os.environ.get("MACFLEET_EXAMPLE_COUNTS") or (Path(os.environ.get("TMPDIR", "/tmp")) / "example-counts.json"))
    summary = dict((key, len(value)) for key, value in COUNTS.items())
    path.write_text(json.dumps({"counts": summary, "marked": COUNTS["marked"], "run": COUNTS["run"],
                                "asserted": COUNTS["asserted"], "syntax_checked": COUNTS["syntax_checked"]}, indent=1))
    print("\nexamples: %s" % json.dumps(summary))
    for item in COUNTS["marked"]:
        print("  marked %s: %s" % (item["example"], item["reason"]))
