# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reading the report's inputs: result files and directories and the sets given inline, each validated into the
builder or rejected by name, and the previous run's JSON export for the drift."""

from __future__ import annotations

import json
import os

from ansible_collections.macfleet.apple_network.plugins.module_utils._report.builder import ReportBuilder
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.terms import ReportError
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.validate import validate_result_set


def expand_paths(paths, exclude=()):
    """Files to read: each path as given, or the ``*.json`` files directly inside a directory (sorted).

    ``exclude`` holds absolute paths to leave out (the report's own JSON export, when it is written
    into a directory it also reads).
    """
    excluded = {os.path.realpath(p) for p in exclude}
    files = []
    for path in paths:
        if os.path.isdir(path):
            found = sorted(os.path.join(path, name) for name in os.listdir(path)
                           if name.endswith(".json") and os.path.isfile(os.path.join(path, name)))
            files.extend(f for f in found if os.path.realpath(f) not in excluded)
        elif os.path.exists(path):
            files.append(path)
        else:
            raise ReportError("%s: no such file or directory" % path)
    return files


def _json_problem(text, exc):
    """``truncated`` when the text ends where more JSON was expected, else ``not_json``."""
    if isinstance(exc, ValueError) and getattr(exc, "pos", None) is not None and exc.pos >= len(text.rstrip()):
        return "truncated"
    return "not_json"


def load_json_file(path, what):
    """Parse one JSON file, naming the file and what is wrong with it: unreadable, not UTF-8 / not JSON,
    truncated, or nested too deeply (Python's parser recurses per level, so a deep enough document would
    otherwise end in a bare RecursionError)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise ReportError("%s: cannot read %s: %s" % (path, what, exc), problem="unreadable")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReportError("%s: %s is not JSON (not UTF-8 text: %s)" % (path, what, exc), problem="not_json")
    try:
        return json.loads(text)
    except RecursionError:
        raise ReportError("%s: %s is nested too deeply to be a result (refused before it exhausts the stack)"
                          % (path, what), problem="too_deep")
    except ValueError as exc:
        problem = _json_problem(text, exc)
        label = "is truncated (the JSON ends early)" if problem == "truncated" else "is not JSON"
        raise ReportError("%s: %s %s: %s" % (path, what, label, exc), problem=problem)


def read_result_file(path):
    """Parse one result file: a per-host result set, or a list of them. Returns normalised sets
    (raises :class:`ReportError` naming the file and the problem)."""
    data = load_json_file(path, "the probe results")
    try:
        if isinstance(data, list):
            return [validate_result_set(item, "%s[%d]" % (path, index)) for index, item in enumerate(data)]
        return [validate_result_set(data, path)]
    except RecursionError:
        raise ReportError("%s: the probe results are nested too deeply" % path, problem="too_deep")


def _inline_origin(index, data):
    """What an error about a result set given in ``result_sets`` names: its host, and where it was given."""
    host = data.get("host") if isinstance(data, dict) else None
    return "result set of host %s (result_sets[%d])" % (host, index) if isinstance(host, str) and host else "result_sets[%d]" % index


def read_inputs(params, exclude):
    """Validate the result files and sets one at a time into a builder; files that cannot be used are rejected
    by name (the report is written for the rest)."""
    builder = ReportBuilder(params["title"])
    for path in expand_paths(params["src"], exclude=exclude):
        try:
            sets = read_result_file(path)
        except ReportError as exc:
            builder.reject(path, exc)
            continue
        for result_set in sets:
            builder.add(result_set)
    for index, data in enumerate(params["result_sets"]):
        origin = _inline_origin(index, data)
        try:
            builder.add(validate_result_set(data, origin))
        except ReportError as exc:
            builder.reject(origin, exc)
        except RecursionError:
            builder.reject(origin, ReportError("%s: nested too deeply" % origin, problem="too_deep"))
    return builder
