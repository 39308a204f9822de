# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Parts of the report's summary that need no :class:`Report`: zero counts, the Macs behind a line, the causes of a
whole Mac and the one-line conclusion."""

from __future__ import annotations

from ansible_collections.macfleet.apple_network.plugins.module_utils._report.terms import (
    CATEGORIES,
    NOT_PROBED,
    UNCHECKED_REASONS,
    plural,
)


def zero_counts():
    counts = dict.fromkeys(CATEGORIES, 0)
    counts[NOT_PROBED] = 0
    return counts


def zero_unchecked():
    counts = dict.fromkeys(UNCHECKED_REASONS, 0)
    counts["total"] = 0
    return counts


# Causes that concern a whole Mac, not an endpoint: every name it probed failed to resolve, or every
# endpoint it probed was unreachable. Its cells are listed once under the cause instead of once per endpoint.
SYSTEMIC_CAUSES = {
    "resolves_no_names": ("resolve no names", "resolves no names",
                          "check the Mac's DNS: its network gives it no working resolver (offline, or DNS blocked)"),
    "reaches_no_endpoint": ("reach no endpoint", "reaches no endpoint",
                            "check the Mac's network path: every endpoint timed out or was refused"),
}
_SYSTEMIC_MINIMUM = 2


def systemic_cause(categories, verdicts):
    """The per-Mac cause of a checked Mac's failures, or None; ``categories`` of its probed (not skipped) cells."""
    if len(categories) < _SYSTEMIC_MINIMUM:
        return None
    if all(c == "dns" for c in categories):
        return "resolves_no_names"
    if all(v in ("timeout", "refused") for v in verdicts):
        return "reaches_no_endpoint"
    return None


# At most this many host names are listed with a collapsed line (the CSV and JSON exports list every Mac).
NAMES_LISTED = 1000


def count_host(entry, record):
    entry["hosts"] += 1
    entry["groups"][record.group] = entry["groups"].get(record.group, 0) + 1
    if len(entry["names"]) < NAMES_LISTED:
        entry["names"].append(record.host)


def merge_hosts(item, entry):
    item["hosts"] += entry["hosts"]
    for group, count in entry["groups"].items():
        item["groups"][group] = item["groups"].get(group, 0) + count
    room = NAMES_LISTED - len(item["names"])
    if room > 0:
        item["names"].extend(entry["names"][:room])


def conclusion(summary):
    """The report's one-line conclusion, in words, for someone who has never seen the page."""
    hosts, checked = summary["host_count"], summary["checked_host_count"]
    single = hosts == 1
    if hosts == 0:
        return "No Mac was in the results."
    parts = []
    if checked == 0:
        parts.append("This Mac could not be checked" if single else "No Mac could be checked (%s)" % plural(hosts, "Mac"))
    for cause in summary["systemic"]:
        subject = SYSTEMIC_CAUSES[cause["cause"]]
        parts.append("this host %s" % subject[1] if single else "%s %s" % (plural(cause["hosts"], "Mac"), subject[0]))
    systemic = sum(c["hosts"] for c in summary["systemic"])
    failing = summary["failing_host_count"] - systemic
    if failing:
        worst = max((f for s in summary["sections"] for f in s["fixes"]), key=lambda f: (f["hosts"], f["endpoint"]), default=None)
        text = ("this Mac has failing endpoints" if single else
                "%s of %s have failing endpoints" % (plural(failing, "Mac"), "{:,}".format(checked)))
        if worst is not None:
            text += " (most common: %s, %s on %s)" % (worst["endpoint"], worst["verdict_text"], plural(worst["hosts"], "Mac"))
        parts.append(text)
    ok = checked - summary["failing_host_count"]
    if ok and (parts or not summary["unchecked"]["total"]):
        parts.append("this Mac reaches every endpoint it probed" if single and ok == hosts
                     else "%s reach every endpoint" % plural(ok, "Mac") if ok != 1 else "1 Mac reaches every endpoint")
    if summary["unchecked"]["total"] and checked:
        parts.append("%s not checked" % plural(summary["unchecked"]["total"], "Mac"))
    if not parts:
        parts.append("%s reach every endpoint" % plural(checked, "Mac"))
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."
