# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile catalog files against ordinary ones, measured side by side in one run.

  laughs-N  - the "billion laughs" file of N levels (each an anchored list of ten aliases of the level below):
              the time to refuse it, against the time to load a valid file of the same size (goal: the same order;
              a loader that expanded the aliases took 2.7 s for 7 levels and ten times as long for each more);
  scan      - the first (validating) load of a user file of E entries (--user-entries, 10,000) whose text has an
              ``&`` where a node could start ("R&D tools"), so the loader scans its events for anchors, aliases
              and tags, against the same file without it (the pre-check lets it through unscanned).
The best of R rounds (--rounds, 5) counts; every load is of a fresh path, so no cache answers.

    python tests/benchmarks/catalog_files_benchmark.py [--rounds 5] [--user-entries 10000]

From the repository root: bash hacking/bench.sh catalog-files [--rounds 5] [--user-entries 10000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lookup_benchmark import write_big_catalog  # noqa: E402  pylint: disable=wrong-import-position

HEAD = "catalog_format: 1\nsources: {acme: {}}\n"


def laughs(levels):
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += ["a%d: &a%d [%s]" % (level, level, ",".join(["*a%d" % (level - 1)] * 10)) for level in range(1, levels)]
    return HEAD + "notes:\n" + "".join("  %s\n" % line for line in lines)


def same_size_valid(size):
    """A valid catalog file of about ``size`` bytes (host entries)."""
    lines, index = [HEAD + "hosts:\n"], 0
    while sum(len(line) for line in lines) < size:
        lines.append("  - {source: acme, host: h%d.example.com}\n" % index)
        index += 1
    return "".join(lines)


def best_load(directory, name, text, rounds):
    """Best time of ``rounds`` first loads (each of a fresh copy of ``text``) and how the last one ended."""
    from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog
    from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.errors import CatalogError

    best, outcome = None, None
    for round_ in range(rounds):
        path = os.path.join(directory, "%s-%d.yml" % (name, round_))
        with open(path, "w") as handle:
            handle.write(text)
        started = time.perf_counter()
        try:
            load_catalog([path], editions=[])
            outcome = "loaded"
        except CatalogError as exc:
            outcome = "refused: " + str(exc)[len(path) + 2:][:60] + "..."
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    return best, outcome


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--user-entries", type=int, default=10000)
    args = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="macfleet-catalog-bench-")
    os.environ["MACFLEET_APPLE_NETWORK_CACHE_DIR"] = os.path.join(directory, "cache")
    print("%-10s %9s %9s %7s  %s" % ("case", "hostile", "ordinary", "ratio", "hostile outcome"))
    for levels in (8, 12):
        text = laughs(levels)
        hostile, outcome = best_load(directory, "laughs%d" % levels, text, args.rounds)
        ordinary = best_load(directory, "valid%d" % levels, same_size_valid(len(text)), args.rounds)[0]
        figures = ("laughs-%d" % levels, hostile * 1000, ordinary * 1000, hostile / ordinary, outcome, len(text))
        print("%-10s %8.1fms %8.1fms %7.2f  %s (%d bytes)" % figures)
    big = os.path.join(directory, "big.yml")
    write_big_catalog(big, args.user_entries)
    with open(big) as handle:
        plain = handle.read()
    scanned = plain.replace("used_by: [Bench service 1]", "used_by: [Bench service 1, R&D tools]")
    with_scan, outcome = best_load(directory, "scanned", scanned, max(1, args.rounds // 2))
    without = best_load(directory, "plain", plain, max(1, args.rounds // 2))[0]
    print("%-10s %8.0fms %8.0fms %7.2f  %s (%d entries, event scan against none)"
          % ("scan", with_scan * 1000, without * 1000, with_scan / without, outcome, args.user_entries))


if __name__ == "__main__":
    main()
