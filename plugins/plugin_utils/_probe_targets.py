# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Turn catalog selectors into concrete probe targets (runs on the controller, from the catalog core)."""

from __future__ import annotations

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.errors import CatalogQueryError
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.terms import slugify


def _service(catalog, source, port, protocol):
    """A short description of what uses this port, preferring the record's own source."""
    records = catalog.ports(port=port, protocol=protocol)
    records.sort(key=lambda r: (r["source"] != source, not r.get("service")))
    for record in records:
        if record.get("service"):
            return record["service"]
        if record.get("used_by_text"):
            return record["used_by_text"]
    return None


def check_sections(catalog, sections):
    """The slugs of ``sections``; a name the catalog does not know fails with the list of valid ones."""
    slugs = set()
    for index, section in enumerate(sections):
        slug = slugify(section) if isinstance(section, str) else None
        if slug not in catalog.sections:
            raise CatalogQueryError("sections[%d]: %r is not a section of the catalog; valid values are: %s"
                                    % (index, section, ", ".join(repr(name) for name in sorted(catalog.sections.values()))))
        slugs.add(slug)
    return slugs


def _selected_hosts(catalog, sources, used_by, groups, sections):
    """Catalog host records in catalog order: ``sources`` and ``used_by`` narrow the selection, ``groups``
    and ``sections`` add up (a host in one of the groups or in one of the sections; the seed documents'
    rows have groups but no section)."""
    check_sections(catalog, sections)
    return catalog.hosts(source=sources or None, used_by=used_by or None, group=groups or None,
                         section=sections or None, combine="any")


def _row(record):
    """What the report needs to know of one catalog row a target stands for."""
    return {
        "id": record["id"],
        "source": record["source"],
        "section": record.get("section"),
        "pattern": record["host"],
        "supports_proxies": record.get("supports_proxies"),
        "probe_host_origin": record.get("probe_host_origin"),
    }


def catalog_targets(catalog, sources=None, used_by=None, groups=None, sections=None, default_ports=(443,)):
    """Targets for the catalog's hosts that match the selectors (see :func:`_selected_hosts`).

    Each host is probed on the single ports its record lists (port ranges such as the dynamic
    49152-65535 are not probed); hosts without ports are probed on ``default_ports`` (TCP).
    Wildcard patterns are probed through their ``probe_host``; those without one become
    ``skip_reason`` targets (no name is ever made up). A (host, port, protocol) listed by several
    rows (``gdmf.apple.com`` in Device management and in Software updates) is probed once; its
    ``rows`` name every row, and ``id``, ``source``, ``pattern``, ``section`` and
    ``probe_host_origin`` are the first row's.
    """
    targets, by_key = [], {}
    for record in _selected_hosts(catalog, sources or [], used_by or [], groups or [], sections or []):
        pairs = []
        protocols = record.get("protocols") or ["tcp"]
        for item in record.get("ports") or []:
            if item["start"] == item["end"]:
                pairs.extend((item["start"], proto) for proto in protocols)
        if not pairs:
            pairs = [(port, "tcp") for port in default_ports]
        for port, protocol in pairs:
            host = record.get("probe_host")
            key = (host or record["host"], port, protocol)
            if key in by_key:
                rows = by_key[key]["rows"]
                if record["id"] not in [row["id"] for row in rows]:
                    rows.append(_row(record))
                continue
            target = {
                "host": host,
                "port": port,
                "protocol": protocol,
                "pattern": record["host"],
                "id": record["id"],
                "source": record["source"],
                "section": record.get("section"),
                "probe_host_origin": record.get("probe_host_origin"),
                "rows": [_row(record)],
                "service": _service(catalog, record["source"], port, protocol),
                "required": True,
            }
            if host is None:
                target["skip_reason"] = ("the pattern %s has no concrete probe host in the catalog; add probe_host in a "
                                         "catalog file or list a concrete name in targets" % record["host"])
            by_key[key] = target
            targets.append(target)
    if not targets:
        # Each selector is known to the catalog, but together they select nothing: never a green run of 0 probes.
        chosen = ", ".join("%s=%r" % (name, value) for name, value in
                           (("sources", sources), ("used_by", used_by), ("groups", groups), ("sections", sections)) if value)
        raise CatalogQueryError("the selection %s matches no catalog host" % (chosen or "of the whole catalog"))
    return targets
