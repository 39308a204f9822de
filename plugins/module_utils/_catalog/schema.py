# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one schema every catalog document (bundled edition or user file) is validated by.

:func:`validate_document` turns a parsed document into normalised records or raises
:class:`CatalogError` naming the file, the entry and the field.
"""

from __future__ import annotations

import re

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.catalog import KINDS
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.errors import CatalogError
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.public_suffix import (
    PublicSuffixListMissing,
    suffix_kind,
    wildcard_public_suffix,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules import addresses as address_rule
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.hostnames import (
    HostnameError,
    compile_pattern,
    is_wildcard,
    parse_hostname,
    parse_pattern,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.ports import PROTOCOLS, format_ranges, parse_port
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.terms import SUPPORTS_PROXIES, slugify

CATALOG_FORMAT = 1

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._*+,/:-]{0,199}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PORT_TEXT_ITEM = re.compile(r"^\s*(\d+)\s*(?:[-\u2013]\s*(\d+))?\s*(?:\((?:tcp|udp)\))?\s*\Z", re.IGNORECASE | re.ASCII)

_DOC_KEYS = ("catalog_format", "edition", "published", "description", "sources") + KINDS
_SOURCE_KEYS = ("title", "published", "url", "seed", "statements", "footnotes", "notes", "provenance", "verification")
_COMMON_KEYS = ("id", "source", "location", "used_by", "notes")
_ENTRY_KEYS = {
    "ports": _COMMON_KEYS + ("ports", "ports_text", "protocols", "service", "iana_name", "rfc",
                             "unregistered_use", "used_by_text"),
    "hosts": _COMMON_KEYS + ("host", "group", "wildcard", "probe_host", "probe_host_origin", "ports",
                             "protocols", "bypass_https_interception"),
    "processes": _COMMON_KEYS + ("process", "description", "depends_on_sync_configuration", "platform"),
    "networks": _COMMON_KEYS + ("network", "purpose", "section", "ports", "ports_text", "protocols", "verification"),
}
# Fields of the row-per-host tables (Apple support article 101555 and user files written like it).
_ENTRY_KEYS["hosts"] += ("section", "os", "description", "supports_proxies", "protocols_text", "verification")
_ENTRY_KEYS["ports"] += ("section", "hosts", "protocols_text", "verification")
_REQUIRED = {"ports": ("source", "ports"), "hosts": ("source", "host"), "processes": ("source", "process"),
             "networks": ("source", "network", "purpose")}
# Apple's operating systems as its tables spell them; input is matched ignoring case.
OPERATING_SYSTEMS = ("iOS", "iPadOS", "tvOS", "watchOS", "macOS", "visionOS")
# The per-entry override of the public-suffix check, see _check_public_suffix.
_ENTRY_KEYS["hosts"] += ("allow_public_suffix_wildcard", "public_suffix_wildcard_reason")
# The same as sets: every entry of a 10,000-entry user file is checked against them.
_ENTRY_KEY_SETS = dict((kind, frozenset(keys)) for kind, keys in _ENTRY_KEYS.items())
_OPERATING_SYSTEMS_BY_KEY = dict((name.lower(), name) for name in OPERATING_SYSTEMS)


class _Where:
    def __init__(self, origin, kind=None, index=None, entry=None):
        self.origin, self.kind, self.index, self.entry = origin, kind, index, entry

    def fail(self, field, message):
        where = self.origin
        if self.kind is not None:
            where += ": %s[%d]" % (self.kind, self.index)
            label = None
            if isinstance(self.entry, dict):
                # The field that names an entry of this kind (a network is named by its network, not its ports).
                key = {"hosts": "host", "processes": "process", "networks": "network"}.get(self.kind, "ports")
                label = self.entry.get("id") or self.entry.get(key)
            if label is not None:
                where += " (%s)" % (label if str(label).isprintable() else repr(label),)
        raise CatalogError("%s: field '%s': %s" % (where, field, message))


# C0 and C1 controls and the Unicode line and paragraph separators (JavaScript, so a PAC file, and Python's
# splitlines() end a line at U+2028, U+2029 and U+0085 too); an unpaired surrogate (a JSON escape) cannot be written;
# invisible format characters (Unicode category Cf: bidi overrides and isolates, zero-width characters, the BOM)
# make text read differently from what it is, in a report, a PAC comment or a terminal.
_CONTROL_CHARACTER = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff"
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]")
_PROTOCOL_SEPARATORS = re.compile(r"[/,\s]+")


def _text(where, field, value, allow_none=True):
    if value is None:
        if allow_none:
            return None
        where.fail(field, "is required")
    if not isinstance(value, str):
        where.fail(field, "must be a string, got %s %r" % (type(value).__name__, value))
    if _CONTROL_CHARACTER.search(value):
        where.fail(field, "%r contains a control character (newline, tab, ...), an invisible format character "
                          "(a bidi override, a zero-width character) or an unpaired surrogate" % value)
    return value


def _bool(where, field, value, default=False):
    if value is None:
        return default
    if not isinstance(value, bool):
        where.fail(field, "must be true or false, got %r" % (value,))
    return value


def _text_list(where, field, value):
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        where.fail(field, "must be a list of strings, got %r" % (value,))
    return [_text(where, field, item, allow_none=False) for item in value]


def _range(where, field, start, end):
    try:
        start, end = parse_port(start, field), parse_port(end, field)
    except ValueError as exc:
        where.fail(field, str(exc))
    if end < start:
        where.fail(field, "range %d-%d is reversed (start is greater than end)" % (start, end))
    return {"start": start, "end": end}


def parse_port_spec(where, field, value):
    """Accept 443, "443", "600-1023", "600\u20131023", "1099, 8043", [80, "8000-8999", {start, end}]."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    ranges = []
    for item in items:
        if isinstance(item, dict):
            unknown = sorted(set(item) - {"start", "end"})
            if unknown:
                where.fail(field, "unknown key %r in port range %r" % (unknown[0], item))
            if "start" not in item:
                where.fail(field, "port range %r needs a start" % (item,))
            ranges.append(_range(where, field, item["start"], item.get("end", item["start"])))
        elif isinstance(item, str):
            for part in item.split(","):
                match = _PORT_TEXT_ITEM.match(part)
                if not match:
                    where.fail(field, "%r is not a port, a range like 600-1023 or a list like 1099, 8043" % (item,))
                ranges.append(_range(where, field, match.group(1), match.group(2) or match.group(1)))
        else:
            ranges.append(_range(where, field, item, item))
    return ranges


