# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The layout's import rules, read from the source (the import walk) and checked under a bare Python 3.9.

- No import cycle between our own modules, counting imports inside functions.
- No ``importlib`` (``import_module``, ``__import__``, ``find_spec``, ...) naming one of our modules, nor with a
  name computed at run time; a third-party library's name written out (``find_spec("cryptography")``) is fine.
- ``module_utils/_catalog`` reaches no firewall module, directly or through other modules.
- ``module_utils`` imports nothing from ``plugin_utils``.
- ``module_utils/_host`` (the code a module ships to the managed host) imports the standard library and ``_host``
  only; the optional libraries dnspython and cryptography only inside ``try: ... except ImportError``; and
  ``ansible.module_utils`` only from the files of ``HOST_ANSIBLE_MODULE_UTILS``.
- Under a Mac's stock interpreter (a bare Python 3.9 without site-packages, given only a copy of the collection),
  every ``_host`` module imports, and imports nothing outside that interpreter's standard library.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ansible_collections.macfleet.apple_network.tests.stock_python import stock_python

COLLECTION = Path(__file__).resolve().parents[3]
PLUGINS = COLLECTION / "plugins"
PACKAGE = "ansible_collections.macfleet.apple_network.plugins"
HOST = PACKAGE + ".module_utils._host"
CATALOG = PACKAGE + ".module_utils._catalog"
# Optional libraries a _host file may try to import (inside ``try: ... except ImportError``).
OPTIONAL = frozenset(["dns", "cryptography"])
# _host files that run only inside an Ansible module, where ansible.module_utils is shipped with them
# (path below module_utils/_host: why).
HOST_ANSIBLE_MODULE_UTILS = {
    "firewall/argspec.py": "firewall_rules' argument spec validation (ArgumentSpecValidator)",
}
# Findings of the walk on the tree as it is, each to be fixed where it is (key: why it is open). Any other finding
# fails; so does an entry here that the walk no longer finds (remove it then).
OPEN_FINDINGS = {}
DYNAMIC_IMPORTS = frozenset(["import_module", "__import__", "find_spec", "spec_from_file_location", "find_loader", "load_module"])


class Source:
    """One .py file under plugins/: its module name and what it imports."""

    def __init__(self, path):
        self.path = path
        self.relative = path.relative_to(PLUGINS).as_posix()
        parts = list(path.relative_to(PLUGINS).with_suffix("").parts)
        self.is_package = parts[-1] == "__init__"
        if self.is_package:
            parts.pop()
        self.name = ".".join([PACKAGE] + parts)
        self.tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        self.imports = list(self._imports())

    def _package(self):
        return self.name if self.is_package else self.name.rpartition(".")[0]

    def _absolute(self, node):
        if not node.level:
            return node.module
        base = self._package().split(".")
        base = base[:len(base) - node.level + 1]
        return ".".join(base + ([node.module] if node.module else []))

    def _imports(self):
        """``(target, names, line, guarded)`` per import statement; ``guarded`` when inside ``try/except ImportError``."""
        for node, guarded in _walk(self.tree, False):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield alias.name, [], node.lineno, guarded
            elif isinstance(node, ast.ImportFrom):
                yield self._absolute(node), [alias.name for alias in node.names], node.lineno, guarded

    def string_constants(self):
        """Module-level ``NAME = "text"`` assignments."""
        found = {}
        for node in self.tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        found[target.id] = node.value.value
        return found


def _catches_import_error(handler):
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(kind, ast.Name) and kind.id in ("ImportError", "ModuleNotFoundError") for kind in kinds)


def _walk(node, guarded):
    yield node, guarded
    if isinstance(node, ast.Try) and any(_catches_import_error(h) for h in node.handlers):
        for child in node.body:
            yield from _walk(child, True)
        for child in node.handlers + node.orelse + node.finalbody:
            yield from _walk(child, guarded)
        return
    for child in ast.iter_child_nodes(node):
        yield from _walk(child, guarded)


@pytest.fixture(scope="module")
def sources():
    found = dict((s.name, s) for s in (Source(p) for p in sorted(PLUGINS.rglob("*.py")) if "__pycache__" not in p.parts))
    assert len(found) > 50 and any(n.startswith(HOST + ".") for n in found), "the walk found no plugins/ tree at %s" % PLUGINS
    return found


def edges_of(source, sources):
    """The modules of ours that ``source`` imports: ``from pkg import mod`` imports ``pkg.mod`` when that is a module."""
    result = []
    for target, names, line, _guarded in source.imports:
        if not target.startswith(PACKAGE):
            continue
        submodules = ["%s.%s" % (target, n) for n in names if "%s.%s" % (target, n) in sources]
        result.extend((module, line) for module in submodules or [target])
    return result


@pytest.fixture(scope="module")
def graph(sources):
    return dict((name, edges_of(source, sources)) for name, source in sources.items())


