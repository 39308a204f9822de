# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Readiness report at fleet scale: N generated result files, the readiness_report module run by ansible.

    bash hacking/bench.sh fleet --hosts 1000 --hosts 10000 [--baseline 55c42ac] [--no-events]

Per size it prints the report's wall time and peak RSS (the ansible process and its module, from
``getrusage(RUSAGE_CHILDREN)`` of a wrapper), the largest HTML page, the time headless Chromium takes to
load and dump the summary page, the JSON and CSV sizes and the size of the module's return value. With
``--baseline REV`` the same figures for REV (a git worktree of the repository, created and removed here),
side by side; REV reads result sets without ``format``, so they are generated for it without one.

The result sets: 70 endpoints per Mac, one cell per verdict taken from real probe results: tests/fixtures/fleet/mac-ns.json
is the result set of a readiness run against the system tests' probe network (dnsmasq, TLS servers, a closed port, a
blackholed address, SNTP), captured with
``MACFLEET_CAPTURE_RESULT_SET=tests/fixtures/fleet/mac-ns.json pytest tests/system/probe/test_readiness_sections.py``
(as root, like every system test); verdicts it lacks (intercepted, proxy and HTTP failures, pin mismatch) come from
tests/fixtures/probe_results. They are spread over 8 groups;
every 40th Mac fails on 3 endpoints, every 250th could not be checked, the rest are all OK. Goals at
10,000 Macs: report <= 60 s and <= 400 MB; no HTML page over 5 MB; summary rendered <= 3 s; return <= 32 KB.
Then, unless ``--no-events``, it runs fleet_events_benchmark.py (job-event bytes and controller seconds per Mac of a
real run over SSH with 10 namespace Macs under ansible-runner; goal <= 16 KB per Mac when every cell is ok).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))
from chromium_dom import CHROMIUM, FLAGS  # noqa: E402  (the system tests' Chromium flags)

ENDPOINTS = 70
CHROMIUM_TIMEOUT = 600
GROUPS = 8


def cells_by_verdict():
    found = {}
    captured = [os.path.join(ROOT, "tests", "fixtures", "fleet", "mac-ns.json")]
    for path in captured + sorted(glob.glob(os.path.join(ROOT, "tests", "fixtures", "probe_results", "*", "*.json"))):
        with open(path) as handle:
            data = json.load(handle)
        for cell in data.get("results") or []:
            if cell.get("target", {}).get("host"):
                found.setdefault(cell["verdict"], cell)
    return found


