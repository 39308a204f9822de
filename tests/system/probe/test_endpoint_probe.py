# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""endpoint_probe against real components: dnsmasq, trustme TLS servers, nftables, SNTP, squid, mitmproxy.

Every test runs twice (fixture ``interpreter``): with a bare Python 3.9 standing in for a Mac's Command Line
Tools Python, and with the venv's Python that has dnspython and cryptography. The verdicts asserted are the
same for both; only the detail that the optional libraries add is checked per interpreter. The client's
system resolver is the test dnsmasq (``/etc/netns/<client>/resolv.conf``).
"""

from __future__ import annotations

import datetime
import json

from probe_env import ADDR, COLLECTION_PLAYBOOKS, DNS, NO_ADDRESS, NXDOMAIN, SILENT, SINKHOLED, SPLIT_DNS

PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
%s
"""


def task(name, args, ignore_errors=False):
    text = "    - name: %s\n      macfleet.apple_network.endpoint_probe: %s\n" % (name, json.dumps(args))
    if ignore_errors:
        text += "      ignore_errors: true\n"
    return text


def by_host(result):
    return dict(("%s:%s" % (r["target"]["host"], r["target"]["port"]), r) for r in result["results"])


def base_args(net, **extra):
    """The test anchor is the only "Apple" anchor; ca_bundle stands for the host's own trust (corporate CA, copycat)."""
    args = {"trust_anchors": [str(net.anchor_file)], "ca_bundle": str(net.ca_bundle), "timeout": 10,
            "step_timeouts": {"tcp": 2, "tls": 3, "dns": 2, "ntp": 2}}
    args.update(extra)
    return args


