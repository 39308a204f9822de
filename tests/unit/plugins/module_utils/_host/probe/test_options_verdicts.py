# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import ipaddress

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe import options, verdicts
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.dnsprobe import sinkholed
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.options import ProbeInputError, parse_config


def config(**params):
    return parse_config(params)


@pytest.mark.parametrize("params, field", [
    ({"targets": [{"host": "swscan.apple.com", "port": 0}]}, "targets[0].port"),
    ({"targets": [{"host": "swscan.apple.com", "port": 70000}]}, "targets[0].port"),
    ({"targets": [{"host": "a.apple.com", "port": 443}, {"host": "swscan.apple.com", "port": 443, "protocol": "sctp"}]},
     "targets[1].protocol"),
    ({"targets": [{"host": "bad_host.apple.com", "port": 443}]}, "targets[0].host"),
    ({"targets": [{"host": "", "port": 443}]}, "targets[0].host"),
    ({"targets": [{"host": "x.apple.com", "port": 443, "color": "red"}]}, "targets[0]: unknown key 'color'"),
    ({"proxy": "http//proxy:3128"}, "proxy"),
    ({"proxy": "https://proxy:3128"}, "only http:// proxies"),
    ({"proxy": "http://proxy"}, "has no port"),
    ({"proxy": "http://proxy:0"}, "proxy port"),
    ({"proxy": "http://u:pw@proxy:3128"}, "proxy_username"),
    ({"ca_bundle": "/nonexistent/ca.pem"}, "ca_bundle"),
    ({"nameservers": ["dns.example"]}, "nameservers[0]"),
    ({"nameservers": ["192.0.2.1:0"]}, "nameservers[0]"),
    ({"sinkhole_addresses": ["not-an-ip"]}, "sinkhole_addresses[0]"),
    ({"expected_issuers": ["ab:cd:ef:01:23:45:67:89:ab"]}, "expected_issuers[0]"),
    ({"timeout": 0}, "timeout"),
    ({"step_timeouts": {"tcp": -1}}, "step_timeouts.tcp"),
    ({"step_timeouts": {"udp": 1}}, "step_timeouts: unknown step"),
    ({"concurrency": 0}, "concurrency"),
    ({"http": {"path": "no-slash"}}, "http.path"),
    ({"http": {"path": "/a b"}}, "http.path"),
    ({"http": {"expected_status": [99]}}, "http.expected_status"),
    ({"targets": [{"host": "x.apple.com", "port": 443, "http": {"method": "POST"}}]}, "targets[0].http.method"),
    ({"fail_on": "sometimes"}, "fail_on"),
])
def test_bad_input_names_the_field(params, field):
    with pytest.raises(ProbeInputError) as err:
        parse_config(params)
    assert field in str(err.value)


def test_unreadable_ca_bundle_and_invalid_pem(tmp_path):
    empty = tmp_path / "empty.pem"
    empty.write_text("not a certificate\n")
    with pytest.raises(ProbeInputError, match="ca_bundle: .* holds no usable PEM"):
        config(ca_bundle=str(empty))


def test_proxy_url_never_echoes_credentials():
    with pytest.raises(ProbeInputError) as err:
        config(proxy="http://user:hunter2@proxy:3128")
    assert "hunter2" not in str(err.value)


def test_target_defaults_and_tls_ports():
    specs, cfg = config(targets=[
        {"host": "SWSCAN.apple.com.", "port": 443},
        {"host": "swscan.apple.com", "port": 80},
        {"host": "time.apple.com", "port": 123, "protocol": "UDP", "tls": True},
        {"host": "[2001:db8::1]", "port": 5223, "required": False},
        {"host": None, "port": 443, "pattern": "*.amazonaws.com", "skip_reason": "no probe host"},
    ])
    assert [s["target"]["host"] for s in specs] == ["swscan.apple.com", "swscan.apple.com", "time.apple.com", "2001:db8::1", None]
    assert [s["tls"] for s in specs[:4]] == [True, False, False, True]
    assert specs[2]["target"]["protocol"] == "udp"
    assert specs[3]["literal"] is True and specs[3]["target"]["required"] is False
    assert specs[0]["target"]["required"] is True and specs[0]["target"]["pattern"] is None
    assert specs[4]["skip_reason"] == "no probe host"
    assert cfg["concurrency"] == 64 and cfg["timeout"] == 30.0 and cfg["steps"]["tcp"] == 5.0
    assert cfg["expected_names"] == ["Apple Inc.", "DigiCert Inc"] and cfg["expected_fingerprints"] == []
    assert cfg["proxy"] is None


def test_http_per_target_enables_check():
    specs, _cfg = config(http={"method": "HEAD"}, targets=[
        {"host": "a.apple.com", "port": 443},
        {"host": "b.apple.com", "port": 443, "http": {"expected_status": [403]}},
        {"host": "c.apple.com", "port": 443, "http": {"enabled": False, "path": "/x"}},
    ])
    assert specs[0]["http"]["enabled"] is False and specs[0]["http"]["method"] == "HEAD"
    assert specs[1]["http"] == {"enabled": True, "method": "HEAD", "path": "/", "expected_status": [403]}
    assert specs[2]["http"]["enabled"] is False


