# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Validate profile dictionaries against Apple's device-management YAML schemas.

Reads the schema files of apple/device-management (``mdm/profiles/*.yaml``) as they are and checks keys,
types, allowed values (``rangelist``), bounds (``range``), required keys (``presence``) and macOS support
(``supportedOS``, with the inheritance rule of ``docs/schema.md``).
"""

from __future__ import annotations

import datetime
import os
import sys
from pathlib import Path

import yaml

# The system tests run from the collection tree without PYTHONPATH: make ansible_collections.* importable.
_COLLECTIONS_ROOT = str(Path(__file__).resolve().parents[6])
if _COLLECTIONS_ROOT not in sys.path:
    sys.path.insert(0, _COLLECTIONS_ROOT)

# Known defect in Apple's schema: the SOCKS port key is spelled SOCKSPortinteger there, the real
# SystemConfiguration key is SOCKSPort (configd SCSchemaDefinitions.h). Validate SOCKSPort by that entry.
KEY_ALIASES = {("com.apple.SystemConfiguration", "SOCKSPort"): "SOCKSPortinteger"}


def schema_root():
    """../shared/apple-device-management relative to the repository root (MACFLEET_REPO_ROOT in CI)."""
    candidates = []
    if os.environ.get("MACFLEET_APPLE_SCHEMAS"):
        candidates.append(Path(os.environ["MACFLEET_APPLE_SCHEMAS"]))
    if os.environ.get("MACFLEET_REPO_ROOT"):
        candidates.append(Path(os.environ["MACFLEET_REPO_ROOT"]).resolve().parent / "shared" / "apple-device-management")
    # a worktree or copy: look beside every ancestor
    for parent in Path(__file__).resolve().parents:
        candidates.append(parent / "shared" / "apple-device-management")
    for candidate in candidates:
        if (candidate / "mdm" / "profiles" / "TopLevel.yaml").is_file():
            return candidate
    raise FileNotFoundError("Apple's schemas not found; looked in: %s" % ", ".join(str(c) for c in candidates[:3]))


def _version(text):
    return tuple(int(part) for part in str(text).split("."))


class Schemas:
    def __init__(self, root=None):
        self.root = Path(root or schema_root())
        self.by_type = {}
        for path in sorted((self.root / "mdm" / "profiles").glob("*.yaml")):
            with open(path, encoding="utf-8") as handle:
                doc = yaml.safe_load(handle)
            self.by_type[doc["payload"]["payloadtype"]] = doc

    # --- helpers -------------------------------------------------------------------------------------
    @staticmethod
    def _macos(supported, inherited):
        merged = dict(inherited or {})
        merged.update(((supported or {}).get("macOS")) or {})
        return merged

    def _check_os(self, macos, where, target, errors):
        introduced = macos.get("introduced")
        if introduced in (None, "n/a"):
            errors.append("%s: not supported on macOS" % where)
            return
        if target is None:
            return
        if _version(introduced) > _version(target):
            errors.append("%s: introduced in macOS %s, target is %s" % (where, introduced, target))
        removed = macos.get("removed")
        if removed and _version(target) >= _version(removed):
            errors.append("%s: removed in macOS %s, target is %s" % (where, removed, target))

    _TYPES = {
        "<string>": (str,), "<integer>": (int,), "<boolean>": (bool,), "<real>": (float, int),
        "<array>": (list,), "<dictionary>": (dict,), "<data>": (bytes,), "<date>": (datetime.datetime,),
    }

    def _check_value(self, spec, value, where, macos, target, errors, payload_type):
        kind = spec["type"]
        if kind != "<any>":
            expected = self._TYPES[kind]
            if not isinstance(value, expected) or (kind in ("<integer>", "<real>") and isinstance(value, bool)):
                errors.append("%s: expected %s, got %s %r" % (where, kind, type(value).__name__, value))
                return
        if "rangelist" in spec and value not in spec["rangelist"]:
            errors.append("%s: %r not in %r" % (where, value, spec["rangelist"]))
        if "range" in spec:
            low, high = spec["range"].get("min"), spec["range"].get("max")
            if low is not None and value < low or high is not None and value > high:
                errors.append("%s: %r outside %s..%s" % (where, value, low, high))
        subkeys = spec.get("subkeys")
        if kind == "<array>" and subkeys:
            for index, item in enumerate(value):
                self._check_value(subkeys[0], item, "%s[%d]" % (where, index), macos, target, errors, payload_type)
        elif kind == "<dictionary>" and subkeys:
            self._check_dict(subkeys, value, where, macos, target, errors, payload_type)

    def _check_dict(self, keyspecs, data, where, macos, target, errors, payload_type):
        specs = {spec["key"]: spec for spec in keyspecs}
        any_spec = specs.get("ANY")
        for key, value in data.items():
            name = KEY_ALIASES.get((payload_type, key), key)
            spec = specs.get(name) or any_spec
            if spec is None:
                errors.append("%s.%s: key not in Apple's schema" % (where, key))
                continue
            key_macos = self._macos(spec.get("supportedOS"), macos)
            self._check_os(key_macos, "%s.%s" % (where, key), target, errors)
            self._check_value(spec, value, "%s.%s" % (where, key), key_macos, target, errors, payload_type)
        for name, spec in specs.items():
            if name != "ANY" and spec.get("presence") == "required" and name not in data \
                    and not any(KEY_ALIASES.get((payload_type, k)) == name for k in data):
                errors.append("%s: required key %s missing" % (where, name))

    # --- public --------------------------------------------------------------------------------------
    def validate_payload(self, payload, target=None, where=None):
        """Errors for one payload dictionary (common keys + its type's keys), for a target macOS version."""
        errors = []
        payload_type = payload.get("PayloadType")
        where = where or payload_type
        doc = self.by_type.get(payload_type)
        if doc is None:
            return ["%s: no schema for payload type %r" % (where, payload_type)]
        macos = self._macos(doc["payload"]["supportedOS"], None)
        self._check_os(macos, where, target, errors)
        common = self.by_type["CommonPayloadKeys"]["payloadkeys"]
        common_names = {spec["key"] for spec in common}
        own = [spec for spec in doc["payloadkeys"] if spec["key"] not in common_names]
        self._check_dict(common + own, payload, where, macos, target, errors, payload_type)
        return errors

    def validate_profile(self, profile, target=None):
        """Errors for a whole profile: the top level, then every payload."""
        errors = []
        top = self.by_type["TopLevel"]
        macos = self._macos(top["payload"]["supportedOS"], None)
        self._check_dict(top["payloadkeys"], profile, "TopLevel", macos, target, errors, "TopLevel")
        seen = set()
        for index, payload in enumerate(profile.get("PayloadContent", [])):
            ident = payload.get("PayloadIdentifier")
            if ident in seen:
                errors.append("PayloadContent[%d]: duplicate PayloadIdentifier %s" % (index, ident))
            seen.add(ident)
            errors.extend(self.validate_payload(payload, target, "PayloadContent[%d](%s)" % (index, payload.get("PayloadType"))))
        return errors