def test_direct_verdicts(probe_net, probe_playbook):
    full = probe_playbook.interpreter == "full"
    targets = [
        {"host": "swscan.apple.com", "port": 443, "http": {"expected_status": [403]}},
        {"host": "updates.cdn-apple.com", "port": 443, "pattern": "*.cdn-apple.com"},
        {"host": "swcdn.apple.com", "port": 443},
        {"host": "gs.apple.com", "port": 443},
        {"host": "xp.apple.com", "port": 443},
        {"host": SINKHOLED, "port": 443},
        {"host": NXDOMAIN, "port": 443},
        {"host": "unknown.example.net", "port": 443},
        {"host": "time.apple.com", "port": 123, "protocol": "udp"},
        {"host": "time-silent.apple.com", "port": 123, "protocol": "udp"},
        {"host": "time-kiss.apple.com", "port": 123, "protocol": "udp"},
        {"host": ADDR["good"], "port": 443, "http": {"expected_status": [200]}, "required": False},
        {"host": "iprofiles.apple.com", "port": 443},
        {"host": "identity.apple.com", "port": 443},
        {"host": SILENT, "port": 443},
        {"host": SPLIT_DNS, "port": 443},
    ]
    play = PLAY % task("Probe directly", base_args(probe_net, targets=targets))
    run = probe_playbook(play, netns=probe_net.client)
    assert run.rc == 0, run
    result = run.results("Probe directly", "localhost")
    assert result["changed"] is False
    got = by_host(result)

    ok = got["swscan.apple.com:443"]
    assert (ok["verdict"], ok["status"], ok["category"]) == ("ok", "ok", "ok"), ok
    assert ok["dns"]["addresses"] == [ADDR["good"]] and ok["dns"]["source"] == "system resolver (getaddrinfo)"
    # dnspython, where installed, adds its own view of the same answer; it never decides
    assert ok["dns"]["rcode"] == ("NOERROR" if full else None)
    assert ("dnspython" in ok["dns"]) is full and ok["dns"].get("disagreement") is None
    assert ok["tcp"]["connected"] is True and ok["tcp"]["address"] == ADDR["good"]
    assert ok["tls"]["verified"] is True and ok["tls"]["interception"] is False
    assert ok["tls"]["trust"]["decided_by"] == "anchors" and "trust_anchors (1)" in ok["tls"]["trust"]["anchors"]
    assert ok["tls"]["trust"]["host_trust"] is None, "the host's trust is not asked when the anchors decide"
    assert ok["tls"]["issuer_name_match"] == "Apple Inc."
    assert ok["tls"]["chain"][0]["sha256"] and "O=Apple Inc." in ok["tls"]["chain"][0]["issuer"]
    # Read by the stdlib DER reader, so the same on the stock interpreter as with cryptography installed.
    assert ok["tls"]["chain"][0]["subject_alt_names"][-2:] == ["127.0.0.1", ADDR["good"]]
    assert ok["path"] == {"source": "none", "mode": "direct", "proxy": None, "bypass_entry": None, "note": None}
    assert ok["http"]["status"] == 403
    assert all(ok["timings_ms"][k] is not None for k in ("dns", "tcp", "tls", "http", "total"))

    assert got["updates.cdn-apple.com:443"]["verdict"] == "ok"
    assert got["updates.cdn-apple.com:443"]["target"]["pattern"] == "*.cdn-apple.com"

    corp = got["swcdn.apple.com:443"]
    assert (corp["verdict"], corp["status"], corp["category"]) == ("intercepted", "intercepted", "intercepted"), corp
    assert corp["tls"]["verified"] is True, "the corporate CA is trusted, so the chain verifies"
    assert corp["tls"]["interception"] is True and corp["tls"]["trust"]["decided_by"] == "host_trust"
    assert corp["tls"]["trust"]["host_trust"] == "ca_bundle %s" % probe_net.ca_bundle
    assert corp["tls"]["resigned_by"] == "Example Corp Proxy" or "Example Corp Proxy" in corp["tls"]["resigned_by"]
    assert "re-signed by" in corp["message"] and "Example Corp Proxy" in corp["message"]
    assert any("Example Corp Proxy" in issuer for issuer in corp["tls"]["issuers_seen"])

    # A locally trusted CA that copies Apple's name is still interception: names are evidence only.
    copycat = got["iprofiles.apple.com:443"]
    assert copycat["verdict"] == "intercepted", copycat
    assert copycat["tls"]["resigned_by"] == "Apple Public Server RSA CA 12 - G1"
    assert copycat["tls"]["issuer_name_match"] == "Apple Inc."

    untrusted = got["identity.apple.com:443"]
    assert (untrusted["verdict"], untrusted["status"], untrusted["category"]) == ("untrusted", "failed", "blocked"), untrusted
    assert untrusted["tls"]["verified"] is False
    assert untrusted["tls"]["chain"][0]["issuer"] == untrusted["tls"]["chain"][0]["subject"], "self-signed"
    assert "verifies neither" in untrusted["message"]

    # The system resolver decides (as on a Mac with /etc/resolver or VPN split DNS); dnspython's different view is
    # reported beside it, never instead of it.
    split = got["%s:443" % SPLIT_DNS]
    assert split["verdict"] == "ok" and split["dns"]["addresses"] == [ADDR["good"]], split
    if full:
        assert split["dns"]["dnspython"]["verdict"] == "servfail", split["dns"]
        assert "the system resolver says ok, dnspython (/etc/resolv.conf) says servfail" in split["dns"]["disagreement"]
    else:
        assert "dnspython" not in split["dns"] and split["dns"].get("disagreement") is None

    silent = got["%s:443" % SILENT]
    assert (silent["verdict"], silent["category"]) == ("dns_timeout", "dns"), silent
    assert "within 2.0 s" in silent["message"]

    refused = got["gs.apple.com:443"]
    assert (refused["verdict"], refused["category"]) == ("refused", "blocked"), refused
    assert refused["tcp"]["connected"] is False

    dropped = got["xp.apple.com:443"]
    assert (dropped["verdict"], dropped["status"], dropped["category"]) == ("timeout", "failed", "blocked"), dropped
    assert 1500 <= dropped["timings_ms"]["tcp"] <= 4000

    sink = got["%s:443" % SINKHOLED]
    assert (sink["verdict"], sink["category"]) == ("sinkhole", "dns"), sink
    assert sink["dns"]["sinkholed"] == ["0.0.0.0"] and sink["tcp"] is None

    nx = got["%s:443" % NXDOMAIN]
    assert (nx["verdict"], nx["category"]) == ("nxdomain", "dns") and nx["dns"]["eai"] == "EAI_NONAME", nx
    assert nx["dns"]["rcode"] == ("NXDOMAIN" if full else None)

    refused_dns = got["unknown.example.net:443"]
    assert refused_dns["verdict"] == "servfail" and refused_dns["dns"]["eai"] == "EAI_AGAIN", refused_dns
    assert refused_dns["dns"]["rcode"] == ("REFUSED" if full else None)

    ntp = got["time.apple.com:123"]
    assert ntp["verdict"] == "ok" and ntp["ntp"]["reply"] is True and ntp["ntp"]["stratum"] == 2, ntp
    assert abs(ntp["ntp"]["offset_ms"]) < 1000
    silent = got["time-silent.apple.com:123"]
    assert (silent["verdict"], silent["category"]) == ("ntp_no_reply", "blocked"), silent
    kiss = got["time-kiss.apple.com:123"]
    assert kiss["verdict"] == "ntp_invalid" and kiss["ntp"]["kiss_code"] == "DENY", kiss

    wrong_status = got["%s:443" % ADDR["good"]]
    assert wrong_status["verdict"] == "http_unexpected_status" and wrong_status["http"]["status"] == 403, wrong_status

    assert result["summary"] == {"total": 16, "ok": 4, "failed": 10, "intercepted": 2, "skipped": 0, "error": 0}
    assert result["environment"]["dnspython"] is full and result["environment"]["cryptography"] is full
    assert result["environment"]["resolver"] == "system resolver (getaddrinfo)"


