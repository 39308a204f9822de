# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What every part of the catalog core shares: errors, kinds, protocols, range text.

Kept small on purpose: Ansible compiles a collection's Python source in every forked worker, so the
query path imports only this and core; the schema is imported when a file must be validated.
"""

from __future__ import annotations

import re

PROTOCOLS = ("tcp", "udp")
KINDS = ("ports", "hosts", "processes", "networks")
# The "Supports proxies" column of Apple's tables: Yes, a dash (not stated) or, for APNs, a pointer to the APNs note.
SUPPORTS_PROXIES = ("yes", "not_stated", "see_note")


class CatalogError(ValueError):
    """Invalid catalog data; the message names the file, the entry and the field."""


class CatalogQueryError(ValueError):
    """A query option with a value the catalog does not know; the message lists the valid values."""


def format_ranges(ranges):
    return ",".join(str(r["start"]) if r["start"] == r["end"] else "%d-%d" % (r["start"], r["end"]) for r in ranges)


def slugify(value):
    """Lower-case text with every run of other characters turned into one '-' (ids, group names)."""
    return re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-")
