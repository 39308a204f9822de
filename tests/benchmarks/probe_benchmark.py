# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""endpoint_probe benchmark: local TLS endpoints that each wait 200 ms before answering.

    python tests/benchmarks/probe_benchmark.py

Every figure is measured for two managed-host interpreters side by side in one run: this Python
(the venv, with dnspython and cryptography) and the stock Python 3.9 of a Mac (MACFLEET_STOCK_PYTHON,
else the newest ~/.pyenv/versions/3.9.*/bin/python3.9; no third-party packages):

  (a) the probe engine's wall time for 40 endpoints in one run / the slowest of them probed alone     (goal <= 1.5)
  (b) a naive playbook looping ansible.builtin.wait_for + ansible.builtin.uri over the 40 endpoints
      / the same 40 endpoints through macfleet.apple_network.endpoint_probe                          (goal >= 10)
  (c) 200 endpoints in one module run (concurrency 200) / the slowest single endpoint probed alone  (goal <= 2):
      the engine's own time against the engine probing one endpoint, and the playbook task's duration
      against the same task probing one endpoint (and, for information, against the engine's single);
      the CPU time one 200-endpoint run costs the engine and the local TLS servers (which share this
      machine's CPUs, unlike a Mac's remote endpoints) is printed next to it, and so is the floor: a bare
      standard-library client (one thread and one ``ssl`` handshake per endpoint, no probe logic) timed the
      same way against the same servers, to tell the engine's own cost from this machine's
  (d) the peak RSS of the process that runs the probe on the managed host, for 200 endpoints: the
      endpoint_probe module under ansible-playbook and the engine alone, next to the same interpreter
      running nothing (``python -c pass``)

Every TLS endpoint must verify to ``ok`` against the benchmark CA (given as ``trust_anchors``), or the
benchmark stops: a benchmark of failures cannot pass. The engine is timed by this very script started
under each interpreter (``--driver``, standard library only) with PYTHONPATH at the collections path;
the stock run must load no third-party module. Peak RSS comes from a wrapper interpreter that runs
the real one and reads ``resource.getrusage(RUSAGE_CHILDREN)``. Goals missed are reported as MISSED;
the exit status is 0 all the same (a benchmark, not a test). Everything listens on 127.0.0.1; the
servers are stopped by PID at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

COLLECTION = Path(__file__).resolve().parents[2]
COLLECTIONS_PATH = COLLECTION.parents[2]

SMALL = 40            # (a), (b)
LARGE = 200           # (c), (d): the size of both catalog editions' probe list
LARGE_CONCURRENCY = 200
DELAY = 0.2
RUNS = 3
SINGLE_TASKS = 40     # single-endpoint playbook tasks, one target each, for (c)'s task denominator

GOALS = {"a": ("<=", 1.5), "b": (">=", 10.0), "c": ("<=", 2.0)}

# Records the probe task's duration and result on the controller (enabled by name for the benchmark's playbooks).
CALLBACK = '''
from __future__ import annotations

import json
import os
import time
from collections import Counter

from ansible.plugins.callback import CallbackBase


def _probe_facts(res):
    probes = [r for r in res.get("results") or [] if isinstance(r, dict) and "verdict" in r]
    return {"summary": res.get("summary"), "environment": res.get("environment"), "msg": res.get("msg"),
            "verdicts": dict(Counter(r["verdict"] for r in probes)),
            "decided_by": dict(Counter(str(((r.get("tls") or {}).get("trust") or {}).get("decided_by")) for r in probes))}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "macfleet_bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tasks = []

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.tasks.append({"name": task.get_name(), "start": time.monotonic(), "end": None, "items": [], "result": None})

    def v2_runner_item_on_ok(self, result):
        self.tasks[-1]["items"].append(dict(_probe_facts(result._result), t=time.monotonic()))

    v2_runner_item_on_failed = v2_runner_item_on_ok

    def v2_runner_on_ok(self, result):
        self.tasks[-1]["end"] = time.monotonic()
        self.tasks[-1]["result"] = _probe_facts(result._result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self.v2_runner_on_ok(result)

    def v2_playbook_on_stats(self, stats):
        with open(os.environ["MACFLEET_BENCH_TIMER_OUT"], "w") as handle:
            json.dump(self.tasks, handle)
'''

# A managed-host "interpreter" that runs the real one and logs the peak RSS of what it ran.
RSS_WRAPPER = '''#!{python}
import json, resource, subprocess, sys
code = subprocess.call([{python!r}] + sys.argv[1:])
with open({log!r}, "a") as handle:
    handle.write(json.dumps({{"argv": sys.argv[1:], "maxrss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}}) + "\\n")
sys.exit(code)
'''

OURS_PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Probe all endpoints
      macfleet.apple_network.endpoint_probe:
        targets: "{{ bench_targets }}"
        trust_anchors: ["{{ bench_ca }}"]
        concurrency: "{{ bench_concurrency | default(omit) }}"
        fail_on: any
"""

SINGLE_PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Probe each endpoint alone
      macfleet.apple_network.endpoint_probe:
        targets: [{host: 127.0.0.1, port: "{{ item }}", tls: true}]
        trust_anchors: ["{{ bench_ca }}"]
        fail_on: any
      loop: "{{ bench_ports }}"
"""

NAIVE_PLAY = """
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
"""


# ---------------------------------------------------------------------------------------------------------------
# The driver: runs under the managed-host interpreter, standard library and the collection only.
# ---------------------------------------------------------------------------------------------------------------

def _third_party_modules(before):
    """Top-level names of modules loaded since ``before`` that are neither the standard library nor this collection."""
    paths = sysconfig.get_paths()
    stdlib = [os.path.realpath(paths[key]) for key in ("stdlib", "platstdlib")]
    site = [os.path.realpath(paths[key]) for key in ("purelib", "platlib")]
    own = os.path.realpath(str(COLLECTIONS_PATH))
    found = set()
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if name in before or not path:
            continue
        path = os.path.realpath(path)
        if path.startswith(own + os.sep):
            continue
        if any(path.startswith(s + os.sep) for s in site) or not any(path.startswith(s + os.sep) for s in stdlib):
            found.add(name.split(".")[0])
    return sorted(found)


def _process_cpu(pid):
    """User + system CPU seconds of another process (Linux /proc), or None."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, TypeError):
        return None


def _own_cpu():
    times = os.times()
    return times.user + times.system


def _engine_run(ports, anchor, concurrency=None, server_pid=None):
    """One engine run (parse_config, prepare, run_probes) that must verify every endpoint ok; returns its figures."""
    # pylint: disable=import-outside-toplevel
    from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.engine import prepare, run_probes
    from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.options import parse_config

    params = {"targets": [{"host": "127.0.0.1", "port": port, "tls": True} for port in ports], "trust_anchors": [anchor], "timeout": 30}
    if concurrency:
        params["concurrency"] = concurrency
    started = time.monotonic()
    specs, config = parse_config(params)
    prepare(config, host_trust="default_paths")
    prepared, cpu, server_cpu = time.monotonic(), _own_cpu(), _process_cpu(server_pid) if server_pid else None
    results, summary = run_probes(specs, config)
    figures = {"elapsed": time.monotonic() - prepared, "setup": prepared - started, "cpu": _own_cpu() - cpu, "server_cpu": None}
    if server_cpu is not None:
        figures["server_cpu"] = _process_cpu(server_pid) - server_cpu
    bad = [r for r in results if r["status"] != "ok" or r["verdict"] != "ok" or not (r["tls"] or {}).get("verified")
           or r["tls"]["trust"]["decided_by"] != "anchors"]
    if bad or summary["ok"] != len(ports):
        raise SystemExit("probe failed under %s: %s; first failures: %s"
                         % (sys.executable, summary, ["%s %s" % (r["verdict"], r["message"]) for r in bad][:3]))
    return figures


def _bare_tls(ports, anchor):
    """The floor for (c): one thread per endpoint doing only connect + verified TLS handshake; wall seconds."""
    # pylint: disable=import-outside-toplevel
    import socket
    import ssl
    import threading

    context = ssl.create_default_context(cadata=anchor)   # hostname checked against the address, as the engine does
    failures = []

    def handshake(port):
        try:
            with socket.create_connection(("127.0.0.1", port), 30) as sock:
                with context.wrap_socket(sock, server_hostname="127.0.0.1") as tls:
                    tls.getpeercert(binary_form=True)
        except (OSError, ssl.SSLError) as exc:
            failures.append("%d: %s" % (port, exc))

    started = time.monotonic()
    threads = [threading.Thread(target=handshake, args=(port,)) for port in ports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit("the bare TLS client failed under %s: %s" % (sys.executable, failures[:3]))
    return time.monotonic() - started


def driver(request_path):
    """``--driver REQUEST.json``: time the engine (``timing``) or run it once for 200 endpoints (``memory``)."""
    before = set(sys.modules)
    with open(request_path) as handle:
        request = json.load(handle)
    small, large, anchor = request["ports"][:SMALL], request["ports"], request["anchor"]
    if request["mode"] == "memory":
        _engine_run(large, anchor, LARGE_CONCURRENCY)
        print(json.dumps({"ok": True}))
        return
    _engine_run(small[:1], anchor)  # warm-up: imports, first contexts
    _bare_tls(small[:1], anchor)
    out = {"small": [], "large": [], "bare_large": []}
    for _run in range(RUNS):
        out["small"].append(_engine_run(small, anchor, server_pid=request["server_pid"]))
        out["large"].append(_engine_run(large, anchor, LARGE_CONCURRENCY, server_pid=request["server_pid"]))
        out["bare_large"].append(_bare_tls(large, anchor))
    out["singles"] = [_engine_run([port], anchor)["elapsed"] for port in large]
    out["bare_singles"] = [_bare_tls([port], anchor) for port in large[:SMALL]]
    # pylint: disable=import-outside-toplevel
    from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe import dnsprobe, tlsinspect
    out.update(python=sys.version.split()[0], executable=sys.executable, third_party=_third_party_modules(before),
               dnspython=dnsprobe.HAS_DNSPYTHON, cryptography=tlsinspect.HAS_CRYPTOGRAPHY)
    print(json.dumps(out))


# ---------------------------------------------------------------------------------------------------------------
# The controller side.
# ---------------------------------------------------------------------------------------------------------------

def stock_python():
    sys.path.insert(0, str(COLLECTIONS_PATH))
    # pylint: disable=import-outside-toplevel
    from ansible_collections.macfleet.apple_network.tests.stock_python import stock_python as find_stock_python
    python = find_stock_python()
    if not python or not os.access(python, os.X_OK):
        raise SystemExit("probe_benchmark: no stock Python 3.9: set MACFLEET_STOCK_PYTHON or install ~/.pyenv/versions/3.9.*/bin/python3.9 "
                         "(hacking/bootstrap.sh full does); found %r" % python)
    version = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True,
                             env=_clean_env(), check=True).stdout.strip()
    if version != "3.9":
        raise SystemExit("probe_benchmark: the stock interpreter %s is Python %s, not 3.9" % (python, version))
    return python


def _clean_env(**extra):
    env = dict(os.environ)
    for name in ("PYTHONPATH", "PYTHONHOME"):
        env.pop(name, None)
    env.update(extra)
    return env


def start_servers(workdir, count):
    import trustme  # pylint: disable=import-outside-toplevel

    ca = trustme.CA(organization_name="Apple Inc.")
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    chain, key, ca_file = workdir / "chain.pem", workdir / "key.pem", workdir / "ca.pem"
    chain.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    key.write_bytes(leaf.private_key_pem.bytes())
    ca.cert_pem.write_to_path(str(ca_file))
    config = {"tls": [{"address": "127.0.0.1", "port": 0, "certchain": str(chain), "key": str(key), "delay": DELAY,
                       "status": 200} for _index in range(count)]}
    conf, ready = workdir / "servers.json", workdir / "servers.ready"
    conf.write_text(json.dumps(config))
    proc = subprocess.Popen([sys.executable, str(COLLECTION / "tests" / "system" / "probe" / "servers.py"), str(conf), str(ready)])
    deadline = time.monotonic() + 30
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.terminate()
            raise SystemExit("the TLS servers did not start")
        time.sleep(0.05)
    ports = [item["port"] for item in json.loads(ready.read_text())["tls"]]
    if len(ports) != count or len(set(ports)) != count:
        proc.terminate()
        raise SystemExit("servers.py reported %d distinct ports, not %d" % (len(set(ports)), count))
    return proc, ports, ca_file


class Interpreter:
    """One managed-host interpreter, with its peak-RSS wrapper."""

    def __init__(self, label, python, workdir):
        self.label, self.python = label, python
        self.rss_log = workdir / ("rss-%s.jsonl" % label)
        self.wrapper = workdir / ("python-rss-%s" % label)
        self.wrapper.write_text(RSS_WRAPPER.format(python=python, log=str(self.rss_log)))
        self.wrapper.chmod(0o755)
        self.info = None

    def driver(self, workdir, request, wrapped=False):
        path = workdir / ("driver-%s-%s.json" % (self.label, request["mode"]))
        path.write_text(json.dumps(request))
        command = [str(self.wrapper if wrapped else self.python), str(Path(__file__).resolve()), "--driver", str(path)]
        proc = subprocess.run(command, capture_output=True, text=True, env=_clean_env(PYTHONPATH=str(COLLECTIONS_PATH)), check=False)
        if proc.returncode != 0:
            raise SystemExit("the engine driver under %s failed (%d):\n%s\n%s"
                             % (self.python, proc.returncode, proc.stdout[-2000:], proc.stderr[-3000:]))
        return json.loads(proc.stdout.strip().splitlines()[-1])

    def peak_rss(self, run, match):
        """Run ``run()`` and return the peak RSS (MiB) the wrapper logged for a command line containing ``match``."""
        if self.rss_log.exists():
            self.rss_log.unlink()
        run()
        entries = [json.loads(line) for line in self.rss_log.read_text().splitlines()]
        peaks = [e["maxrss"] for e in entries if any(match in arg for arg in e["argv"])]
        if not peaks:
            raise SystemExit("no peak RSS logged for %r by %s: %s" % (match, self.wrapper, entries))
        return max(peaks) / (1024.0 * 1024.0 if sys.platform == "darwin" else 1024.0)


def playbook(text, name, workdir, extra, interpreter):
    """Run a playbook with ``interpreter`` on the managed host; returns (wall seconds, the timer callback's task records)."""
    play, vars_file, timer = workdir / ("%s.yml" % name), workdir / ("vars-%s.json" % name), workdir / ("timer-%s.json" % name)
    play.write_text(text)
    vars_file.write_text(json.dumps(extra))
    if timer.exists():
        timer.unlink()
    env = _clean_env(ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_PATH), ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_NOCOLOR="1",
                     ANSIBLE_PYTHON_INTERPRETER=str(interpreter), ANSIBLE_CALLBACK_PLUGINS=str(workdir / "callback_plugins"),
                     ANSIBLE_CALLBACKS_ENABLED="macfleet_bench_timer", MACFLEET_BENCH_TIMER_OUT=str(timer))
    started = time.monotonic()
    proc = subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", str(play), "-e", "@%s" % vars_file],
                          capture_output=True, text=True, env=env, check=False)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit("%s with %s failed:\n%s\n%s" % (name, interpreter, proc.stdout[-3000:], proc.stderr[-2000:]))
    return elapsed, json.loads(timer.read_text())