def test_issuer_fingerprints_and_fail_on(probe_net, probe_playbook):
    targets = [{"host": "swscan.apple.com", "port": 443}, {"host": "swcdn.apple.com", "port": 443, "required": False}]
    # Without the test anchor only a pin can make a chain ok; the host trusts both CAs.
    pinned_only = dict(base_args(probe_net, targets=targets), trust_anchors=[], ca_bundle=str(probe_net.both_bundle))
    play = PLAY % (
        task("Pin the expected CA", dict(pinned_only, expected_issuers=[probe_net.expected_fingerprint]))
        + task("Pin the corporate CA", dict(pinned_only, expected_issuers=[probe_net.corp_fingerprint.upper()]))
        + task("Fail on required", base_args(probe_net, targets=targets, fail_on="required"))
        + task("Fail on any", base_args(probe_net, targets=targets, fail_on="any"), ignore_errors=True))
    run = probe_playbook(play, netns=probe_net.client)
    pinned = by_host(run.results("Pin the expected CA", "localhost"))
    assert pinned["swscan.apple.com:443"]["verdict"] == "ok", pinned["swscan.apple.com:443"]
    assert pinned["swscan.apple.com:443"]["tls"]["matched_issuer"] == probe_net.expected_fingerprint
    assert pinned["swscan.apple.com:443"]["tls"]["trust"]["decided_by"] == "pin"
    assert pinned["swcdn.apple.com:443"]["verdict"] == "intercepted"
    corp = by_host(run.results("Pin the corporate CA", "localhost"))
    assert corp["swscan.apple.com:443"]["verdict"] == "intercepted", "trusted by the host, but not the pinned CA"
    assert corp["swcdn.apple.com:443"]["verdict"] == "ok"
    assert run.results("Fail on required", "localhost").get("failed") is not True
    failed = run.results("Fail on any", "localhost")
    assert failed["failed"] is True
    assert failed["msg"].startswith("1 target of 2 failed or intercepted: swcdn.apple.com:443/tcp: intercepted")
    assert failed["summary"]["intercepted"] == 1


def test_catalog_selectors(probe_net, probe_playbook):
    play = PLAY % (task("Software Update hosts", base_args(probe_net, used_by=["Software Update"]))
                   + task("Other hosts", base_args(probe_net, groups=["other"], timeout=6)))
    run = probe_playbook(play, netns=probe_net.client)
    assert run.rc == 0, run
    result = run.results("Software Update hosts", "localhost")
    assert result["catalog_edition"] == "apple-2018-02-13 + apple-2026-08-07"
    got = by_host(result)
    hosts = ("swcdn.apple.com", "swdownload.apple.com", "swquery.apple.com", "swscan.apple.com")
    assert sorted(got) == sorted("%s:%d" % (h, p) for h in hosts for p in (80, 443))
    swscan = got["swscan.apple.com:443"]
    assert swscan["verdict"] == "ok"
    assert swscan["target"]["id"] == "software-update-servers/swscan.apple.com"
    assert swscan["target"]["source"] == "software-update-servers" and swscan["target"]["required"] is True
    assert swscan["target"]["service"]
    assert got["swcdn.apple.com:443"]["verdict"] == "intercepted"
    assert got["swscan.apple.com:80"]["verdict"] == "refused"
    assert got["swquery.apple.com:443"]["verdict"] == "servfail"
    other = run.results("Other hosts", "localhost")
    skipped = [r for r in other["results"] if r["status"] == "skipped"]
    assert [r["target"]["pattern"] for r in skipped] == ["*.amazonaws.com"]
    assert skipped[0]["target"]["host"] is None and "no concrete probe host" in skipped[0]["message"]
    assert skipped[0]["category"] == "skipped"
    assert other["summary"]["skipped"] == 1


