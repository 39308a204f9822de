# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A catalog query's answer, from the per-user cache when the same question was asked before.

This module, cache.py and errors.py are all a cache hit compiles; the catalog (loader.py and what it imports) is
imported on a miss only.
"""

from __future__ import annotations

import json
import os
import sys
import types

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog import cache

# The queries a cached answer may stand for without a view: Catalog methods that read nothing but the catalog.
ANSWERABLE = ("ports", "hosts", "processes", "networks", "conflicts", "summary")
# The collection's package: the modules a view's answer depends on are those of it.
_COLLECTION = __name__.split(".plugins.", 1)[0] + "."


def _module_of(value):
    """The collection module ``value`` (a module, function or class) belongs to, or None."""
    name = value.__name__ if isinstance(value, types.ModuleType) else getattr(value, "__module__", None)
    if not isinstance(name, str) or not name.startswith(_COLLECTION):
        return None
    return sys.modules.get(name)


def view_code_files(view):
    """The Python files a view's answer depends on: its own module's and, transitively, those of the collection's
    modules it takes a module, function or class from."""
    seen, files = set(), []
    pending = [_module_of(view)]
    while pending:
        module = pending.pop()
        if module is None or module.__name__ in seen:
            continue
        seen.add(module.__name__)
        if getattr(module, "__file__", None):
            files.append(os.path.abspath(module.__file__))
        pending.extend(_module_of(value) for value in list(vars(module).values()))
    return tuple(sorted(files))


def cached_answer(query, options, catalog_files=(), editions=None, view=None):
    """``Catalog.<query>(**options)`` on the merged catalog, or with ``view`` the answer of ``view(catalog,
    **options)`` (``query`` then names the view), answered from the cache when it can be.

    A view must read nothing but the catalog and the options, and raise ``CatalogQueryError`` (errors.py) for a bad
    option; its answer is keyed by its code too (:func:`view_code_files`). Each call returns a fresh copy. Errors
    (a bad file, an unknown option value) always come from the catalog, because only successful answers are cached.
    """
    if view is None and query not in ANSWERABLE:
        raise ValueError("%r is not a cacheable catalog query" % (query,))
    paths = cache.catalog_paths(catalog_files, editions)
    try:
        question = json.dumps([query, options], sort_keys=True)
    except (TypeError, ValueError):
        question = None
    path = None  # options that are not plain data are answered without the cache
    if question is not None:
        path = cache.cache_path("answer", (cache.files_key(paths), question), view_code_files(view) if view else ())
        answer = cache.read_cached(path)
        if answer is not None:
            return answer
    # Imported here, for speed: a cache hit does without the catalog.
    from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog

    catalog = load_catalog(catalog_files, editions)
    answer = view(catalog, **options) if view is not None else getattr(catalog, query)(**options)
    if path is not None:
        cache.write_cached(path, answer)
        cache.prune_answers(os.path.dirname(path))
    return answer