def _check_probe(facts, count, interp, what):
    """The module's result: every endpoint ok, decided by the anchors, run by the interpreter asked for."""
    env = facts.get("environment") or {}
    if facts.get("verdicts") != {"ok": count} or facts.get("decided_by") != {"anchors": count}:
        raise SystemExit("%s under %s: not every endpoint verified ok: %s %s %s"
                         % (what, interp.label, facts.get("verdicts"), facts.get("summary"), facts.get("msg")))
    if "(%s)" % interp.python not in str(env.get("python")):
        raise SystemExit("%s ran under %s, not %s" % (what, env.get("python"), interp.python))
    return env


def probe_task(records, count, interp, what):
    task = [t for t in records if t["name"].startswith("Probe")][0]
    _check_probe(task["result"], count, interp, what)
    return task["end"] - task["start"]


def single_tasks(records, interp):
    task = [t for t in records if t["name"].startswith("Probe")][0]
    durations, previous = [], task["start"]
    for item in task["items"]:
        _check_probe(item, 1, interp, "a single-endpoint task")
        durations.append(item["t"] - previous)
        previous = item["t"]
    return durations


def measure(workdir, interps, servers, ports, ca_file):
    anchor = ca_file.read_text()
    small = ports[:SMALL]
    (workdir / "callback_plugins").mkdir()
    (workdir / "callback_plugins" / "macfleet_bench_timer.py").write_text(CALLBACK)
    fig = dict((i.label, {}) for i in interps)

    for interp in interps:  # the engine, in-process under each interpreter
        out = interp.driver(workdir, {"mode": "timing", "ports": ports, "anchor": anchor, "server_pid": servers.pid})
        if interp.label == "stock" and (out["third_party"] or out["dnspython"] or out["cryptography"]):
            raise SystemExit("the stock interpreter %s loaded third-party modules running the engine: %s" % (interp.python, out["third_party"]))
        interp.info = out
        fig[interp.label]["singles"] = out["singles"]
        fig[interp.label]["bare_large"], fig[interp.label]["bare_singles"] = out["bare_large"], out["bare_singles"]
        for key in ("elapsed", "setup", "cpu", "server_cpu"):
            for size in ("small", "large"):
                fig[interp.label]["%s_%s" % (key, size)] = [run[key] for run in out[size]]

    base = {"bench_ca": str(ca_file)}
    small_vars = dict(base, bench_targets=[{"host": "127.0.0.1", "port": p, "tls": True} for p in small])
    large_vars = dict(base, bench_targets=[{"host": "127.0.0.1", "port": p, "tls": True} for p in ports],
                      bench_concurrency=LARGE_CONCURRENCY)
    fig["load_before"] = os.getloadavg()[0]
    for _run in range(RUNS):  # the playbooks, alternating the interpreters
        for interp in interps:
            wall, records = playbook(OURS_PLAY, "ours-%d" % SMALL, workdir, small_vars, interp.python)
            probe_task(records, SMALL, interp, "endpoint_probe over %d" % SMALL)
            fig[interp.label].setdefault("play_small", []).append(wall)
            wall, records = playbook(OURS_PLAY, "ours-%d" % LARGE, workdir, large_vars, interp.python)
            fig[interp.label].setdefault("task_large", []).append(probe_task(records, LARGE, interp, "endpoint_probe over %d" % LARGE))
            fig[interp.label].setdefault("play_large", []).append(wall)
    for interp in interps:
        _wall, records = playbook(SINGLE_PLAY, "single", workdir, dict(base, bench_ports=ports[:SINGLE_TASKS]), interp.python)
        fig[interp.label]["single_tasks"] = single_tasks(records, interp)
        fig[interp.label]["naive"] = playbook(NAIVE_PLAY, "naive", workdir, dict(base, bench_ports=small), interp.python)[0]
    fig["load_after"] = os.getloadavg()[0]

    for interp in interps:  # peak RSS on the managed host
        fig[interp.label]["rss_baseline"] = interp.peak_rss(
            lambda i=interp: subprocess.run([str(i.wrapper), "-c", "pass"], env=_clean_env(), check=True), "pass")
        fig[interp.label]["rss_engine"] = interp.peak_rss(
            lambda i=interp: i.driver(workdir, {"mode": "memory", "ports": ports, "anchor": anchor}, wrapped=True), "--driver")
        fig[interp.label]["rss_module"] = interp.peak_rss(
            lambda i=interp: probe_task(playbook(OURS_PLAY, "ours-rss", workdir, large_vars, i.wrapper)[1], LARGE, i, "the wrapped module"),
            "AnsiballZ_endpoint_probe")
    return fig