def test_through_squid(probe_net, probe_playbook):
    args = base_args(probe_net, proxy=probe_net.squid_url, targets=[
        {"host": "swscan.apple.com", "port": 443, "http": {"expected_status": [403]}},
        {"host": "gs.apple.com", "port": 443}])
    run = probe_playbook(PLAY % task("Through squid", args), netns=probe_net.client)
    got = by_host(run.results("Through squid", "localhost"))
    tunnel = got["swscan.apple.com:443"]
    assert tunnel["verdict"] == "ok", tunnel
    assert tunnel["proxy"]["tunnel"] is True and tunnel["proxy"]["status"] == 200
    assert tunnel["proxy"]["intercepted"] is False and tunnel["tls"]["verified"] is True
    assert tunnel["http"]["status"] == 403
    assert tunnel["dns"]["skipped"] == "the proxy resolves the name"
    assert tunnel["path"] == {"source": "option", "mode": "proxy", "proxy": "%s:3128" % DNS, "bypass_entry": None, "note": None}
    denied = got["gs.apple.com:443"]
    assert (denied["verdict"], denied["category"]) == ("proxy_denied", "blocked"), denied
    assert denied["proxy"]["status"] == 403 and denied["proxy"]["tunnel"] is False


def test_through_mitmproxy(probe_net, probe_playbook):
    url = probe_net.start_mitmproxy()
    targets = [{"host": "swscan.apple.com", "port": 443}]
    trusted = base_args(probe_net, proxy=url, targets=targets, step_timeouts={"tcp": 5, "tls": 5},
                        ca_bundle=str(probe_net.mitm_bundle))
    not_trusted = base_args(probe_net, proxy=url, targets=targets, step_timeouts={"tcp": 5, "tls": 5})
    run = probe_playbook(PLAY % (task("Through mitmproxy", trusted) + task("Untrusted mitmproxy", not_trusted)),
                         netns=probe_net.client)
    got = by_host(run.results("Through mitmproxy", "localhost"))
    mitm = got["swscan.apple.com:443"]
    assert (mitm["verdict"], mitm["status"]) == ("intercepted", "intercepted"), mitm
    assert mitm["proxy"]["tunnel"] is True and mitm["proxy"]["intercepted"] is True
    assert mitm["tls"]["verified"] is True and mitm["tls"]["interception"] is True
    assert "mitmproxy" in mitm["tls"]["resigned_by"] and "mitmproxy" in mitm["message"], mitm["tls"]
    assert any("mitmproxy" in issuer for issuer in mitm["tls"]["issuers_seen"]), mitm["tls"]
    # The same proxy whose CA this host does not trust: its own verdict, the issuer named as evidence.
    (untrusted,) = run.results("Untrusted mitmproxy", "localhost")["results"]
    assert untrusted["verdict"] == "untrusted" and "mitmproxy" in untrusted["message"], untrusted


