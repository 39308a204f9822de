# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""playbooks/readiness.yml with its defaults against the probe test network (dnsmasq records, TLS servers, a closed
port, a blackholed address, SNTP): the current edition's Device setup, Device management, Software updates and
Certificate validation hosts are probed with the 2018 groups, each host:port once, and the report groups the cells
by section with one remediation line per failed cell, checked in the DOM headless Chromium builds."""

from __future__ import annotations

import json
import os
import plistlib
import shutil
import sys

import pacparser
import pytest

from chromium_dom import CHROMIUM, Dom, chromium
from probe_env import COLLECTION_PLAYBOOKS, NXDOMAIN, SINKHOLED

SECTIONS = ["Device setup", "Device management", "Software updates", "Certificate validation"]


def check_bypass_artifacts(artifacts):
    """The artifacts cover the probe's selection (2018 groups and sections) and follow the supports_proxies column."""
    bypass = (artifacts / "macos-bypass-list.txt").read_text().split()
    # DIRECT: the 2018 hosts (no column), not-stated rows of the sections, APNs (see_note), and gdmf.apple.com,
    # which is "yes" under Device management but not stated under Software updates.
    for entry in ("swscan.apple.com", "albert.apple.com", "deviceenrollment.apple.com", "*.push.apple.com",
                  "push.apple.com", "ocsp.apple.com", "gdmf.apple.com"):
        assert entry in bypass, entry
    # Proxy-capable rows keep the proxy; hosts outside the selection are not there at all.
    for entry in ("iprofiles.apple.com", "mdmenrollment.apple.com", "captive.apple.com", "*.icloud.com"):
        assert entry not in bypass, entry
    with open(artifacts / "apple-proxy.mobileconfig", "rb") as handle:
        profile = plistlib.load(handle)
    (payload,) = [p for p in profile["PayloadContent"] if p["PayloadType"] == "com.apple.SystemConfiguration"]
    assert payload["Proxies"]["ExceptionsList"] == bypass
    pacparser.init()
    try:
        pacparser.parse_pac_file(str(artifacts / "apple-bypass.pac"))
        verdicts = dict((name, pacparser.find_proxy("https://%s/" % name, name)) for name in (
            "deviceenrollment.apple.com", "courier.push.apple.com", "gdmf.apple.com", "swscan.apple.com",
            "iprofiles.apple.com", "mdmenrollment.apple.com", "www.icloud.com"))
    finally:
        pacparser.cleanup()
    proxy = "PROXY proxy.example.com:3128; DIRECT"
    assert verdicts == {"deviceenrollment.apple.com": "DIRECT", "courier.push.apple.com": "DIRECT",
                        "gdmf.apple.com": "DIRECT", "swscan.apple.com": "DIRECT", "iprofiles.apple.com": proxy,
                        "mdmenrollment.apple.com": proxy, "www.icloud.com": proxy}