def _cycles(graph):
    """Strongly connected components of more than one module, and modules importing themselves (Tarjan)."""
    index, low, stack, on_stack, result = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target, _line in graph.get(node, []):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or any(t == node for t, _line in graph.get(node, [])):
                result.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return result


def short(name):
    return name[len(PACKAGE) + 1:] if name.startswith(PACKAGE + ".") else name


def cycle_findings(graph):
    for component in _cycles(graph):
        inside = ["%s -> %s (line %d)" % (short(m), short(t), line) for m in component for t, line in graph[m] if t in component]
        yield "cycle: " + ", ".join(short(m) for m in component), "; ".join(inside)


def check(findings, title):
    """Fails with ``title`` and every finding that is not an open one."""
    new = [message for key, message in findings if key not in OPEN_FINDINGS]
    assert not new, title + ":\n" + "\n".join(new)


def test_no_import_cycle(graph):
    check(cycle_findings(graph), "import cycles between our modules")


def _call_name(func):
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def importlib_findings(sources):
    ours = set(p.name for p in PLUGINS.rglob("*") if p.name != "__pycache__") | {"ansible_collections", "plugins"}
    for source in sources.values():
        constants = source.string_constants()
        for node in ast.walk(source.tree):
            if not (isinstance(node, ast.Call) and _call_name(node.func) in DYNAMIC_IMPORTS and node.args):
                continue
            argument = node.args[0]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                named = argument.value
            elif isinstance(argument, ast.Name) and argument.id in constants:
                named = constants[argument.id]
            else:
                what = "%s() of a name computed at run time" % _call_name(node.func)
                yield "importlib: %s %s" % (source.relative, what), "%s:%d: %s" % (source.relative, node.lineno, what)
                continue
            first = named.lstrip(".").split(".")[0]
            if named.startswith(".") or first in ours or first + ".py" in ours:
                what = "%s(%r) names one of our modules" % (_call_name(node.func), named)
                yield "importlib: %s %s" % (source.relative, what), "%s:%d: %s" % (source.relative, node.lineno, what)


def test_no_importlib_between_our_modules(sources):
    check(importlib_findings(sources), "importlib use between our own packages (import them with an import statement)")


def _reachable(start, graph):
    paths, todo = {start: [start]}, [start]
    while todo:
        node = todo.pop()
        for target, _line in graph.get(node, []):
            if target not in paths:
                paths[target] = paths[node] + [target]
                todo.append(target)
    return paths


def _is_firewall(name):
    return any("firewall" in part for part in short(name).split("."))


def catalog_firewall_findings(sources, graph):
    """Each import that leads from _catalog into firewall code, with the shortest chain from a _catalog module."""
    entries = {}
    for name in sorted(n for n in sources if n == CATALOG or n.startswith(CATALOG + ".")):
        for target, path in _reachable(name, graph).items():
            if _is_firewall(target) and not _is_firewall(path[-2]):
                key = "catalog-firewall: %s -> %s" % (short(path[-2]), short(target))
                if key not in entries or len(path) < len(entries[key]):
                    entries[key] = path
    for key, path in sorted(entries.items()):
        yield key, " -> ".join(short(p) for p in path)


def test_catalog_reaches_no_firewall_module(sources, graph):
    check(catalog_firewall_findings(sources, graph), "module_utils/_catalog imports firewall code")


def plugin_utils_findings(sources):
    for source in sources.values():
        if not source.name.startswith(PACKAGE + ".module_utils"):
            continue
        for target, _names, line, _guarded in source.imports:
            if target.startswith(PACKAGE + ".plugin_utils"):
                yield ("plugin_utils: %s imports %s" % (source.relative, short(target)),
                       "%s:%d imports %s" % (source.relative, line, short(target)))


def test_module_utils_imports_no_plugin_utils(sources):
    check(plugin_utils_findings(sources), "module_utils imports controller-only plugin_utils")


def host_findings(sources):
    for source in sources.values():
        if not (source.name == HOST or source.name.startswith(HOST + ".")):
            continue
        in_host = source.relative[len("module_utils/_host/"):]
        for target, _names, line, guarded in source.imports:
            top = target.split(".")[0]
            if target == HOST or target.startswith(HOST + ".") or top in sys.stdlib_module_names:
                continue
            if guarded and top in OPTIONAL:
                continue
            if target.startswith("ansible.module_utils") and in_host in HOST_ANSIBLE_MODULE_UTILS:
                continue
            what = "%s outside try/except ImportError" % top if top in OPTIONAL else short(target)
            yield "host: %s imports %s" % (source.relative, what), "%s:%d imports %s" % (source.relative, line, what)


def test_host_imports_the_standard_library_and_host_only(sources):
    stale = [path for path in HOST_ANSIBLE_MODULE_UTILS if not (PLUGINS / "module_utils" / "_host" / path).is_file()]
    assert not stale, "HOST_ANSIBLE_MODULE_UTILS names files that do not exist: %s" % stale
    check(host_findings(sources), "module_utils/_host imports something a managed host may not have (standard library and _host "
                                  "only; dnspython/cryptography inside try/except ImportError)")