def test_dns_tls_and_proxy_failures(probe_net, probe_playbook):
    """The verdicts of a name without addresses, a silent name server, a peer that does not speak TLS, a bad proxy."""
    direct = base_args(probe_net, targets=[
        {"host": NO_ADDRESS, "port": 443},
        {"host": DNS, "port": 3128, "tls": True},  # squid's plain-HTTP port answers a TLS ClientHello with an HTTP error
    ])
    # nameservers asks those servers directly, with dnspython; a stock interpreter refuses it, naming the option.
    silent_dns = base_args(probe_net, nameservers=[ADDR["blackhole"]], step_timeouts={"dns": 1},
                           targets=[{"host": "swscan.apple.com", "port": 443}])
    full = probe_playbook.interpreter == "full"
    no_proxy = base_args(probe_net, proxy="http://%s:3128" % ADDR["closed"], targets=[{"host": "swscan.apple.com", "port": 443}])
    tls_as_proxy = base_args(probe_net, proxy="http://%s:443" % ADDR["good"], targets=[{"host": "swscan.apple.com", "port": 443}])
    play = PLAY % (task("Direct", direct) + task("Silent name server", silent_dns, ignore_errors=not full)
                   + task("Closed proxy", no_proxy)
                   + task("Not a proxy", tls_as_proxy))
    run = probe_playbook(play, netns=probe_net.client)
    assert run.rc == 0, run  # fail_on defaults to never: failures are reported, not raised
    got = by_host(run.results("Direct", "localhost"))

    missing = got["%s:443" % NO_ADDRESS]
    assert (missing["verdict"], missing["category"]) == ("no_answer", "dns"), missing
    assert missing["dns"]["addresses"] == [] and missing["tcp"] is None and missing["dns"]["eai"] == "EAI_NODATA"
    assert missing["dns"]["rcode"] == ("NOERROR" if full else None)

    not_tls = got["%s:3128" % DNS]
    assert (not_tls["verdict"], not_tls["status"]) == ("tls_error", "failed"), not_tls
    assert not_tls["tcp"]["connected"] is True and "TLS handshake failed" in not_tls["message"]

    if full:
        (silent,) = run.results("Silent name server", "localhost")["results"]
        assert (silent["verdict"], silent["category"]) == ("dns_timeout", "dns"), silent
        assert silent["dns"]["source"] == "dnspython" and "within 1.0 s" in silent["message"]
        assert silent["tcp"] is None and 900 <= silent["timings_ms"]["dns"] <= 3000, silent["timings_ms"]
    else:
        refused = run.results("Silent name server", "localhost")
        assert refused["failed"] is True and "results" not in refused
        assert refused["msg"].startswith("nameservers: ") and "dnspython" in refused["msg"], refused["msg"]

    (closed,) = run.results("Closed proxy", "localhost")["results"]
    assert closed["verdict"] == "proxy_error" and "cannot reach the proxy" in closed["message"], closed

    (not_proxy,) = run.results("Not a proxy", "localhost")["results"]
    # The TLS server resets or closes the connection, or sends an alert, depending on timing: all are proxy errors.
    assert not_proxy["verdict"] == "proxy_error" and "the proxy http://%s:443 " % ADDR["good"] in not_proxy["message"], not_proxy
    assert run.results("Direct", "localhost")["summary"] == {"total": 2, "ok": 0, "failed": 2, "intercepted": 0, "skipped": 0, "error": 0}


def test_bad_input_fails_before_probing(probe_net, probe_playbook, scratch):
    unreadable = scratch / "missing-bundle.pem"
    not_pem = scratch / "not-a-certificate.pem"
    not_pem.write_text("this is not a certificate\n")
    bad_block = scratch / "broken.pem"
    bad_block.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    good = {"host": "swscan.apple.com", "port": 443}
    cases = {
        "Port zero": ({"targets": [good, {"host": "swscan.apple.com", "port": 0}]}, "targets[1].port"),
        "Unknown protocol": ({"targets": [dict(good, protocol="sctp")]}, "protocol"),
        "Malformed proxy": ({"targets": [good], "proxy": "http//proxy:3128"}, "proxy"),
        "Proxy without port": ({"targets": [good], "proxy": "http://user:secret@proxy.example"}, "proxy"),
        "Invalid hostname": ({"targets": [good, {"host": "bad_host!.apple.com", "port": 443}]}, "targets[1].host"),
        "Unreadable CA bundle": ({"targets": [good], "ca_bundle": str(unreadable)}, "ca_bundle"),
        "Unknown source": ({"sources": ["no-such-source"]}, "source"),
        "Unreadable anchor": ({"targets": [good], "trust_anchors": [str(unreadable)]}, "trust_anchors[0]: cannot read"),
        "Anchor not PEM": ({"targets": [good], "trust_anchors": [str(probe_net.anchor_file), str(not_pem)]},
                           "trust_anchors[1]: "),
        "Anchor block broken": ({"targets": [good], "trust_anchors": [str(bad_block)]}, "trust_anchors[0]: "),
        "Replace without anchors": ({"targets": [good], "trust_anchors_mode": "replace"}, "trust_anchors_mode"),
        # This machine has no scutil: proxy=system cannot read the host's settings and says so.
        "System proxy without scutil": ({"targets": [good], "proxy": "system"}, "proxy: 'system' reads"),
    }
    if probe_playbook.interpreter == "stock":
        cases["Name servers without dnspython"] = ({"targets": [good], "nameservers": [DNS]}, "nameservers: ")
    play = PLAY % "".join(task(name, args, ignore_errors=True) for name, (args, _field) in cases.items())
    run = probe_playbook(play, netns=probe_net.client)
    for name, (_args, field) in cases.items():
        result = run.results(name, "localhost")
        assert result["failed"] is True, (name, result)
        assert field in result["msg"], (name, result["msg"])
        assert "results" not in result, "%s: no partial run" % name
        assert "secret" not in json.dumps(result)