def _met(goal, value):
    op, limit = GOALS[goal]
    return value <= limit if op == "<=" else value >= limit


def report(fig, interps):
    labels = [i.label for i in interps]
    missed = []

    def row(title, values, fmt="%.3f s"):
        print(("  %-66s%s" % (title, "".join("%-22s" % (fmt % v if isinstance(v, float) else v) for v in values))).rstrip())

    def ratio_row(title, goal, key, values):
        cells = []
        for label, value in zip(labels, values):
            met = _met(goal, value)
            if not met:
                missed.append("(%s) %s, %s: %.2f" % (goal, key, label, value))
            cells.append("%.2f%s %s" % (value, "x" if goal == "b" else "", "PASS" if met else "MISSED"))
        row("%s  [goal %s %g]" % (title, GOALS[goal][0], GOALS[goal][1]), cells, "%s")

    def med(key):
        return [statistics.median(fig[label][key]) for label in labels]

    def cpu(size):
        return ["%.2f s + %s" % (statistics.median(fig[label]["cpu_" + size]),
                                 "%.2f s" % statistics.median(fig[label]["server_cpu_" + size]) if None not in fig[label]["server_cpu_" + size] else "?")
                for label in labels]

    print("endpoint_probe benchmark: local TLS endpoints on 127.0.0.1, each answering after %d ms; %d CPUs"
          % (DELAY * 1000, os.cpu_count()))
    print("managed-host interpreters (as the engine driver reports them):")
    for interp in interps:
        info = interp.info
        print("  %-6s Python %s  %s  dnspython: %s  cryptography: %s  third-party modules the engine loaded: %s"
              % (interp.label, info["python"], info["executable"], "yes" if info["dnspython"] else "no",
                 "yes" if info["cryptography"] else "no", ", ".join(info["third_party"]) or "none"))
    print()
    row("", ["%s (%s)" % (i.label, i.info["python"]) for i in interps], "%s")
    single40 = [max(fig[label]["singles"][:SMALL]) for label in labels]
    single200 = [max(fig[label]["singles"]) for label in labels]
    print("(a) %d endpoints, one engine run, default concurrency (64)" % SMALL)
    row("engine, all %d (median of %d)" % (SMALL, RUNS), med("elapsed_small"))
    row("slowest single endpoint alone, engine (of %d; fastest)" % SMALL,
        ["%.3f s (%.3f)" % (s, min(fig[label]["singles"][:SMALL])) for s, label in zip(single40, labels)], "%s")
    ratio_row("ratio all / slowest single", "a", "engine %d" % SMALL, [m / s for m, s in zip(med("elapsed_small"), single40)])
    print("(b) playbooks over the same %d endpoints (wall time of ansible-playbook)" % SMALL)
    row("macfleet.apple_network.endpoint_probe (median of %d)" % RUNS, med("play_small"), "%.2f s")
    row("naive wait_for + uri loops", [fig[label]["naive"] for label in labels], "%.2f s")
    ratio_row("ratio naive / endpoint_probe", "b", "playbooks", [fig[label]["naive"] / m for label, m in zip(labels, med("play_small"))])
    print("(c) %d endpoints in one module run, concurrency %d" % (LARGE, LARGE_CONCURRENCY))
    row("engine (run_probes), all %d (median of %d)" % (LARGE, RUNS), med("elapsed_large"))
    row("slowest single endpoint alone, engine (of %d)" % LARGE, single200)
    ratio_row("ratio engine all / slowest single", "c", "engine %d" % LARGE, [m / s for m, s in zip(med("elapsed_large"), single200)])
    row("  CPU in one %d-run: engine + the local TLS servers (median)" % LARGE, cpu("large"), "%s")
    row("  engine set-up before it (parse_config + prepare, median)", med("setup_large"))
    row("  floor: bare stdlib TLS client, all %d / slowest single of %d (info)" % (LARGE, SMALL),
        ["%.3f / %.3f = %.2f" % (m, max(fig[label]["bare_singles"]), m / max(fig[label]["bare_singles"]))
         for label, m in zip(labels, med("bare_large"))], "%s")
    row("playbook task duration, all %d (median of %d)" % (LARGE, RUNS), med("task_large"))
    row("slowest single-endpoint task (1 target a task, %d tasks; median)" % SINGLE_TASKS,
        ["%.3f s (%.3f)" % (max(fig[label]["single_tasks"]), statistics.median(fig[label]["single_tasks"])) for label in labels], "%s")
    ratio_row("ratio task all / slowest single-endpoint task", "c", "task %d" % LARGE,
              [m / max(fig[label]["single_tasks"]) for label, m in zip(labels, med("task_large"))])
    row("ratio task all / slowest single, engine (info: + module start-up)", ["%.2f" % (m / s) for m, s in zip(med("task_large"), single200)],
        "%s")
    row("playbook wall time, all %d (median of %d)" % (LARGE, RUNS), med("play_large"), "%.2f s")
    print("(d) peak RSS on the managed host (ru_maxrss of the process running it), %d endpoints" % LARGE)
    row("baseline: the interpreter running nothing (python -c pass)", [fig[label]["rss_baseline"] for label in labels], "%.1f MiB")
    row("endpoint_probe module under ansible-playbook", [fig[label]["rss_module"] for label in labels], "%.1f MiB")
    row("  the module's own share (module - baseline)", [fig[label]["rss_module"] - fig[label]["rss_baseline"] for label in labels], "%.1f MiB")
    row("the engine alone (driver: parse_config, prepare, run_probes)", [fig[label]["rss_engine"] for label in labels], "%.1f MiB")
    row("  the engine's own share (engine - baseline)", [fig[label]["rss_engine"] - fig[label]["rss_baseline"] for label in labels], "%.1f MiB")
    print()
    for label in labels:
        print("runs %-5s engine %d: %s | engine %d: %s | task %d: %s | playbook %d: %s | playbook %d: %s" % (
            label, SMALL, ", ".join("%.3f" % v for v in fig[label]["elapsed_small"]), LARGE, ", ".join("%.3f" % v for v in fig[label]["elapsed_large"]),
            LARGE, ", ".join("%.2f" % v for v in fig[label]["task_large"]), SMALL, ", ".join("%.2f" % v for v in fig[label]["play_small"]),
            LARGE, ", ".join("%.2f" % v for v in fig[label]["play_large"])))
    print("1-minute load average: %.2f before the playbooks, %.2f after" % (fig["load_before"], fig["load_after"]))
    if missed:
        print("MISSED: %d goal%s: %s" % (len(missed), "" if len(missed) == 1 else "s", "; ".join(missed)))
    else:
        print("All goals met for both interpreters.")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--driver":
        driver(sys.argv[2])
        return
    interps_paths = [("venv", sys.executable), ("stock", stock_python())]
    workdir = Path(tempfile.mkdtemp(prefix="macfleet-probe-bench-"))
    try:
        interps = [Interpreter(label, python, workdir) for label, python in interps_paths]
        proc, ports, ca_file = start_servers(workdir, LARGE)
        try:
            fig = measure(workdir, interps, proc, ports, ca_file)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    finally:
        shutil.rmtree(str(workdir), ignore_errors=True)
    report(fig, interps)


if __name__ == "__main__":
    main()