def parse_protocols(where, field, value):
    if value is None:
        return []
    if isinstance(value, str):
        value = [part for part in _PROTOCOL_SEPARATORS.split(value) if part]
    if not isinstance(value, list):
        where.fail(field, "must be a list of protocols (tcp, udp), got %r" % (value,))
    result = []
    for item in value:
        proto = item.lower() if isinstance(item, str) else item
        if proto not in PROTOCOLS:
            where.fail(field, "unknown protocol %r; valid protocols are: %s" % (item, ", ".join(PROTOCOLS)))
        if proto not in result:
            result.append(proto)
    return sorted(result)


def _slug(where, field, value):
    value = _text(where, field, value, allow_none=False)
    if not _SLUG.match(value):
        where.fail(field, "%r must be lower-case letters, digits and '-' (for example 'my-org-hosts')" % value)
    return value


def _location(where, value):
    if value is None:
        return {}
    if isinstance(value, str):
        return {"section": _text(where, "location", value)}
    if not isinstance(value, dict):
        where.fail("location", "must be a mapping or a string, got %r" % (value,))
    result = {}
    for key, item in value.items():
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            where.fail("location", "value of %r must be text or a number, got %r" % (key, item))
        result[_text(where, "location", key, allow_none=False)] = item if isinstance(item, int) else _text(where, "location", item)
    return result


def _entry_id(kind, entry):
    if kind == "ports":
        parts = [entry["source"], format_ranges(entry["ports"]), "+".join(entry["protocols"]) or "unspecified"]
        name = entry.get("iana_name") or entry.get("service")
        if name:
            parts.append(slugify(name))
        return "/".join(parts)
    if kind == "hosts":
        return "%s/%s" % (entry["source"], entry["host"])
    if kind == "networks":
        return "%s/%s" % (entry["source"], entry["network"])
    return "%s/%s" % (entry["source"], entry["process"])


def _section(where, value):
    section = _text(where, "section", value)
    if section is not None and not slugify(section):
        where.fail("section", "%r has no letters or digits; name the section as the document does" % section)
    return section


def _operating_systems(where, value):
    """A list of Apple OS names (``macOS``, ``[iOS, iPadOS]``); case is ignored, Apple's spelling is kept."""
    result = []
    for item in _text_list(where, "os", value):
        name = _OPERATING_SYSTEMS_BY_KEY.get(item.strip().lower())
        if name is None:
            where.fail("os", "unknown operating system %r; valid values are: %s" % (item, ", ".join(OPERATING_SYSTEMS)))
        if name not in result:
            result.append(name)
    return result


