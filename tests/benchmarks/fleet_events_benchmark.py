# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Job events and controller time per Mac of the probe job, this tree beside a base commit (default 55c42ac).

    bash hacking/bench.sh fleet-events [--base 55c42ac] [--rounds 1] [--targets 70]

As root: builds the fleet of tests/system/fleet/fleet_macs.py (ten namespace Macs over SSH with the stock
Python 3.9, real TLS servers), then runs playbooks/probe.yml under ansible-runner (the way AWX runs a job)
against the ten Macs with ``--targets`` explicit targets that are all ok, once with this tree's collection and
once with the base commit's (a temporary git worktree of MACFLEET_REPO_ROOT, removed afterwards), alternating
for ``--rounds``. Prints, per variant: job-event bytes per Mac (the JSON of every event whose host is that Mac,
as ansible-runner writes them and AWX stores them; mean and max), controller CPU seconds per Mac (user + system
of ansible-runner, ansible-playbook, its workers and the ssh clients) and wall seconds, and the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
COLLECTION = HERE.parents[1]
sys.path[:0] = [str(COLLECTION / "tests" / "system" / "fleet"), str(COLLECTION / "tests" / "system")]

from fleet_macs import BULK_NAMES, PROBING, build_fleet_macs  # noqa: E402  pylint: disable=wrong-import-position
from stock_macs import check_stock_python, stock_python  # noqa: E402  pylint: disable=wrong-import-position

RUNNER = str(Path(sys.executable).parent / "ansible-runner")
GOAL = 16 * 1024


def base_checkout(repo, commit, scratch):
    """A git worktree of ``commit`` at <scratch>/base/ansible_collections/macfleet/apple_network (the collection layout)."""
    path = scratch / "base" / "ansible_collections" / "macfleet" / "apple_network"
    path.parent.mkdir(parents=True)
    subprocess.run(["git", "-C", str(repo), "worktree", "add", "--detach", "--quiet", str(path), commit], check=True)
    return path


def remove_checkout(repo, path):
    subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(path)], check=False)


def run_job(fleet, scratch, collections_path, targets):
    """One probe job under ansible-runner in the controller's namespace: (bytes per Mac, CPU seconds, wall seconds)."""
    private = scratch / ("runner-%s" % uuid.uuid4().hex[:6])
    for sub in ("project", "inventory", "env"):
        (private / sub).mkdir(parents=True)
    (private / "project" / "site.yml").write_text(
        "---\n- name: Probe\n  ansible.builtin.import_playbook: macfleet.apple_network.probe\n")
    (private / "inventory" / "hosts").write_text(Path(fleet.fleet_inventory()).read_text())
    extravars = fleet.probe_vars(scratch / ("out-%s" % uuid.uuid4().hex[:6]))
    extravars.pop("macfleet_report_group_by")  # an option the base commit does not have
    extravars["macfleet_probe_targets"] = targets
    (private / "env" / "extravars").write_text(yaml.safe_dump(extravars))
    (private / "env" / "envvars").write_text(yaml.safe_dump({
        "ANSIBLE_COLLECTIONS_PATH": str(collections_path), "ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_HOST_KEY_CHECKING": "0"}))
    (private / "env" / "settings").write_text(yaml.safe_dump({"process_isolation": False, "job_timeout": 900}))
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    subprocess.run(["ip", "netns", "exec", fleet.controller, RUNNER, "run", str(private), "-p", "site.yml", "--ident", "job"],
                   capture_output=True, check=False)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    artifacts = private / "artifacts" / "job"
    status = (artifacts / "status").read_text().strip()
    if status != "successful":
        raise SystemExit("the probe job with %s failed:\n%s" % (collections_path, (artifacts / "stdout").read_text()[-4000:]))
    sizes = dict.fromkeys(PROBING, 0)
    for path in (artifacts / "job_events").glob("*.json"):
        raw = path.read_bytes()
        host = json.loads(raw).get("event_data", {}).get("host")
        if host in sizes:
            sizes[host] += len(raw)
    return sizes, cpu, wall


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="55c42ac")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--targets", type=int, default=70)
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("fleet-events needs root (network namespaces, sshd per Mac)")
    repo = os.environ.get("MACFLEET_REPO_ROOT")
    if not repo:
        raise SystemExit("MACFLEET_REPO_ROOT (the git repository, for the base commit's worktree) is not set: run it "
                         "through hacking/bench.sh")
    check_stock_python(stock_python())
    if args.targets > len(BULK_NAMES):
        raise SystemExit("--targets: at most %d" % len(BULK_NAMES))
    targets = [{"host": name, "port": 443} for name in BULK_NAMES[:args.targets]]
    scratch = Path(tempfile.mkdtemp(prefix="macfleet-fleet-events-"))
    base = None
    fleet, finish = build_fleet_macs()
    try:
        base = base_checkout(repo, args.base, scratch)
        variants = {"this tree": COLLECTION.parents[2], args.base: base.parents[2]}
        figures = dict((name, []) for name in variants)
        for _round in range(args.rounds):
            for name, path in variants.items():
                figures[name].append(run_job(fleet, scratch, path, targets))
    finally:
        if base is not None:
            remove_checkout(repo, base)
        finish()
        shutil.rmtree(scratch, ignore_errors=True)

    hosts = len(PROBING)
    print("probe job, %d Macs over SSH (stock Python 3.9), %d targets per Mac, every cell ok, %d round(s)"
          % (hosts, len(targets), args.rounds))
    print("%-12s %16s %16s %18s %14s" % ("variant", "event KB/Mac", "max KB/Mac", "ctl CPU s/Mac", "wall s"))
    summary = {}
    for name, runs in figures.items():
        mean = sum(sum(s.values()) for s, _c, _w in runs) / float(hosts * len(runs))
        peak = max(max(s.values()) for s, _c, _w in runs)
        cpu = sum(c for _s, c, _w in runs) / float(hosts * len(runs))
        wall = sum(w for _s, _c, w in runs) / float(len(runs))
        summary[name] = (mean, peak, cpu, wall)
        print("%-12s %16.1f %16.1f %18.3f %14.1f" % (name, mean / 1024, peak / 1024, cpu, wall))
    new, old = summary["this tree"], summary[args.base]
    print("ratio %s / this tree: events %.1fx, controller CPU %.2fx, wall %.2fx"
          % (args.base, old[0] / new[0], old[2] / new[2], old[3] / new[3]))
    print("goal: job events <= %d KB per Mac with every cell ok: %s (max %.1f KB)"
          % (GOAL // 1024, "met" if new[1] <= GOAL else "NOT met", new[1] / 1024))


if __name__ == "__main__":
    main()
