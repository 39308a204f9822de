# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Marginal cost of the ports lookup, measured side by side in one run.

Four plays over N inventory hosts, each host running one set_fact:
  constant  - a constant value (no lookup);
  builtin   - lookup('ansible.builtin.env', 'HOME'): what the smallest lookup of ansible-core costs;
  control   - a lookup from a throw-away collection that returns, as a constant, the very records the
              ports lookup returns (what *any* collection lookup with this answer costs in Ansible's
              forked workers: templating, plugin loading, option parsing, passing the result back);
  ports     - query('macfleet.apple_network.ports', used_by='Software Update', protocol='tcp');
  ports_big - the same query with a generated user catalog file of E entries (--user-entries, 10,000)
              added through catalog_files: the answer is the same records, so "ports_big - control"
              against "ports - control" tells whether the catalog's growth reaches the per-host cost
              (goal: no more than 1.2x).
The plays alternate, after one warm-up run each; the best of R rounds counts. "ports - control" is
the catalog's own share. It also times, in fresh processes, the first (validating) load of the
bundled editions plus the E-entry file with an empty cache (goal: under 1 s) and the load from the
cache, and the catalog query in one process (what a lookup costs once Ansible has loaded the plugin;
goal: under 1 ms), with and without the big file.

    python tests/benchmarks/lookup_benchmark.py [--hosts 2000] [--rounds 2] [--forks 5] [--user-entries 10000]

From the repository root: bash hacking/bench.sh lookup [--hosts 2000] [--rounds 2] [--forks 5]
(it runs this script in a scratch copy of the collection, with ANSIBLE_COLLECTIONS_PATH set).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

PLAY = """---
- name: Benchmark
  hosts: all
  gather_facts: false
  tasks:
    - name: Set a fact
      ansible.builtin.set_fact:
        value: {value}
"""

VALUES = {
    "constant": "[{ports: [{start: 80, end: 80}], protocols: [tcp]}]",
    "builtin": "\"{{ lookup('ansible.builtin.env', 'HOME') }}\"",
    "control": "\"{{ query('macfleet_bench.control.trivial', used_by='Software Update', protocol='tcp') }}\"",
    "ports": "\"{{ query('macfleet.apple_network.ports', used_by='Software Update', protocol='tcp') }}\"",
    "ports_big": "\"{{ query('macfleet.apple_network.ports', used_by='Software Update', protocol='tcp', catalog_files=[big_catalog]) }}\"",
}

# Timed in a fresh interpreter: argv[1] is the user catalog file; prints {"load_s", "query_ms", "records"}.
LOAD_PROBE = """
import json, sys, time
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog
started = time.perf_counter()
catalog = load_catalog([sys.argv[1]])
load_s = time.perf_counter() - started
catalog.ports(used_by="Software Update", protocol="tcp")
started = time.perf_counter()
for _call in range(500):
    answer = load_catalog([sys.argv[1]]).ports(used_by="Software Update", protocol="tcp")
query_ms = (time.perf_counter() - started) / 500 * 1000
print(json.dumps({"load_s": load_s, "query_ms": query_ms, "records": len(catalog.records("ports")) + len(catalog.records("hosts"))}))
"""


def write_big_catalog(path, entries):
    """A user catalog of ``entries`` records, half hosts and half port rows, as an organisation might keep."""
    hosts, ports = entries // 2, entries - entries // 2
    lines = ["catalog_format: 1", "sources:", "  bench-org: {title: Generated organisation catalog}", "hosts:"]
    lines += ['  - {source: bench-org, host: "%s", group: other, used_by: [Bench service %d]}'
              % ("*.svc%d.bench.example" % i if i % 4 == 0 else "api%d.bench.example" % i, i % 50) for i in range(hosts)]
    lines.append("ports:")
    lines += ['  - {source: bench-org, ports: "%d", protocols: %s, used_by: [Bench service %d]}'
              % (20000 + i % 40000, "tcp" if i % 3 else "udp", i % 50) for i in range(ports)]
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")


CONTROL_LOOKUP = '''
from __future__ import annotations
DOCUMENTATION = r"""
name: trivial
short_description: A lookup that does nothing, the benchmark's control
description: [Returns a constant, the records the ports lookup returns.]
options:
  used_by: {description: [Ignored.], type: list, elements: str}
  protocol: {description: [Ignored.], type: str}
"""
import json

from ansible.plugins.lookup import LookupBase

RECORDS = %r


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        return json.loads(RECORDS)
'''


def ports_records():
    from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog

    return load_catalog().ports(used_by="Software Update", protocol="tcp")


def make_control_collection(root):
    base = os.path.join(root, "ansible_collections", "macfleet_bench", "control")
    os.makedirs(os.path.join(base, "plugins", "lookup"))
    os.makedirs(os.path.join(base, "meta"))
    with open(os.path.join(base, "meta", "runtime.yml"), "w") as handle:
        handle.write("requires_ansible: '>=2.19.0'\n")
    with open(os.path.join(base, "plugins", "lookup", "trivial.py"), "w") as handle:
        handle.write(CONTROL_LOOKUP % json.dumps(ports_records()))


