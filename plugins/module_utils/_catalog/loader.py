# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Loading the merged catalog of bundled editions and user files: read, validate, merge, remember.

Validated documents are kept in this process and in the per-user cache (see cache.py), so that Ansible's forked
workers neither re-parse nor re-validate an unchanged catalog.
"""

from __future__ import annotations

import contextlib
import gc
import os

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.cache import (
    EDITIONS_DIR,
    cache_path,
    catalog_paths,
    files_key,
    read_cached,
    write_cached,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.catalog import Catalog
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.reading import read_file

# Catalogs of this process, by files_key.
_CATALOGS = {}


def _declared_sources(doc):
    sources = doc.get("sources") if isinstance(doc, dict) else None
    return list(sources) if isinstance(sources, dict) else []


def validate_documents(parsed):
    """Validate ``[(origin, parsed_document), ...]``; entries may refer to sources any document declares."""
    # Imported here, for speed: only documents the cache does not hold need the schema.
    from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.schema import validate_document

    known = set()
    for _origin, doc in parsed:
        known.update(_declared_sources(doc))
    # The bundled editions' wildcards are checked against the Public Suffix List by the unit tests, so a
    # controller without the library still reads them; user files are always checked.
    return [validate_document(doc, origin, known, public_suffix_check=not is_bundled(origin)) for origin, doc in parsed]


def is_bundled(origin):
    """Whether ``origin`` is one of the collection's own editions."""
    return os.path.dirname(os.path.abspath(str(origin))) == EDITIONS_DIR


@contextlib.contextmanager
def _collector_paused():
    """Python's cyclic garbage collector paused while catalog files are read and validated.

    A 10,000-entry file becomes a few hundred thousand objects that all stay alive; the collector, triggered by
    their allocation, would walk them again and again (a fifth of the time PyYAML takes). Nothing done meanwhile
    leaves cyclic garbage.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_catalog(catalog_files=(), editions=None):
    """The merged catalog of bundled ``editions`` (default: all) and user ``catalog_files``.

    A changed file is read and validated again.
    """
    paths = catalog_paths(catalog_files, editions)
    key = files_key(paths)
    catalog = _CATALOGS.get(key)
    if catalog is None:
        path = cache_path("catalog", key)
        with _collector_paused():
            documents = read_cached(path)
            if not isinstance(documents, list):
                documents = validate_documents([(origin, read_file(origin)) for origin in paths])
                write_cached(path, documents)
            catalog = Catalog(documents)
        _CATALOGS[key] = catalog
    return catalog
