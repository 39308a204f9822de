# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One catalog for the whole job: a user catalog file given once, as the group variable
``macfleet_apple_network_catalog_files``, reaches the readiness job's probe on two Macs over SSH
(the probe task itself names no catalog file) and its host appears in the report.

The user host's name resolves, on the Macs only, to the fixture's TLS server (each Mac's own
``/etc/netns/<mac>/hosts``, removed with its namespace); its certificate is not issued for that name,
so the verdict is a TLS failure: what matters is that the host was probed from each Mac, not named by DNS.
"""

from __future__ import annotations

import json
from pathlib import Path

from stock_macs import ADDR, COLLECTION_PLAYBOOKS, MAC_ADDRS
from stock_macs import stock_macs_fixture  # noqa: F401  pylint: disable=unused-import

USER_HOST = "mdm.example-corp.test"
MACS = sorted(MAC_ADDRS)
DNS_VERDICTS = ("nxdomain", "dns_error", "dns_timeout", "dns_refused", "servfail")

CATALOG = """\
catalog_format: 1
edition: example-corp-test
published: "2026-01-01"
sources:
  example-corp:
    title: Example Corp network requirements
    published: "2026-01-01"
hosts:
  - source: example-corp
    host: %s
    section: Device management
    ports: 443
    protocols: tcp
    used_by: MDM
""" % USER_HOST


def test_group_variable_catalog_reaches_readiness_probe_over_ssh(stock_macs, run_playbook, tmp_path):
    catalog = tmp_path / "example-corp.yml"
    catalog.write_text(CATALOG)
    for mac, ns in stock_macs.macs.items():
        with open(Path("/etc/netns") / ns / "hosts", "a") as hosts:
            hosts.write("%s %s\n" % (ADDR["good"], USER_HOST))
    inventory = Path(stock_macs.inventory("stock"))
    # Given once, for the whole job: the [all:vars] group, as a user's group_vars/all.yml would.
    inventory.write_text(inventory.read_text() + "[all:vars]\nmacfleet_apple_network_catalog_files=['%s']\n" % catalog)
    out = stock_macs.output_dir("readiness-user-catalog")
    run = run_playbook(str(COLLECTION_PLAYBOOKS / "readiness.yml"), inventory=str(inventory),
                       args=("-e", "macfleet_readiness_output_dir=%s" % out, "-e", "macfleet_readiness_timeout=5"),
                       netns=stock_macs.controller)
    assert run.rc == 0, [(t["task"]["name"], h, r.get("msg")) for t in run.tasks() for h, r in t["hosts"].items()
                         if r.get("failed") or r.get("unreachable")] or run
    for mac in MACS:
        results = json.loads((out / "results" / ("%s.json" % mac)).read_text())["results"]
        probed = [r for r in results if r["target"].get("host") == USER_HOST]
        assert probed, "%s: the user catalog's host was not probed: %s" % (mac, [r["target"].get("host") for r in results])
        assert probed[0]["target"]["source"] == "example-corp", probed[0]["target"]
        # Probed from the Mac over its own network (its hosts file), not a name lookup that failed.
        assert probed[0]["verdict"] not in DNS_VERDICTS, probed[0]
    report = json.loads((out / "readiness.json").read_text())
    endpoints = [endpoint for endpoint in report["endpoints"] if endpoint["host"] == USER_HOST]
    assert endpoints, "the user host is not among the report's endpoints"
    assert sum(endpoints[0]["counts"].values()) == len(MACS), endpoints[0]
    assert USER_HOST in (out / "readiness.html").read_text()
