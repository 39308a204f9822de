# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The readiness report (:class:`Report`): its bounded summary and the per-Mac parts, generated on demand."""

from __future__ import annotations

from ansible_collections.macfleet.apple_network.plugins.module_utils._report.remediation import cell_remediation
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.summary import (
    SYSTEMIC_CAUSES,
    conclusion,
    count_host,
    merge_hosts,
    systemic_cause,
    zero_counts,
    zero_unchecked,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.terms import (
    CATEGORIES,
    CATEGORY_LABELS,
    FAILING,
    NOT_PROBED,
    REPORT_FORMAT,
    UNCHECKED_LABELS,
    path_label,
    plural,
    trust_label,
    verdict_words,
)


def _tally_unchecked(tally, group, record):
    """Count a Mac that was not checked, in the totals, its group and the line of its reason and message."""
    reason = record.unchecked["reason"]
    for counts in (tally["unchecked"], group["unchecked"]):
        counts[reason] += 1
        counts["total"] += 1
    line = tally["unchecked_lines"].setdefault((reason, record.unchecked["message"], record.unchecked.get("remedy")),
                                               {"reason": reason, "reason_text": UNCHECKED_LABELS[reason],
                                                "message": record.unchecked["message"],
                                                "remedy": record.unchecked.get("remedy"),
                                                "hosts": 0, "groups": {}, "names": []})
    count_host(line, record)


def _endpoint_sort_key(item):
    key, endpoint = item
    return ((endpoint["service"] or "").lower(), endpoint["host"], endpoint["port"] or 0, endpoint["protocol"], key)


class Report:
    """The readiness report: a bounded summary (:attr:`summary`) and the per-Mac parts, generated on demand.

    ``summary`` holds everything whose size grows with the distinct answers, endpoints and groups, not with
    the Macs: totals, counts per endpoint, group, section and service, the distinct answers, the intercepting
    CAs, the Macs with identical results collapsed into lines (with at most :data:`NAMES_LISTED` names each),
    the systemic causes and the conclusion. :meth:`iter_hosts`, :meth:`iter_unchecked` and :meth:`iter_rows`
    generate the per-Mac parts for the streaming renderers; :meth:`as_dict` materialises the whole JSON
    document (small fleets and tests).
    """

    def __init__(self, title, answers, endpoints, section_order, hosts, duplicates, rejected):
        self.hosts = hosts
        self.section_order = section_order
        ordered = sorted(endpoints.items(), key=lambda item: (section_order[item[1]["sections"][0]][0], _endpoint_sort_key(item)))
        self.endpoints = [dict(endpoint, key=key) for key, endpoint in ordered]
        self.column = dict((e["key"], index) for index, e in enumerate(self.endpoints))
        self.answers = []
        for answer_id, (key, cell) in enumerate(answers):
            endpoint = endpoints[key]
            entry = {"id": answer_id, "endpoint": key, "category": cell["category"], "status": cell["status"],
                     "verdict": cell["verdict"], "verdict_text": verdict_words(cell["verdict"]), "message": cell["message"],
                     "path": cell["path"], "path_label": path_label(cell["path"]), "trust": cell["trust"],
                     "trust_label": trust_label(cell["trust"]), "resigned_by": cell["resigned_by"],
                     "remediation": (cell_remediation(endpoint, cell["verdict"], cell.get("error"))
                                     if cell["category"] in FAILING else []), "hosts": 0}
            if cell.get("error"):
                entry["error"] = cell["error"]
            if cell["evidence"] is not None:
                entry["evidence"] = cell["evidence"]
            self.answers.append(entry)
        self.duplicates = duplicates
        self.rejected = rejected
        self._profiles = {}
        self.summary = self._summarise(title)

    # -- per signature -----------------------------------------------------------------------------
    def profile(self, record):
        """What the report needs of a Mac, computed once per distinct set of answers: counts per category,
        the row of answer ids (None: not probed), the systemic cause, and whether it has a failing cell."""
        signature = record.answers
        profile = self._profiles.get(signature)
        if profile is None:
            row = [None] * len(self.endpoints)
            for answer_id in signature:
                row[self.column[self.answers[answer_id]["endpoint"]]] = answer_id
            counts = zero_counts()
            for answer_id in row:
                counts[NOT_PROBED if answer_id is None else self.answers[answer_id]["category"]] += 1
            probed = [self.answers[a] for a in signature if self.answers[a]["category"] != "skipped"]
            cause = systemic_cause([a["category"] for a in probed], [a["verdict"] for a in probed])
            failing = any(counts[c] for c in FAILING)
            profile = self._profiles[signature] = {"row": tuple(row), "counts": counts, "cause": cause, "failing": failing}
        return profile

    def failing(self, record):
        return record.unchecked is None and self.profile(record)["failing"]

    # -- the summary ---------------------------------------------------------------------------------
    def _summarise(self, title):
        hosts = self._tally_hosts()
        totals, services, endpoint_counts = self._tally_answers(hosts["by_signature"], hosts["groups"])
        by_signature, groups = hosts["by_signature"], hosts["groups"]
        sections = self._sections(by_signature, endpoint_counts)
        interceptions = self._interceptions(by_signature)
        identical = self._identical(by_signature)
        systemic = self._systemic(by_signature)
        times = sorted(hosts["times"])
        summary = {
            "report_format": REPORT_FORMAT,
            "title": title,
            "catalog_editions": sorted(hosts["editions"]),
            "generated_at": times[-1] if times else None,
            "first_generated_at": times[0] if times else None,
            "host_count": len(self.hosts),
            "checked_host_count": hosts["checked"],
            "failing_host_count": sum(g["failing"] for g in groups.values()),
            "endpoint_count": len(self.endpoints),
            "totals": totals,
            "unchecked": hosts["unchecked"],
            "unchecked_lines": sorted(hosts["unchecked_lines"].values(), key=lambda l: (-l["hosts"], l["reason"], l["message"])),
            "groups": [groups[name] for name in sorted(groups)],
            "endpoints": [dict(endpoint, counts=stats["counts"], verdicts=stats["verdicts"],
                               groups=dict(sorted(stats["groups"].items())))
                          for endpoint, stats in zip(self.endpoints, endpoint_counts)],
            "answers": self.answers,
            "identical_results": identical,
            "systemic": systemic,
            "services": [dict(counts, service=name) for name, counts in sorted(services.items(), key=lambda i: i[0].lower())],
            "sections": sections,
            "interceptions": interceptions,
            "duplicates": self.duplicates,
            "rejected_files": self.rejected,
        }
        summary["conclusion"] = conclusion(summary)
        return summary

    def _tally_hosts(self):
        """One pass over the Macs: per group, the Macs not checked (one line per reason and message), the checked
        Macs per distinct set of answers (``by_signature``), the catalog editions and probe times."""
        tally = {"groups": {}, "unchecked": zero_unchecked(), "unchecked_lines": {}, "by_signature": {},
                 "editions": set(), "times": [], "checked": 0}
        for record in self.hosts:
            if record.catalog_edition:
                tally["editions"].add(record.catalog_edition)
            if record.generated_at:
                tally["times"].append(record.generated_at)
            group = tally["groups"].setdefault(record.group, {"group": record.group, "hosts": 0, "checked": 0, "failing": 0,
                                                              "unchecked": zero_unchecked(), "counts": zero_counts()})
            group["hosts"] += 1
            if record.unchecked is not None:
                _tally_unchecked(tally, group, record)
                continue
            tally["checked"] += 1
            group["checked"] += 1
            if self.profile(record)["failing"]:
                group["failing"] += 1
            entry = tally["by_signature"].setdefault(record.answers, {"hosts": 0, "groups": {}, "names": [],
                                                                      "signature": record.answers})
            count_host(entry, record)
            entry.setdefault("per_group", {}).setdefault(record.group, 0)
            entry["per_group"][record.group] += 1
        return tally

    def _tally_answers(self, by_signature, groups):
        """Cell counts per distinct set of answers times its Macs: the totals, per group, endpoint and service, and
        the Macs behind each answer."""
        totals, services = zero_counts(), {}
        endpoint_counts = [{"counts": zero_counts(), "verdicts": {}, "groups": {}} for _e in self.endpoints]
        for signature, entry in by_signature.items():
            profile = self._profiles[signature]
            count = entry["hosts"]
            for category, number in profile["counts"].items():
                totals[category] += number * count
            for group_name, in_group in entry["per_group"].items():
                group_counts = groups[group_name]["counts"]
                for category, number in profile["counts"].items():
                    group_counts[category] += number * in_group
            for column, answer_id in enumerate(profile["row"]):
                endpoint = self.endpoints[column]
                category = NOT_PROBED if answer_id is None else self.answers[answer_id]["category"]
                verdict = NOT_PROBED if answer_id is None else self.answers[answer_id]["verdict"]
                stats = endpoint_counts[column]
                stats["counts"][category] += count
                stats["verdicts"][verdict] = stats["verdicts"].get(verdict, 0) + count
                for group_name, in_group in entry["per_group"].items():
                    per_group = stats["groups"].setdefault(group_name, zero_counts())
                    per_group[category] += in_group
                service = services.setdefault(endpoint["service"] or "(no service)", zero_counts())
                service[category] += count
                if answer_id is not None:
                    self.answers[answer_id]["hosts"] += count
        totals["cells"] = sum(totals[c] for c in CATEGORIES) + totals[NOT_PROBED]
        for counts in groups.values():
            counts["counts"]["cells"] = sum(counts["counts"].values())
        return totals, services, endpoint_counts

    def _sections(self, by_signature, endpoint_counts):
        """Per section: its endpoints, cell counts, and every distinct fix with the Macs and groups it concerns
        (the cells of a Mac with a systemic cause are listed under the cause instead)."""
        sections = dict((name, {"section": name, "kind": kind, "endpoints": [], "counts": zero_counts(), "fixes": {}})
                        for name, (_rank, kind) in self.section_order.items())
        for column, endpoint in enumerate(self.endpoints):
            for name in endpoint["sections"]:
                sections[name]["endpoints"].append(endpoint["key"])
                for category, number in endpoint_counts[column]["counts"].items():
                    sections[name]["counts"][category] += number
        for signature, entry in by_signature.items():
            profile = self._profiles[signature]
            if profile["cause"] is not None:
                continue
            for answer_id in signature:
                answer = self.answers[answer_id]
                for fix in answer["remediation"]:
                    item = sections[fix["section"]]["fixes"].setdefault((answer["endpoint"], answer["verdict"], fix["line"]), {
                        "endpoint": answer["endpoint"], "category": answer["category"], "verdict": answer["verdict"],
                        "verdict_text": answer["verdict_text"], "row": fix["row"], "remediation": fix["line"],
                        "hosts": 0, "groups": {}, "names": []})
                    merge_hosts(item, entry)
        result = []
        for name in self.section_order:
            section = sections[name]
            if not section["endpoints"]:
                continue
            fixes = sorted(section["fixes"].values(), key=lambda f: (self.column[f["endpoint"]], f["remediation"], f["verdict"]))
            result.append(dict(section, fixes=fixes))
        return result

    def _interceptions(self, by_signature):
        """Per intercepting CA (the CA that re-signed the chain): the endpoints, at how
        many Macs and in which groups, with one example chain."""
        found = {}
        for signature, entry in by_signature.items():
            for answer_id in signature:
                answer = self.answers[answer_id]
                if answer["category"] != "intercepted":
                    continue
                evidence = answer.get("evidence") or {}
                ca = answer["resigned_by"] or "not reported"
                item = found.setdefault(ca, {"ca": ca, "endpoints": [], "hosts": 0, "groups": {}, "names": [],
                                             "issuers_seen": evidence.get("issuers_seen") or [],
                                             "expected_issuers": evidence.get("expected_issuers") or [],
                                             "chain": evidence.get("chain") or [], "path_label": answer["path_label"],
                                             "_seen": set()})
                if answer["endpoint"] not in item["endpoints"]:
                    item["endpoints"].append(answer["endpoint"])
                if signature not in item["_seen"]:
                    item["_seen"].add(signature)
                    merge_hosts(item, entry)
        result = []
        for item in sorted(found.values(), key=lambda i: (-i["hosts"], i["ca"])):
            del item["_seen"]
            item["endpoints"].sort(key=self.column.get)
            result.append(item)
        return result

    def _identical(self, by_signature):
        """The Macs with identical results, one line per distinct set of answers, most Macs first."""
        lines = []
        for signature, entry in by_signature.items():
            profile = self._profiles[signature]
            failing = [self.answers[a] for a in signature if self.answers[a]["category"] in FAILING]
            lines.append({"hosts": entry["hosts"], "groups": entry["groups"], "names": entry["names"],
                          "counts": profile["counts"], "cause": profile["cause"],
                          "description": self.describe(profile, failing), "failing_answers": [a["id"] for a in failing]})
        lines.sort(key=lambda l: (-l["hosts"], l["description"], l["names"][:1]))
        return lines

    def describe(self, profile, failing):
        """One line for a set of answers: ``all OK``, the systemic cause, or the failing endpoints in words."""
        counts = profile["counts"]
        if profile["cause"] is not None:
            return "%s (%s)" % (SYSTEMIC_CAUSES[profile["cause"]][1], plural(len(failing), "endpoint"))
        if not failing:
            others = [("%s %s" % (plural(counts[c], "endpoint"), CATEGORY_LABELS[c].lower())) for c in ("skipped",) if counts[c]]
            if counts[NOT_PROBED]:
                others.append("%s not probed" % plural(counts[NOT_PROBED], "endpoint"))
            return "all OK" + (" (%s)" % ", ".join(others) if others else "")
        shown = ["%s: %s" % (a["endpoint"], a["verdict_text"]) for a in failing[:3]]
        if len(failing) > 3:
            shown.append("%d more" % (len(failing) - 3))
        return "%s failing: %s" % (plural(len(failing), "endpoint"), "; ".join(shown))

    def _systemic(self, by_signature):
        causes = {}
        for signature, entry in by_signature.items():
            cause = self._profiles[signature]["cause"]
            if cause is None:
                continue
            item = causes.setdefault(cause, {"cause": cause, "text": SYSTEMIC_CAUSES[cause][1],
                                             "remedy": SYSTEMIC_CAUSES[cause][2], "hosts": 0, "groups": {}, "names": []})
            merge_hosts(item, entry)
        return [causes[c] for c in SYSTEMIC_CAUSES if c in causes]

    # -- the per-Mac parts -----------------------------------------------------------------------------
    def host_entry(self, record):
        """One Mac as the JSON export lists it: its names, counts and the answer id of each endpoint."""
        entry = {"host": record.host, "group": record.group, "origin": record.origin,
                 "catalog_edition": record.catalog_edition, "generated_at": record.generated_at,
                 "unchecked": record.unchecked}
        if record.unchecked is None:
            profile = self.profile(record)
            entry.update(counts=profile["counts"], answers=list(profile["row"]), cause=profile["cause"])
        else:
            entry.update(counts=zero_counts(), answers=[], cause=None)
        return entry

    def iter_hosts(self):
        for record in self.hosts:
            yield self.host_entry(record)

    def iter_unchecked(self):
        for record in self.hosts:
            if record.unchecked is not None:
                yield dict(record.unchecked, host=record.host, group=record.group, origin=record.origin,
                           generated_at=record.generated_at)

    def cells(self, record):
        """A checked Mac's cells in column order: the answer (a dict) or None where the endpoint was not probed."""
        return [None if a is None else self.answers[a] for a in self.profile(record)["row"]]

    def as_dict(self):
        """The whole JSON document (the streaming JSON renderer writes the same, piece by piece)."""
        document = dict(self.summary)
        document["hosts"] = list(self.iter_hosts())
        document["unchecked_hosts"] = list(self.iter_unchecked())
        return document

    def iter_matrix(self):
        """Every Mac's row: host, group, unchecked, and its cells (``endpoint``, ``category`` and the answer)."""
        for record in self.hosts:
            cells = []
            if record.unchecked is None:
                for endpoint, cell in zip(self.endpoints, self.cells(record)):
                    cells.append({"endpoint": endpoint["key"], "category": NOT_PROBED} if cell is None else cell)
            yield {"host": record.host, "group": record.group, "unchecked": record.unchecked, "cells": cells}

    def __getitem__(self, key):
        """The summary's values; ``hosts``, ``unchecked_hosts`` and ``matrix`` materialised (small reports, tests)."""
        if key == "hosts":
            return list(self.iter_hosts())
        if key == "unchecked_hosts":
            return list(self.iter_unchecked())
        if key == "matrix":
            return list(self.iter_matrix())
        return self.summary[key]