def run(playbook, inventory, forks, env):
    start = time.perf_counter()
    subprocess.run(["ansible-playbook", "-i", inventory, "-f", str(forks), playbook], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def load_figures(big_catalog, env, cache_dir):
    """First (validating) load with an empty cache, then the cached load, each in a fresh interpreter."""
    import shutil  # pylint: disable=import-outside-toplevel

    shutil.rmtree(cache_dir, ignore_errors=True)
    figures = {}
    for name in ("first", "cached"):
        out = subprocess.run([sys.executable, "-c", LOAD_PROBE, big_catalog], check=True, env=env, capture_output=True, text=True)
        figures[name] = json.loads(out.stdout)
    return figures


def in_process_query_ms(calls=2000):
    from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog

    load_catalog().ports(used_by="Software Update", protocol="tcp")
    start = time.perf_counter()
    for _call in range(calls):
        load_catalog().ports(used_by="Software Update", protocol="tcp")
    return (time.perf_counter() - start) / calls * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--forks", type=int, default=5)
    parser.add_argument("--user-entries", type=int, default=10000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        make_control_collection(tmp)
        big_catalog = os.path.join(tmp, "organisation-%d.yml" % args.user_entries)
        write_big_catalog(big_catalog, args.user_entries)
        # A cache of the benchmark's own, so the first load really starts empty.
        env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="0", MACFLEET_APPLE_NETWORK_CACHE_DIR=os.path.join(tmp, "cache"))
        env["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join([env.get("ANSIBLE_COLLECTIONS_PATH", ""), tmp]).strip(os.pathsep)
        # Measure what users get: Python writes and reuses .pyc files (this sandbox disables that by default).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        inventory = os.path.join(tmp, "hosts.ini")
        with open(inventory, "w") as handle:
            handle.write("[all:vars]\nansible_connection=local\nansible_python_interpreter=%s\nbig_catalog=%s\n[all]\n"
                         % (sys.executable, big_catalog))
            handle.writelines("bench%05d\n" % i for i in range(args.hosts))
        plays = {}
        for name, value in VALUES.items():
            plays[name] = os.path.join(tmp, name + ".yml")
            with open(plays[name], "w") as handle:
                handle.write(PLAY.format(value=value))
        loads = load_figures(big_catalog, env, env["MACFLEET_APPLE_NETWORK_CACHE_DIR"])
        for name in plays:  # warm-up: byte-code files and the catalog cache, as on any second run
            run(plays[name], inventory, args.forks, env)
        times = dict((name, []) for name in plays)
        for _round in range(args.rounds):
            for name in plays:
                times[name].append(run(plays[name], inventory, args.forks, env))
    best = dict((name, min(values)) for name, values in times.items())
    print("hosts=%d forks=%d rounds=%d" % (args.hosts, args.forks, args.rounds))
    for name in plays:
        print("%-9s play: %7.2f s  (runs: %s)" % (name, best[name], ", ".join("%.2f" % t for t in times[name])))
    per_call = dict((name, (best[name] - best["constant"]) / args.hosts * 1000) for name in ("builtin", "control", "ports", "ports_big"))
    print("ratio ports/constant: %.3f   ports/control: %.3f" % (best["ports"] / best["constant"], best["ports"] / best["control"]))
    print("marginal cost per call vs constant set_fact (goal: under 1 ms): ports %.3f ms; for comparison "
          "ansible.builtin.env %.3f ms, control lookup with the same answer %.3f ms"
          % (per_call["ports"], per_call["builtin"], per_call["control"]))
    print("catalog's own cost per call (ports - control): %.3f ms" % (per_call["ports"] - per_call["control"]))
    print("in-process catalog query (cached catalog): %.4f ms per call" % in_process_query_ms())
    own, own_big = per_call["ports"] - per_call["control"], per_call["ports_big"] - per_call["control"]
    print("with a %d-entry user catalog (%d records in all):" % (args.user_entries, loads["first"]["records"]))
    print("  first (validating) load, empty cache, fresh process: %.3f s   (goal: under 1 s: %s)"
          % (loads["first"]["load_s"], "PASS" if loads["first"]["load_s"] < 1 else "MISSED"))
    print("  cached load, fresh process: %.3f s" % loads["cached"]["load_s"])
    print("  in-process query: %.4f ms per call   (goal: under 1 ms: %s)"
          % (loads["cached"]["query_ms"], "PASS" if loads["cached"]["query_ms"] < 1 else "MISSED"))
    print("  catalog's own cost per call (ports_big - control): %.3f ms, %.2fx the bundled editions' %.3f ms   (goal: <= 1.2x: %s)"
          % (own_big, own_big / own if own > 0 else float("inf"), own, "PASS" if own > 0 and own_big / own <= 1.2 else "MISSED"))


if __name__ == "__main__":
    main()
