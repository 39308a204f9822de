# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Building the report in one pass over the validated result sets: answers interned, one record per Mac,
duplicates decided by time, then content.

:func:`build_report` turns any number of result sets (from several AWX job slices, for example) into one
:class:`~.report.Report`: the JSON export is its dictionary, the HTML pages and the CSV export are renderings of
it. Everything here is deterministic: the same inputs, in any order, give the same report.
"""

from __future__ import annotations

import hashlib
import json

from ansible_collections.macfleet.apple_network.plugins.module_utils._report.report import Report
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.terms import SECTION_KINDS


def _answer_key(key, cell):
    """The identity of an answer: the endpoint and everything the report shows of the cell."""
    return json.dumps([key, cell], sort_keys=True, separators=(",", ":"))


class _Host:
    """What the report keeps of one Mac: a few names and the interned tuple of its answers' ids."""

    __slots__ = ("host", "group", "origin", "catalog_edition", "generated_at", "unchecked", "answers", "digest")

    def __init__(self, result_set, answers, digest):
        self.host = result_set["host"]
        self.group = result_set["group"]
        self.origin = result_set["origin"]
        self.catalog_edition = result_set["catalog_edition"]
        self.generated_at = result_set["generated_at"]
        self.unchecked = result_set["unchecked"]
        self.answers = answers
        self.digest = digest

    def wins_over(self, other):
        """The latest ``generated_at`` wins; equal times are decided by the content, then the smaller origin."""
        return ((self.generated_at or "", self.digest, _reverse(self.origin))
                > (other.generated_at or "", other.digest, _reverse(other.origin)))


def _reverse(text):
    """A key that sorts ``text`` in reverse order (a smaller origin wins a tie)."""
    return tuple(-ord(char) for char in text)


class ReportBuilder:
    """Builds the report in one pass over the result sets, with memory bounded by the distinct answers.

    :meth:`add` takes one validated result set (see :func:`validate_result_set`) at a time. A cell is
    interned as an *answer* (endpoint and everything shown of the cell: verdict, message, path, trust,
    evidence), and a Mac is kept as the tuple of its answers' ids, itself interned: ten thousand Macs with
    the same results share one tuple. :meth:`reject` records a file that could not be read. :meth:`finish`
    returns the :class:`Report`.
    """

    def __init__(self, title="Apple network readiness"):
        self.title = title
        self._answer_ids = {}
        self._answers = []  # (endpoint key, cell)
        self._signatures = {}
        self._endpoints = {}  # key -> (describing host, endpoint)
        self._first_heading, self._further_heading = {}, {}
        self._hosts = {}
        self.duplicates = []
        self.rejected = []

    def reject(self, origin, error):
        """A result file (or set) that could not be used: its name, the kind of problem and the message."""
        self.rejected.append({"file": str(origin), "problem": getattr(error, "problem", "invalid"),
                              "message": str(error)})

    def add(self, result_set):
        host = result_set["host"]
        ids, keys = [], []
        for position, (key, cell) in enumerate(result_set["cells"].items()):
            answer = _answer_key(key, cell)
            answer_id = self._answer_ids.get(answer)
            if answer_id is None:
                answer_id = self._answer_ids[answer] = len(self._answers)
                self._answers.append((key, cell))
            ids.append(answer_id)
            keys.append(answer)
            self._describe(host, position, key, result_set["endpoints"][key])
        signature = tuple(sorted(ids))
        signature = self._signatures.setdefault(signature, signature)
        digest = hashlib.sha256(json.dumps([result_set["group"], result_set["catalog_edition"],
                                            result_set["unchecked"], sorted(keys)], sort_keys=True).encode()).digest()[:12]
        record = _Host(result_set, signature, digest)
        kept = self._hosts.get(host)
        if kept is None:
            self._hosts[host] = record
            return
        winner, loser = (record, kept) if record.wins_over(kept) else (kept, record)
        self._hosts[host] = winner
        self.duplicates.append({"host": host, "kept": winner.origin, "dropped": loser.origin,
                                "kept_generated_at": winner.generated_at, "dropped_generated_at": loser.generated_at})

    def _describe(self, host, position, key, endpoint):
        """The first host by name that saw a target describes it; headings are ordered as the hosts, by
        name, met them (see :meth:`_section_order`)."""
        order = (host, position)
        known = self._endpoints.get(key)
        if known is None or order < known[0]:
            self._endpoints[key] = (order, endpoint)
        headings = list(zip(endpoint["sections"], endpoint["section_kinds"]))
        if headings[0] not in self._first_heading or order < self._first_heading[headings[0]]:
            self._first_heading[headings[0]] = order
        for index, heading in enumerate(headings[1:]):
            further = order + (index,)
            if heading not in self._further_heading or further < self._further_heading[heading]:
                self._further_heading[heading] = further

    def _section_order(self):
        """``{heading: (rank, kind)}``: catalog sections first, then the sources of rows without a section, then
        explicit targets; within a kind in the order the probes met them as an endpoint's first heading (hosts by
        name, each host's results in order: the catalog's order of rows), then as a further one."""
        keys = dict((heading, (SECTION_KINDS.index(heading[1]), 1) + order) for heading, order in self._further_heading.items())
        keys.update((heading, (SECTION_KINDS.index(heading[1]), 0) + order) for heading, order in self._first_heading.items())
        ordered = sorted(keys, key=keys.get)
        return dict((name, (rank, kind)) for rank, (name, kind) in enumerate(ordered))

    def has_input(self):
        """Whether anything was given: a result set, or a file that was rejected (the report lists it)."""
        return bool(self._hosts or self.rejected)

    def finish(self):
        duplicates = sorted(self.duplicates, key=lambda d: (d["host"], d["dropped"]))
        rejected = sorted(self.rejected, key=lambda r: r["file"])
        # Answer ids in the order of their content, not of the input, so that any order of inputs gives the same report.
        keys = sorted(self._answer_ids, key=self._answer_ids.get)
        order = sorted(range(len(keys)), key=keys.__getitem__)
        renumbered = [0] * len(order)
        for new, old in enumerate(order):
            renumbered[old] = new
        answers = [self._answers[old] for old in order]
        signatures = {}
        hosts = []
        for name in sorted(self._hosts):
            record = self._hosts[name]
            signature = signatures.get(record.answers)
            if signature is None:
                signature = signatures[record.answers] = tuple(sorted(renumbered[a] for a in record.answers))
            record.answers = signature
            hosts.append(record)
        return Report(self.title, answers, dict((k, v[1]) for k, v in self._endpoints.items()),
                      self._section_order(), hosts, duplicates, rejected)


def build_report(result_sets, title="Apple network readiness"):
    """The :class:`Report` of already validated result sets (see :func:`validate_result_set`)."""
    builder = ReportBuilder(title)
    for result_set in result_sets:
        builder.add(result_set)
    return builder.finish()