def test_open_findings_are_still_open(sources, graph):
    found = set(key for findings in (cycle_findings(graph), importlib_findings(sources), catalog_firewall_findings(sources, graph),
                                     plugin_utils_findings(sources), host_findings(sources)) for key, _message in findings)
    fixed = sorted(set(OPEN_FINDINGS) - found)
    assert not fixed, "fixed: remove from OPEN_FINDINGS in %s:\n%s" % (Path(__file__).name, "\n".join(fixed))


# -- the Mac-side import test: a bare Python 3.9 ----------------------------------------------------

# Run as ``python -I -S -c DRIVER PATH... MODULE``: records every top-level name imported while importing MODULE.
DRIVER = r'''
import sys
attempted = []


class Recorder(object):
    @staticmethod
    def find_spec(name, path=None, target=None):
        attempted.append(name)
        return None


sys.path[:0] = sys.argv[1:-1]
sys.meta_path.insert(0, Recorder)
before = set(sys.modules)
error = None
try:
    __import__(sys.argv[-1])
except BaseException as exc:  # report it, whatever it is
    error = "%s: %s" % (type(exc).__name__, exc)
after = set(sys.modules)
sys.meta_path.remove(Recorder)

import json, os, sysconfig
stdlib = set(sys.builtin_module_names)
paths = sysconfig.get_paths()
for folder in set([paths["stdlib"], paths["platstdlib"], os.path.join(paths["platstdlib"], "lib-dynload")]):
    for entry in os.listdir(folder):
        full = os.path.join(folder, entry)
        if entry.endswith(".py"):
            stdlib.add(entry[:-3])
        elif entry.endswith(".so"):
            stdlib.add(entry.split(".")[0])
        elif entry not in ("site-packages", "dist-packages") and os.path.isfile(os.path.join(full, "__init__.py")):
            stdlib.add(entry)
print(json.dumps({
    "version": "%d.%d" % sys.version_info[:2],
    "imported": sorted(set(m.split(".")[0] for m in after - before) | set(n.split(".")[0] for n in attempted if n in after)),
    "error": error,
    "stdlib": sorted(stdlib),
}))
'''


def host_modules():
    folder = PLUGINS / "module_utils" / "_host"
    for path in sorted(folder.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        relative = path.relative_to(folder)
        parts = list(relative.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield relative.as_posix(), ".".join([HOST] + parts)


def bare_import(python, paths, module):
    result = subprocess.run([python, "-I", "-S", "-c", DRIVER] + [str(p) for p in paths] + [module],
                            capture_output=True, text=True, timeout=60, check=False, env={"PATH": os.environ.get("PATH", "")})
    assert result.returncode == 0 and result.stdout.strip(), "the driver failed for %s: %s" % (module, result.stderr)
    return json.loads(result.stdout)


def bare_import_problems(python, scratch):
    """Each _host module imported under ``python`` with a copy of plugins/ only: what it imported outside the standard library."""
    copy_root = scratch / "collections"
    shutil.copytree(str(PLUGINS), str(copy_root / "ansible_collections" / "macfleet" / "apple_network" / "plugins"),
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # Where ansible.module_utils is allowed, it is there as in the module's payload: the controller's ansible package.
    import ansible  # pylint: disable=import-outside-toplevel
    ansible_root = scratch / "ansible-package"
    ansible_root.mkdir()
    (ansible_root / "ansible").symlink_to(Path(ansible.__file__).resolve().parent)
    modules = list(host_modules())
    with ThreadPoolExecutor(4) as pool:
        reports = list(pool.map(lambda item: bare_import(python, [copy_root] + ([ansible_root] if item[0] in HOST_ANSIBLE_MODULE_UTILS else []),
                                                         item[1]), modules))
    problems = []
    for (relative, _module), report in zip(modules, reports):
        with_ansible = relative in HOST_ANSIBLE_MODULE_UTILS
        assert report["version"] == "3.9", "%s is Python %s, not 3.9" % (python, report["version"])
        allowed = set(report["stdlib"]) | {"ansible_collections"} | ({"ansible"} if with_ansible else set())
        outside = [n for n in report["imported"] if n not in allowed]
        if report["error"]:
            problems.append("%s: import failed: %s" % (relative, report["error"]))
        if outside:
            problems.append("%s: imported %s" % (relative, ", ".join(outside)))
    return problems


def test_host_modules_import_under_a_bare_python_3_9(tmp_path):
    python = stock_python()
    if not python or not os.access(python, os.X_OK):
        pytest.skip("no bare Python 3.9 for the Mac-side import test: set MACFLEET_STOCK_PYTHON or install pyenv's 3.9 "
                    "(~/.pyenv/versions/3.9.*/bin/python3.9; hacking/bootstrap.sh full does)")
    problems = bare_import_problems(python, tmp_path)
    assert not problems, ("under %s with only the collection on sys.path, _host modules import names outside its standard "
                          "library:\n%s" % (python, "\n".join(problems)))
