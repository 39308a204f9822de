# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Whole catalog with the firewall role vs. a loop of ansible.builtin.iptables, each in its own namespace; and the
same into a real firewalld (its own namespaces and bus, tests/system/firewall/isolated.py) vs. a loop of
ansible.posix.firewalld tasks, one per port range (the community ansible 12 package, MACFLEET_ANSIBLE12_VENV, with
Debian's /usr/bin/python3 and its firewall bindings as the managed interpreter).

Prints: role time, iptables-loop time, ratio (goal >= 20x); no-change re-run vs. empty play (goal <= 1.3x); then
role (firewalld) time, ansible.posix.firewalld-loop time, ratio (goal >= 10x), and the firewalld re-run vs. empty play
(goal <= 1.3x).
The machine may be shared with other test runs: every figure is the best of several rounds (the role's whole-catalog
apply is repeated in fresh namespaces, the re-run and the empty play alternate; the median of the per-round ratios
and the CPU time are printed too), and the load average is printed.
Run as root: python tests/benchmarks/firewall_benchmark.py [rounds] [iptables|firewalld]
"""

from __future__ import annotations

import importlib.util
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

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.catalog import port_ranges  # noqa: E402
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog  # noqa: E402

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

FIREWALLD_LOOP_PLAY = """
- name: ansible.posix.firewalld per port range
  hosts: all
  gather_facts: false
  tasks:
    - name: One port range per task
      ansible.posix.firewalld:
        port: "{{ item }}"
        zone: public
        permanent: true
        immediate: true
        state: enabled
      loop: "{{ bench_ports }}"
"""

CPU = {}  # play -> CPU seconds (user + system) of every run: less sensitive to other load than wall time


def run(ns, play, workdir, extra, prefix=None, env=None, playbook="ansible-playbook"):
    path = os.path.join(workdir, "play-%s.yml" % uuid.uuid4().hex[:6])
    with open(path, "w") as handle:
        handle.write(play)
    vars_path = path + ".json"
    with open(vars_path, "w") as handle:
        json.dump(extra, handle)
    env = dict(dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.abspath(os.path.join(ROOT, "..", "..", "..")),
                    ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING="0"), **(env or {}))
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    enter = list(prefix) if prefix else ["ip", "netns", "exec", ns]
    proc = subprocess.run(enter + [playbook, "-i", "localhost,", "-c", "local", path, "-e", "@" + vars_path],
                          capture_output=True, text=True, env=env, check=False)
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


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def firewalld_benchmark(rounds, sources, ranges, workdir, names):
    """The whole catalog (ingress) into firewalld: the role vs. ansible.posix.firewalld, one task per port range."""
    isolated = _load("macfleet_isolated", "tests/system/firewall/isolated.py")
    processes = _load("macfleet_system_conftest", "tests/system/conftest.py").Processes()
    venv = os.environ.get("MACFLEET_ANSIBLE12_VENV") or os.path.expanduser(
        "~/.cache/macfleet-apple_network/venv-ansible12-py3.11")
    ports = ["%s/%s" % (r["start"] if r["start"] == r["end"] else "%d-%d" % (r["start"], r["end"]), proto)
             for proto in ("tcp", "udp") for r in ranges[proto]]
    role_vars = {"firewall_directions": ["ingress"], "firewall_ingress_sources": sources, "firewall_backend": "firewalld",
                 "firewall_egress_sources": [], "firewall_rollback_timeout": 30}

    def host(tag):
        scratch = os.path.join(workdir, "%s-%s" % (tag, uuid.uuid4().hex[:4]))
        os.mkdir(scratch)
        return isolated.start_firewalld(processes, new_ns(names, tag), scratch)

    try:
        loop_host = host("fwdloop")
        loop_time = run(loop_host.netns, FIREWALLD_LOOP_PLAY, workdir, {"bench_ports": ports}, loop_host.prefix,
                        dict(loop_host.env, ANSIBLE_PYTHON_INTERPRETER="/usr/bin/python3"),
                        os.path.join(venv, "bin", "ansible-playbook"))
        loop_listed = loop_host.run("firewall-cmd", "--zone=public", "--list-ports").stdout.split()
        role_times, rerun, empty = [], [], []
        for index in range(rounds):
            role_host = host("fwdrole")
            round_vars = dict(role_vars, firewall_state_dir="%s/fwdstate%d" % (workdir, index))
            role_times.append(run(role_host.netns, ROLE_PLAY, workdir, round_vars, role_host.prefix, role_host.env))
            rerun.append(run(role_host.netns, ROLE_PLAY, workdir, round_vars, role_host.prefix, role_host.env))
            empty.append(run(role_host.netns, EMPTY_PLAY, workdir, {}, role_host.prefix, role_host.env))
        policy = role_host.run("firewall-cmd", "--info-policy=macfleet_in").stdout
        role_listed = [line for line in policy.splitlines() if line.strip().startswith("ports:")][0].split()[1:]
    finally:
        processes.stop_all()
    print("firewalld: %d port ranges; ansible.posix.firewalld loop left %d ports in zone public, the role's policy "
          "macfleet_in lists %d (its management port included)" % (len(ports), len(loop_listed), len(role_listed)))
    print("role (whole catalog into firewalld, checked, reloaded, confirmed): %.2f s (best of %d: %s)"
          % (min(role_times), rounds, " ".join("%.2f" % t for t in role_times)))
    print("ansible.posix.firewalld loop (%d tasks, permanent + immediate): %.2f s" % (len(ports), loop_time))
    print("ratio loop/role (firewalld): %.1fx (goal >= 10x)" % (loop_time / min(role_times)))
    print("firewalld no-change re-run: %.2f s (best of %d: %s), empty play: %.2f s, ratio %.2fx (goal <= 1.3x); "
          "median of the per-round ratios %.2fx"
          % (min(rerun), rounds, " ".join("%.2f" % t for t in rerun), min(empty), min(rerun) / min(empty),
             statistics.median(r / e for r, e in zip(rerun, empty))))


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    only = sys.argv[2] if len(sys.argv) > 2 else None
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
        if only == "firewalld":
            firewalld_benchmark(rounds, sources, ranges, workdir, names)
            return
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
        if only != "iptables":
            firewalld_benchmark(rounds, sources, ranges, workdir, names)
        print("load average after: %s" % load())
    finally:
        for name in names:
            subprocess.run(["ip", "netns", "del", name], check=False)
        subprocess.run(["rm", "-rf", workdir], check=False)


if __name__ == "__main__":
    main()