def _verification(where, value):
    return None if value is None else _slug(where, "verification", value)


def _row_fields(kind, where, raw):
    """Fields of a row in a table that gives each host its ports, protocol, OS and proxy support (article 101555)."""
    fields = {
        "section": _section(where, raw.get("section")),
        "protocols_text": _text(where, "protocols_text", raw.get("protocols_text")),
        "verification": _verification(where, raw.get("verification")),
    }
    if kind == "ports":
        hosts = []
        for item in _text_list(where, "hosts", raw.get("hosts")):
            try:
                hosts.append(parse_pattern(item, "host"))
            except HostnameError as exc:
                where.fail("hosts", str(exc))
        fields["hosts"] = hosts
        return fields
    fields["os"] = _operating_systems(where, raw.get("os"))
    fields["description"] = _text(where, "description", raw.get("description"))
    proxies = raw.get("supports_proxies", "not_stated")
    if proxies not in SUPPORTS_PROXIES:
        where.fail("supports_proxies", "%r is not one of: %s (yes: the document marks the host as working through a "
                   "proxy; not_stated: it does not; see_note: it points to a note instead)"
                   % (proxies, ", ".join(SUPPORTS_PROXIES)))
    fields["supports_proxies"] = proxies
    return fields


def _network_fields(where, raw):
    """A network in CIDR form with what it is for (Apple's address blocks, the APNs fallback ranges)."""
    text = _text(where, "network", raw["network"], allow_none=False)
    try:
        network = address_rule.parse_ip_network(text, "network", strict=True)
    except address_rule.AddressError as exc:
        host, _colon, port = text.rpartition(":")
        # host:port, 192.0.2.1:443 or [2001:db8::1]:443 (a bare IPv6 address has colons of its own).
        if host and port.isdigit() and "/" not in text and (host.startswith("[") or ":" not in host):
            where.fail("network", "%r: ports are not allowed here; give the network in CIDR form (17.0.0.0/8) and the "
                                  "port in the entry's ports field" % (text,))
        where.fail("network", "%s (an IPv4 or IPv6 network in CIDR form is expected: 17.0.0.0/8, 2620:149::/32)" % exc)
    purpose = _text(where, "purpose", raw["purpose"], allow_none=False)
    if not purpose.strip():
        where.fail("purpose", "must say what the network is for")
    ports = parse_port_spec(where, "ports", raw.get("ports"))
    return {
        "network": str(network),
        "family": network.version,
        "purpose": purpose,
        "section": _section(where, raw.get("section")),
        "ports": ports,
        "ports_text": _text(where, "ports_text", raw.get("ports_text")) or (format_ranges(ports) if ports else None),
        "protocols": parse_protocols(where, "protocols", raw.get("protocols")),
        "verification": _verification(where, raw.get("verification")),
    }


def _check_public_suffix(where, raw, entry, check):
    """Refuse a wildcard on a public suffix (``*.com``, ``*.co.uk``, ``*.cloudfront.net``) unless overridden.

    ``allow_public_suffix_wildcard: true`` with a ``public_suffix_wildcard_reason`` lets one entry through.
    """
    allow = _bool(where, "allow_public_suffix_wildcard", raw.get("allow_public_suffix_wildcard"))
    reason = _text(where, "public_suffix_wildcard_reason", raw.get("public_suffix_wildcard_reason"))
    if allow and not entry["wildcard"]:
        where.fail("allow_public_suffix_wildcard", "applies to wildcard hosts only; %r is not one" % entry["host"])
    if allow and not (reason and reason.strip()):
        where.fail("public_suffix_wildcard_reason", "is required with allow_public_suffix_wildcard: true "
                   "(say why every name under the suffix may bypass the proxy)")
    if reason is not None and not allow:
        where.fail("public_suffix_wildcard_reason", "is only used with allow_public_suffix_wildcard: true")
    entry["allow_public_suffix_wildcard"] = allow
    entry["public_suffix_wildcard_reason"] = reason
    if not entry["wildcard"] or allow or not check:
        return
    try:
        suffix = wildcard_public_suffix(entry["host"])
        if suffix is not None:
            where.fail("host", "%r would match every name under %r, which is %s: a bypass entry must not open every "
                       "site registered there. List the hosts you mean (for example *.example.%s), or set "
                       "allow_public_suffix_wildcard: true with a public_suffix_wildcard_reason"
                       % (entry["host"], suffix, suffix_kind(suffix), suffix))
    except PublicSuffixListMissing as exc:
        where.fail("host", "%r: %s" % (entry["host"], exc))


