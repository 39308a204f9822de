# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What changed since the previous run: the readiness report's ``drift``.

:func:`load_previous` reads the previous run's JSON export (this format, or the matrix of report format 1)
into one interned tuple of ``(endpoint, category, verdict)`` per Mac; :func:`compare` holds it against
the :class:`~.report.Report` of this run. Memory is bounded by the distinct answers and the Macs that
changed: the full lists of changed cells are generated on demand (:meth:`Drift.iter_changes`) for the
streaming JSON export, and the summary keeps the first :data:`LISTED` of each.

A report of the same run again (the same ``generated_at`` and no change at all, for example the report playbook
run twice on the same result files) keeps the drift the previous report carries, so that an unchanged input leaves
the report unchanged.

Kinds of change, per cell (a Mac and an endpoint present in both runs): ``regressions`` (the category got
worse: ok or skipped < intercepted < DNS failed, blocked, probe error), ``fixed`` (it got better), ``changed``
(another verdict of the same severity). Per Mac: ``hosts_new``, ``hosts_gone``, ``hosts_newly_unchecked``
(checked before, not checked now: a regression too) and ``hosts_checked_again``. A cell of an endpoint a
Mac did not probe before (a new catalog row) is counted in ``cells_new`` (``cells_new_failing`` when it
fails), one it no longer probes in ``cells_gone``; neither is a regression.
"""

from __future__ import annotations

import os

from ansible_collections.macfleet.apple_network.plugins.module_utils._report.inputs import load_json_file
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.terms import (
    FAILING,
    NOT_PROBED,
    SEVERITY,
    UNGROUPED,
    ReportError,
)

CELL_KINDS = ("regressions", "fixed", "changed")
HOST_KINDS = ("hosts_new", "hosts_gone", "hosts_newly_unchecked", "hosts_checked_again")
# How many changes of each kind the summary (the module's return value, the HTML page) lists.
LISTED = 20
# Catalog rows listed per kind of change (added, removed).
CATALOG_LISTED = 50


class Previous:
    """The previous run, per Mac: group, the reason it was not checked (or None), and its cells."""

    def __init__(self, path, generated_at, editions, stored_drift=None):
        self.path, self.generated_at, self.editions = path, generated_at, editions
        # The drift the previous report carries: kept when this run is the same run again (see compare).
        self.stored_drift = stored_drift if isinstance(stored_drift, dict) else None
        self.hosts = {}
        self._interned = {}

    def put(self, host, group, unchecked, cells):
        cells = tuple(sorted(self._interned.setdefault(c, c) for c in cells))
        self.hosts[host] = (group or UNGROUPED, unchecked, self._interned.setdefault(cells, cells))


def _fail(path, message):
    raise ReportError("previous report %s: %s" % (path, message), problem="invalid")


def load_previous(path):
    """The previous run from its JSON export at ``path`` (raises :class:`ReportError` naming the file)."""
    data = load_json_file(path, "the previous report")
    if not isinstance(data, dict) or data.get("report_format") not in (1, 2):
        _fail(path, "not a readiness report's JSON export (report_format %r)"
              % (data.get("report_format") if isinstance(data, dict) else None,))
    previous = Previous(path, data.get("generated_at"), data.get("catalog_editions") or [], data.get("drift"))
    try:
        if data["report_format"] == 1:
            _read_format_1(previous, data)
        else:
            _read_format_2(previous, data)
    except (KeyError, TypeError, IndexError, AttributeError, ValueError) as exc:
        _fail(path, "unexpected content (%s: %s)" % (type(exc).__name__, exc))
    return previous


def _read_format_2(previous, data):
    answers = [(a["endpoint"], a["category"], a["verdict"]) for a in data["answers"]]
    for host in data["hosts"]:
        unchecked = (host.get("unchecked") or {}).get("reason")
        cells = [answers[a] for a in host.get("answers") or [] if a is not None]
        previous.put(host["host"], host.get("group"), unchecked, cells)


def _read_format_1(previous, data):
    unchecked = dict((h["host"], (h.get("unchecked") or {}).get("reason")) for h in data["hosts"])
    for row in data["matrix"]:
        cells = [(c["endpoint"], c["category"], c["verdict"]) for c in row["cells"] if c["category"] != NOT_PROBED]
        previous.put(row["host"], None, unchecked.get(row["host"]), cells)


def _cell_changes(before, after):
    """Changes between two Macs' cells: ``[(kind, endpoint, before (category, verdict), after)]`` and the
    number of new cells, new failing cells and gone cells."""
    old = dict((c[0], c[1:]) for c in before)
    new = dict((c[0], c[1:]) for c in after)
    changes = []
    for endpoint in sorted(set(old) & set(new)):
        was, now = old[endpoint], new[endpoint]
        if was == now:
            continue
        worse = SEVERITY.get(now[0], 2) - SEVERITY.get(was[0], 2)
        kind = "regressions" if worse > 0 else "fixed" if worse < 0 else "changed"
        changes.append((kind, endpoint, was, now))
    added = set(new) - set(old)
    return changes, len(added), sum(1 for e in added if new[e][0] in FAILING), len(set(old) - set(new))


class Drift:
    """The changes from a previous run to this one (see the module's ``drift`` return value)."""

    def __init__(self, compared_with, note):
        self.compared_with, self.note = compared_with, note
        self.counts = dict.fromkeys(CELL_KINDS + HOST_KINDS + ("cells_new", "cells_new_failing", "cells_gone"), 0)
        self.previous_generated_at = None
        self.by_endpoint = {}
        self.changed_hosts = []  # (host, group, [(kind, endpoint, before, after)])
        self.hosts = dict((kind, []) for kind in HOST_KINDS)
        self.catalog = None

    @property
    def worse(self):
        """Cells that got worse plus Macs that became not checked: what ``fail_on: [regression]`` fails on."""
        return self.counts["regressions"] + self.counts["hosts_newly_unchecked"]

    def iter_changes(self, kind):
        for host, group, changes in self.changed_hosts:
            for change_kind, endpoint, before, after in changes:
                if change_kind == kind:
                    yield {"host": host, "group": group, "endpoint": endpoint,
                           "before": {"category": before[0], "verdict": before[1]},
                           "after": {"category": after[0], "verdict": after[1]}}

    def summary(self, limit=LISTED):
        """The drift as the JSON export's header and the module return it: counts, changes per endpoint and
        group, and the first ``limit`` changes of each kind (None: all)."""
        result = {"compared_with": self.compared_with, "previous_generated_at": self.previous_generated_at,
                  "note": self.note, "counts": dict(self.counts, worse=self.worse),
                  "by_endpoint": sorted(self.by_endpoint.values(),
                                        key=lambda i: (CELL_KINDS.index(i["kind"]), -i["hosts"], i["endpoint"], i["group"])),
                  "catalog": self.catalog}
        if limit is not None:
            result["by_endpoint"] = result["by_endpoint"][:limit * 5]
        for kind in CELL_KINDS:
            result[kind] = _first(self.iter_changes(kind), limit)
        for kind in HOST_KINDS:
            result[kind] = self.hosts[kind] if limit is None else self.hosts[kind][:limit]
        return result


class StoredDrift(Drift):
    """The drift a previous report of the same run carries, kept as it was (see :func:`compare`)."""

    def __init__(self, stored):
        super().__init__(stored.get("compared_with"), stored.get("note"))
        self.stored = stored
        self.previous_generated_at = stored.get("previous_generated_at")
        self.counts = dict((k, v) for k, v in (stored.get("counts") or {}).items() if k != "worse")
        self.catalog = stored.get("catalog")

    @property
    def worse(self):
        return (self.stored.get("counts") or {}).get("worse", 0)

    def iter_changes(self, kind):
        return iter(self.stored.get(kind) or [])

    def summary(self, limit=LISTED):
        result = dict(self.stored)
        for kind in CELL_KINDS + HOST_KINDS:
            result[kind] = list(result.get(kind) or [])[:limit] if limit is not None else list(result.get(kind) or [])
        result["by_endpoint"] = list(result.get("by_endpoint") or [])
        if limit is not None:
            result["by_endpoint"] = result["by_endpoint"][:limit * 5]
        return result


def _first(iterable, limit):
    result = []
    for item in iterable:
        if limit is not None and len(result) >= limit:
            break
        result.append(item)
    return result


def no_drift(note, compared_with=None):
    """The drift of a run that has nothing to compare with (a first run, an unreadable previous report)."""
    return Drift(compared_with, note)


FIRST_RUN = "first run: there is no previous report to compare with"


def drift_of(report, previous_path, explicit, warnings):
    """The drift against the previous run's JSON export, read before anything is written."""
    if previous_path is None or (not explicit and not os.path.exists(previous_path)):
        return no_drift(FIRST_RUN)
    try:
        previous = load_previous(previous_path)
    except ReportError as exc:
        warnings.append("the previous report cannot be used, so the report has no drift: %s" % exc)
        return no_drift("no comparison: the previous report %s cannot be used (%s)" % (previous_path, exc))
    return compare(previous, report, bundled_catalog_changes)


def compare(previous, report, catalog_changes=None):
    """The :class:`Drift` from ``previous`` (see :func:`load_previous`) to ``report`` (a :class:`~.report.Report`)."""
    drift = Drift(previous.path, "compared with the run of %s" % (previous.generated_at or "an unknown time"))
    drift.previous_generated_at = previous.generated_at
    current_cells, pair_cache = {}, {}
    seen = set()
    for record in report.hosts:
        seen.add(record.host)
        before = previous.hosts.get(record.host)
        if before is None:
            drift.hosts["hosts_new"].append({"host": record.host, "group": record.group})
            continue
        _group, was_unchecked, old_cells = before
        if record.unchecked is not None:
            if was_unchecked is None:
                drift.hosts["hosts_newly_unchecked"].append({
                    "host": record.host, "group": record.group, "reason": record.unchecked["reason"],
                    "message": record.unchecked["message"]})
            continue
        if was_unchecked is not None:
            drift.hosts["hosts_checked_again"].append({"host": record.host, "group": record.group, "was": was_unchecked})
            continue
        cells = current_cells.get(record.answers)
        if cells is None:
            cells = current_cells[record.answers] = tuple(sorted(
                (a["endpoint"], a["category"], a["verdict"]) for a in (report.answers[i] for i in record.answers)))
        if cells is old_cells or cells == old_cells:
            continue
        key = (old_cells, cells)
        found = pair_cache.get(key)
        if found is None:
            found = pair_cache[key] = _cell_changes(old_cells, cells)
        changes, new, new_failing, gone = found
        drift.counts["cells_new"] += new
        drift.counts["cells_new_failing"] += new_failing
        drift.counts["cells_gone"] += gone
        if changes:
            drift.changed_hosts.append((record.host, record.group, changes))
        for kind, endpoint, was, now in changes:
            drift.counts[kind] += 1
            item = drift.by_endpoint.setdefault((kind, endpoint, record.group, was, now), {
                "kind": kind, "endpoint": endpoint, "group": record.group,
                "before": {"category": was[0], "verdict": was[1]}, "after": {"category": now[0], "verdict": now[1]},
                "hosts": 0})
            item["hosts"] += 1
    for host in sorted(set(previous.hosts) - seen):
        drift.hosts["hosts_gone"].append({"host": host, "group": previous.hosts[host][0]})
    for kind in HOST_KINDS:
        drift.counts[kind] = len(drift.hosts[kind])
    drift.catalog = catalog_drift(previous.editions, report["catalog_editions"], catalog_changes)
    # The same run reported again (same time, no change at all): what changed is still what changed since the
    # run before it, as the previous report says; so a report of unchanged results leaves the files unchanged.
    same_run = (previous.generated_at == report["generated_at"] and not any(drift.counts.values())
                and not drift.catalog["changed"])
    if same_run and previous.stored_drift is not None:
        return StoredDrift(previous.stored_drift)
    return drift


def bundled_catalog_changes(old_names, new_names):
    """The catalog's ``changes`` (the ``changes`` lookup's core) between two lists of bundled editions, or None
    when a name is not a bundled edition (a user catalog file: its rows are not known here)."""
    from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.cache import bundled_editions
    from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog

    known = bundled_editions()
    if not all(name in known for name in list(old_names) + list(new_names)):
        return None
    return load_catalog((), list(old_names)).changes(load_catalog((), list(new_names)))


def _edition_names(editions):
    names = []
    for edition in editions:
        for name in edition.split(" + "):
            if name not in names:
                names.append(name)
    return names


def catalog_drift(before, after, catalog_changes=None):
    """The catalog edition change between the runs: the editions, and the rows added or removed (from the
    catalog's ``changes``, see ``_catalog``; ``catalog_changes(old_names, new_names)`` returns them or None
    when the editions are not bundled ones)."""
    result = {"before": list(before), "after": list(after), "changed": list(before) != list(after),
              "counts": {"added": 0, "removed": 0, "changed": 0}, "added": [], "removed": [], "note": None}
    if not result["changed"]:
        result["note"] = "same catalog edition"
        return result
    if not before or not after:
        result["note"] = "a run does not name its catalog edition"
        return result
    changes = catalog_changes(_edition_names(before), _edition_names(after)) if catalog_changes else None
    if changes is None:
        result["note"] = "the rows of these editions are not known here (not bundled editions)"
        return result
    for kind in ("added", "removed", "changed"):
        result["counts"][kind] = len(changes[kind])
    for kind in ("added", "removed"):
        result[kind] = [{"kind": item["kind"], "id": item["id"]} for item in changes[kind][:CATALOG_LISTED]]
    result["note"] = "catalog edition changed"
    return result
