# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Controller side of endpoint_probe: catalog selectors become concrete targets, then the module runs.

With ``discover_python`` the host's interpreter is found first with a shell command only
(``plugin_utils/_python_discovery.py``), so Apple's ``/usr/bin/python3`` stub is never started. With
``result_dir`` the host's result set is written here, on the controller, also for a host that could
not be probed (unreachable, no Python, module failure), and the play gets a summary only: the results,
the module's logged arguments (every expanded target) and the evidence stay out of the event stream.
"""

from __future__ import annotations

import json
import os

from ansible import constants as C
from ansible.errors import AnsibleConnectionFailure
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.errors import CatalogError, CatalogQueryError
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.files import write_atomic
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.options import (
    ProbeInputError,
    parse_pin_overrides,
    parse_proxy,
    read_pem_item,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.ports import parse_port
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._probe_targets import catalog_targets
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.result_set import DETAILS, probe_result_set
from ansible_collections.macfleet.apple_network.plugins.plugin_utils import _python_discovery as discovery
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._catalog_lookup import catalog_sources
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._output_paths import OutputPathError, output_path

MODULE = "macfleet.apple_network.endpoint_probe"
SELECTORS = ("sources", "used_by", "groups", "sections")
# The play gets at most this many failing cells, each in one line of at most FAILURE_LINE characters.
FAILURE_LINES = 20
FAILURE_LINE = 200


def _str_list(args, name):
    value = args.pop(name, None)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        raise ProbeInputError("%s: %r is not a list of strings" % (name, value))
    return list(value)


def _bool(args, name):
    value = args.pop(name, False)
    if isinstance(value, str) and value.lower() in ("true", "yes", "1", "false", "no", "0", ""):
        return value.lower() in ("true", "yes", "1")
    if not isinstance(value, bool):
        raise ProbeInputError("%s: %r is not true or false" % (name, value))
    return value


def group_of(group_by, variables, group_names):
    """The group a host is reported under: the value of its variable ``group_by``, else the first (sorted) of its
    inventory groups named ``<group_by>_...`` (the names ansible.builtin.group_by and keyed_groups give), else None."""
    if not group_by:
        return None
    if group_by in variables and variables[group_by] is not None:
        value = variables[group_by]
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ProbeInputError("group_by: the host variable %s is %r, not a string" % (group_by, value))
        return to_text(value) or None
    prefix = group_by + "_"
    found = sorted(name for name in group_names or [] if name.startswith(prefix) and len(name) > len(prefix))
    return found[0] if found else None


def failure_lines(results):
    """One short line per cell that is not ok or skipped (the first FAILURE_LINES)."""
    lines = []
    for cell in results:
        if not isinstance(cell, dict) or cell.get("status") in ("ok", "skipped"):
            continue
        target = cell.get("target") or {}
        line = "%s:%s/%s %s: %s" % (target.get("host") or target.get("pattern"), target.get("port"),
                                    target.get("protocol") or "tcp", cell.get("verdict"), cell.get("message") or "")
        lines.append(line if len(line) <= FAILURE_LINE else line[:FAILURE_LINE - 1] + "\u2026")
    return lines


def write_atomically(path, data):
    """Write ``data`` as JSON to ``path`` (mode 0644), whole or not at all; the directory is created when missing."""
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    write_atomic(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8"), 0o644)


def _result_path(result_dir, host):
    if not host or "/" in host or host in (".", "..") or "\0" in host:
        raise ProbeInputError("result_dir: the host name %r cannot name a result file" % (host,))
    return os.path.join(result_dir, host + ".json")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def _pin_overrides(self, value):
        """pin_overrides checked here, their trust_anchors (files on the controller) given to the module as PEM text."""
        if not value:
            return []
        if not isinstance(value, list):
            raise ProbeInputError("pin_overrides: %r is not a list" % (value,))
        located = []
        for entry in value:
            if isinstance(entry, dict) and isinstance(entry.get("trust_anchors"), list):
                entry = dict(entry, trust_anchors=[self._loader.path_dwim(item) if isinstance(item, str) and "-----BEGIN" not in item
                                                   else item for item in entry["trust_anchors"]])
            located.append(entry)
        return parse_pin_overrides(located)

    def _named_interpreter(self, task_vars):
        """The Python the inventory (or the configuration) names for the host, templated; None for discovery."""
        named = C.config.get_config_value("INTERPRETER_PYTHON", variables=task_vars)
        named = self._templar.template(named) if named else None
        return to_text(named).strip() if named else None

    def _discover(self, task_vars):
        """``(interpreter or None, facts)``: the discovery command through the connection's shell, like raw."""
        command = discovery.discovery_command(self._named_interpreter(task_vars))
        output = self._low_level_execute_command(command, sudoable=False)
        facts = discovery.parse_discovery(output.get("rc"), to_text(output.get("stdout")), to_text(output.get("stderr")))
        return facts["interpreter"], facts

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        host = task_vars.get("inventory_hostname")
        try:
            selectors = dict((name, _str_list(args, name)) for name in SELECTORS)
            result_dir = args.pop("result_dir", None) or None
            detail = args.pop("detail", None) or "compact"
            if detail not in DETAILS:
                raise ProbeInputError("detail: %r is not one of %s" % (detail, ", ".join(DETAILS)))
            group_by = args.pop("group_by", None)
            # The host variable as the play sees it (an inventory value may itself be a template).
            variables = dict((name, self._templar.template(task_vars[name])) for name in [group_by] if name in task_vars)
            group = group_of(group_by, variables, task_vars.get("group_names"))
            discover_python = _bool(args, "discover_python")
            result_file = None
            if result_dir is not None:
                result_file = _result_path(output_path(to_text(result_dir), "result_dir"), host)
            catalog_files, editions = catalog_sources(self._templar, task_vars, args.pop("catalog_files", None),
                                                      args.pop("editions", None))
            default_ports = args.pop("default_ports", None)
            if default_ports is None:
                default_ports = [443]
            if not isinstance(default_ports, (list, tuple)):
                default_ports = [default_ports]
            default_ports = [parse_port(port, "default_ports[%d]" % i, ProbeInputError) for i, port in enumerate(default_ports)]
            # Checked here as well, so that a bad proxy URL never reaches the module's logged arguments.
            parse_proxy(args.get("proxy"), args.get("proxy_username"), args.get("proxy_password"))
            # trust_anchors are files on the controller: the module gets their certificates as PEM text.
            anchors = _str_list(args, "trust_anchors")
            args["trust_anchors"] = [read_pem_item(self._loader.path_dwim(path) if "-----BEGIN" not in path else path,
                                                   "trust_anchors[%d]" % index)
                                     for index, path in enumerate(anchors)]
            args["pin_overrides"] = self._pin_overrides(args.get("pin_overrides"))
            explicit = args.get("targets") or []
            if not isinstance(explicit, list):
                raise ProbeInputError("targets: %r is not a list" % (explicit,))
            catalog = load_catalog(catalog_files, editions)
            targets = []
            if any(selectors.values()) or not explicit:
                targets = catalog_targets(catalog, default_ports=default_ports, **selectors)
        except (CatalogError, CatalogQueryError, ProbeInputError, OutputPathError) as exc:
            result.update(failed=True, changed=False, msg="%s: %s" % (MODULE, exc))
            return result
        args["targets"] = targets + list(explicit)

        module_result = self._probe(args, task_vars, discover_python)
        module_result["catalog_edition"] = catalog.edition
        if result_file is None:
            result.update(module_result)
            return result
        data = probe_result_set(module_result, host, group=group, detail=detail)
        if (data.get("unchecked") or {}).get("reason") == "no_python":
            data["unchecked"]["remedy"] = discovery.NO_PYTHON_REMEDY
        if not self._task.check_mode:
            write_atomically(result_file, data)
        return self._summary(result, module_result, data, result_file)

    def _probe(self, args, task_vars, discover_python):
        """The module's result; an unreachable host or one without Python gives a result that says so."""
        try:
            if discover_python:
                interpreter, facts = self._discover(task_vars)
                if interpreter is None:
                    return {"failed": True, "msg": discovery.no_python_message(facts)}
                task_vars = dict(task_vars, ansible_python_interpreter=interpreter)
            return self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
        except AnsibleConnectionFailure as exc:
            return {"unreachable": True, "msg": to_text(exc)}
        except discovery.DiscoveryError as exc:
            return {"failed": True, "msg": to_text(exc)}

    def _summary(self, result, module_result, data, result_file):
        """What the play gets instead of the results: counts, the file, the failing cells' lines, the interpreter."""
        summary = dict(
            changed=False,
            result_file=result_file,
            written=not self._task.check_mode,
            group=data["group"],
            detail=data["detail"],
            catalog_edition=data["catalog_edition"],
            generated_at=data["generated_at"],
            summary=data["summary"],
        )
        lines = failure_lines(data["results"])
        summary["failures"] = lines[:FAILURE_LINES]
        summary["failure_count"] = len(lines)
        environment = module_result.get("environment")
        if isinstance(environment, dict) and environment.get("python"):
            summary["python"] = environment["python"]
        for key in ("warnings", "deprecations"):
            if module_result.get(key):
                summary[key] = module_result[key]
        unchecked = data.get("unchecked")
        if unchecked is not None:
            summary["unchecked"] = unchecked
            summary["msg"] = "not checked: %s: %s" % (unchecked["reason"], unchecked["message"])
            summary["unreachable" if unchecked["reason"] == "unreachable" else "failed"] = True
        elif module_result.get("failed"):
            # fail_on: the probe ran and its results are in the file; the task fails with the module's message.
            summary.update(failed=True, msg=module_result.get("msg"))
        result.update(summary)
        return result