def test_proxy_and_nameservers_parse():
    _specs, cfg = config(proxy="http://proxy.corp.example:3128/", proxy_username="me", proxy_password="pw",
                         nameservers=["192.0.2.53", "192.0.2.54:5353", "[2001:db8::53]:53", "2001:db8::54"])
    assert cfg["proxy"]["host"] == "proxy.corp.example" and cfg["proxy"]["port"] == 3128
    assert cfg["proxy"]["url"] == "http://proxy.corp.example:3128"
    assert cfg["proxy"]["auth"] == "Basic bWU6cHc="
    assert cfg["nameservers"] == [("192.0.2.53", 53), ("192.0.2.54", 5353), ("2001:db8::53", 53), ("2001:db8::54", 53)]


def test_expected_issuers_split_names_and_fingerprints():
    fingerprint = "AB" * 32
    names, prints = options.parse_expected_issuers(["Apple Inc.", ":".join([fingerprint[i:i + 2] for i in range(0, 64, 2)])])
    assert names == ["Apple Inc."] and prints == ["ab" * 32]


def test_sinkholes():
    nets = options.parse_sinkholes(options.DEFAULT_SINKHOLES)
    assert sinkholed(["0.0.0.0", "127.1.2.3", "::", "::1", "17.253.144.10", "2001:db8::1"], nets) == ["0.0.0.0", "127.1.2.3", "::", "::1"]
    assert sinkholed(["10.0.0.1"], [ipaddress.ip_network("10.0.0.0/8")]) == ["10.0.0.1"]


def test_status_and_category_of_every_verdict():
    expected = {
        "ok": ("ok", "ok"), "intercepted": ("intercepted", "intercepted"), "skipped": ("skipped", "skipped"),
        "nxdomain": ("failed", "dns"), "servfail": ("failed", "dns"), "no_answer": ("failed", "dns"),
        "dns_timeout": ("failed", "dns"), "sinkhole": ("failed", "dns"),
        "refused": ("failed", "blocked"), "timeout": ("failed", "blocked"), "tls_error": ("failed", "blocked"),
        "untrusted": ("failed", "blocked"), "pin_mismatch": ("failed", "blocked"), "http_unexpected_status": ("failed", "blocked"),
        "proxy_denied": ("failed", "blocked"), "proxy_error": ("failed", "blocked"),
        "ntp_no_reply": ("failed", "blocked"), "ntp_invalid": ("failed", "blocked"),
        "probe_error": ("error", "error"),
    }
    assert sorted(expected) == sorted(verdicts.VERDICTS)
    for verdict, (status, category) in expected.items():
        assert (verdicts.status_of(verdict), verdicts.category_of(verdict)) == (status, category)
    with pytest.raises(ValueError):
        verdicts.status_of("fine")


def test_verdict_table_is_a_plain_mapping_of_every_verdict():
    """The report reads VERDICT_CATEGORY: one category per verdict, and a status for every category."""
    assert isinstance(verdicts.VERDICT_CATEGORY, dict)
    assert tuple(verdicts.VERDICT_CATEGORY) == verdicts.VERDICTS
    assert set(verdicts.VERDICT_CATEGORY.values()) == set(verdicts.CATEGORIES) == set(verdicts.CATEGORY_STATUS)
    assert set(verdicts.CATEGORY_STATUS.values()) == set(verdicts.STATUSES)
    for verdict, category in verdicts.VERDICT_CATEGORY.items():
        assert verdicts.category_of(verdict) == category


def _result(host, status, verdict, required=True):
    return {"target": {"host": host, "port": 443, "protocol": "tcp", "required": required}, "status": status,
            "verdict": verdict, "message": "%s happened" % verdict}


def test_summary_and_fail_on():
    results = [_result("a", "ok", "ok"), _result("b", "failed", "refused", required=False),
               _result("c", "intercepted", "intercepted"), _result("d", "skipped", "skipped")]
    assert verdicts.summarize(results) == {"total": 4, "ok": 1, "failed": 1, "intercepted": 1, "skipped": 1, "error": 0}
    assert verdicts.failure_message(results, "never") is None
    assert verdicts.failure_message(results, "any") == (
        "2 targets of 4 failed or intercepted: b:443/tcp: refused (refused happened); c:443/tcp: intercepted (intercepted happened)")
    assert verdicts.failure_message(results, "required").startswith("1 required target of 4 failed or intercepted: c:443/tcp")
    assert verdicts.failure_message(results[:2], "required") is None
    # A probe error fails fail_on any/required like a failure: nothing was learnt about the target.
    broken = results[:1] + [_result("e", "error", "probe_error")]
    assert verdicts.summarize(broken)["error"] == 1
    assert verdicts.failure_message(broken, "required") == "1 required target of 2 failed or intercepted: e:443/tcp: probe_error (probe_error happened)"
    assert verdicts.failure_message(broken, "any").startswith("1 target of 2 failed or intercepted: e:443/tcp: probe_error")
