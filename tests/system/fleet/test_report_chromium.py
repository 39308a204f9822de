# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The readiness report in a real browser: headless Chromium loads the page the module wrote
(from a file:// URL and from a loopback HTTP server), and the test reads the DOM Chromium built.
Screenshots are kept as artifacts in $MACFLEET_ARTIFACTS_DIR (default tests/output/artifacts)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from chromium_dom import CHROMIUM, Dom, chromium
from conftest import COLLECTION_ROOT, _ansible_env

FIXTURES = COLLECTION_ROOT / "tests" / "fixtures" / "probe_results"
ARTIFACTS = Path(os.environ.get("MACFLEET_ARTIFACTS_DIR", COLLECTION_ROOT / "tests" / "output" / "artifacts"))
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (hacking/bootstrap.sh installs it)")


def write_report(sources, dest):
    """The module, run by ansible on the controller, writes the page."""
    args = json.dumps({"src": [str(FIXTURES / s) for s in sources], "dest": str(dest)})
    proc = subprocess.run(["ansible", "localhost", "-m", "macfleet.apple_network.readiness_report", "-a", args],
                          capture_output=True, text=True, timeout=120, env=_ansible_env(), check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return Path(dest) / "readiness.html"


def png_size(path):
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def screenshot(url, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / name
    if target.exists():
        target.unlink()
    chromium(url, "--window-size=1280,1000", "--hide-scrollbars", "--screenshot=%s" % target)
    assert png_size(target) == (1280, 1000)
    assert target.stat().st_size > 20000  # a rendered page, not a blank one
    print("screenshot: %s" % target)
    return target


def test_mixed_results_in_chromium(scratch):
    page = write_report(["mixed"], scratch / "report")
    dom = Dom(chromium(page.as_uri(), "--dump-dom"))
    # 4 hosts x 5 endpoints, every cell coloured.
    assert len(dom.headers) == 5 and len(dom.cells) == 20
    assert {a["data-category"] for a in dom.cells.values()} == {"ok", "intercepted", "blocked", "dns", "skipped"}
    cell = dom.cells[("mac-02", "swscan.apple.com:443/tcp")]
    assert cell["data-category"] == "intercepted" and "c-intercepted" in cell["class"]
    assert "issuer seen: CN=Corp Proxy Inspection CA" in cell["title"]
    assert dom.cells[("mac-03", "gdmf.apple.com:443/tcp")]["data-category"] == "dns"
    assert dom.cells[("mac-02", "courier.push.apple.com:5223/tcp")]["data-category"] == "blocked"
    assert dom.cells[("mac-01", "time.apple.com:123/udp")]["data-category"] == "skipped"
    totals = {k[len("total-"):]: int(v) for k, v in dom.by_id.items() if k.startswith("total-")}
    assert totals == {"ok": 14, "intercepted": 1, "blocked": 2, "dns": 2, "skipped": 1, "error": 0, "not_probed": 0,
                      "cells": 20}
    assert dom.by_id["catalog-edition"] == "apple-2018-02-13"
    assert dom.by_id["host-count"] == "4" and dom.by_id["endpoint-count"] == "5"
    # Hostile text stayed text: no <b> or <script> element exists, the title was not rewritten.
    assert ("lab-<b>4</b>&x", "gdmf.apple.com:443/tcp") in dom.cells
    assert "b" not in dom.tags and "script" not in dom.tags
    assert dom.by_id["title"] == "Apple network readiness"
    shot = screenshot(page.as_uri(), "readiness-mixed.png")
    shutil.copy(page, shot.with_suffix(".html"))


def test_unchecked_hosts_path_and_trust_in_chromium(scratch):
    """Hosts that could not be checked have a row that says why; cells show the path, the trust and the re-signing CA."""
    page = write_report(["mixed", "unchecked", "path-trust"], scratch / "report")
    dom = Dom(chromium(page.as_uri(), "--dump-dom"))
    assert len(dom.headers) == 5 and len(dom.cells) == 25  # 5 checked hosts x 5 endpoints
    assert {h: a["data-reason"] for h, a in dom.unchecked.items()} == {
        "mac-12": "unreachable", "mac-13": "no_python", "mac-14": "module_error"}
    assert dom.unchecked["mac-12"]["colspan"] == "5"
    assert dom.texts[("unchecked", "mac-12")].startswith("not checked: unreachable \u2014 Failed to connect to the host via ssh")
    assert dom.texts[("unchecked", "mac-13")].startswith("not checked: no_python \u2014 ")
    # The module error's hostile text stayed text.
    assert "<script>document.title='pwned'</script>" in dom.texts[("unchecked", "mac-14")]
    assert "script" not in dom.tags and dom.by_id["title"] == "Apple network readiness"
    assert dom.by_id["unchecked-total"] == "3" and dom.by_id["unchecked-unreachable"] == "1"
    assert dom.by_id["host-count"] == "8" and dom.by_id["checked-host-count"] == "5"
    assert int(dom.by_id["total-cells"]) == 25
    swscan = dom.texts[("cell", "mac-11", "swscan.apple.com:443/tcp")]
    assert "via proxy 10.0.0.2:3128" in swscan and "re-signed by Corp Proxy Inspection CA" in swscan
    assert "trust: macOS Keychain (security verify-cert)" in swscan
    assert dom.cells[("mac-11", "swscan.apple.com:443/tcp")]["data-category"] == "intercepted"
    assert "bypassed by *.apple.com" in dom.texts[("cell", "mac-11", "gdmf.apple.com:443/tcp")]
    assert "PAC not evaluated" in dom.texts[("cell", "mac-11", "courier.push.apple.com:5223/tcp")]
    assert dom.cells[("mac-11", "courier.push.apple.com:5223/tcp")]["data-category"] == "blocked"  # pin_mismatch
    shot = screenshot(page.as_uri(), "readiness-unchecked-path-trust.png")
    shutil.copy(page, shot.with_suffix(".html"))


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_merged_slices_over_loopback_http(scratch, processes):
    page = write_report(["slice-a", "slice-b"], scratch / "report")
    port = _free_port()

    def ready():
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    processes.start([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                     "--directory", str(page.parent)], wait_for=ready)
    url = "http://127.0.0.1:%d/readiness.html" % port
    dom = Dom(chromium(url, "--dump-dom"))
    assert len(dom.headers) == 5 and len(dom.cells) == 15
    hosts = sorted({h for h, _e in dom.cells})
    assert hosts == ["mac-01", "mac-02", "mac-03"]
    # mac-02 ran in both slices: the later run (intercepted) is shown, the older all-ok run is listed as dropped.
    assert dom.cells[("mac-02", "swscan.apple.com:443/tcp")]["data-category"] == "intercepted"
    assert int(dom.by_id["total-intercepted"]) == 1 and int(dom.by_id["total-cells"]) == 15
    assert "duplicates" in dom.by_id and "slice-b/mac-02.json" in dom.by_id["duplicates"]
    screenshot(url, "readiness-two-slices.png")


def test_sections_and_remediation_in_chromium(scratch):
    """Cells grouped by catalog section; each failed cell says what to change, per section, following the row."""
    page = write_report(["sections"], scratch / "report")
    dom = Dom(chromium(page.as_uri(), "--dump-dom"))
    hostile = "<b>Lab</b> & <script>document.title='pwned'</script>"
    assert dom.sections == [("Device setup", 3), ("Device management", 3), ("Certificate validation", 1), (hostile, 1),
                            ("software-update-servers", 1), ("Explicit targets", 1)]
    assert dom.section_titles == ["Device setup", "Device management", "Certificate validation", hostile,
                                  "Software updates", "software-update-servers", "Explicit targets"]
    # One line per section, endpoint and answer, with the number of Macs it concerns.
    fix = {(section, endpoint, verdict): dom.texts[("fix", section, endpoint, verdict)]
           for section, endpoint, verdict in dom.fixes}
    # gdmf.apple.com: one column, listed in both its sections, with the line each row calls for.
    assert fix[("Device management", "gdmf.apple.com:443/tcp", "proxy_denied")] == \
        "allow CONNECT to gdmf.apple.com port 443 in the proxy's rules"
    assert fix[("Software updates", "gdmf.apple.com:443/tcp", "proxy_denied")] == \
        "send gdmf.apple.com DIRECT (Apple does not state that it works through a proxy)"
    assert fix[("Device management", "gdmf.apple.com:443/tcp", "intercepted")] == "exempt gdmf.apple.com from TLS inspection"
    assert fix[("Device setup", "gs.apple.com:443/tcp", "refused")] == "allow TCP 443 to gs.apple.com through the firewall"
    assert fix[("Device setup", "albert.apple.com:443/tcp", "nxdomain")].startswith("fix DNS: albert.apple.com does not resolve")
    assert fix[("Device management", "courier.push.apple.com:5223/tcp", "proxy_denied")].startswith("send *.push.apple.com DIRECT")
    assert fix[("Certificate validation", "crl.apple.com:80/tcp", "timeout")] == \
        "allow TCP 80 to crl.apple.com through the firewall"
    assert all(count == 1 for count in dom.fix_hosts.values())
    assert dom.headers.count("gdmf.apple.com:443/tcp") == 1
    assert dom.cells[("mac-22", "*.appattest.apple.com:443/tcp")]["data-category"] == "skipped"
    assert not any(endpoint.startswith("*.appattest") for _s, endpoint, _v in dom.fixes)
    assert "fix: exempt gdmf.apple.com from TLS inspection" in dom.cells[("mac-22", "gdmf.apple.com:443/tcp")]["title"]
    # The user catalog's hostile section name stayed text everywhere.
    assert "script" not in dom.tags and "b" not in dom.tags and dom.by_id["title"] == "Apple network readiness"
    shot = screenshot(page.as_uri(), "readiness-sections.png")
    shutil.copy(page, shot.with_suffix(".html"))


def _fleet(directory, count, failing_every=7, unchecked_every=50, groups=("london", "paris", "berlin")):
    """``count`` result files: every ``failing_every``-th Mac has mac-02's answers (intercepted, blocked), every
    ``unchecked_every``-th is unreachable, the rest has mac-01's (all OK but a skipped NTP row)."""
    directory.mkdir(parents=True)
    good = json.loads((FIXTURES / "mixed" / "mac-01.json").read_text())
    bad = json.loads((FIXTURES / "mixed" / "mac-02.json").read_text())
    unreachable = json.loads((FIXTURES / "unchecked" / "mac-12.json").read_text())
    for index in range(count):
        source = unreachable if index % unchecked_every == 1 else bad if index % failing_every == 3 else good
        data = dict(source, host="mac-%04d" % index, group=groups[index % len(groups)])
        (directory / ("mac-%04d.json" % index)).write_text(json.dumps(data))


def run_module(args):
    proc = subprocess.run(["ansible", "localhost", "-m", "macfleet.apple_network.readiness_report", "-a", json.dumps(args)],
                          capture_output=True, text=True, timeout=600, env=_ansible_env(), check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.split("=>", 1)[1])


def _numbers(text):
    return int(text.replace(",", ""))


def test_fleet_summary_counts_match_the_json_and_pages_stay_small(scratch):
    """300 Macs: the summary page's counts, read from the DOM Chromium built, equal the JSON export's; the Macs
    with a failing cell (and only those) are on matrix pages per group; no page exceeds the bound."""
    src = scratch / "results"
    _fleet(src, 300)
    dest = scratch / "report"
    result = run_module({"src": [str(src)], "dest": str(dest)})
    document = json.loads((dest / "readiness.json").read_text())
    dom = Dom(chromium((dest / "readiness.html").as_uri(), "--dump-dom"))
    totals = {k[len("total-"):]: int(v) for k, v in dom.by_id.items() if k.startswith("total-")}
    assert totals == document["totals"] == result["totals"]
    assert int(dom.by_id["host-count"]) == document["host_count"] == 300
    # Macs 3, 10, 17... fail; Mac 101 of them is unreachable instead.
    assert int(dom.by_id["failing-host-count"]) == document["failing_host_count"] == len(range(3, 300, 7)) - 1
    assert int(dom.by_id["unchecked-total"]) == document["unchecked"]["total"] == 6
    assert dom.by_id["conclusion"] == document["conclusion"] and "have failing endpoints" in document["conclusion"]
    # The summary has no matrix; the failing Macs are on the pages it links, every one of them once.
    assert not dom.cells
    pages = sorted(dest.glob("readiness-matrix-*.html"))
    assert [p.name for p in pages] == sorted("readiness-matrix-%s-1.html" % g for g in ("berlin", "london", "paris"))
    assert result["matrix_pages"]["count"] == 3
    rows = {}
    for page in pages:
        page_dom = Dom(chromium(page.as_uri(), "--dump-dom"))
        assert len(page_dom.cells) == len({h for h, _e in page_dom.cells}) * document["endpoint_count"]
        rows.update(dict.fromkeys(h for h, _e in page_dom.cells))
        assert all(cell["data-category"] != "intercepted" or "data-answer" in cell for cell in page_dom.cells.values())
    failing = sorted(h["host"] for h in document["hosts"] if h["unchecked"] is None
                     and any(h["counts"][c] for c in ("error", "blocked", "dns", "intercepted")))
    assert sorted(rows) == failing
    for path in [dest / "readiness.html"] + pages:
        assert path.stat().st_size < 5 * 1024 * 1024, path
    assert len(json.dumps(result)) <= 32 * 1024
    shot = screenshot((dest / "readiness.html").as_uri(), "readiness-fleet-summary.png")
    shutil.copy(dest / "readiness.html", shot.with_suffix(".html"))


def test_second_run_shows_the_drift_and_fail_on_regression(scratch, run_playbook):
    """Two runs of the report playbook: the second's drift lists the cell that got worse, per group, and
    macfleet_report_fail_on [regression] fails the second job only."""
    src = scratch / "results"
    _fleet(src, 12, failing_every=100, unchecked_every=100)
    dest = scratch / "report"
    args = {"macfleet_report_src": [str(src)], "macfleet_report_dest": str(dest), "macfleet_report_fail_on": ["regression"]}
    first = run_playbook(str(COLLECTION_ROOT / "playbooks" / "report.yml"), extra_vars=args)
    assert first.rc == 0, first
    worse = json.loads((src / "mac-0004.json").read_text())
    worse["generated_at"] = "2024-05-02T10:00:00Z"
    worse["results"][0].update(status="failed", verdict="timeout", category="blocked", message="timed out")
    (src / "mac-0004.json").write_text(json.dumps(worse))
    second = run_playbook(str(COLLECTION_ROOT / "playbooks" / "report.yml"), extra_vars=args)
    assert second.rc == 2, second
    drift = json.loads((dest / "readiness.json").read_text())["drift"]
    assert drift["counts"]["regressions"] == 1 and drift["counts"]["worse"] == 1
    assert [(c["host"], c["group"], c["before"]["category"], c["after"]["category"]) for c in drift["regressions"]] == [
        ("mac-0004", "paris", "ok", "blocked")]
    dom = Dom(chromium((dest / "readiness.html").as_uri(), "--dump-dom"))
    assert dom.by_id["drift-regressions"] == "1" and dom.by_id["drift-fixed"] == "0"
