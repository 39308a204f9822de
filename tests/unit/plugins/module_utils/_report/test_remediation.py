# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one-line remediation of each verdict, from the verdict and the catalog row."""

from __future__ import annotations

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.verdicts import VERDICTS as PROBE_VERDICTS
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.remediation import VERDICTS, remediation

GDMF = {"host": "gdmf.apple.com", "port": 443, "protocol": "tcp"}


@pytest.mark.parametrize("verdict, expected", [
    ("nxdomain", "fix DNS: gdmf.apple.com does not resolve (NXDOMAIN: the name server says the name does not exist)"),
    ("servfail", "fix DNS: gdmf.apple.com does not resolve (the name server failed to answer: SERVFAIL)"),
    ("dns_timeout", "fix DNS: gdmf.apple.com does not resolve (no answer from the name server in time)"),
    ("no_answer", "fix DNS: gdmf.apple.com has no address record (A or AAAA)"),
    ("sinkhole", "fix DNS: gdmf.apple.com resolves to a sinkhole address; take it off the DNS filter's block list"),
    ("refused", "allow TCP 443 to gdmf.apple.com through the firewall"),
    ("timeout", "allow TCP 443 to gdmf.apple.com through the firewall"),
    ("tls_error", "let TLS on TCP 443 to gdmf.apple.com through unchanged (the TLS handshake failed)"),
    ("intercepted", "exempt gdmf.apple.com from TLS inspection"),
    ("pin_mismatch", "exempt gdmf.apple.com from TLS inspection"),
    ("untrusted", "exempt gdmf.apple.com from TLS inspection (a certificate that no trust store accepts was served)"),
    ("http_unexpected_status",
     "let HTTP to gdmf.apple.com port 443 through unfiltered (an unexpected HTTP status came back)"),
    ("proxy_denied", "allow CONNECT to gdmf.apple.com port 443 in the proxy's rules"),
    ("proxy_error",
     "fix the proxy path to gdmf.apple.com port 443 (the proxy gave no usable CONNECT answer), or send it DIRECT"),
])
def test_each_failed_verdict_on_a_proxy_capable_row(verdict, expected):
    assert remediation(verdict, supports_proxies="yes", **GDMF) == expected


@pytest.mark.parametrize("verdict", ["ok", "skipped"])
def test_nothing_to_change(verdict):
    assert remediation(verdict, supports_proxies="not_stated", **GDMF) is None


def test_ntp_verdicts_name_udp_123():
    time = {"host": "time.apple.com", "port": 123, "protocol": "udp"}
    assert remediation("ntp_no_reply", **time) == "allow UDP 123 to time.apple.com through the firewall"
    assert remediation("ntp_invalid", **time) == (
        "let NTP (UDP 123) to time.apple.com through unchanged (the reply was not valid SNTP)")


@pytest.mark.parametrize("verdict", ["proxy_denied", "proxy_error"])
def test_proxy_failure_on_a_not_stated_row_sends_the_host_direct(verdict):
    assert remediation(verdict, supports_proxies="not_stated", **GDMF) == (
        "send gdmf.apple.com DIRECT (Apple does not state that it works through a proxy)")


def test_proxy_failure_on_the_apns_row_sends_the_pattern_direct():
    line = remediation("proxy_denied", "courier.push.apple.com", 5223, pattern="*.push.apple.com", supports_proxies="see_note")
    assert line.startswith("send *.push.apple.com DIRECT (APNs needs a direct connection")


def test_proxy_failure_without_a_catalog_row_fixes_the_proxy():
    assert remediation("proxy_denied", "127.0.0.1", 9) == "allow CONNECT to 127.0.0.1 port 9 in the proxy's rules"


def test_rules_name_the_row_pattern_and_dns_names_the_probed_host():
    row = {"pattern": "*.cdn-apple.com", "supports_proxies": "not_stated"}
    assert remediation("intercepted", "updates.cdn-apple.com", 443, **row) == "exempt *.cdn-apple.com from TLS inspection"
    assert remediation("refused", "updates.cdn-apple.com", 443, **row) == "allow TCP 443 to *.cdn-apple.com through the firewall"
    assert remediation("nxdomain", "updates.cdn-apple.com", 443, **row).startswith("fix DNS: updates.cdn-apple.com does not")


def test_every_probe_verdict_is_mapped():
    assert set(PROBE_VERDICTS) == set(VERDICTS)


def test_a_probe_error_asks_for_no_network_change():
    assert remediation("probe_error", "gdmf.apple.com", 443).startswith(
        "nothing to change on the network: the probe of gdmf.apple.com port 443/TCP hit a bug")


def test_an_unknown_verdict_is_named_not_guessed():
    assert remediation("quantum_flux", **GDMF) == "look into gdmf.apple.com port 443/TCP: the probe reported quantum_flux"


def test_bad_proxy_support_is_refused():
    with pytest.raises(ValueError, match="supports_proxies: 'maybe'"):
        remediation("refused", supports_proxies="maybe", **GDMF)
