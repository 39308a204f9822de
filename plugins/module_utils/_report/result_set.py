# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The per-host result set (the result file's content) from the registered result of an ``endpoint_probe`` task:
why a host could not be checked, and how much of each cell to keep."""

from __future__ import annotations

import re
import time

from ansible_collections.macfleet.apple_network.plugins.module_utils._report.terms import DETAILS, RESULT_SET_FORMAT


# Signs that a module never started because the host has no usable Python: the shell could not find the
# interpreter, Apple's /usr/bin/python3 stub asked for the Command Line Tools, or the Python is too old.
_INTERPRETER_MISSING = re.compile(r"python[0-9.]*['\"]?:? *(?:No such file or directory|not found|command not found)", re.I)
_CLT_STUB = ("xcode-select", "No developer tools were found", "command line developer tools")
_MESSAGE_LIMIT = 2000


def _clip(text, limit=_MESSAGE_LIMIT):
    text = text.strip()
    return text if len(text) <= limit else "\u2026" + text[-limit:]


def _no_python(result, msg, output):
    if re.search(r"module interpreter .* was not found", msg) or "interpreter discovery" in msg.lower():
        return True
    if "requires a minimum of Python version" in msg or "requires a minimum of Python version" in output:
        return True
    module_failure = "module_stderr" in result or "module_stdout" in result
    if module_failure and result.get("rc") in (126, 127):
        return True
    return module_failure and (bool(_INTERPRETER_MISSING.search(output)) or any(s in output for s in _CLT_STUB))


def classify_probe_result(result):
    """Why a host could not be checked, from the registered result of its ``endpoint_probe`` task.

    Returns ``None`` when the host was checked: the result carries ``results`` (also when the task
    failed because of ``fail_on``). Otherwise ``{"reason": ..., "message": ...}`` with the reason
    ``unreachable`` (the connection failed), ``no_python`` (the module never started: the interpreter is
    missing, is Apple's stub that asks for the Command Line Tools, is too old, or interpreter discovery
    failed) or ``module_error`` (any other failure; its message is kept).
    """
    if not isinstance(result, dict):
        return {"reason": "module_error", "message": "the probe task left no result (got %s)" % type(result).__name__}
    msg = str(result.get("msg") or "").strip()
    if msg.startswith("Task failed: "):
        msg = msg[len("Task failed: "):]
    if result.get("unreachable"):
        return {"reason": "unreachable", "message": msg or "the host is unreachable"}
    if isinstance(result.get("results"), list):
        return None
    stderr = str(result.get("module_stderr") or "")
    stdout = str(result.get("module_stdout") or "")
    output = stderr + "\n" + stdout
    if result.get("skipped"):
        return {"reason": "module_error", "message": "the probe task was skipped%s"
                % (": %s" % result["skip_reason"] if result.get("skip_reason") else "")}
    message = msg
    detail = stderr.strip() or stdout.strip()
    if detail and detail not in message:
        message = "%s \u2014 %s" % (message, _clip(detail)) if message else _clip(detail)
    if not message:
        message = "the probe task failed without a message"
    reason = "no_python" if _no_python(result, msg, output) else "module_error"
    return {"reason": reason, "message": _clip(message)}


def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# What a compact cell drops when it needs no look: the evidence of each step, kept for the cells that do.
_COMPACT_DROPPED = ("dns", "tcp", "http", "ntp", "proxy")
_COMPACT_TLS = ("verified", "interception", "resigned_by", "trust")


def compact_cell(cell, detail="compact"):
    """One probe result as a result set keeps it.

    With ``detail`` ``compact`` a cell whose category is ``ok`` or ``skipped`` keeps its target, status,
    verdict, category, message, path, timings and every other field except the evidence of each step
    (``dns``, ``tcp``, ``http``, ``ntp``, ``proxy``), and ``tls`` only as ``verified``, ``interception``,
    ``resigned_by`` and ``trust``. Any other cell, and every cell with ``detail`` ``full``, is kept whole.
    Returns a new mapping; ``cell`` is not changed.
    """
    if detail not in DETAILS:
        raise ValueError("detail: %r is not one of %s" % (detail, ", ".join(DETAILS)))
    if not isinstance(cell, dict):
        return cell
    category = cell.get("category")
    if detail == "full" or category not in ("ok", "skipped"):
        return dict(cell)
    compact = dict((key, value) for key, value in cell.items() if key not in _COMPACT_DROPPED)
    if isinstance(cell.get("tls"), dict):
        compact["tls"] = dict((key, cell["tls"][key]) for key in _COMPACT_TLS if key in cell["tls"])
    return compact


def probe_result_set(result, host, group=None, detail="compact", now=None):
    """The per-host result set (the result file's content) from the registered ``endpoint_probe`` task result.

    Every set carries ``format`` (:data:`RESULT_SET_FORMAT`), ``host``, ``group`` (the group the report counts
    the host in; None for "ungrouped") and ``detail``. A checked host gives ``catalog_edition``,
    ``generated_at``, ``results`` (each passed through :func:`compact_cell` with ``detail``) and ``summary`` as
    the probe returned them; a host that could not be checked gives no results, a zero summary, the time it was
    found unchecked (``now``, default the current UTC time) and ``unchecked`` (see :func:`classify_probe_result`).
    The set is not validated here: the playbook writes the file whatever the probe returned, and the report
    names any field it rejects (file, host, result and field).
    """
    if detail not in DETAILS:
        raise ValueError("detail: %r is not one of %s" % (detail, ", ".join(DETAILS)))
    if group is not None and not isinstance(group, str):
        raise ValueError("group: must be a string or None, got %r" % (group,))
    unchecked = classify_probe_result(result)
    result_set = {"format": RESULT_SET_FORMAT, "host": host, "group": group or None, "detail": detail}
    if unchecked is None:
        results = result["results"]
        result_set.update({
            "catalog_edition": result.get("catalog_edition"),
            "generated_at": result.get("generated_at") or now or _now(),
            "results": [compact_cell(cell, detail) for cell in results],
            "summary": result.get("summary"),
        })
    else:
        result_set.update({
            "catalog_edition": result.get("catalog_edition") if isinstance(result, dict) else None,
            "generated_at": now or _now(),
            "results": [],
            "summary": {"total": 0, "ok": 0, "failed": 0, "intercepted": 0, "skipped": 0},
            "unchecked": unchecked,
        })
    return result_set
