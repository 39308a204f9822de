# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Whole catalog with the firewall role vs. a loop of ansible.builtin.iptables, each in its own namespace.

Prints: role time, iptables-loop time, ratio (goal >= 20x); no-change re-run vs. empty play (goal <= 1.3x).
The machine may be shared with other test runs: every figure is the best of several rounds (the role's whole-catalog
apply is repeated in fresh namespaces, the re-run and the empty play alternate; the median of the per-round ratios
and the CPU time are printed too), and the load average is printed.
Run as root: python tests/benchmarks/firewall_benchmark.py [rounds]
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.abspath(os.path.join(ROOT, "..", "..", "..")))

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.core import (  # noqa: E402
    load_catalog,
    port_ranges,
)

ROLE_PLAY = """
- name: Role, whole catalog
  hosts: all
  gather_facts: false
  roles:
    - role: macfleet.apple_network.firewall
"""
EMPTY_PLAY = """
- name: Empty play
  hosts: all
  gather_facts: false
  tasks: []
"""
LOOP_PLAY = """
- name: ansible.builtin.iptables per port and protocol
  hosts: all
  gather_facts: false
  tasks:
    - name: One rule per port range and protocol
      ansible.builtin.iptables:
        chain: INPUT
        protocol: "{{ item.protocol }}"
        destination_port: "{{ item.port }}"
        jump: ACCEPT
      loop: "{{ bench_items }}"
"""

CPU = {}  # play -> CPU seconds (user + system) of every run: less sensitive to other load than wall time


def run(ns, play, workdir, extra):
    path = os.path.join(workdir, "play-%s.yml" % uuid.uuid4().hex[:6])
    with open(path, "w") as handle:
        handle.write(play)
    vars_path = path + ".json"
    with open(vars_path, "w") as handle:
        json.dump(extra, handle)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.abspath(os.path.join(ROOT, "..", "..", "..")),
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING="0")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.run(["ip", "netns", "exec", ns, "ansible-playbook", "-i", "localhost,", "-c", "local", path,
                           "-e", "@" + vars_path], capture_output=True, text=True, env=env, check=False)
    elapsed = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit("%s failed:\n%s\n%s" % (play, proc.stdout[-3000:], proc.stderr[-2000:]))
    CPU.setdefault(play, []).append(after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime)
    return elapsed


def load():
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


def new_ns(names, tag):
    name = "mfbench-%s-%s" % (tag, uuid.uuid4().hex[:4])
    subprocess.run(["ip", "netns", "add", name], check=True)
    names.append(name)
    return name


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    catalog = load_catalog()
    sources = sorted(catalog.sources)
    ranges = port_ranges(catalog.ports())
    items = [{"protocol": proto, "port": str(r["start"]) if r["start"] == r["end"] else "%d:%d" % (r["start"], r["end"])}
             for proto in ("tcp", "udp") for r in ranges[proto]]
    workdir = tempfile.mkdtemp(prefix="fw-bench-")
    role_vars = {"firewall_directions": ["ingress"], "firewall_ingress_sources": sources, "firewall_backend": "iptables",
                 "firewall_ipv6": False, "firewall_egress_sources": [], "firewall_state_dir": workdir + "/state",
                 "firewall_rollback_timeout": 30, "firewall_iptables_save_path": workdir + "/rules.v4"}
    names = []
    print("load average before: %s" % load())
    try:
        # The loop is slow (one task per port range and protocol) and runs once; the role's apply is repeated.
        loop_time = run(new_ns(names, "loop"), LOOP_PLAY, workdir, {"bench_items": items})
        role_times, rerun, empty = [], [], []
        for index in range(rounds):
            role_ns = new_ns(names, "role")
            round_vars = dict(role_vars, firewall_state_dir="%s/state%d" % (workdir, index),
                              firewall_iptables_save_path="%s/rules%d.v4" % (workdir, index))
            role_times.append(run(role_ns, ROLE_PLAY, workdir, round_vars))
            rerun.append(run(role_ns, ROLE_PLAY, workdir, round_vars))
            empty.append(run(role_ns, EMPTY_PLAY, workdir, {}))
        rules = subprocess.run(["ip", "netns", "exec", role_ns, "iptables-save"], capture_output=True, text=True, check=False).stdout
        with open("%s/rules%d.v4" % (workdir, rounds - 1)) as handle:
            saved = handle.read()
        print("catalog: %d port records -> %d port/protocol ranges (%d rules in the role's chain, %d saved)"
              % (len(catalog.ports()), len(items), rules.count("-A macfleet_in"), saved.count("-A macfleet_in")))
        print("role (whole catalog, one iptables-restore, confirmed, saved): %.2f s (best of %d: %s)"
              % (min(role_times), rounds, " ".join("%.2f" % t for t in role_times)))
        print("ansible.builtin.iptables loop (%d tasks):   %.2f s" % (len(items), loop_time))
        print("ratio loop/role: %.1fx (goal >= 20x)" % (loop_time / min(role_times)))
        print("no-change re-run: %.2f s (best of %d: %s), empty play: %.2f s (best of %d: %s), ratio %.2fx (goal <= 1.3x)"
              % (min(rerun), rounds, " ".join("%.2f" % t for t in rerun), min(empty), rounds,
                 " ".join("%.2f" % t for t in empty), min(rerun) / min(empty)))
        # Each re-run is followed by an empty play in the same namespace: their ratio, round by round, is less
        # sensitive to load that comes and goes than the ratio of the two best times.
        print("no-change re-run / empty play, median of the %d rounds: %.2fx (goal <= 1.3x)"
              % (rounds, statistics.median(r / e for r, e in zip(rerun, empty))))
        print("CPU time (user+system, best): re-run %.2f s, empty play %.2f s, ratio %.2fx"
              % (min(CPU[ROLE_PLAY][1::2]), min(CPU[EMPTY_PLAY]), min(CPU[ROLE_PLAY][1::2]) / min(CPU[EMPTY_PLAY])))
        print("load average after: %s" % load())
    finally:
        for name in names:
            subprocess.run(["ip", "netns", "del", name], check=False)
        subprocess.run(["rm", "-rf", workdir], check=False)


if __name__ == "__main__":
    main()