def generate(directory, count, with_format):
    cells = cells_by_verdict()
    failing = [cells[v] for v in sorted(cells) if v not in ("ok", "skipped")]
    os.makedirs(directory)
    for index in range(count):
        host = "mac-%05d" % index
        data = {"host": host, "catalog_edition": "apple-2018-02-13", "generated_at": "2026-12-07T02:00:00Z"}
        if with_format:
            data.update({"format": 2, "group": "site-%d" % (index % GROUPS), "detail": "compact"})
        if index % 250 == 11:
            data.update(results=[], summary={"total": 0}, unchecked={"reason": "unreachable", "message": "ssh: timed out"})
        else:
            results = []
            for column in range(ENDPOINTS):
                source = failing[(index // 40 + column) % len(failing)] if index % 40 == 5 and column < 3 else cells["ok"]
                cell = dict(source, target=dict(source["target"], host="ep-%02d.apple.com" % column, rows=None))
                cell["target"].pop("rows")
                results.append(cell)
            data.update(results=results, summary={"total": ENDPOINTS})
        with open(os.path.join(directory, host + ".json"), "w") as handle:
            json.dump(data, handle)


def run_report(collections, src, dest):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, PYTHONPATH=collections, ANSIBLE_LOAD_CALLBACK_PLUGINS="0")
    wrapper = ("import resource, subprocess, sys, time; t = time.time(); p = subprocess.run(sys.argv[1:], capture_output=True, "
               "text=True); print(json.dumps({'rc': p.returncode, 'out': p.stdout, 'err': p.stderr[-2000:], 'time': time.time() - t, "
               "'rss': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))")
    args = json.dumps({"src": [src], "dest": dest})
    proc = subprocess.run([sys.executable, "-c", "import json; " + wrapper, "ansible", "localhost", "-o", "-m",
                           "macfleet.apple_network.readiness_report", "-a", args], capture_output=True, text=True, env=env,
                          check=False)
    outcome = json.loads(proc.stdout)
    if outcome["rc"] != 0:
        raise SystemExit("report failed: %s %s" % (outcome["out"][-2000:], outcome["err"]))
    returned = outcome["out"].split("=>", 1)[1].strip() if "=>" in outcome["out"] else ""
    pages = glob.glob(os.path.join(dest, "*.html"))
    summary = os.path.join(dest, "readiness.html")
    start = time.time()
    profile = tempfile.mkdtemp(prefix="macfleet-bench-chromium-")
    try:
        subprocess.run([CHROMIUM] + FLAGS + ["--user-data-dir=%s" % profile, "--dump-dom", "file://" + summary],
                       capture_output=True, timeout=CHROMIUM_TIMEOUT, check=True)
    except subprocess.TimeoutExpired:
        # The old code's 10,000-Mac page takes Chromium longer than that: reported as infinite, not a crash.
        start = float("-inf")
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    render = time.time() - start

    def size(name):
        return os.path.getsize(os.path.join(dest, name))

    return {"wall s": outcome["time"], "peak RSS MB": outcome["rss"] / 1024.0, "HTML pages": len(pages),
            "largest HTML MB": max(os.path.getsize(p) for p in pages) / 1e6, "summary render s": render,
            "JSON MB": size("readiness.json") / 1e6, "CSV MB": size("readiness.csv") / 1e6,
            "return KB": len(returned) / 1024.0}


GOALS = {"wall s": 60, "peak RSS MB": 400, "largest HTML MB": 5, "summary render s": 3, "return KB": 32}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, action="append")
    parser.add_argument("--baseline")
    parser.add_argument("--no-events", action="store_true",
                        help="leave out the job-event figures of a real run over SSH (fleet_events_benchmark.py)")
    options = parser.parse_args()
    sizes = options.hosts or [1000]
    work = tempfile.mkdtemp(prefix="macfleet-fleet-bench-")
    repo = os.environ.get("MACFLEET_REPO_ROOT", ROOT)
    baseline_tree = None
    try:
        collections = os.path.dirname(os.path.dirname(os.path.dirname(ROOT)))
        if options.baseline:
            baseline_tree = os.path.join(work, "baseline")
            subprocess.run(["git", "-C", repo, "worktree", "add", "--detach", baseline_tree, options.baseline],
                           check=True, capture_output=True)
            baseline_collections = os.path.join(work, "baseline-collections")
            os.makedirs(os.path.join(baseline_collections, "ansible_collections", "macfleet"))
            os.symlink(baseline_tree, os.path.join(baseline_collections, "ansible_collections", "macfleet", "apple_network"))
        for count in sizes:
            src = os.path.join(work, "results-%d" % count)
            generate(src, count, with_format=True)
            new = run_report(collections, src, os.path.join(work, "report-%d" % count))
            old = None
            if baseline_tree:
                old_src = os.path.join(work, "old-results-%d" % count)
                generate(old_src, count, with_format=False)
                old = run_report(baseline_collections, old_src, os.path.join(work, "old-report-%d" % count))
                shutil.rmtree(old_src)
            shutil.rmtree(src)
            print("\n%d Macs x %d endpoints" % (count, ENDPOINTS))
            print("%-20s %12s %12s %8s  %s" % ("figure", "this", options.baseline or "", "ratio", "goal at 10,000"))
            for key, value in new.items():
                goal = GOALS.get(key)
                verdict = "" if goal is None else "<= %s %s" % (goal, "" if value <= goal else "MISSED")
                if old:
                    ratio = old[key] / value if value else float("nan")
                    print("%-20s %12.2f %12.2f %8.1f  %s" % (key, value, old[key], ratio, verdict))
                else:
                    print("%-20s %12.2f %12s %8s  %s" % (key, value, "", "", verdict))
            sys.stdout.flush()
        if not options.no_events:
            # The other half of the figures: job-event bytes and controller seconds per Mac, from a real
            # ansible-runner run over SSH with 10 namespace Macs, beside the same base commit.
            events = [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fleet_events_benchmark.py")]
            if options.baseline:
                events += ["--base", options.baseline]
            print("\njob events (%s)" % " ".join(events[1:]))
            sys.stdout.flush()
            if os.geteuid() != 0:
                print("skipped: needs root (network namespaces, sshd); run as root or pass --no-events")
            else:
                subprocess.run(events, check=True)
    finally:
        if baseline_tree:
            subprocess.run(["git", "-C", repo, "worktree", "remove", "--force", baseline_tree], capture_output=True, check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
