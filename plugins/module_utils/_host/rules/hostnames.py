# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Host names and host patterns: one strict grammar and one matching rule.

Everything that ends up in a PAC file, a squid ACL, a bypass list or a probe
goes through :func:`parse_pattern` or :func:`parse_hostname` first, so the
renderers never see a character outside ``[a-z0-9.*-]``.

Pattern semantics (case-insensitive, a trailing dot ignored):

* ``host.example.com`` matches only itself;
* ``*.example.com`` matches any name with one or more labels in front of
  ``example.com`` (``a.example.com``, ``a.b.example.com``), never the apex
  ``example.com`` and never ``evilexample.com``;
* ``gg*.example.com`` (a ``*`` inside the first label) matches exactly one
  label whose text fits the glob (``gg.example.com``, ``gg3.example.com``),
  never ``gg.example.com.evil.net`` nor ``a.gg3.example.com``.

A ``*`` may appear only in the first label.
"""

from __future__ import annotations

import re

_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_WILD_LABEL = re.compile(r"^[a-z0-9*-]{1,63}$")
_MAX_NAME = 253
_ALLOWED = re.compile(r"[A-Za-z0-9.*-]*\Z")


class HostnameError(ValueError):
    """A host name or pattern that does not fit the grammar."""


def _split(value, what):
    if not isinstance(value, str):
        raise HostnameError("%s must be a string, got %s %r" % (what, type(value).__name__, value))
    if value == "":
        raise HostnameError("%s must not be empty" % what)
    if not _ALLOWED.match(value):
        bad = [ch for ch in value if not (ch.isascii() and (ch.isalnum() or ch in ".-*"))]
        raise HostnameError(
            "%s %r contains the character %r; only letters, digits, '-', '.' and '*' are allowed"
            % (what, value, bad[0])
        )
    name = value.lower()
    if name.endswith("."):
        name = name[:-1]
    if len(name) > _MAX_NAME:
        raise HostnameError("%s %r is longer than %d characters" % (what, value, _MAX_NAME))
    labels = name.split(".")
    if any(label == "" for label in labels):
        raise HostnameError("%s %r has an empty label" % (what, value))
    return name, labels


def parse_hostname(value, what="host name"):
    """Return the normalised (lower-case, no trailing dot) form of a concrete host name."""
    name, labels = _split(value, what)
    for label in labels:
        if not _LABEL.match(label):
            raise HostnameError("%s %r has an invalid label %r" % (what, value, label))
    return name


def parse_pattern(value, what="host pattern"):
    """Return the normalised form of a host name or wildcard pattern."""
    name, labels = _split(value, what)
    first, rest = labels[0], labels[1:]
    if "*" in first:
        if not _WILD_LABEL.match(first):
            raise HostnameError("%s %r has an invalid first label %r" % (what, value, first))
        if not rest:
            raise HostnameError("%s %r needs a domain after the wildcard label" % (what, value))
    elif not _LABEL.match(first):
        raise HostnameError("%s %r has an invalid label %r" % (what, value, first))
    for label in rest:
        if "*" in label:
            raise HostnameError("%s %r: a '*' is only allowed in the first label" % (what, value))
        if not _LABEL.match(label):
            raise HostnameError("%s %r has an invalid label %r" % (what, value, label))
    return name


def is_wildcard(pattern):
    return "*" in pattern


def pattern_parts(pattern):
    """Split a normalised pattern into (kind, first_label, suffix).

    kind is ``exact``, ``subdomains`` (``*.suffix``) or ``label_glob`` (``gg*.suffix``).
    """
    first, _dot, suffix = pattern.partition(".")
    if "*" not in first:
        return "exact", first, suffix
    if first == "*":
        return "subdomains", first, suffix
    return "label_glob", first, suffix


def _glob_regex(label_glob):
    return re.compile("^" + ".*".join(re.escape(part) for part in label_glob.split("*")) + r"\Z")


def compile_pattern(pattern):
    """Return a predicate ``f(normalised_host) -> bool`` for a normalised pattern."""
    kind, first, suffix = pattern_parts(pattern)
    if kind == "exact":
        return pattern.__eq__
    dotted = "." + suffix
    if kind == "subdomains":
        return lambda host: host.endswith(dotted) and len(host) > len(dotted)
    glob = _glob_regex(first)

    def match_label_glob(host):
        if not host.endswith(dotted):
            return False
        label = host[: -len(dotted)]
        return "." not in label and bool(glob.match(label))

    return match_label_glob


def normalise_host_for_match(host):
    """Lower-case and drop one trailing dot; no validation (a non-name simply never matches)."""
    if not isinstance(host, str):
        return ""
    host = host.strip().lower()
    return host[:-1] if host.endswith(".") else host


def host_matches(host, pattern):
    """True when *host* matches *pattern* (both as typed by a user)."""
    return compile_pattern(parse_pattern(pattern))(normalise_host_for_match(host))
