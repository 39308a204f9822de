# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Configuration profile assembly and rendering.

The same input always gives the same bytes: UUIDs are derived from the identifiers (uuid5) and the
XML plist is written with sorted keys.
"""

from __future__ import annotations

import hashlib
import plistlib
import uuid

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.profile.payloads import PAYLOADS, SECRET_KEYS
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.profile.spec import (
    Field,
    ProfileError,
    check_identifier,
    check_options,
)

# Fixed namespace: changing it would change every UUID the collection ever rendered.
UUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "apple_network.macfleet.github.io")

PROFILE_FIELDS = {
    "identifier": Field("str", required=True, check=check_identifier),
    "display_name": Field("str"),
    "description": Field("str"),
    "organization": Field("str"),
    "scope": Field("str", choices=["System", "User"]),
    "removal_disallowed": Field("bool"),
    "proxy": Field("dict"),
    "global_proxy": Field("dict"),
    "firewall": Field("dict"),
    "software_update": Field("dict"),
}


def derived_uuid(*parts):
    """An upper-case UUID derived from the parts (uuid5), the form Apple's tools write."""
    return str(uuid.uuid5(UUID_NAMESPACE, "\x1f".join(parts))).upper()


def build_profile(options):
    """Validate options and build the profile dictionary; returns ``(profile, warnings)``.

    Raises :class:`ProfileError` naming the field on any invalid input.
    """
    opts = check_options(options, PROFILE_FIELDS, "profile")
    identifier = opts["identifier"]
    payloads = []
    warnings = []
    for option in ("proxy", "global_proxy", "firewall", "software_update"):
        if option not in opts:
            continue
        payload_type, suffix, default_name, builder = PAYLOADS[option]
        content = builder(opts[option], option)
        if isinstance(content, tuple):
            content, more = content
            warnings.extend(more)
        payload_id = "%s.%s" % (identifier, suffix)
        payload = dict(content)
        payload.update({
            "PayloadType": payload_type,
            "PayloadIdentifier": payload_id,
            "PayloadUUID": derived_uuid("payload", payload_id, payload_type),
            "PayloadVersion": 1,
            "PayloadDisplayName": default_name,
        })
        payloads.append(payload)
    if not payloads:
        raise ProfileError("profile: set at least one payload option: proxy, global_proxy, firewall, software_update")
    if "global_proxy" in opts and "proxy" in opts:
        warnings.append("proxy and global_proxy are both set: the global HTTP proxy payload has no bypass list "
                        "(ExceptionsList exists only in the proxy payload), and Apple does not document which one wins")
    profile = {
        "PayloadContent": payloads,
        "PayloadIdentifier": identifier,
        "PayloadUUID": derived_uuid("profile", identifier),
        "PayloadType": "Configuration",
        "PayloadVersion": 1,
        "PayloadScope": opts.get("scope", "System"),
        "PayloadDisplayName": opts.get("display_name", identifier),
    }
    if "description" in opts:
        profile["PayloadDescription"] = opts["description"]
    if "organization" in opts:
        profile["PayloadOrganization"] = opts["organization"]
    if "removal_disallowed" in opts:
        profile["PayloadRemovalDisallowed"] = opts["removal_disallowed"]
    return profile, warnings


def render(profile):
    """The XML plist bytes; byte-identical for equal input."""
    return plistlib.dumps(profile, fmt=plistlib.FMT_XML, sort_keys=True)


def bypass_entries(profile):
    """The ExceptionsList of the proxy payload ([] without one)."""
    for payload in profile.get("PayloadContent", []):
        if payload.get("PayloadType") == "com.apple.SystemConfiguration":
            return list(payload.get("Proxies", {}).get("ExceptionsList", []))
    return []


def has_credentials(profile):
    return any(key in payload for payload in profile.get("PayloadContent", []) for key in SECRET_KEYS)


def _mask(value, secrets):
    if isinstance(value, dict):
        return {key: ("********" if key in secrets else _mask(item, secrets)) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask(item, secrets) for item in value]
    return value


def diff_text(profile, reference=None):
    """Plist text for a diff, with secrets replaced by a marker that still shows a change.

    ``reference`` is the other side of the diff: a secret that differs from it is shown as ``******** (changed)``.
    """
    if profile is None:
        return ""
    shown = _mask(profile, SECRET_KEYS)
    if reference is not None:
        old = {p.get("PayloadIdentifier"): p for p in reference.get("PayloadContent", []) if isinstance(p, dict)}
        for index, payload in enumerate(profile.get("PayloadContent", [])):
            for key in SECRET_KEYS:
                if key in payload and old.get(payload.get("PayloadIdentifier"), {}).get(key) != payload[key]:
                    shown["PayloadContent"][index][key] = "******** (changed)"
    return render(shown).decode("utf-8")


def comparable(profile):
    """The parts of a profile that ``profiles show`` reports back, without secrets.

    ``{"identifier", "uuid", "payloads": [{"type", "identifier", "uuid", "content"}]}``; JSON-safe.
    """
    payloads = []
    for payload in profile.get("PayloadContent", []):
        content = {key: value for key, value in payload.items()
                   if not key.startswith("Payload") and key not in SECRET_KEYS}
        payloads.append({
            "type": payload.get("PayloadType"),
            "identifier": payload.get("PayloadIdentifier"),
            "uuid": payload.get("PayloadUUID"),
            "content": content,
        })
    return {"identifier": profile.get("PayloadIdentifier"), "uuid": profile.get("PayloadUUID"), "payloads": payloads}


def public_digest(profile):
    """SHA-256 of the rendering with every secret masked as in the diff.

    Safe to show in a job log: two profiles that differ only in a password have the same digest, so the digest
    cannot be used to test password guesses offline. Whether the file changed is decided on its bytes, not on this.
    """
    return hashlib.sha256(render(_mask(profile, SECRET_KEYS))).hexdigest()
