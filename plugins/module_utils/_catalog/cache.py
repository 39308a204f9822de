# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which catalog files a query reads, and reading the per-user cache of validated documents and answers.

Ansible forks a worker for every host and task, and its collection loader compiles a collection's
Python source again in each one. A lookup's query is therefore answered here, from a small module,
when the same question was asked before about the same files: the catalog core (and its schema) is
imported only on a cache miss. Every cache entry is keyed by the catalog files' paths, sizes and
modification times and by those of the core's own code, so a changed file or a new collection
version is never answered from an old entry. The core writes the cache (best effort: a read-only
or missing directory only costs speed); this module only reads it, to stay small.
"""

from __future__ import annotations

import hashlib
import json
import os

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.common import CatalogError, CatalogQueryError

_HERE = os.path.dirname(os.path.abspath(__file__))
EDITIONS_DIR = os.path.join(_HERE, "editions")

# A cached entry is only as good as the code that produced it: these files are part of every key.
CODE_FILES = tuple(
    os.path.join(_HERE, name) for name in ("cache.py", "common.py", "core.py", "schema.py", "public_suffix.py")
) + tuple(os.path.join(os.path.dirname(_HERE), "_host", "rules", name) for name in ("addresses.py", "hostnames.py"))
CACHE_FORMAT = 2

# The queries a cached answer may stand for: Catalog methods that read nothing but the catalog.
ANSWERABLE = ("ports", "hosts", "processes", "networks", "conflicts", "summary")
# Views of the catalog kept outside the Catalog class that read nothing but the catalog either:
# name -> (module under module_utils, function taking the catalog and the options). Their package's code is part
# of their answers' keys, as the core's is of every key.
VIEWS = {"firewall_selection": ("plugin_utils._firewall_selection", "catalog_selection")}
_PLUGINS = os.path.dirname(os.path.dirname(_HERE))


def bundled_editions():
    """Names of the editions shipped with the collection, oldest first."""
    return sorted(name[:-5] for name in os.listdir(EDITIONS_DIR) if name.endswith(".json"))


def catalog_paths(catalog_files=(), editions=None):
    """Absolute paths of the bundled ``editions`` (default: all) followed by the user ``catalog_files``."""
    available = bundled_editions()
    if editions is None:
        editions = available
    for name in editions:
        if name not in available:
            raise CatalogQueryError("editions: %r is not a bundled edition; valid values are: %s" % (name, ", ".join(available)))
    paths = [os.path.join(EDITIONS_DIR, name + ".json") for name in editions]
    return paths + [os.path.abspath(os.path.expanduser(str(path))) for path in catalog_files]


def file_key(path):
    """What identifies one version of a file: its path, modification time and size."""
    try:
        stat = os.stat(path)
    except OSError as exc:
        raise CatalogError("%s: cannot read catalog file: %s" % (path, exc))
    return (path, stat.st_mtime_ns, stat.st_size)


def view_code_files(query):
    """The Python files of the package a view in :data:`VIEWS` lives in (its answer depends on all of them)."""
    package = os.path.join(_PLUGINS, "module_utils", "_host", "firewall")
    own = os.path.join(_PLUGINS, *VIEWS[query][0].split(".")) + ".py"
    return (own,) + tuple(sorted(os.path.join(package, name) for name in os.listdir(package) if name.endswith(".py")))


def files_key(paths):
    """What identifies one version of the catalog ``paths`` and of everything their validation read.

    The bundled editions are not checked against the Public Suffix List (the unit tests do that), so only a set
    with a user file depends on the list's files.
    """
    key = tuple(file_key(path) for path in paths)
    if any(os.path.dirname(path) != EDITIONS_DIR for path in paths):
        # Imported here: a cache hit on the bundled editions needs nothing but this module and common.py.
        from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog import public_suffix

        key += tuple(file_key(path) for path in public_suffix.public_suffix_list_files())
    return key


def cache_path(kind, key, code_files=()):
    """The cache file for ``key`` (files' keys plus the code's keys plus, for answers, the question)."""
    base = os.environ.get("MACFLEET_APPLE_NETWORK_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "macfleet-apple_network", "catalog")
    code = tuple(file_key(path) for path in CODE_FILES + tuple(code_files))
    digest = hashlib.sha256(repr((CACHE_FORMAT, kind, key, code)).encode("utf-8")).hexdigest()[:32]
    return os.path.join(base, "%s-%s.json" % (kind, digest))


def _trusted(directory):
    """Only a directory this user owns and nobody else may write can answer for the catalog."""
    try:
        info = os.stat(directory)
    except OSError:
        return False
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


def read_cached(path):
    """The data cached at ``path``; None when there is none, it is damaged or the directory is not trusted."""
    if not _trusted(os.path.dirname(path)):
        return None
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read().decode("utf-8"))
    except (IOError, OSError, ValueError):
        return None


def cached_answer(query, options, catalog_files=(), editions=None):
    """``Catalog.<query>(**options)`` (or the view ``query`` of :data:`VIEWS`) on the merged catalog, answered from
    the cache when it can be.

    Each call returns a fresh copy. Errors (a bad file, an unknown option value) always come from
    the core, because only successful answers are cached.
    """
    if query not in ANSWERABLE and query not in VIEWS:
        raise ValueError("%r is not a cacheable catalog query" % (query,))
    paths = catalog_paths(catalog_files, editions)
    try:
        question = json.dumps([query, options], sort_keys=True)
    except (TypeError, ValueError):
        question = None
    path = None  # options that are not plain data are answered without the cache
    if question is not None:
        code_files = view_code_files(query) if query in VIEWS else ()
        path = cache_path("answer", (files_key(paths), question), code_files)
        answer = read_cached(path)
        if answer is not None:
            return answer
    # Imported here: a cache hit needs neither the core nor the schema.
    from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.core import answer_and_remember

    return answer_and_remember(query, options, catalog_files, editions, path)
