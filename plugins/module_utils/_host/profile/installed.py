# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reading ``profiles show -output stdout-xml`` and comparing an installed profile with a rendered one.

The output is an XML plist: a dictionary whose keys are ``_computerlevel`` (device profiles) or a user
name (user profiles), each an array of profiles with ``ProfileIdentifier``, ``ProfileUUID`` and
``ProfileItems`` (one dictionary per payload: ``PayloadType``, ``PayloadIdentifier``, ``PayloadUUID``,
``PayloadContent`` with the payload's settings).
"""

from __future__ import annotations

import plistlib
from xml.parsers.expat import ExpatError

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.profile.payloads import SECRET_KEYS


class InstalledError(ValueError):
    """Output of ``profiles show`` that is not the expected plist."""


def parse_show_output(data):
    """Parse the plist; an empty output (nothing installed) gives an empty dict."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data.strip():
        return {}
    try:
        parsed = plistlib.loads(data)
    except (plistlib.InvalidFileException, ExpatError, ValueError) as exc:
        raise InstalledError("profiles show did not print a plist: %s" % exc) from None
    if not isinstance(parsed, dict):
        raise InstalledError("profiles show printed a %s, expected a dictionary" % type(parsed).__name__)
    return parsed


def find_profile(parsed, identifier):
    """Return ``(level, profile)`` for the installed profile with that identifier, or ``(None, None)``."""
    for level in sorted(parsed, key=lambda name: (name != "_computerlevel", name)):
        profiles = parsed[level]
        if not isinstance(profiles, list):
            continue
        for profile in profiles:
            if isinstance(profile, dict) and profile.get("ProfileIdentifier") == identifier:
                return level, profile
    return None, None


def installed_view(profile):
    """The installed profile in the shape of :func:`render.comparable`."""
    payloads = []
    for item in profile.get("ProfileItems") or []:
        if not isinstance(item, dict):
            continue
        content = item.get("PayloadContent")
        content = {key: value for key, value in (content or {}).items() if key not in SECRET_KEYS} \
            if isinstance(content, dict) else content
        payloads.append({
            "type": item.get("PayloadType"),
            "identifier": item.get("PayloadIdentifier"),
            "uuid": item.get("PayloadUUID"),
            "content": content,
        })
    return {"identifier": profile.get("ProfileIdentifier"), "uuid": profile.get("ProfileUUID"), "payloads": payloads}


def _walk(expected, actual, path, out):
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            where = "%s.%s" % (path, key)
            if key not in actual:
                out.append("%s: missing from the installed profile (expected %r)" % (where, expected[key]))
            elif key not in expected:
                out.append("%s: installed profile has %r, the rendered profile does not set it" % (where, actual[key]))
            else:
                _walk(expected[key], actual[key], where, out)
    elif expected != actual or type(expected) is not type(actual):
        out.append("%s: installed %r, rendered %r" % (path, actual, expected))


def compare(expected, installed):
    """Differences between a rendered view and an installed view (both from ``comparable`` shapes)."""
    out = []
    for key in ("identifier", "uuid"):
        if expected.get(key) != installed.get(key):
            out.append("profile %s: installed %r, rendered %r" % (key, installed.get(key), expected.get(key)))
    have = {p.get("identifier"): p for p in installed.get("payloads", [])}
    want = {p.get("identifier"): p for p in expected.get("payloads", [])}
    for ident in sorted(set(want) | set(have), key=str):
        if ident not in have:
            out.append("payload %s (%s): not in the installed profile" % (ident, want[ident].get("type")))
            continue
        if ident not in want:
            out.append("payload %s (%s): installed but not rendered" % (ident, have[ident].get("type")))
            continue
        for key in ("type", "uuid"):
            if want[ident].get(key) != have[ident].get(key):
                out.append("payload %s %s: installed %r, rendered %r" % (ident, key, have[ident].get(key), want[ident].get(key)))
        _walk(want[ident].get("content"), have[ident].get("content"), "payload %s" % ident, out)
    return out
