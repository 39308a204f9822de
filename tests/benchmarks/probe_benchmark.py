# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""endpoint_probe benchmark: 40 local TLS endpoints that each wait 200 ms before answering.

    python tests/benchmarks/probe_benchmark.py

Prints, measured side by side in one run:
  (a) our wall time for all 40 / the slowest single endpoint probed alone   (goal <= 1.5)
  (b) a naive playbook looping ansible.builtin.wait_for + ansible.builtin.uri over the endpoints
      / the same 40 endpoints through macfleet.apple_network.endpoint_probe   (goal >= 10)
Everything listens on 127.0.0.1; the servers are stopped by PID at the end.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trustme

COLLECTION = Path(__file__).resolve().parents[2]
COLLECTIONS_PATH = COLLECTION.parents[2]
sys.path.insert(0, str(COLLECTIONS_PATH))

from ansible_collections.macfleet.apple_network.plugins.module_utils._probe.engine import run_probes  # noqa: E402
from ansible_collections.macfleet.apple_network.plugins.module_utils._probe.options import parse_config  # noqa: E402

ENDPOINTS = 40
DELAY = 0.2


def start_servers(workdir):
    ca = trustme.CA(organization_name="Apple Inc.")
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    chain, key, ca_file = workdir / "chain.pem", workdir / "key.pem", workdir / "ca.pem"
    chain.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    key.write_bytes(leaf.private_key_pem.bytes())
    ca.cert_pem.write_to_path(str(ca_file))
    config = {"tls": [{"address": "127.0.0.1", "port": 0, "certchain": str(chain), "key": str(key), "delay": DELAY,
                       "status": 200} for _index in range(ENDPOINTS)]}
    conf, ready = workdir / "servers.json", workdir / "servers.ready"
    conf.write_text(json.dumps(config))
    proc = subprocess.Popen([sys.executable, str(COLLECTION / "tests" / "system" / "probe" / "servers.py"), str(conf), str(ready)])
    deadline = time.monotonic() + 15
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the TLS servers did not start")
        time.sleep(0.05)
    ports = [item["port"] for item in json.loads(ready.read_text())["tls"]]
    return proc, ports, str(ca_file)


def engine_run(ports, ca_file):
    targets = [{"host": "127.0.0.1", "port": port, "tls": True} for port in ports]
    specs, config = parse_config({"targets": targets, "ca_bundle": ca_file, "timeout": 30})
    started = time.monotonic()
    results, summary = run_probes(specs, config, None)
    elapsed = time.monotonic() - started
    if summary["ok"] != len(ports):
        raise SystemExit("probe failed: %s %s" % (summary, [r["message"] for r in results if r["status"] != "ok"][:3]))
    return elapsed


def playbook(path, workdir, extra):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_PATH), ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_NOCOLOR="1")
    vars_file = workdir / ("vars-%s.json" % path.stem)
    vars_file.write_text(json.dumps(extra))
    started = time.monotonic()
    proc = subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", str(path), "-e", "@%s" % vars_file],
                          capture_output=True, text=True, env=env, check=False)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit("%s failed:\n%s\n%s" % (path.name, proc.stdout[-3000:], proc.stderr[-2000:]))
    return elapsed


def main():
    workdir = Path(tempfile.mkdtemp(prefix="macfleet-probe-bench-"))
    proc, ports, ca_file = start_servers(workdir)
    try:
        ours_runs = [engine_run(ports, ca_file) for _run in range(3)]
        singles = [engine_run([port], ca_file) for port in ports]
        ours = statistics.median(ours_runs)
        slowest = max(singles)

        targets = [{"host": "127.0.0.1", "port": port, "tls": True} for port in ports]
        ours_play = workdir / "ours.yml"
        ours_play.write_text("""
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Probe all endpoints
      macfleet.apple_network.endpoint_probe:
        targets: "{{ bench_targets }}"
        ca_bundle: "{{ bench_ca }}"
        fail_on: any
""")
        naive_play = workdir / "naive.yml"
        naive_play.write_text("""
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Wait for each port
      ansible.builtin.wait_for:
        host: 127.0.0.1
        port: "{{ item }}"
        timeout: 5
      loop: "{{ bench_ports }}"
    - name: Fetch each endpoint over HTTPS
      ansible.builtin.uri:
        url: "https://127.0.0.1:{{ item }}/"
        ca_path: "{{ bench_ca }}"
        timeout: 5
      loop: "{{ bench_ports }}"
""")
        extra = {"bench_targets": targets, "bench_ports": ports, "bench_ca": ca_file}
        load_before = os.getloadavg()[0]
        ours_pb_runs = [playbook(ours_play, workdir, extra) for _run in range(3)]
        naive_pb = playbook(naive_play, workdir, extra)
        ours_pb = statistics.median(ours_pb_runs)
        load_after = os.getloadavg()[0]
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    print("endpoint_probe benchmark: %d local TLS endpoints, each answering after %d ms" % (ENDPOINTS, DELAY * 1000))
    print("  ours, all %d with default concurrency (probe engine, median of 3): %.3f s  (runs: %s)"
          % (ENDPOINTS, ours, ", ".join("%.3f" % r for r in ours_runs)))
    print("  slowest single endpoint probed alone:                 %.3f s  (fastest %.3f s)" % (slowest, min(singles)))
    print("  (a) ours / slowest single = %.2f   (goal <= 1.5)" % (ours / slowest))
    print("  playbook with macfleet.apple_network.endpoint_probe (median of 3): %.2f s  (runs: %s)"
          % (ours_pb, ", ".join("%.2f" % r for r in ours_pb_runs)))
    print("  naive playbook, wait_for + uri loops:                 %.2f s" % naive_pb)
    print("  (b) naive / ours = %.1fx   (goal >= 10x)" % (naive_pb / ours_pb))
    print("  1-minute load average: %.2f before the playbooks, %.2f after (%d CPUs)" % (load_before, load_after, os.cpu_count()))


if __name__ == "__main__":
    main()
