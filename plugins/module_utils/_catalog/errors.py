# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The catalog's two errors: a bad catalog file and a query option the catalog does not know.

Kept apart and small: a cached answer (see answers.py) needs these and the cache, nothing else of the catalog.
"""

from __future__ import annotations


class CatalogError(ValueError):
    """Invalid catalog data; the message names the file, the entry and the field."""


class CatalogQueryError(ValueError):
    """A query option with a value the catalog does not know; the message lists the valid values."""