def _entry_base(kind, raw, where, sources):
    """The fields every entry has (source, location, used_by, notes), once its keys are checked."""
    if not isinstance(raw, dict):
        where.fail("(entry)", "must be a mapping, got %r" % (raw,))
    unknown = raw.keys() - _ENTRY_KEY_SETS[kind]
    if unknown:
        where.fail(sorted(unknown)[0], "unknown field; valid fields are: %s" % ", ".join(_ENTRY_KEYS[kind]))
    for field in _REQUIRED[kind]:
        if raw.get(field) is None:
            where.fail(field, "is required")
    source = raw["source"]
    # A declared source id was checked where it was declared; anything else gets the slug's message or this one.
    if not (isinstance(source, str) and source in sources):
        where.fail("source", "%r is not declared under 'sources' (known: %s)"
                   % (_slug(where, "source", source), ", ".join(sorted(sources))))
    return {
        "source": source,
        "location": _location(where, raw.get("location")),
        "used_by": _text_list(where, "used_by", raw.get("used_by")),
        "notes": _text(where, "notes", raw.get("notes")),
    }


def _port_fields(where, raw):
    """A port entry: its ports, protocols and what the document says uses them."""
    entry = {"ports": parse_port_spec(where, "ports", raw["ports"])}
    if not entry["ports"]:
        where.fail("ports", "must list at least one port")
    entry["ports_text"] = _text(where, "ports_text", raw.get("ports_text")) or format_ranges(entry["ports"])
    entry["protocols"] = parse_protocols(where, "protocols", raw.get("protocols"))
    entry["service"] = _text(where, "service", raw.get("service"))
    entry["iana_name"] = _text(where, "iana_name", raw.get("iana_name"))
    rfc = raw.get("rfc") or []
    if not isinstance(rfc, list):
        rfc = [rfc]
    entry["rfc"] = []
    for number in rfc:
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            where.fail("rfc", "%r is not an RFC number" % (number,))
        entry["rfc"].append(number)
    entry["unregistered_use"] = _bool(where, "unregistered_use", raw.get("unregistered_use"))
    entry["used_by_text"] = _text(where, "used_by_text", raw.get("used_by_text"))
    return entry


def _probe_host(where, raw, entry):
    """The concrete name a probe asks for a host pattern: given, or the host itself when it is no wildcard."""
    probe = raw.get("probe_host")
    if probe is None and not entry["wildcard"]:
        return entry["host"]  # already a valid name that matches itself
    if probe is not None:
        try:
            probe = parse_hostname(probe, "probe_host")
        except HostnameError as exc:
            where.fail("probe_host", str(exc))
        if not compile_pattern(entry["host"])(probe):
            where.fail("probe_host", "%r does not match the host pattern %r" % (probe, entry["host"]))
    return probe


def _host_fields(where, raw, entry, public_suffix_check):
    """A host entry: its pattern, group, probe host, ports and protocols (added to ``entry``)."""
    try:
        entry["host"] = parse_pattern(raw["host"], "host")
    except HostnameError as exc:
        where.fail("host", str(exc))
    wildcard = is_wildcard(entry["host"])
    if raw.get("wildcard") is not None and _bool(where, "wildcard", raw["wildcard"]) != wildcard:
        where.fail("wildcard", "says %r but host %r %s a wildcard" % (raw["wildcard"], entry["host"], "is" if wildcard else "is not"))
    entry["wildcard"] = wildcard
    _check_public_suffix(where, raw, entry, public_suffix_check)
    group = raw.get("group", "other")
    entry["group"] = _slug(where, "group", group)
    probe = _probe_host(where, raw, entry)
    entry["probe_host"] = probe
    origin = raw.get("probe_host_origin")
    entry["probe_host_origin"] = _text(where, "probe_host_origin", origin) if origin is not None else (
        None if probe is None else ("document" if not wildcard else "catalog-file"))
    entry["ports"] = parse_port_spec(where, "ports", raw.get("ports"))
    entry["protocols"] = parse_protocols(where, "protocols", raw.get("protocols"))
    entry["bypass_https_interception"] = _bool(where, "bypass_https_interception", raw.get("bypass_https_interception"))


def _process_fields(where, raw):
    """A process entry: its name, what it does and on which platform."""
    return {
        "process": _text(where, "process", raw["process"], allow_none=False),
        "description": _text(where, "description", raw.get("description")),
        "depends_on_sync_configuration": _bool(where, "depends_on_sync_configuration", raw.get("depends_on_sync_configuration")),
        "platform": _text(where, "platform", raw.get("platform")),
    }


