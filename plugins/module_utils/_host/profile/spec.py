# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A small strict option validator for profile payload options.

Every value is checked for its exact type (no "yes" for a boolean, no "8080" for a port),
unknown keys are rejected, and every error names the field by its full dotted path.
``None`` means "not set", as Ansible's argument spec fills unset sub-options with ``None``.
"""

from __future__ import annotations

import re

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules import addresses as address_rule
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.ports import parse_port


class ProfileError(ValueError):
    """Invalid profile input; the message names the field and the value."""


class Field:
    """One option: ``kind`` is str, int, bool, list or dict."""

    def __init__(self, kind, required=False, choices=None, check=None, elements=None, fields=None, secret=False):
        self.kind = kind
        self.required = required
        self.choices = choices
        self.check = check
        self.elements = elements
        self.fields = fields
        self.secret = secret


_KINDS = {"str": str, "int": int, "bool": bool, "list": list, "dict": dict}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _show(field, value):
    return "(hidden)" if field.secret else repr(value)


def check_value(field, value, path):
    """Validate one value against its field; returns the normalised value."""
    expected = _KINDS[field.kind]
    if field.kind == "int" and isinstance(value, bool) or not isinstance(value, expected):
        raise ProfileError("%s must be of type %s, got %s %s"
                           % (path, field.kind, type(value).__name__, _show(field, value)))
    if field.kind == "str":
        if _CONTROL.search(value) or "\n" in value or "\r" in value:
            raise ProfileError("%s must not contain control characters or line breaks, got %s"
                               % (path, _show(field, value)))
    if field.choices is not None and value not in field.choices:
        raise ProfileError("%s must be one of %s, got %s"
                           % (path, ", ".join(str(c) for c in field.choices), _show(field, value)))
    if field.kind == "list":
        value = [check_value(field.elements, item, "%s[%d]" % (path, index)) for index, item in enumerate(value)]
    elif field.kind == "dict" and field.fields is not None:
        value = check_options(value, field.fields, path)
    if field.check is not None:
        value = field.check(value, path)
    return value


def check_options(options, fields, path):
    """Validate a dict of options: unknown keys, missing required keys, types. Unset (None) keys are dropped."""
    if not isinstance(options, dict):
        raise ProfileError("%s must be a dictionary, got %s" % (path, type(options).__name__))
    unknown = sorted(str(key) for key in options if key not in fields)
    if unknown:
        raise ProfileError("%s: unknown key%s %s; allowed keys: %s"
                           % (path, "s" if len(unknown) > 1 else "", ", ".join(unknown), ", ".join(sorted(fields))))
    result = {}
    for name, field in fields.items():
        value = options.get(name)
        if value is None:
            if field.required:
                raise ProfileError("%s.%s is required" % (path, name))
            continue
        result[name] = check_value(field, value, "%s.%s" % (path, name))
    return result


def check_port(value, path):
    """A port number (the port rule, ``_host/rules/ports.py``); the type is the field's (int)."""
    try:
        return parse_port(value, path, ProfileError)
    except ProfileError:
        raise ProfileError("%s must be between 1 and 65535, got %r" % (path, value)) from None


_URL = re.compile(r"^(https?)://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?(/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?$")


def check_http_url(value, path):
    """An http:// or https:// URL with a host, an optional port and a plain path (macOS 10.15+ accepts only these)."""
    match = _URL.match(value)
    if not match:
        if not value.lower().startswith(("http://", "https://")):
            raise ProfileError("%s must be an http:// or https:// URL (macOS 10.15 and later accept no other scheme), got %r"
                               % (path, value))
        raise ProfileError("%s is not a valid URL (host, optional port and path; no spaces or quotes), got %r" % (path, value))
    if match.group(3) is not None:
        try:
            parse_port(match.group(3), path, ProfileError)
        except ProfileError:
            raise ProfileError("%s has a port out of range 1-65535: %r" % (path, value)) from None
    address_rule.parse_host(match.group(2), "%s %r: host" % (path, value), ProfileError, brackets=True)
    return value


_REVERSE_DNS = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")


def check_identifier(value, path):
    """A reverse-DNS identifier (``com.example.proxy``): at least two labels of letters, digits and '-'."""
    if not _REVERSE_DNS.match(value) or len(value) > 255:
        raise ProfileError("%s must be a reverse-DNS identifier such as com.example.proxy, got %r" % (path, value))
    return value


_BUNDLE_ID = re.compile(r"^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")


def check_bundle_id(value, path):
    if not _BUNDLE_ID.match(value):
        raise ProfileError("%s must be a bundle identifier such as com.apple.Safari, got %r" % (path, value))
    return value
