# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The readiness_report module's return value: one job event, bounded whatever the fleet's size."""

from __future__ import annotations

import json
import os

RETURN_LIMIT = 32 * 1024
LISTED = 20


def _without_names(item):
    return dict((k, v) for k, v in item.items() if k != "names")


def module_return(report, drift, files, pages, changed_files):
    """The bounded return value: totals, counts per verdict, section and group, drift counts, the first changes."""
    summary = report.summary
    result = dict(
        files=files,
        matrix_pages=dict(count=len(pages), first=[os.path.basename(p) for p in pages[:LISTED]]),
        changed_files=changed_files,
        conclusion=summary["conclusion"],
        host_count=summary["host_count"],
        checked_host_count=summary["checked_host_count"],
        failing_host_count=summary["failing_host_count"],
        unchecked=summary["unchecked"],
        unchecked_hosts=[dict(item, message=item["message"][:300]) for item in _first(report.iter_unchecked(), LISTED)],
        endpoint_count=summary["endpoint_count"],
        totals=summary["totals"],
        catalog_editions=summary["catalog_editions"],
        interception_count=sum(i["hosts"] for i in summary["interceptions"]),
        intercepting_cas=[dict(ca=i["ca"], hosts=i["hosts"], endpoints=len(i["endpoints"])) for i in summary["interceptions"][:LISTED]],
        groups=[dict(group=g["group"], hosts=g["hosts"], checked=g["checked"], failing=g["failing"],
                     unchecked=g["unchecked"]["total"], counts=g["counts"]) for g in summary["groups"]],
        group_count=len(summary["groups"]),
        systemic=[_without_names(item) for item in summary["systemic"]],
        sections=[dict(section=s["section"], kind=s["kind"], endpoints=len(s["endpoints"]), counts=s["counts"],
                       fix_count=len(s["fixes"]),
                       fixes=[_without_names(f) for f in s["fixes"][:5]]) for s in summary["sections"]],
        duplicate_count=len(summary["duplicates"]),
        duplicates=summary["duplicates"][:LISTED],
        rejected_count=len(summary["rejected_files"]),
        rejected_files=summary["rejected_files"][:LISTED],
        drift=drift.summary(LISTED),
        regressions=drift.worse,
    )
    return bound(result)


def _first(iterable, count):
    found = []
    for item in iterable:
        if len(found) >= count:
            break
        found.append(item)
    return found


def _size(value):
    return len(json.dumps(value, default=str))


def bound(result, limit=RETURN_LIMIT):
    """Trim the longest lists of ``result`` (from the end, noting it in ``truncated``) until it fits ``limit``."""
    truncated = []
    while _size(result) > limit:
        candidates = [(path, value) for path, value in _lists(result) if len(value) > 1]
        if not candidates:
            break
        path, value = max(candidates, key=lambda item: _size(item[1]))
        del value[max(1, len(value) // 2):]
        if ".".join(path) not in truncated:
            truncated.append(".".join(path))
    if truncated:
        result["truncated"] = sorted(truncated)
    return result


def _lists(value, path=()):
    if isinstance(value, list):
        yield path, value
        for item in value:
            yield from _lists(item, path)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _lists(item, path + (str(key),))
