# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one rule for ports, port ranges and protocols, on the controller and on the managed host.

* port: an int 1-65535 or a string of 1-5 ASCII digits with that value (``True`` is no port);
* protocol: ``tcp`` or ``udp`` (any case in, lower case out);
* ranges: ``(start, end)`` pairs, merged into the minimal sorted list (overlapping and adjacent ranges join).

Each parser takes the option's name (``field``) for its message and the exception class its caller raises.
"""

from __future__ import annotations

import re

PROTOCOLS = ("tcp", "udp")

_PORT_TEXT = re.compile(r"^[0-9]{1,5}\Z")


def parse_port(value, field, error=ValueError):
    """A port: an int 1-65535 or a string of ASCII digits with that value -> int."""
    if isinstance(value, str) and _PORT_TEXT.match(value):
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raise error("%s: %r is not a port number (1-65535)" % (field, value))
    if not 1 <= number <= 65535:
        raise error("%s: port %d is out of range 1-65535" % (field, number))
    return number


def parse_protocol(value, field, error=ValueError):
    """``tcp`` or ``udp`` in any case -> lower case."""
    protocol = value.lower() if isinstance(value, str) else value
    if protocol not in PROTOCOLS:
        raise error("%s: %r is not a protocol; valid values are: %s" % (field, value, ", ".join(PROTOCOLS)))
    return protocol


def merge_ranges(pairs):
    """Sorted, minimal list of ``(start, end)`` tuples (overlapping and adjacent ranges joined)."""
    merged = []
    for start, end in sorted(pairs):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def merge_range_dicts(ranges):
    """:func:`merge_ranges` for ``{start, end}`` dictionaries (the catalog's form)."""
    return [{"start": start, "end": end} for start, end in merge_ranges((r["start"], r["end"]) for r in ranges)]


def format_ranges(ranges):
    """``{start, end}`` ranges as text: ``80,443,5223-5224``."""
    return ",".join(str(r["start"]) if r["start"] == r["end"] else "%d-%d" % (r["start"], r["end"]) for r in ranges)
