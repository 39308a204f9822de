# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The merged catalog of Apple's network requirements and its queries.

Every lookup, filter, action plugin and role is a view of :class:`Catalog`; nothing else interprets catalog
records. loader.py builds one from catalog files (reading.py reads them, schema.py validates them).
"""

from __future__ import annotations

import json
import re

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.errors import CatalogQueryError
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.ports import (
    PROTOCOLS,
    format_ranges,
    merge_range_dicts,
    parse_port,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.terms import slugify

# The kinds of record a catalog holds, in the order documents list them.
KINDS = ("ports", "hosts", "processes", "networks")
# Fields that describe where a record sits in its document, not what it says.
_POSITION_FIELDS = ("location",)
# Fields of a host row that say something about the host itself: two rows that differ here disagree.
_HOST_CONFLICT_FIELDS = ("ports", "protocols", "os", "supports_proxies")
# How the group and section selectors of a host query combine.
COMBINE_CHOICES = ("all", "any")
# What a row names, per kind, when two sources are compared (ports are compared port by port).
_KEY_FIELD = {"hosts": "host", "networks": "network", "processes": "process"}


def _copy(record):
    """Copy a record two levels deep (records hold lists of scalars or of flat dicts)."""
    result = {}
    for key, value in record.items():
        if isinstance(value, list):
            value = [dict(item) if isinstance(item, dict) else item for item in value]
        elif isinstance(value, dict):
            value = dict(value)
        result[key] = value
    return result


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def phrase_matcher(terms):
    """Return a predicate over lower-case text: does any term occur as a whole phrase?

    ``Software Update`` matches "Software Update (OS X Lion or earlier)" but
    ``Mail`` does not match "Mailbox"; case is ignored.
    """
    patterns = []
    for term in terms:
        if not isinstance(term, str) or not term.strip():
            raise CatalogQueryError("used_by: %r is not a product or service name" % (term,))
        patterns.append(r"(?<![a-z0-9])" + re.escape(term.strip().lower()) + r"(?![a-z0-9])")
    regex = re.compile("|".join(patterns))
    return lambda text: regex.search(text) is not None


def port_ranges(records, unspecified=PROTOCOLS):
    """Per protocol, the minimal sorted ranges covering the records' ports.

    Records whose document leaves the protocol unspecified count for every
    protocol in ``unspecified`` (pass an empty list to leave them out).
    """
    for proto in unspecified:
        if proto not in PROTOCOLS:
            raise CatalogQueryError("unspecified: %r is not a protocol; valid values are: %s" % (proto, ", ".join(PROTOCOLS)))
    collected = dict((proto, []) for proto in PROTOCOLS)
    for index, record in enumerate(records):
        if not isinstance(record, dict) or not isinstance(record.get("ports"), list):
            raise CatalogQueryError("record %d has no 'ports' list: %r" % (index, record))
        protocols = record.get("protocols") or list(unspecified)
        for proto in protocols:
            if proto not in collected:
                raise CatalogQueryError("record %d: unknown protocol %r" % (index, proto))
            for item in record["ports"]:
                collected[proto].append(item)
    return dict((proto, merge_range_dicts(items)) for proto, items in collected.items())


# Selections a Catalog remembers before it starts over (see Catalog._select).
MAX_SELECTIONS = 256


class Catalog:
    """A merged, validated catalog. Treat it as read-only: queries return copies."""

    def __init__(self, documents):
        self.documents = [
            {"origin": doc["origin"], "edition": doc["edition"], "published": doc["published"]} for doc in documents
        ]
        winners = {}
        for index, doc in enumerate(documents):
            for source_id, meta in doc["sources"].items():
                rank = (meta["published"] or "", index)
                if source_id not in winners or rank >= winners[source_id][0]:
                    winners[source_id] = (rank, index, meta)
        self.sources = dict((sid, dict(meta)) for sid, (_rank, _idx, meta) in sorted(winners.items()))
        records = dict((kind, {}) for kind in KINDS)
        for index, doc in enumerate(documents):
            for kind in KINDS:
                for entry in doc[kind]:
                    declared_here = entry["source"] in doc["sources"]
                    if declared_here and winners[entry["source"]][1] != index:
                        continue  # an older edition of a source that a newer document replaces
                    records[kind][entry["id"]] = entry
        self._records = dict((kind, list(records[kind].values())) for kind in KINDS)
        self._haystacks = {}
        self._selections = {}
        for kind in KINDS:
            for entry in self._records[kind]:
                self._haystacks[id(entry)] = "\n".join(self._haystack_parts(kind, entry)).lower()
        self.groups = sorted(set(h["group"] for h in self._records["hosts"]))
        # Display name per slug: section='Device management' and section='device-management' are the same.
        self.sections = dict(sorted((slugify(e["section"]), e["section"]) for kind in KINDS
                                    for e in self._records[kind] if e.get("section")))
        editions = [d["edition"] for d in self.documents if d["edition"]]
        self.edition = " + ".join(editions) if editions else None

    # -- option checking -------------------------------------------------------------------
    def _check_sources(self, sources):
        sources = _as_list(sources)
        for source in sources:
            if source not in self.sources:
                raise CatalogQueryError("source: %r is not a catalog source; valid values are: %s"
                                        % (source, ", ".join(sorted(self.sources))))
        return set(sources)

    @staticmethod
    def _check_protocol(protocol):
        if protocol is None:
            return None
        proto = protocol.lower() if isinstance(protocol, str) else protocol
        if proto not in PROTOCOLS:
            raise CatalogQueryError("protocol: %r is not supported; valid values are: %s" % (protocol, ", ".join(PROTOCOLS)))
        return proto

    @staticmethod
    def _check_port(port):
        if port is None:
            return None
        return parse_port(port, "port", CatalogQueryError)

    def _check_groups(self, groups):
        result = set()
        for group in _as_list(groups):
            slug = slugify(group)
            if slug not in self.groups:
                raise CatalogQueryError("group: %r is not a host group; valid values are: %s" % (group, ", ".join(self.groups)))
            result.add(slug)
        return result

    def _check_sections(self, sections):
        result = set()
        for section in _as_list(sections):
            slug = slugify(section) if isinstance(section, str) else None
            if slug not in self.sections:
                raise CatalogQueryError("section: %r is not a section of the catalog; valid values are: %s"
                                        % (section, ", ".join(repr(name) for name in sorted(self.sections.values()))))
            result.add(slug)
        return result

    def _check_used_by(self, terms):
        """Each ``used_by`` term must name something that uses a record of the catalog (of any kind: a view
        such as firewall_selection asks several kinds with one product): a typo (``Sofware Update``) would
        otherwise select nothing and pass as an empty answer."""
        for term in terms:
            matches = phrase_matcher([term])
            if not any(matches(haystack) for haystack in self._haystacks.values()):
                import difflib  # imported here, for speed: only this error needs it, and it takes milliseconds to import

                names = sorted(set(part for kind in KINDS for entry in self._records[kind]
                                   for part in self._haystack_parts(kind, entry)), key=str.lower)
                close = difflib.get_close_matches(term, names, n=3, cutoff=0.6)
                raise CatalogQueryError("used_by: %r matches nothing in the catalog%s; valid values are the catalog's "
                                        "product, service, process and purpose names (whole phrases, any case): %s"
                                        % (term, "; did you mean %s?" % " or ".join(repr(n) for n in close) if close else "",
                                           ", ".join(repr(name) for name in names)))

    @staticmethod
    def _haystack_parts(kind, entry):
        """The names a ``used_by`` term is matched against."""
        parts = list(entry.get("used_by") or [])
        if kind == "ports" and entry.get("service"):
            parts.append(entry["service"])
        if kind == "processes":
            parts.append(entry["process"])
        if kind == "networks":
            parts.append(entry["purpose"])
        return parts

    def _select(self, kind, sources, used_by, section=None):
        """The records of ``kind`` of these sources, sections and products (the catalog's own, not copies).

        Remembered per selection: a big user catalog is scanned once for a question, not once per host
        that asks it (the records never change, and every query copies what it returns).
        """
        sources = self._check_sources(sources)
        sections = self._check_sections(section)
        terms = _as_list(used_by)
        try:
            key = (kind, tuple(sorted(sources or ())), tuple(sorted(sections or ())), tuple(terms))
            hash(key)
        except TypeError:
            key = None
        selected = self._selections.get(key) if key is not None else None
        if selected is None:
            self._check_used_by(terms)
            matches = phrase_matcher(terms) if terms else None
            selected = [entry for entry in self._records[kind]
                        if not (sources and entry["source"] not in sources)
                        and not (sections and slugify(entry.get("section") or "") not in sections)
                        and not (matches is not None and not matches(self._haystacks[id(entry)]))]
            if key is not None:
                if len(self._selections) >= MAX_SELECTIONS:
                    self._selections.clear()
                self._selections[key] = selected
        return selected

    # -- queries ------------------------------------------------------------------------------
    def ports(self, source=None, used_by=None, protocol=None, port=None, section=None):
        protocol = self._check_protocol(protocol)
        port = self._check_port(port)
        result = []
        for entry in self._select("ports", source, used_by, section):
            if protocol is not None and protocol not in entry["protocols"]:
                continue
            if port is not None and not any(r["start"] <= port <= r["end"] for r in entry["ports"]):
                continue
            result.append(_copy(entry))
        return result

    def hosts(self, source=None, group=None, used_by=None, bypass_https_interception=None, section=None, combine="all"):
        """Host records. ``group`` and ``section`` narrow the selection one after the other (``combine="all"``) or
        add up (``combine="any"``: a host of one of the groups or of one of the sections, the way ``endpoint_probe``
        selects; the seed documents' rows have groups but no section)."""
        if combine not in COMBINE_CHOICES:
            raise CatalogQueryError("combine: %r is not one of %s" % (combine, ", ".join(COMBINE_CHOICES)))
        groups = self._check_groups(group)
        sections = self._check_sections(section)
        either = combine == "any" and groups and sections
        result = []
        for entry in self._select("hosts", source, used_by, None if either else section):
            if either:
                if entry["group"] not in groups and slugify(entry.get("section") or "") not in sections:
                    continue
            elif groups and entry["group"] not in groups:
                continue
            if bypass_https_interception is not None and entry["bypass_https_interception"] != bool(bypass_https_interception):
                continue
            result.append(_copy(entry))
        return result

    def processes(self, source=None, used_by=None, depends_on_sync_configuration=None):
        result = []
        for entry in self._select("processes", source, used_by):
            if (depends_on_sync_configuration is not None
                    and entry["depends_on_sync_configuration"] != bool(depends_on_sync_configuration)):
                continue
            result.append(_copy(entry))
        return result

    def networks(self, source=None, section=None, family=None):
        if family is not None and family not in (4, 6, "4", "6"):
            raise CatalogQueryError("family: %r is not an address family; valid values are: 4, 6" % (family,))
        return [_copy(entry) for entry in self._select("networks", source, None, section)
                if family is None or entry["family"] == int(family)]

    def conflicts(self):
        """Where the catalog disagrees with itself: port conflicts, then host conflicts (see the two helpers)."""
        return self._port_conflicts() + self._host_conflicts()

    def _host_conflicts(self):
        """Hosts one source lists in several rows with different ports, protocols, OS lists or proxy support.

        A row that states no OS (Apple prints "-") or no ports is not compared on that field.
        """
        rows = {}
        for entry in self._records["hosts"]:
            rows.setdefault((entry["host"], entry["source"]), []).append(entry)
        result = []
        for (host, source), entries in sorted(rows.items()):
            if len(entries) < 2:
                continue
            fields = {}
            for field in _HOST_CONFLICT_FIELDS:
                values = dict((e["id"], e.get(field)) for e in entries if e.get(field) not in (None, []))
                comparable = set(json.dumps(merge_range_dicts(v) if field == "ports" else v, sort_keys=True)
                                 for v in values.values())
                if len(comparable) > 1:
                    fields[field] = values
            if fields:
                result.append({"kind": "hosts", "host": host, "source": source, "fields": fields,
                               "entries": sorted(e["id"] for e in entries)})
        return result

    def _port_conflicts(self):
        """Ports that two sources list with different protocols (a source that leaves the protocol open does not count)."""
        by_spec = {}
        for entry in self._records["ports"]:
            if entry["protocols"]:
                spec = format_ranges(entry["ports"])
                by_spec.setdefault(spec, {}).setdefault(entry["source"], []).append(entry)
        result = []
        for spec in sorted(by_spec, key=lambda s: [int(p) for p in re.split(r"[-,]", s)]):
            per_source = by_spec[spec]
            protocols = dict(
                (source, sorted(set(p for e in entries for p in e["protocols"]))) for source, entries in per_source.items()
            )
            if len(protocols) > 1 and len(set(tuple(v) for v in protocols.values())) > 1:
                first = next(iter(per_source.values()))[0]
                result.append({
                    "kind": "ports",
                    "ports": [dict(r) for r in first["ports"]],
                    "ports_text": spec,
                    "protocols_by_source": dict(sorted(protocols.items())),
                    "entries": sorted(e["id"] for entries in per_source.values() for e in entries),
                })
        return result

    def summary(self, section=None):
        """Edition, documents, sources, sections and record counts; with ``section``, counts of those sections only."""
        sections = self._check_sections(section)
        counts, per_section, totals = {}, {}, dict((k, 0) for k in KINDS)
        for kind in KINDS:
            for entry in self._records[kind]:
                slug = slugify(entry.get("section") or "")
                if sections and slug not in sections:
                    continue
                counts.setdefault(entry["source"], dict((k, 0) for k in KINDS))[kind] += 1
                totals[kind] += 1
                if slug:
                    key = (entry["source"], self.sections[slug])
                    per_section.setdefault(key, dict((k, 0) for k in KINDS))[kind] += 1
        return {
            "edition": self.edition,
            "documents": [dict(d) for d in self.documents],
            "sources": [
                {"id": sid, "title": meta.get("title"), "published": meta.get("published"), "origin": meta["origin"],
                 "verification": dict(meta.get("verification") or {}),
                 "counts": counts.get(sid, dict((k, 0) for k in KINDS))}
                for sid, meta in self.sources.items()
            ],
            "sections": [{"section": name, "source": sid, "counts": per_section[(sid, name)]}
                         for sid, name in sorted(per_section)],
            "counts": totals,
            "conflicts": len(self.conflicts()),
        }

    def records(self, kind):
        return [_copy(entry) for entry in self._records[kind]]

    def compare_sources(self, old_source, new_source):
        """What ``new_source`` lists that ``old_source`` does not, and the reverse, matched by what the rows name.

        Hosts are matched by host pattern, networks by network, processes by name and ports by each
        port or range with each protocol (``443/tcp``; ``unspecified`` when the document gives none), so
        two editions of an Apple document compare although their record ids differ.
        """
        self._check_sources([old_source, new_source])
        result = {"old_source": old_source, "new_source": new_source, "added": [], "removed": [], "kept": []}
        for kind in KINDS:
            old, new = self._keyed(kind, old_source), self._keyed(kind, new_source)
            for key in sorted(set(new) - set(old)):
                result["added"].append({"kind": kind, "key": key, "ids": new[key]})
            for key in sorted(set(old) - set(new)):
                result["removed"].append({"kind": kind, "key": key, "ids": old[key]})
            for key in sorted(set(old) & set(new)):
                result["kept"].append({"kind": kind, "key": key, "old_ids": old[key], "new_ids": new[key]})
        return result

    def _keyed(self, kind, source):
        keyed = {}
        for entry in self._records[kind]:
            if entry["source"] != source:
                continue
            if kind == "ports":
                keys = ["%s/%s" % (format_ranges([span]), proto)
                        for span in entry["ports"] for proto in entry["protocols"] or ["unspecified"]]
            else:
                keys = [entry[_KEY_FIELD[kind]]]
            for key in keys:
                ids = keyed.setdefault(key, [])
                if entry["id"] not in ids:
                    ids.append(entry["id"])
        return keyed

    def changes(self, newer):
        """Entries added, removed or changed from this catalog to ``newer`` (matched by kind and id)."""
        result = {"added": [], "removed": [], "changed": []}
        for kind in KINDS:
            old = dict((e["id"], e) for e in self._records[kind])
            new = dict((e["id"], e) for e in newer._records[kind])
            for entry_id in sorted(set(new) - set(old)):
                result["added"].append({"kind": kind, "id": entry_id, "entry": _copy(new[entry_id])})
            for entry_id in sorted(set(old) - set(new)):
                result["removed"].append({"kind": kind, "id": entry_id, "entry": _copy(old[entry_id])})
            for entry_id in sorted(set(old) & set(new)):
                fields = {}
                for field in sorted(set(old[entry_id]) | set(new[entry_id])):
                    if field in _POSITION_FIELDS:
                        continue
                    before, after = old[entry_id].get(field), new[entry_id].get(field)
                    if before != after:
                        fields[field] = {"from": before, "to": after}
                if fields:
                    result["changed"].append({"kind": kind, "id": entry_id, "fields": fields})
        return result