def _validate_entry(kind, raw, where, sources, public_suffix_check=True):
    entry = _entry_base(kind, raw, where, sources)
    if kind == "ports":
        entry.update(_port_fields(where, raw))
    elif kind == "hosts":
        _host_fields(where, raw, entry, public_suffix_check)
    elif kind == "networks":
        entry.update(_network_fields(where, raw))
    else:
        entry.update(_process_fields(where, raw))
    if kind in ("hosts", "ports"):
        entry.update(_row_fields(kind, where, raw))

    if raw.get("id") is not None:
        entry_id = _text(where, "id", raw["id"], allow_none=False)
        if not _ID.match(entry_id):
            where.fail("id", "%r may only contain letters, digits and . _ * + , / : -" % entry_id)
    else:
        entry_id = _entry_id(kind, entry)
    entry["id"] = entry_id
    return entry


def _source_verification(where, source_id, value):
    """A source's ``verification``: what each status its entries carry means (``apple-page: read on Apple's page``)."""
    field = "sources.%s.verification" % source_id
    if value is None:
        return
    if not isinstance(value, dict):
        where.fail(field, "must be a mapping of status (for example apple-page) to what it means, got %r" % (value,))
    for status, meaning in value.items():
        _slug(where, field, status)
        _text(where, "%s.%s" % (field, status), meaning, allow_none=False)


def validate_document(doc, origin, known_sources=None, public_suffix_check=True):
    """Validate one parsed catalog document; return a dict with normalised records.

    ``known_sources`` are source ids declared by documents loaded earlier, which
    entries of this document may refer to without declaring them again. ``public_suffix_check=False``
    skips the Public Suffix List check of wildcards (the bundled editions, which the unit tests check).
    """
    where = _Where(origin)
    if not isinstance(doc, dict):
        where.fail("(document)", "must be a mapping with catalog_format, sources and entries")
    unknown = sorted(set(doc) - set(_DOC_KEYS))
    if unknown:
        where.fail(unknown[0], "unknown top-level field; valid fields are: %s" % ", ".join(_DOC_KEYS))
    if doc.get("catalog_format") != CATALOG_FORMAT:
        where.fail("catalog_format", "must be %d, got %r" % (CATALOG_FORMAT, doc.get("catalog_format")))
    published = _text(where, "published", doc.get("published"))
    if published is not None and not _DATE.match(published):
        where.fail("published", "%r is not a date YYYY-MM-DD" % published)
    result = {
        "origin": origin,
        "edition": _text(where, "edition", doc.get("edition")),
        "published": published,
        "description": _text(where, "description", doc.get("description")),
        "sources": {},
    }
    raw_sources = doc.get("sources") or {}
    if not isinstance(raw_sources, dict):
        where.fail("sources", "must be a mapping of source id to its description")
    for source_id, meta in raw_sources.items():
        _slug(where, "sources", source_id)
        if meta is None:
            meta = {}
        if not isinstance(meta, dict):
            where.fail("sources.%s" % source_id, "must be a mapping")
        bad = sorted(set(meta) - set(_SOURCE_KEYS))
        if bad:
            where.fail("sources.%s.%s" % (source_id, bad[0]), "unknown field; valid fields are: %s" % ", ".join(_SOURCE_KEYS))
        src_published = _text(where, "sources.%s.published" % source_id, meta.get("published"))
        if src_published is not None and not _DATE.match(src_published):
            where.fail("sources.%s.published" % source_id, "%r is not a date YYYY-MM-DD" % src_published)
        _source_verification(where, source_id, meta.get("verification"))
        result["sources"][source_id] = dict(meta, published=src_published, id=source_id, origin=origin)
    sources = set(known_sources or ()) | set(result["sources"])
    for kind in KINDS:
        raw_entries = doc.get(kind) or []
        if not isinstance(raw_entries, list):
            where.fail(kind, "must be a list of entries")
        entries, seen = [], {}
        for index, raw in enumerate(raw_entries):
            entry = _validate_entry(kind, raw, _Where(origin, kind, index, raw), sources, public_suffix_check)
            if entry["id"] in seen:
                _Where(origin, kind, index, raw).fail(
                    "id", "duplicate id %r (also %s[%d]); give one of them an explicit id" % (entry["id"], kind, seen[entry["id"]]))
            seen[entry["id"]] = index
            entries.append(entry)
        result[kind] = entries
    return result
