# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Turn catalog selectors into concrete probe targets (runs on the controller, from the catalog core)."""

from __future__ import annotations


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


def catalog_targets(catalog, sources=None, used_by=None, groups=None, default_ports=(443,)):
    """Targets for the catalog's hosts that match the selectors.

    Each host is probed on the single ports its record lists (port ranges such as the dynamic
    49152-65535 are not probed); hosts without ports are probed on ``default_ports`` (TCP).
    Wildcard patterns are probed through their ``probe_host``; those without one become
    ``skip_reason`` targets. Duplicate (host, port, protocol) targets are probed once.
    """
    targets, seen = [], set()
    for record in catalog.hosts(source=sources or None, group=groups or None, used_by=used_by or None):
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
            if key in seen:
                continue
            seen.add(key)
            target = {
                "host": host,
                "port": port,
                "protocol": protocol,
                "pattern": record["host"],
                "id": record["id"],
                "source": record["source"],
                "service": _service(catalog, record["source"], port, protocol),
                "required": True,
            }
            if host is None:
                target["skip_reason"] = ("the pattern %s has no concrete probe host in the catalog; add probe_host in a "
                                         "catalog file or list a concrete name in targets" % record["host"])
            targets.append(target)
    return targets
