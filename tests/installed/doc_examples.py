# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every example a user would copy, found automatically: the EXAMPLES of every plugin (``.py`` and ``.yml`` doc
files), and every code block of README.md and docs/docsite/rst/*.rst.

A new example is tested without anyone listing it. Conventions an example may use:

``# -> VALUE`` (a comment line after a task, indented as the task or deeper)
    The task's ``msg`` (or, without one, its whole result) equals VALUE, read as YAML. ``...`` stands for anything:
    as the last item of a list it allows more items (a prefix), as a value it allows any value. ``# -> N items``
    asserts a length only.
``# example: needs macOS (why)`` / ``# example: needs root on a real host (why)`` (a comment line in a task)
    The task cannot run here; it is counted as marked, with the reason.
``.. macfleet-example: KIND why`` (rst comment just before a ``code-block``) / ``<!-- macfleet-example: KIND why -->``
(markdown, just before a fence)
    The whole block cannot run here; KIND is ``needs-macos``, ``needs-hosts`` (an inventory of real Macs) or
    ``source-repository`` (maintainer commands that run from a clone, not from the installed collection).

This module only finds and classifies examples; tests/installed/test_doc_examples.py runs them.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ARROW = re.compile(r"^\s*# -> (.*)$")
TASK_MARKER = re.compile(r"^\s*# example: (needs .*)$")
RST_MARKER = re.compile(r"^\.\. macfleet-example: (\S+) (.+)$")
MD_MARKER = re.compile(r"^<!-- macfleet-example: (\S+) (.+) -->$")
ELLIPSIS = "..."
LENGTH = re.compile(r"^(\d+) items?$")


@dataclass
class Block:
    """One code block: where it is, its language, its text and the block marker beside it (if any)."""

    origin: str
    language: str
    text: str
    marker: tuple = None
    tasks: list = field(default_factory=list)


@dataclass
class Task:
    """One top-level item of a YAML block, with its expectations and its own marker."""

    text: str
    expectations: list
    marker: str = None


def _items(text):
    """Top-level ``- `` items of a YAML list, each with the comment lines that follow it."""
    items, current = [], None
    for line in text.splitlines():
        if line.startswith("- "):
            if current is not None:
                items.append(current)
            current = [line]
        elif current is not None:
            current.append(line)
    if current is not None:
        items.append(current)
    tasks = []
    for lines in items:
        expectations = [ARROW.match(line).group(1).strip() for line in lines if ARROW.match(line)]
        markers = [TASK_MARKER.match(line).group(1) for line in lines if TASK_MARKER.match(line)]
        tasks.append(Task("\n".join(lines) + "\n", expectations, markers[0] if markers else None))
    return tasks


def _yaml_block(origin, language, text, marker=None):
    block = Block(origin, language, text, marker)
    block.tasks = _items(text)
    return block


def plugin_examples(root):
    """The EXAMPLES of every plugin: ``EXAMPLES = r\"\"\"...\"\"\"`` in a .py file, or ``EXAMPLES:`` of a .yml doc file."""
    blocks = []
    for path in sorted((root / "plugins").glob("*/*.py")) + sorted((root / "plugins").glob("*/*.yml")):
        if path.parent.name in ("module_utils", "plugin_utils", "doc_fragments"):
            continue
        text = None
        if path.suffix == ".py":
            for node in ast.parse(path.read_text()).body:
                if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["EXAMPLES"]:
                    text = node.value.value
        else:
            text = (yaml.safe_load(path.read_text()) or {}).get("EXAMPLES")
        if text:
            blocks.append(_yaml_block(str(path.relative_to(root)), "yaml", textwrap.dedent(text)))
    return blocks


def rst_blocks(path, root):
    """``.. code-block:: LANG`` blocks of an rst file (at any indentation), with a ``.. macfleet-example:`` marker."""
    lines = path.read_text().splitlines()
    blocks = []
    for index, line in enumerate(lines):
        match = re.match(r"^(\s*)\.\. code-block:: *(\S+)", line)
        if not match:
            continue
        indent = len(match.group(1))
        marker = None
        back = index - 1
        while back >= 0 and not lines[back].strip():
            back -= 1
        if back >= 0:
            found = RST_MARKER.match(lines[back].strip())
            if found:
                marker = (found.group(1), found.group(2))
        body = []
        cursor = index + 1
        while cursor < len(lines) and (not lines[cursor].strip() or len(lines[cursor]) - len(lines[cursor].lstrip()) > indent):
            body.append(lines[cursor])
            cursor += 1
        text = textwrap.dedent("\n".join(body)).strip("\n") + "\n"
        origin = "%s:%d" % (path.relative_to(root), index + 1)
        blocks.append(_yaml_block(origin, match.group(2), text, marker) if "yaml" in match.group(2)
                      else Block(origin, match.group(2), text, marker))
    return blocks


def markdown_blocks(path, root):
    """Fenced code blocks of a markdown file, with a ``<!-- macfleet-example: -->`` marker on the line before."""
    lines = path.read_text().splitlines()
    blocks, index = [], 0
    while index < len(lines):
        match = re.match(r"^```(\w*)$", lines[index])
        if not match:
            index += 1
            continue
        marker = None
        previous = lines[index - 1].strip() if index else ""
        found = MD_MARKER.match(previous)
        if found:
            marker = (found.group(1), found.group(2))
        end = index + 1
        while end < len(lines) and lines[end] != "```":
            end += 1
        text = "\n".join(lines[index + 1:end]) + "\n"
        origin = "%s:%d" % (path.relative_to(root), index + 1)
        language = match.group(1) or "text"
        blocks.append(_yaml_block(origin, language, text, marker) if "yaml" in language else Block(origin, language, text, marker))
        index = end + 1
    return blocks


def all_blocks(root):
    root = Path(root)
    blocks = plugin_examples(root)
    readme = root / "README.md"
    if readme.is_file():
        blocks += markdown_blocks(readme, root)
    for path in sorted((root / "docs" / "docsite" / "rst").glob("*.rst")):
        blocks += rst_blocks(path, root)
    return blocks


def classify(block):
    """``playbook``, ``tasks``, ``catalog`` (a catalog file), ``data`` (other YAML) or ``console``/``other``."""
    if "yaml" not in block.language:
        return "console" if block.language in ("console", "shell", "bash", "sh") else "other"
    try:
        # Jinja-free YAML: the examples are YAML documents whose strings hold Jinja.
        data = yaml.safe_load(block.text)
    except yaml.YAMLError:
        return "invalid"
    if isinstance(data, dict):
        return "catalog" if "catalog_format" in data else "data"
    if isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
        if all("hosts" in item or any(key.endswith("import_playbook") for key in item) for item in data):
            return "playbook"
        return "tasks"
    return "data"


def parse_expectation(text):
    """``(kind, value)``: ``("length", N)`` or ``("equal", value)`` with ``...`` kept as the string ``...``."""
    match = LENGTH.match(text)
    if match:
        return "length", int(match.group(1))
    return "equal", yaml.safe_load(text)


def matches(expected, actual):
    """Does ``actual`` match ``expected``, where ``...`` stands for anything (and, last in a list, for more items)?"""
    if expected == ELLIPSIS:
        return True
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return False
        if expected and expected[-1] == ELLIPSIS:
            head = expected[:-1]
            return len(actual) >= len(head) and all(matches(e, a) for e, a in zip(head, actual))
        return len(expected) == len(actual) and all(matches(e, a) for e, a in zip(expected, actual))
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return False
        loose = expected.get(ELLIPSIS) == ELLIPSIS
        keys = [k for k in expected if k != ELLIPSIS]
        if not loose and set(keys) != set(actual):
            return False
        return all(k in actual and matches(expected[k], actual[k]) for k in keys)
    return expected == actual