def _parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _duration(run, name):
    for item in run.tasks():
        if item["task"]["name"] == name:
            span = item["task"]["duration"]
            return (_parse_time(span["end"]) - _parse_time(span["start"])).total_seconds()
    raise KeyError(name)


def test_forty_targets_ten_blackholed_return_within_bound(probe_net, probe_playbook):
    timeout = 3
    targets = [{"host": "swscan.apple.com", "port": 443} for _index in range(30)]
    targets += [{"host": ADDR["blackhole"], "port": 443 + i} for i in range(10)]
    args = base_args(probe_net, targets=targets, timeout=timeout, step_timeouts={"tcp": 60, "tls": 60})
    baseline = base_args(probe_net, targets=targets[:1])
    run = probe_playbook(PLAY % (task("Baseline", baseline) + task("Forty targets", args)), netns=probe_net.client)
    result = run.results("Forty targets", "localhost")
    assert result["summary"] == {"total": 40, "ok": 30, "failed": 10, "intercepted": 0, "skipped": 0, "error": 0}, result["summary"]
    assert all(r["verdict"] == "timeout" for r in result["results"][30:])
    # Loose bound: timeout + 1 s for the module, on top of what a one-target task costs on this machine
    # (Ansible's own task start-up), plus 1 s of slack for a busy CI machine.
    overhead = _duration(run, "Baseline")
    assert _duration(run, "Forty targets") < timeout + 1 + overhead + 1, (overhead, _duration(run, "Forty targets"))


def test_probe_playbook_writes_one_file_per_host(probe_net, probe_playbook, scratch):
    out = scratch / "out"
    inventory = scratch / "hosts.ini"
    inventory.write_text("[macs]\nmac1\nmac2\n[macs:vars]\nansible_connection=local\n")
    extra = {"macfleet_probe_hosts": "macs", "macfleet_probe_output_dir": str(out),
             "macfleet_probe_targets": [{"host": "swscan.apple.com", "port": 443}, {"host": "swcdn.apple.com", "port": 443}],
             "macfleet_probe_used_by": ["Software Update"],
             "macfleet_probe_trust_anchors": [str(probe_net.anchor_file)], "macfleet_probe_ca_bundle": str(probe_net.ca_bundle),
             "macfleet_probe_timeout": 8}
    check = probe_playbook(str(COLLECTION_PLAYBOOKS / "probe.yml"), inventory=str(inventory), extra_vars=extra, check=True,
                           netns=probe_net.client)
    assert check.rc == 0, check
    assert check.results("Probe the endpoints and write this host's result file", "mac1")["summary"]["total"] == 10
    assert not list(out.glob("*.json")), "check mode writes no result file"
    run = probe_playbook(str(COLLECTION_PLAYBOOKS / "probe.yml"), inventory=str(inventory), extra_vars=extra,
                         netns=probe_net.client)
    assert run.rc == 0, run
    files = sorted(p.name for p in out.glob("*.json"))
    assert files == ["mac1.json", "mac2.json"]
    data = json.loads((out / "mac1.json").read_text())
    assert sorted(data) == ["catalog_edition", "detail", "format", "generated_at", "group", "host", "results", "summary"]
    assert data["host"] == "mac1" and data["catalog_edition"] == "apple-2018-02-13 + apple-2026-08-07"
    assert data["summary"]["total"] == 10 and data["summary"]["intercepted"] == 2
    verdicts = dict(("%s:%s" % (r["target"]["host"], r["target"]["port"]), r["verdict"]) for r in data["results"])
    assert verdicts["swscan.apple.com:443"] == "ok" and verdicts["swcdn.apple.com:443"] == "intercepted"


