# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Catalog terms that the controller and the managed host read alike: the values of the "Supports proxies" column
and the slug of a name (section and group names).

Standard library only (imported by code that runs on the managed host, Python 3.9+).
"""

from __future__ import annotations

import re

# The "Supports proxies" column of Apple's tables: Yes, a dash (not stated) or, for APNs, a pointer to the APNs note.
SUPPORTS_PROXIES = ("yes", "not_stated", "see_note")


def slugify(value):
    """Lower-case text with every run of other characters turned into one '-' (ids, group names)."""
    return re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-")
