# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rendering every vendor's feeds from a generated user catalog, at several sizes side by side in one run.

For E = 2,500, 5,000 and 10,000 host entries (a mix of exact names, *.domain wildcards and one-label globs, every
fourth marked bypass_https_interception), it times in one process, best of R rounds:
  render  - macfleet.apple_network.feed_set's work (build_feed_set): every vendor's host and decryption lists, the
            IP lists, the manifest and the checksums (goal: <= 2 s at 10,000 entries);
  publish - feeds_publish's work into a scratch directory (a new set each time: one entry differs).
Each size runs in a fresh process (one size's objects do not slow the next one's garbage collection); the catalog is
loaded and queried once, outside the timings (the lookup benchmark measures that). The per-entry cost at each size and
the ratio of the 10,000 to the 2,500 time (4.0 is linear) are printed.

    python tests/benchmarks/feeds_benchmark.py [--rounds 3] [--sizes 2500,5000,10000]

From the repository root: bash hacking/bench.sh feeds [--rounds 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "..")))

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog  # noqa: E402
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.feeds.publish import publish  # noqa: E402
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._feeds.render import build_feed_set  # noqa: E402


def write_catalog(path, entries):
    lines = ["catalog_format: 1", "sources:", "  bench-org: {title: Generated organisation catalog}", "hosts:"]
    for index in range(entries):
        if index % 10 == 0:
            host = "*.svc%d.bench.example" % index
        elif index % 10 == 1:
            host = "gg%d*.bench.example" % index
        else:
            host = "api%d.bench.example" % index
        lines.append('  - {source: bench-org, group: other, host: "%s", supports_proxies: not_stated, '
                     'bypass_https_interception: %s}' % (host, "true" if index % 4 == 0 else "false"))
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")


def best(rounds, function):
    times = []
    for _round in range(rounds):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(size, rounds, work):
    """``(render s, publish s, files, bytes)`` for one catalog size, best of ``rounds``."""
    path = os.path.join(work, "bench-%d.yml" % size)
    write_catalog(path, size)
    catalog = load_catalog([path])
    hosts = catalog.hosts(source="bench-org")
    networks = catalog.networks()
    gc.collect()
    render = best(rounds, lambda: build_feed_set(hosts, networks, hosts, edition=catalog.edition))
    dest = os.path.join(work, "served-%d" % size)
    counter = [0]

    def publish_once():
        counter[0] += 1
        files = build_feed_set(hosts + ["n%d.bench.example" % counter[0]], networks, hosts)
        start = time.perf_counter()
        publish(dest, files)
        return time.perf_counter() - start

    publish_once()
    publish_time = min(publish_once() for _round in range(rounds))
    files = build_feed_set(hosts, networks, hosts)
    return render, publish_time, len(files), sum(len(text) for text in files.values())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", default="2500,5000,10000")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one size, in a child process
    args = parser.parse_args()
    if args.one:
        work = tempfile.mkdtemp(prefix="macfleet-feeds-bench-")
        try:
            print(json.dumps(measure(args.one, args.rounds, work)))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return
    results = []
    for size in (int(size) for size in args.sizes.split(",")):
        child = subprocess.run([sys.executable, __file__, "--one", str(size), "--rounds", str(args.rounds)],
                               check=True, capture_output=True, text=True)
        results.append([size] + json.loads(child.stdout.strip().splitlines()[-1]))
    header = ("entries", "render s", "render us/ent", "publish s", "publish us/ent", "files", "bytes")
    print("%8s %10s %14s %11s %14s %6s %9s" % header)
    for size, render, publish_time, count, size_bytes in results:
        row = (size, render, render / size * 1e6, publish_time, publish_time / size * 1e6, count, size_bytes)
        print("%8d %10.3f %14.1f %11.3f %14.1f %6d %9d" % row)
    if len(results) > 1:
        (small, r_small, p_small, _c, _b), (large, r_large, p_large, _c2, _b2) = results[0], results[-1]
        print("ratio %d/%d entries = %.1f: render %.2f, publish %.2f (linear = %.1f)"
              % (large, small, large / small, r_large / r_small, p_large / p_small, large / small))
    largest = results[-1]
    print("goal render <= 2 s at %d entries: %s (%.3f s)" % (largest[0], "met" if largest[1] <= 2 else "NOT met",
                                                             largest[1]))


if __name__ == "__main__":
    main()
