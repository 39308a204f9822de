# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Wildcards that sit on a public suffix, from the Public Suffix List.

A catalog host such as ``*.com``, ``*.co.uk`` or ``*.cloudfront.net`` would let every site registered
under that suffix bypass the proxy and TLS inspection. The Public Suffix List (https://publicsuffix.org)
names those suffixes; the ``publicsuffixlist`` library ships a copy of it, so nothing is fetched at run
time. Both sections count: ICANN suffixes (``com``, ``co.uk``) and the PRIVATE section, where hosting
providers list the domains their customers get names under (``cloudfront.net``, ``github.io``,
``s3.amazonaws.com``). The library's default rule ``*`` makes every top-level domain public, listed or
not (``*.local``, ``*.test``).

Controller only: the library is imported on first use, so a controller without it fails only when a
wildcard has to be checked, with :class:`PublicSuffixListMissing` naming the library.
"""

from __future__ import annotations

import functools
import importlib.util
import os

LIBRARY = "publicsuffixlist"

_LISTS = {}


class PublicSuffixListMissing(Exception):
    """The Public Suffix List library is not installed on the controller."""


def _list(only_icann=False):
    if only_icann not in _LISTS:
        try:
            from publicsuffixlist import PublicSuffixList
        except ImportError:
            raise PublicSuffixListMissing(
                "checking a wildcard against the Public Suffix List needs the Python library %s on the controller "
                "(pip install %s; it is in the collection's requirements.txt)" % (LIBRARY, LIBRARY))
        # accept_encoded_idn=False: the library would otherwise encode each of its ~10,000 rules to punycode at
        # start-up (most of its load time) so that xn-- names match; _as_listed decodes the one name asked instead.
        _LISTS[only_icann] = PublicSuffixList(only_icann=only_icann, accept_encoded_idn=False)
    return _LISTS[only_icann]


def _as_listed(suffix):
    """``suffix`` as the list spells its rules: punycode labels (``xn--``) decoded to Unicode."""
    if "xn--" not in suffix:
        return suffix
    try:
        return suffix.encode("ascii").decode("idna")
    except UnicodeError:  # not valid punycode: no rule can be spelt like it
        return suffix


@functools.lru_cache(maxsize=None)
def public_suffix_list_files():
    """The files of the library (its code and its copy of the list), as far as they exist; found, not imported.

    User catalog files are checked against that list, so their validated form is only as good as the list was:
    an upgraded library, or a list refreshed in place, must validate them again (cache.files_key). Where the files
    are does not change while a process runs (their keys are read afresh each time).
    """
    try:
        spec = importlib.util.find_spec(LIBRARY)
    except (ImportError, ValueError):
        return ()
    if spec is None or not spec.origin:
        return ()
    candidates = (spec.origin, os.path.join(os.path.dirname(spec.origin), "public_suffix_list.dat"))
    return tuple(path for path in candidates if os.path.isfile(path))


def wildcard_public_suffix(pattern):
    """The public suffix a wildcard pattern sits on, or None.

    *pattern* is normalised (``parse_pattern``) and has a ``*`` in its first label: ``*.com`` and
    ``gg*.co.uk`` sit on ``com`` and ``co.uk``; ``*.apple.com`` sits on a registrable domain (None).
    """
    suffix = pattern.partition(".")[2]
    return suffix if _list().is_public(_as_listed(suffix)) else None


def suffix_kind(suffix):
    """What kind of public suffix *suffix* is, for messages."""
    if "." not in suffix:
        return "a top-level domain"
    if _list(only_icann=True).is_public(_as_listed(suffix)):
        return "a public suffix (ICANN section of the Public Suffix List)"
    return "a public suffix (PRIVATE section of the Public Suffix List: a provider's customer domains)"