def test_default_readiness_run_groups_cells_by_section_with_remediation(probe_net, run_playbook, scratch):
    out = scratch / "readiness-sections"
    inventory = scratch / "readiness.ini"
    inventory.write_text("[macs]\nmac-ns ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    run = run_playbook(str(COLLECTION_PLAYBOOKS / "readiness.yml"), inventory=str(inventory), netns=probe_net.client,
                       extra_vars={"macfleet_readiness_output_dir": str(out), "macfleet_readiness_timeout": 8})
    assert run.rc == 0, run
    check_bypass_artifacts(out / "artifacts")
    probe = json.loads((out / "results" / "mac-ns.json").read_text())
    if os.environ.get("MACFLEET_CAPTURE_RESULT_SET"):
        # The fleet benchmark's real probe results (tests/fixtures/fleet/mac-ns.json) are this result set.
        shutil.copy(out / "results" / "mac-ns.json", os.environ["MACFLEET_CAPTURE_RESULT_SET"])
    targets = [r["target"] for r in probe["results"]]
    keys = [(t["host"] or t["pattern"], t["port"], t["protocol"]) for t in targets]
    assert len(keys) == len(set(keys)), "every host:port/protocol is probed once"
    assert {r["section"] for t in targets for r in t["rows"] if r["section"]} == set(SECTIONS)
    by_key = dict(("%s:%s/%s" % key, result) for key, result in zip(keys, probe["results"]))
    gdmf = by_key["gdmf.apple.com:443/tcp"]
    assert [r["section"] for r in gdmf["target"]["rows"]] == ["Device management", "Software updates"]
    assert gdmf["verdict"] == "refused"
    # APNs is probed at courier.push.apple.com (the maintainers' name for the wildcard); App Attest has none.
    push = [by_key["courier.push.apple.com:%d/tcp" % port] for port in (443, 80, 5223, 2197)]
    assert all(r["verdict"] != "skipped" and r["target"]["rows"][0]["probe_host_origin"] == "maintainers" for r in push)
    appattest = by_key["*.appattest.apple.com:443/tcp"]
    assert appattest["verdict"] == "skipped" and "no concrete probe host" in appattest["message"]
    cdn = by_key["updates.cdn-apple.com:443/tcp"]["target"]
    assert [(r["pattern"], r["probe_host_origin"]) for r in cdn["rows"]][0] == ("*.cdn-apple.com", "maintainers")

    report = json.loads((out / "readiness.json").read_text())
    sections = dict((s["section"], s) for s in report["sections"])
    assert [s["section"] for s in report["sections"]][:4] == SECTIONS
    assert {"software-update-servers", "enterprise-networks"} <= set(sections)
    lines = dict((name, {(f["endpoint"], f["remediation"]) for f in s["fixes"]}) for name, s in sections.items())
    firewall = ("gdmf.apple.com:443/tcp", "allow TCP 443 to gdmf.apple.com through the firewall")
    assert firewall in lines["Device management"] and firewall in lines["Software updates"]
    assert ("xp.apple.com:443/tcp", "allow TCP 443 to xp.apple.com through the firewall") in lines["Software updates"]
    assert ("%s:443/tcp" % NXDOMAIN, "fix DNS: %s does not resolve (NXDOMAIN: the name server says the name does not "
                                     "exist)" % NXDOMAIN) in lines["Device setup"]
    assert ("%s:443/tcp" % SINKHOLED, "fix DNS: %s resolves to a sinkhole address; take it off the DNS filter's block "
                                      "list" % SINKHOLED) in lines["Software updates"]
    # No trust anchors given: the test servers' chains verify against nothing.
    assert ("iprofiles.apple.com:443/tcp", "exempt iprofiles.apple.com from TLS inspection (a certificate that no trust "
                                           "store accepts was served)") in lines["Device management"]
    # The SNTP server answers time.apple.com: nothing to change there.
    assert not any(endpoint == "time.apple.com:123/udp" for endpoint, _line in lines["Device setup"])

    if CHROMIUM is None:
        pytest.skip("chromium is not installed (hacking/bootstrap.sh installs it)")
    dom = Dom(chromium((out / "readiness.html").as_uri(), "--dump-dom"))
    assert dom.section_titles[:4] == SECTIONS
    assert [name for name, _span in dom.sections][:4] == SECTIONS
    assert sum(span for _name, span in dom.sections) == len(dom.headers) == report["endpoint_count"]
    fixes = dict(((section, endpoint), dom.texts[("fix", section, endpoint, verdict)])
                 for section, endpoint, verdict in dom.fixes)
    assert fixes[("Device management", "gdmf.apple.com:443/tcp")] == firewall[1]
    assert fixes[("Software updates", "gdmf.apple.com:443/tcp")] == firewall[1]
    assert fixes[("Device setup", "%s:443/tcp" % NXDOMAIN)].startswith("fix DNS: %s does not resolve" % NXDOMAIN)
    assert len(dom.fixes) == sum(len(s["fixes"]) for s in report["sections"])
    assert dom.cells[("mac-ns", "*.appattest.apple.com:443/tcp")]["data-category"] == "skipped"
