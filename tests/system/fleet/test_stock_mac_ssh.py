# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The probe and readiness playbooks against two "stock Macs" over SSH.

Each Mac is a network namespace with its own sshd; its interpreter is a bare Python 3.9 (what
Apple's Command Line Tools ship: no dnspython, no cryptography). The same playbooks run again
with the test run's full interpreter; the verdicts must be the same. See stock_macs.py.
"""

from __future__ import annotations

import json

from stock_macs import COLLECTION_PLAYBOOKS, CONTROLLER_ADDR, DNS, MAC_ADDRS, NXDOMAIN, REFUSED_HOST, SINKHOLED
from stock_macs import stock_macs_fixture  # noqa: F401  pylint: disable=unused-import

MACS = sorted(MAC_ADDRS)

SMOKE = """
- name: Smoke test of the stock Macs
  hosts: macs
  gather_facts: false
  tasks:
    - name: Ping
      ansible.builtin.ping:

    - name: Python facts
      ansible.builtin.setup:
        gather_subset: [min]
        filter: [ansible_python]

    - name: The SSH session
      ansible.builtin.command: printenv SSH_CONNECTION
      changed_when: false

    - name: The resolver
      ansible.builtin.command: cat /etc/resolv.conf
      changed_when: false

    - name: Import dnspython
      ansible.builtin.command: "{{ ansible_python_interpreter }} -c 'import dns'"
      changed_when: false
      failed_when: false

    - name: Import cryptography
      ansible.builtin.command: "{{ ansible_python_interpreter }} -c 'import cryptography'"
      changed_when: false
      failed_when: false
"""

# Explicit targets: one per verdict the stock Mac must tell apart without dnspython or cryptography.
TARGETS = [
    {"host": "swscan.apple.com", "port": 443},                     # chain from the test anchor: ok
    {"host": "swcdn.apple.com", "port": 443},                      # chain from the Macs' corporate CA: intercepted
    {"host": REFUSED_HOST, "port": 443},                           # no listener: refused
    {"host": NXDOMAIN, "port": 443},                               # nxdomain
    {"host": SINKHOLED, "port": 443},                              # 0.0.0.0: sinkhole
    {"host": "time.apple.com", "port": 123, "protocol": "udp"},    # SNTP server: ok
]
EXPECTED = {
    # Both verdicts need the handshakes and the chain checks, done with the standard library alone.
    "swscan.apple.com:443/tcp": "ok",
    "swcdn.apple.com:443/tcp": "intercepted",
    "%s:443/tcp" % REFUSED_HOST: "refused",
    "%s:443/tcp" % NXDOMAIN: "nxdomain",
    "%s:443/tcp" % SINKHOLED: "sinkhole",
    "time.apple.com:123/udp": "ok",
}


def _key(target):
    return "%s:%s/%s" % (target.get("host") or target.get("pattern"), target.get("port"), target.get("protocol") or "tcp")


def _verdicts(results):
    """``[(target key, verdict)]`` in the module's order (a target may be listed by the catalog and explicitly)."""
    return [(_key(r["target"]), r["verdict"]) for r in results]


def _explicit(results):
    wanted = set(EXPECTED)
    return dict((key, verdict) for key, verdict in _verdicts(results) if key in wanted)


def test_smoke_macs_run_bare_python39_over_ssh(stock_macs, run_playbook):
    run = run_playbook(SMOKE, inventory=stock_macs.inventory("stock"), netns=stock_macs.controller)
    assert run.rc == 0, run
    for mac in MACS:
        assert run.results("Ping", mac)["ping"] == "pong"
        python = run.results("Python facts", mac)["ansible_facts"]["ansible_python"]
        assert python["executable"] == stock_macs.stock_python, python
        assert python["version"]["major"] == 3 and python["version"]["minor"] == 9, python
        # The controller (its namespace's address) reached this Mac's own sshd on port 22.
        session = run.results("The SSH session", mac)["stdout"].split()
        assert session[0] == CONTROLLER_ADDR and session[2:] == [MAC_ADDRS[mac], "22"], session
        assert "nameserver %s" % DNS in run.results("The resolver", mac)["stdout"]
        for task, module in (("Import dnspython", "dns"), ("Import cryptography", "cryptography")):
            result = run.results(task, mac)
            assert result["rc"] != 0 and "No module named '%s'" % module in result["stderr"], result
        assert "Accepted publickey for root" in stock_macs.sshd_log(mac)

    full = run_playbook(SMOKE, inventory=stock_macs.inventory("full"), netns=stock_macs.controller)
    assert full.rc == 0, full
    for mac in MACS:
        assert full.results("Python facts", mac)["ansible_facts"]["ansible_python"]["executable"] == stock_macs.full_python
        assert full.results("Import dnspython", mac)["rc"] == 0, "the comparison interpreter has dnspython"
        assert full.results("Import cryptography", mac)["rc"] == 0, "the comparison interpreter has cryptography"


def _probe(stock_macs, run_playbook, variant):
    out = stock_macs.output_dir("probe-%s" % variant)
    extra = {"macfleet_probe_hosts": "macs", "macfleet_probe_output_dir": str(out),
             "macfleet_probe_targets": TARGETS, "macfleet_probe_used_by": ["Software Update"],
             "macfleet_probe_ca_bundle": str(stock_macs.ca_bundle), "macfleet_probe_timeout": 10,
             "macfleet_probe_trust_anchors": [str(stock_macs.anchor_file)]}
    run = run_playbook(str(COLLECTION_PLAYBOOKS / "probe.yml"), inventory=stock_macs.inventory(variant), extra_vars=extra,
                       netns=stock_macs.controller)
    assert run.rc == 0, "%s interpreter: %r" % (variant, run)
    assert sorted(p.name for p in out.glob("*.json")) == ["%s.json" % mac for mac in MACS], run
    return dict((mac, _checked(out / ("%s.json" % mac), variant)) for mac in MACS)


def _checked(path, variant):
    """A host's result set, which must come from a probe that ran (not an "unchecked" placeholder)."""
    data = json.loads(path.read_text())
    assert "unchecked" not in data and data["results"], "%s interpreter, %s: %s" % (variant, path.name, data)
    return data


def test_probe_playbook_stock_equals_full(stock_macs, run_playbook):
    stock = _probe(stock_macs, run_playbook, "stock")
    full = _probe(stock_macs, run_playbook, "full")
    for mac in MACS:
        assert stock[mac]["host"] == mac
        assert _explicit(stock[mac]["results"]) == EXPECTED, stock[mac]["results"]
        assert _verdicts(stock[mac]["results"]) == _verdicts(full[mac]["results"]), (mac, stock[mac], full[mac])
        assert stock[mac]["summary"] == full[mac]["summary"]
    assert _verdicts(stock["mac1"]["results"]) == _verdicts(stock["mac2"]["results"])


def _readiness(stock_macs, run_playbook, variant):
    out = stock_macs.output_dir("readiness-%s" % variant)
    run = run_playbook(str(COLLECTION_PLAYBOOKS / "readiness.yml"), inventory=stock_macs.inventory(variant),
                       args=("-e", "macfleet_readiness_output_dir=%s" % out), netns=stock_macs.controller)
    assert run.rc == 0, "%s interpreter: %r" % (variant, run)
    for name in ("readiness.html", "readiness.json"):
        assert (out / name).is_file(), (name, run)
    assert sorted(p.name for p in (out / "results").glob("*.json")) == ["%s.json" % mac for mac in MACS]
    for mac in MACS:
        _checked(out / "results" / ("%s.json" % mac), variant)
    return json.loads((out / "readiness.json").read_text())


def _matrix(report):
    # Each Mac lists the answer id of each endpoint (None: not probed); the answers are listed once.
    keys = [endpoint["key"] for endpoint in report["endpoints"]]
    return dict((host["host"], dict((keys[column], None if answer is None else report["answers"][answer]["verdict"])
                                    for column, answer in enumerate(host["answers"]))) for host in report["hosts"])


def test_readiness_playbook_stock_equals_full(stock_macs, run_playbook):
    stock = _readiness(stock_macs, run_playbook, "stock")
    full = _readiness(stock_macs, run_playbook, "full")
    assert [h["host"] for h in stock["hosts"]] == MACS
    assert [h["host"] for h in full["hosts"]] == MACS
    assert stock["endpoint_count"] == full["endpoint_count"] > 0
    assert all(verdict for row in _matrix(stock).values() for verdict in row.values()), "every endpoint probed from each Mac"
    assert _matrix(stock) == _matrix(full)
    assert _matrix(stock)["mac1"] == _matrix(stock)["mac2"]
    assert stock["totals"] == full["totals"]