def _mac_tools(scratch, proxy_state, keychain_pem):
    """The scutil and security stand-ins in a bin directory, with their state files; returns the PATH to use."""
    import os
    import shutil
    from pathlib import Path
    stand_ins = Path(__file__).resolve().parents[2] / "stand-ins" / "macos"
    tools = scratch / "macbin"
    tools.mkdir(exist_ok=True)
    for name in ("scutil", "security"):
        shutil.copy(str(stand_ins / name), str(tools / name))
    (tools / "scutil.proxy.json").write_text(json.dumps(proxy_state))
    shutil.copy(str(keychain_pem), str(tools / "security.keychain.pem"))
    return "%s:%s" % (tools, os.environ["PATH"])


def test_mac_proxy_settings_and_keychain(probe_net, probe_playbook, scratch):
    """proxy=system follows scutil --proxy (real squid as the HTTPS proxy); host_trust=keychain asks security verify-cert."""
    state = {"HTTPEnable": 1, "HTTPProxy": DNS, "HTTPPort": 3128, "HTTPSEnable": 1, "HTTPSProxy": DNS, "HTTPSPort": 3128,
             "ExceptionsList": ["*.local", "169.254/16", "*.apple.com"], "FTPPassive": 1}
    path = _mac_tools(scratch, state, probe_net.ca_bundle)
    args = dict(base_args(probe_net, proxy="system", host_trust="keychain", targets=[
        {"host": "swscan.apple.com", "port": 443},         # matches *.apple.com: direct
        {"host": "updates.cdn-apple.com", "port": 443},    # through squid, which allows it
        {"host": "swcdn.apple.com", "port": 443},          # direct; the Keychain trusts the corporate CA
        {"host": "identity.apple.com", "port": 443},       # direct; the Keychain trusts nobody who signed this
        {"host": "time.apple.com", "port": 123, "protocol": "udp"},
    ]))
    del args["ca_bundle"]
    access_log = probe_net.dir / "squid" / "logs" / "access.log"
    seen_before = len(access_log.read_text()) if access_log.exists() else 0
    pac = {"ProxyAutoConfigEnable": 1, "ProxyAutoConfigURLString": "http://wpad.example.com/proxy.pac"}
    play = PLAY % task("Mac settings", args)
    run = probe_playbook(play, netns=probe_net.client, env={"PATH": path})
    assert run.rc == 0, run
    got = by_host(run.results("Mac settings", "localhost"))

    bypassed = got["swscan.apple.com:443"]
    assert bypassed["verdict"] == "ok", bypassed
    assert bypassed["path"]["mode"] == "bypassed" and bypassed["path"]["bypass_entry"] == "*.apple.com", bypassed["path"]
    assert bypassed["path"]["source"] == "system" and bypassed["proxy"] is None and bypassed["tcp"]["address"] == ADDR["good"]

    proxied = got["updates.cdn-apple.com:443"]
    assert proxied["verdict"] == "ok", proxied
    assert proxied["path"]["mode"] == "proxy" and proxied["path"]["proxy"] == "%s:3128" % DNS, proxied["path"]
    assert proxied["proxy"]["tunnel"] is True and proxied["dns"]["skipped"] == "the proxy resolves the name"

    corp = got["swcdn.apple.com:443"]
    assert corp["verdict"] == "intercepted" and corp["tls"]["trust"]["host_trust"] == "macOS Keychain (security verify-cert)", corp
    assert corp["tls"]["trust"]["host_trust_result"] == "...certificate verification successful."
    untrusted = got["identity.apple.com:443"]
    assert untrusted["verdict"] == "untrusted" and "CSSMERR_TP_NOT_TRUSTED" in untrusted["message"], untrusted

    ntp = got["time.apple.com:123"]
    assert ntp["verdict"] == "ok" and ntp["path"]["mode"] == "direct"

    # squid saw exactly the tunnel the settings sent it, not the bypassed host
    access = access_log.read_text()[seen_before:]
    assert "updates.cdn-apple.com:443" in access and "swscan.apple.com" not in access, access

    # the same probe when the Mac's settings name a PAC file
    (scratch / "macbin" / "scutil.proxy.json").write_text(json.dumps(pac))
    again = probe_playbook(PLAY % task("PAC", dict(args, targets=[{"host": "swscan.apple.com", "port": 443}])),
                           netns=probe_net.client, env={"PATH": path})
    (pac_result,) = again.results("PAC", "localhost")["results"]
    assert pac_result["path"]["mode"] == "pac" and pac_result["verdict"] == "ok", pac_result
    assert pac_result["path"]["note"].startswith("PAC not evaluated: http://wpad.example.com/proxy.pac")
