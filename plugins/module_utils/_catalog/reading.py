# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reading a catalog file (JSON, or YAML for user files) strictly, before the schema sees it.

Refused, with the file named: a file above :data:`MAX_FILE_BYTES`, text that is not UTF-8, a document nested
deeper than :data:`MAX_DEPTH`, a duplicate key (JSON or YAML), and YAML anchors, aliases, merge keys and tags
other than the plain types.
"""

from __future__ import annotations

import json
import re

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.errors import CatalogError

# Catalog documents are a few levels deep (document, kind, entry, field, list item, range): anything
# deeper is a mistake or an attack, refused with the file named before it can exhaust Python's stack.
MAX_DEPTH = 32
# The largest catalog file read (8 MiB, some 90,000 entries): checked before parsing, so the work a file can cause is
# bounded by its size (anchors and aliases, which could multiply it, are refused).
MAX_FILE_BYTES = 8 * 1024 * 1024
# A YAML anchor (&), alias (*) or tag (!) can only start a node: at the start of a line or after a space, an
# indicator (- ? :), a flow bracket or a comma. A file without one of these cannot hold any of them (quoted
# wildcards such as "*.apple.com" do not match), so only a file that might is scanned event by event.
_MAYBE_NODE_PROPERTY = re.compile(r"(?:^|[\s\[\]{},:?\-\ufeff])[&*!]", re.MULTILINE)
# Explicit tags a catalog file may use: those of the values a catalog holds.
_STANDARD_TAGS = frozenset("tag:yaml.org,2002:" + name for name in ("str", "int", "float", "bool", "null", "seq", "map"))
_REFERENCES_REFUSED = ("catalog files may not use YAML anchors, aliases, merge keys or tags other than !!str, !!int, "
                       "!!float, !!bool, !!null, !!seq and !!map; write the values out")


def _yaml_base_loader(yaml):
    """libyaml's parser where PyYAML has it (as ansible-core's own loader is): a 10,000-entry file parses several
    times faster than with the pure-Python parser."""
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _refuse_yaml_references(yaml, text, path):
    """Refuse anchors, aliases and non-standard tags, naming the file and the line.

    An alias shares a node: a few hundred bytes of nested aliases stand for billions of values ("billion laughs"),
    and a tag other than the plain types asks for objects a catalog never holds.
    """
    if not _MAYBE_NODE_PROPERTY.search(text):
        return
    for event in yaml.parse(text, Loader=_yaml_base_loader(yaml)):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            found = "alias *%s" % event.anchor
        elif getattr(event, "anchor", None) is not None:
            found = "anchor &%s" % event.anchor
        elif getattr(event, "tag", None) is not None and event.tag not in _STANDARD_TAGS:
            found = "tag %s" % event.tag
        else:
            continue
        raise CatalogError("%s: line %d: YAML %s: %s" % (path, line, found, _REFERENCES_REFUSED))


def _strict_yaml_loader(yaml, path):
    """A SafeLoader that refuses a mapping with a duplicate key (PyYAML silently keeps the last one) or a merge key."""
    base = _yaml_base_loader(yaml)

    class StrictLoader(base):
        pass

    def construct_mapping(loader, node, deep=False):
        first_seen = {}
        for key_node, _value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                # Keys merged in are silently overridden by the mapping's own: the duplicate key check cannot see them.
                raise CatalogError("%s: line %d: YAML merge key '<<': %s" % (path, line, _REFERENCES_REFUSED))
            # A plain scalar key is its text (what the constructor will make of it); others are built to compare.
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag == "tag:yaml.org,2002:str":
                key = key_node.value
            else:
                key = loader.construct_object(key_node, deep=True)
            try:
                earlier = first_seen.get(key)
            except TypeError:  # an unhashable key: SafeConstructor reports it
                continue
            if earlier is not None:
                raise CatalogError("%s: line %d: duplicate key %r (already on line %d); YAML would keep only the "
                                   "last value, so the file is refused" % (path, line, key, earlier))
            first_seen[key] = line
        return base.construct_mapping(loader, node, deep)

    StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return StrictLoader


def _check_depth(doc, path):
    """Refuse a document nested deeper than MAX_DEPTH (iteratively: no recursion to exhaust)."""
    stack = [(doc, 1)] if isinstance(doc, (dict, list)) else []
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise CatalogError("%s: the document is nested more than %d levels deep; a catalog file needs no more "
                               "than a few (document, kind, entry, field, list)" % (path, MAX_DEPTH))
        # Only containers are visited: most values of a catalog are text.
        stack.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value)
                     if isinstance(item, (dict, list)))
    return doc


def _too_deep(path):
    return CatalogError("%s: the document is nested too deeply to read (more than Python's recursion limit allows); "
                        "a catalog file needs no more than %d levels" % (path, MAX_DEPTH))


def _refuse_duplicate_json_keys(path):
    def pairs_hook(pairs):
        result = {}
        for key, value in pairs:
            if key in result:
                raise CatalogError("%s: duplicate key %r in a JSON object; JSON readers keep only the last value, so "
                                   "the file is refused" % (path, key))
            result[key] = value
        return result

    return pairs_hook


def read_file(path):
    """The parsed document of the catalog file at ``path`` (JSON by its .json name, YAML otherwise)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except (IOError, OSError) as exc:
        raise CatalogError("%s: cannot read catalog file: %s" % (path, exc))
    if len(data) > MAX_FILE_BYTES:
        raise CatalogError("%s: catalog file is larger than %d bytes (%d MiB); split it into several files"
                           % (path, MAX_FILE_BYTES, MAX_FILE_BYTES // (1024 * 1024)))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogError("%s: catalog file is not UTF-8: %s" % (path, exc))
    if path.endswith(".json"):
        try:
            return _check_depth(json.loads(text, object_pairs_hook=_refuse_duplicate_json_keys(path)), path)
        except RecursionError:
            raise _too_deep(path)
        except ValueError as exc:
            if isinstance(exc, CatalogError):
                raise
            raise CatalogError("%s: not valid JSON: %s" % (path, exc))
    try:
        import yaml  # ansible-core's own dependency; only user files may be YAML
    except ImportError:
        raise CatalogError("%s: reading YAML catalog files needs PyYAML; use a .json file instead" % path)
    try:
        _refuse_yaml_references(yaml, text, path)
        return _check_depth(yaml.load(text, Loader=_strict_yaml_loader(yaml, path)), path)
    except RecursionError:
        raise _too_deep(path)
    except yaml.YAMLError as exc:
        if "maximum nesting depth" in str(exc):  # libyaml's own limit, met before Python's
            raise _too_deep(path)
        raise CatalogError("%s: not valid YAML: %s" % (path, exc))
    except ValueError as exc:
        if isinstance(exc, CatalogError):
            raise
        # PyYAML's constructors convert scalars with int() and float(): an integer of more digits than Python
        # converts, for one.
        raise CatalogError("%s: not a valid catalog value: %s" % (path, exc))
