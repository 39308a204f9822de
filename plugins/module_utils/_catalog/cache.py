# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which catalog files a query reads, and the per-user cache of validated documents and answers keyed by them.

Ansible forks a worker for every host and task, and its collection loader compiles a collection's Python source
again in each one. A question asked before about the same files is therefore answered from this cache (see
answers.py) without compiling the catalog, its reader or its schema. Every entry is keyed by the catalog files'
paths, sizes and modification times and by those of the code that produced it, so a changed file or a new
collection version is never answered from an old entry. Writing is best effort: a read-only or missing directory
only costs speed.
"""

from __future__ import annotations

import hashlib
import json
import os

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.errors import CatalogError, CatalogQueryError

_HERE = os.path.dirname(os.path.abspath(__file__))
EDITIONS_DIR = os.path.join(_HERE, "editions")
# A cached entry is only as good as the code that produced it: the Python files of these directories (the catalog
# and the rules its schema applies) are part of every key.
CODE_DIRS = (_HERE, os.path.join(os.path.dirname(_HERE), "_host", "rules"))
CACHE_FORMAT = 2
# Answers kept before the oldest are dropped (each is one small file; query options are open-ended).
MAX_ANSWERS = 256


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


def files_key(paths):
    """What identifies one version of the catalog ``paths`` and of everything their validation read.

    The bundled editions are not checked against the Public Suffix List (the unit tests do that), so only a set
    with a user file depends on the list's files.
    """
    key = tuple(file_key(path) for path in paths)
    if any(os.path.dirname(path) != EDITIONS_DIR for path in paths):
        # Imported here, for speed: a cache hit on the bundled editions does without it.
        from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog import public_suffix

        key += tuple(file_key(path) for path in public_suffix.public_suffix_list_files())
    return key


def code_files():
    """The Python files of :data:`CODE_DIRS`, sorted."""
    return tuple(sorted(os.path.join(directory, name) for directory in CODE_DIRS
                        for name in os.listdir(directory) if name.endswith(".py")))


def cache_path(kind, key, extra_code_files=()):
    """The cache file for ``key`` (files' keys plus, for answers, the question), of the catalog's code and of
    ``extra_code_files`` (a view's own code)."""
    base = os.environ.get("MACFLEET_APPLE_NETWORK_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "macfleet-apple_network", "catalog")
    code = tuple(file_key(path) for path in code_files() + tuple(extra_code_files))
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


def write_cached(path, data):
    """Write ``data`` as JSON, atomically (readers never see half a file); failures are ignored."""
    # Not _host/files.write_atomic: that one fsyncs, and an entry lost in a crash is only computed again.
    import tempfile  # imported here, for speed: only a cache miss writes

    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
        with os.fdopen(handle, "wb") as out:
            out.write(json.dumps(data, separators=(",", ":")).encode("utf-8"))
        os.replace(tmp, path)
    except (IOError, OSError, ValueError):
        pass


def prune_answers(directory):
    """Keep the newest MAX_ANSWERS answers: the options of a query are open-ended."""
    try:
        names = [name for name in os.listdir(directory) if name.startswith("answer-")]
        if len(names) <= MAX_ANSWERS:
            return
        paths = sorted((os.path.join(directory, name) for name in names), key=os.path.getmtime)
        for path in paths[:len(paths) - MAX_ANSWERS]:
            os.remove(path)
    except OSError:
        pass
