# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The system proxy (scutil --proxy) and Keychain trust (security verify-cert) helpers, and their stand-ins."""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import shutil
import ssl
import subprocess
import sys

from pathlib import Path

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.keychain import (
    SUCCESS_TEXT,
    parse_verify_cert,
    verify_cert_args,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.sysproxy import (
    SystemProxyError,
    choose_path,
    exception_matches,
    parse_exception,
    parse_scutil_proxy,
    system_proxy_settings,
)

STAND_INS = Path(__file__).resolve().parents[5] / "stand-ins" / "macos"

# The dictionary of a fresh Mac, as captured in yaklang/yakit issue #2164.
DEFAULT_MAC = """<dictionary> {
  ExceptionsList : <array> {
    0 : *.local
    1 : 169.254/16
  }
  FTPPassive : 1
}
"""

# An explicit web and secure web proxy with a bypass list (layout of a macOS 26 capture).
EXPLICIT = """<dictionary> {
  ExceptionsList : <array> {
    0 : *.local
    1 : 169.254/16
    2 : 10.0.0.0/8
    3 : *.corp.example
    4 : apple.com
    5 : *.mzstatic.com
  }
  FTPPassive : 1
  HTTPEnable : 1
  HTTPPort : 3128
  HTTPProxy : proxy.corp.example
  HTTPSEnable : 1
  HTTPSPort : 3129
  HTTPSProxy : proxy.corp.example
  ProxyAutoConfigEnable : 0
  SOCKSEnable : 0
}
"""

# A PAC-only Mac, as captured in httptoolkit/httptoolkit issue #151 (host name replaced).
PAC = """<dictionary> {
  ProxyAutoConfigEnable : 1
  ProxyAutoConfigURLString : http://wpad.corp.example/wpad.dat
}
"""

WPAD = """<dictionary> {
  ExceptionsList : <array> {
    0 : *.local
    1 : 169.254/16
  }
  FTPPassive : 1
  ProxyAutoDiscoveryEnable : 1
}
"""

# scutil -d --proxy keeps the per-interface dictionaries; they never count.
SCOPED = """<dictionary> {
  ExceptionsList : <array> {
    0 : *.local
  }
  HTTPSEnable : 0
  __SCOPED__ : <dictionary> {
    en0 : <dictionary> {
      ExceptionsList : <array> {
        0 : *.apple.com
      }
      HTTPSEnable : 1
      HTTPSPort : 8080
      HTTPSProxy : 10.1.2.3
    }
  }
}
"""

SIMPLE = """<dictionary> {
  ExceptionsList : <array> {
    0 : *.local
    1 : 169.254/16
  }
  ExcludeSimpleHostnames : 1
  FTPPassive : 1
  HTTPSEnable : 1
  HTTPSPort : 8080
  HTTPSProxy : 192.0.2.10
}
"""


def settings_of(text):
    return system_proxy_settings(parse_scutil_proxy(text))


# --- parse_scutil_proxy ---------------------------------------------------------------------


def test_parse_default_mac():
    assert parse_scutil_proxy(DEFAULT_MAC) == {"ExceptionsList": ["*.local", "169.254/16"], "FTPPassive": 1}
    assert settings_of(DEFAULT_MAC) == {
        "https": None, "http": None, "pac_url": None, "auto_discovery": False,
        "exceptions": ["*.local", "169.254/16"], "exclude_simple_hostnames": False,
    }


def test_parse_explicit_proxies():
    parsed = parse_scutil_proxy(EXPLICIT)
    assert parsed["HTTPSPort"] == 3129 and parsed["HTTPSProxy"] == "proxy.corp.example"
    assert parsed["ExceptionsList"][2] == "10.0.0.0/8"
    settings = system_proxy_settings(parsed)
    assert settings["https"] == {"host": "proxy.corp.example", "port": 3129}
    assert settings["http"] == {"host": "proxy.corp.example", "port": 3128}
    assert settings["pac_url"] is None and not settings["auto_discovery"]
    assert settings["exceptions"] == ["*.local", "169.254/16", "10.0.0.0/8", "*.corp.example", "apple.com", "*.mzstatic.com"]


def test_parse_pac_wpad_scoped_simple():
    assert settings_of(PAC)["pac_url"] == "http://wpad.corp.example/wpad.dat"
    assert settings_of(PAC)["exceptions"] == []
    assert settings_of(WPAD)["auto_discovery"] is True and settings_of(WPAD)["pac_url"] is None
    parsed = parse_scutil_proxy(SCOPED)
    assert parsed["__SCOPED__"]["en0"]["HTTPSProxy"] == "10.1.2.3"
    assert parsed["__SCOPED__"]["en0"]["ExceptionsList"] == ["*.apple.com"]
    scoped = system_proxy_settings(parsed)
    assert scoped["https"] is None and scoped["exceptions"] == ["*.local"]
    simple = settings_of(SIMPLE)
    assert simple["exclude_simple_hostnames"] is True and simple["https"] == {"host": "192.0.2.10", "port": 8080}


def test_parse_tolerates_crlf_tabs_and_empty_values():
    text = "<dictionary> {\r\n\tHTTPProxy : \r\n\tExceptionsList : <array> {\r\n\t}\r\n}\r\n"
    assert parse_scutil_proxy(text) == {"HTTPProxy": "", "ExceptionsList": []}
    assert parse_scutil_proxy(b"<dictionary> {\n}\n") == {}
    assert parse_scutil_proxy("No proxy configuration available\n") == {}
    assert parse_scutil_proxy("<dictionary> {\n  ProxyAutoConfigURLString : http://h:8080/a b.pac\n}") == {
        "ProxyAutoConfigURLString": "http://h:8080/a b.pac"}


@pytest.mark.parametrize("text, message", [
    ("", "printed nothing"),
    ("HTTPEnable : 1\n", "line 1: expected '<dictionary> {'"),
    ("<dictionary> {\n  HTTPEnable : 1\n", "ends inside the <dictionary> opened on line 1"),
    ("<dictionary> {\n  ExceptionsList : <array> {\n    1 : *.local\n  }\n}", "line 3: array element 1 where element 0"),
    ("<dictionary> {\n  HTTPEnable = 1\n}", "line 2: expected 'key : value'"),
    ("<dictionary> {\n}\n}\n", "line 3: text after the dictionary closed on line 2"),
    ("<dictionary> {\n  HTTPEnable : 1\n  HTTPEnable : 0\n}", "line 3: key HTTPEnable appears twice"),
    ("<dictionary> {\n  A : <array> {\n", "ends inside the <array> opened on line 2"),
])
def test_parse_errors_name_the_line(text, message):
    with pytest.raises(SystemProxyError) as err:
        parse_scutil_proxy(text)
    assert message in str(err.value)


@pytest.mark.parametrize("parsed, key", [
    ({"HTTPSEnable": 1, "HTTPSPort": 8080}, "HTTPSProxy"),
    ({"HTTPSEnable": 1, "HTTPSProxy": "p.example"}, "HTTPSPort"),
    ({"HTTPEnable": 1, "HTTPProxy": "p.example", "HTTPPort": 70000}, "HTTPPort"),
    ({"HTTPEnable": 1, "HTTPProxy": "", "HTTPPort": 80}, "HTTPProxy"),
    ({"ProxyAutoConfigEnable": 1}, "ProxyAutoConfigURLString"),
    ({"HTTPSEnable": 2}, "HTTPSEnable"),
    ({"ExceptionsList": "*.local, 169.254/16"}, "ExceptionsList"),
])
def test_enabled_without_host_or_port_names_the_key(parsed, key):
    with pytest.raises(SystemProxyError) as err:
        system_proxy_settings(parsed)
    assert key in str(err.value)


def test_disabled_proxy_without_host_is_fine():
    assert system_proxy_settings({"HTTPSEnable": 0, "HTTPSPort": 8080})["https"] is None
    assert system_proxy_settings({"ProxyAutoConfigEnable": 1, "ProxyAutoConfigJavaScript": "function F(){}"})["pac_url"] == \
        "(inline ProxyAutoConfigJavaScript)"


# --- exception matching ----------------------------------------------------------------------


@pytest.mark.parametrize("entry, host, is_address, expected", [
    ("*.apple.com", "swscan.apple.com", False, True),
    ("*.apple.com", "a.b.apple.com", False, True),
    ("*.apple.com", "SWSCAN.Apple.COM.", False, True),
    ("*.apple.com", "apple.com", False, False),  # apex: not matched (conservative)
    ("*.apple.com", "evilapple.com", False, False),
    ("*.apple.com", "apple.com.evil.example", False, False),
    ("apple.com", "apple.com", False, True),
    ("apple.com", "swscan.apple.com", False, False),  # no suffix matching (conservative)
    ("apple.com", "evilapple.com", False, False),
    ("*.local", "printer.local", False, True),
    ("*.local", "local", False, False),
    ("localhost", "localhost", False, True),
    ("169.254/16", "169.254.1.1", True, True),
    ("169.254/16", "169.255.0.1", True, False),
    ("169.254/16", "printer.local", False, False),  # no DNS lookup for address entries
    ("10.0.0.0/8", "10.20.30.40", True, True),
    ("10.0.0.0/8", "11.0.0.1", True, False),
    ("10/8", "10.1.1.1", True, True),
    ("192.168.1.1", "192.168.1.1", True, True),
    ("192.168.1.1", "192.168.1.2", True, False),
    ("192.168.1.5/24", "192.168.1.200", True, True),
    ("fd00::/8", "fd12::1", True, True),
    ("fd00::/8", "[fd12::1]", True, True),
    ("::1", "::1", True, True),
    ("10.0.0.0/8", "::1", True, False),
    ("apple.com", "17.253.144.10", True, False),  # name entries never match an address
    ("17.253.144.10", "17.253.144.10", False, False),  # a name target is never an address
    ("gg*.apple.com", "gg3.apple.com", False, False),  # not evaluated (differs from host_matches)
    ("*example.com", "example.com", False, False),
    ("example.*", "example.org", False, False),
    ("*", "anything.example", False, False),
    ("<local>", "intranet", False, False),
    (".apple.com", "swscan.apple.com", False, False),
    ("host.example:8080", "host.example", False, False),
    ("192.168.1", "192.168.1.5", True, False),
    ("", "anything.example", False, False),
    ("10.0.0.0/33", "10.0.0.1", True, False),
])
def test_exception_matches(entry, host, is_address, expected):
    assert exception_matches(entry, host, is_address) is expected


@pytest.mark.parametrize("entry, reason", [
    ("gg*.apple.com", "is not evaluated"),
    ("*", "is not evaluated"),
    ("<local>", "character"),
    (".apple.com", "empty label"),
    ("192.168.1", "incomplete IPv4"),
    ("10.0.0.0/33", "not an IP address or network"),
    ("a b", "white space"),
    ("host.example:8080", "not an IP address"),
    ("", "empty"),
])
def test_parse_exception_reasons(entry, reason):
    with pytest.raises(SystemProxyError) as err:
        parse_exception(entry)
    assert reason in str(err.value)


def test_parse_exception_kinds():
    assert parse_exception("169.254/16") == ("network", ipaddress.ip_network("169.254.0.0/16"))
    assert parse_exception("*.Apple.COM.") == ("name", "*.apple.com")
    assert parse_exception("localhost") == ("name", "localhost")


# --- choose_path ------------------------------------------------------------------------------


def test_choose_path_proxy_for_tls_and_http():
    settings = settings_of(EXPLICIT)
    path = choose_path(settings, "swscan.apple.com", 443, True, False, False)
    assert path["source"] == "system" and path["mode"] == "proxy"
    assert path["proxy"] == {"host": "proxy.corp.example", "port": 3129} and path["bypass_entry"] is None
    assert "CONNECT through the HTTPS proxy proxy.corp.example:3129" in path["note"]
    assert "domain suffix" in path["note"]  # 'apple.com' might cover swscan.apple.com on a Mac
    http = choose_path(settings, "captive.apple.com", 80, False, True, False)
    assert http["mode"] == "proxy" and http["proxy"] == {"host": "proxy.corp.example", "port": 3128}
    assert http["note"].startswith("through the HTTP proxy proxy.corp.example:3128")


def test_choose_path_plain_tcp_goes_direct():
    path = choose_path(settings_of(EXPLICIT), "courier.push.apple.com", 5223, False, False, False)
    assert path["mode"] == "direct" and path["proxy"] is None and path["bypass_entry"] is None
    assert "HTTP and HTTPS only" in path["note"]


def test_choose_path_without_a_proxy_is_direct():
    path = choose_path(settings_of(DEFAULT_MAC), "swscan.apple.com", 443, True, False, False)
    assert path["mode"] == "direct" and "no HTTPS proxy is set" in path["note"]
    http_only = settings_of(EXPLICIT.replace("HTTPSEnable : 1", "HTTPSEnable : 0"))
    assert choose_path(http_only, "swscan.apple.com", 443, True, False, False)["mode"] == "direct"


@pytest.mark.parametrize("host, is_address, entry", [
    ("printer.local", False, "*.local"),
    ("169.254.10.1", True, "169.254/16"),
    ("10.1.2.3", True, "10.0.0.0/8"),
    ("build.corp.example", False, "*.corp.example"),
    ("apple.com", False, "apple.com"),
    ("s.mzstatic.com", False, "*.mzstatic.com"),
])
def test_choose_path_bypassed_by_exceptions(host, is_address, entry):
    path = choose_path(settings_of(EXPLICIT), host, 443, True, False, is_address)
    assert path["mode"] == "bypassed" and path["bypass_entry"] == entry and path["proxy"] is None
    assert repr(entry) in path["note"]


def test_choose_path_apex_and_evil_look_alikes_use_the_proxy():
    settings = settings_of(EXPLICIT)
    apex = choose_path(settings, "mzstatic.com", 443, True, False, False)
    assert apex["mode"] == "proxy" and "may also bypass the apex mzstatic.com" in apex["note"]
    evil = choose_path(settings, "evilmzstatic.com", 443, True, False, False)
    assert evil["mode"] == "proxy" and "may" not in evil["note"]


def test_choose_path_exclude_simple_hostnames():
    settings = settings_of(SIMPLE)
    path = choose_path(settings, "intranet", 443, True, False, False)
    assert path["mode"] == "bypassed" and path["bypass_entry"] == "ExcludeSimpleHostnames"
    assert choose_path(settings, "intranet.corp.example", 443, True, False, False)["mode"] == "proxy"
    assert choose_path(settings, "::1", 443, True, False, True)["mode"] == "proxy"  # an address is not a simple name
    off = settings_of(EXPLICIT)
    assert choose_path(off, "intranet", 443, True, False, False)["mode"] == "proxy"


def test_choose_path_pac_and_wpad():
    path = choose_path(settings_of(PAC), "swscan.apple.com", 443, True, False, False)
    assert path == {
        "source": "system", "mode": "pac", "proxy": None, "bypass_entry": None,
        "note": "PAC not evaluated: http://wpad.corp.example/wpad.dat; the probe connects directly",
    }
    wpad = choose_path(settings_of(WPAD), "printer.local", 80, False, True, False)
    assert wpad["mode"] == "pac" and wpad["note"].startswith("PAC not evaluated: WPAD auto-discovery")
    both = dict(settings_of(EXPLICIT), pac_url="http://pac.corp.example/p.pac")
    assert choose_path(both, "swscan.apple.com", 443, True, False, False)["mode"] == "pac"


def test_choose_path_ignores_invalid_entries_with_a_note():
    settings = settings_of(SIMPLE)
    settings["exceptions"] = ["<local>", "gg*.apple.com", "192.168.1", "*.apple.com"]
    path = choose_path(settings, "gg3.apple.com", 443, True, False, False)
    assert path["mode"] == "bypassed" and path["bypass_entry"] == "*.apple.com"
    assert path["note"].count("ExceptionsList entry ignored") == 3
    assert choose_path(settings, "swscan.example", 443, True, False, False)["mode"] == "proxy"
    scoped = choose_path(settings_of(SCOPED), "swscan.apple.com", 443, True, False, False)
    assert scoped["mode"] == "direct"  # the __SCOPED__ en0 proxy does not count


# --- keychain ---------------------------------------------------------------------------------


def test_verify_cert_args():
    assert verify_cert_args("/usr/bin/security", ["/tmp/leaf.pem", "/tmp/int.pem"], "swscan.apple.com") == [
        "/usr/bin/security", "verify-cert", "-c", "/tmp/leaf.pem", "-c", "/tmp/int.pem",
        "-p", "ssl", "-s", "swscan.apple.com", "-L",
    ]
    assert verify_cert_args("security", ("leaf.der",), "17.253.144.10")[-4:] == ["ssl", "-s", "17.253.144.10", "-L"]


@pytest.mark.parametrize("security, certs, host", [
    ("", ["leaf.pem"], "h.example"),
    ("security", [], "h.example"),
    ("security", "leaf.pem", "h.example"),
    ("security", ["leaf.pem", ""], "h.example"),
    ("security", ["leaf.pem"], ""),
    ("security", ["leaf.pem"], "-L"),
    ("security", ["leaf.pem"], "a host"),
])
def test_verify_cert_args_rejects(security, certs, host):
    with pytest.raises(ValueError):
        verify_cert_args(security, certs, host)


@pytest.mark.parametrize("rc, stdout, stderr, trusted, detail", [
    (0, "...certificate verification successful.\n", "", True, SUCCESS_TEXT),
    (0, b"...certificate verification successful.\n---\nCertificate chain\n", b"", True, SUCCESS_TEXT),
    (1, "", "Cert Verify Result: CSSMERR_TP_NOT_TRUSTED\n", False, "Cert Verify Result: CSSMERR_TP_NOT_TRUSTED"),
    (1, "", "Cert Verify Result: Invalid Extended Key Usage for policy\n", False,
     "Cert Verify Result: Invalid Extended Key Usage for policy"),
    (1, "", "Cert Verify Result: CSSMERR_TP_CERT_EXPIRED\n", False, "Cert Verify Result: CSSMERR_TP_CERT_EXPIRED"),
    (1, "", "SecTrustEvaluate result: kSecTrustResultDeny\n", False, "SecTrustEvaluate result: kSecTrustResultDeny"),
    (0, "*** policy creation failed\n", "", False, "exited 0 without"),
    (0, "", "", False, "exited 0 without"),
    (1, "...certificate verification successful.\n", "", False, "exited with status 1"),
    (2, "", "security: illegal option -- X\nUsage: verify-cert [<options>] [<url>]\n", False,
     "rejected its arguments (exit status 2): security: illegal option -- X"),
    (1, b"", b"", False, "exited with status 1: no output"),
    (None, "", "", False, "did not finish"),
])
def test_parse_verify_cert(rc, stdout, stderr, trusted, detail):
    got_trusted, got_detail = parse_verify_cert(rc, stdout, stderr)
    assert got_trusted is trusted
    assert detail in got_detail


# --- the stand-ins, through the parsers -------------------------------------------------------


def run(command, env):
    return subprocess.run([sys.executable, str(STAND_INS / command[0])] + command[1:], env=dict(os.environ, **env),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60, check=False)


def test_scutil_stand_in_through_the_parser(tmp_path):
    state = tmp_path / "proxy.json"
    env = {"SCUTIL_PROXY_STATE": str(state)}
    done = run(["scutil", "--proxy"], env)
    assert done.returncode == 0 and done.stdout == DEFAULT_MAC
    state.write_text(json.dumps({
        "HTTPSProxy": "proxy.corp.example", "HTTPSPort": 3129, "HTTPSEnable": 1,
        "HTTPProxy": "proxy.corp.example", "HTTPPort": 3128, "HTTPEnable": 1, "FTPPassive": 1,
        "ProxyAutoConfigEnable": 0, "SOCKSEnable": 0,
        "ExceptionsList": ["*.local", "169.254/16", "10.0.0.0/8", "*.corp.example", "apple.com", "*.mzstatic.com"],
        "__SCOPED__": {"en0": {"HTTPSEnable": 1, "HTTPSProxy": "10.9.9.9", "HTTPSPort": 8080}},
    }))
    done = run(["scutil", "--proxy"], env)
    assert done.returncode == 0 and done.stdout == EXPLICIT  # sorted keys, __SCOPED__ removed
    settings = settings_of(done.stdout)
    assert choose_path(settings, "swscan.apple.com", 443, True, False, False)["proxy"] == {"host": "proxy.corp.example", "port": 3129}
    assert choose_path(settings, "printer.local", 443, True, False, False)["bypass_entry"] == "*.local"
    debug = run(["scutil", "-d", "--proxy"], env)
    assert parse_scutil_proxy(debug.stdout)["__SCOPED__"]["en0"]["HTTPSProxy"] == "10.9.9.9"
    assert settings_of(debug.stdout) == settings
    state.write_text("null")
    assert run(["scutil", "--proxy"], env).stdout == "No proxy configuration available\n"
    wrong = run(["scutil", "--proxies"], env)
    assert wrong.returncode == 64 and wrong.stdout == ""
    assert wrong.stderr.startswith("scutil: unrecognized option `--proxies'\nusage: ")
    assert "show \"proxy\" configuration." in wrong.stderr
    assert run(["scutil", "--help"], env).returncode == 64
    assert run(["scutil", "--proxy", "--dns"], env).returncode == 64
    calls = [json.loads(line) for line in (tmp_path / "proxy.json.log").read_text().splitlines()]
    assert calls[0] == ["--proxy"] and ["--proxies"] in calls


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    trustme = pytest.importorskip("trustme")
    if not shutil.which("openssl"):
        pytest.skip("openssl is not on PATH")
    base = tmp_path_factory.mktemp("keychain")
    ca = trustme.CA()
    intermediate = ca.create_child_ca()
    leaf = intermediate.issue_cert("swscan.apple.com")
    inspector = trustme.CA(organization_name="Interception Appliance")
    intercepted = inspector.issue_cert("swscan.apple.com")
    expired = ca.issue_cert("old.apple.com", not_before=datetime.datetime(2020, 1, 1), not_after=datetime.datetime(2021, 1, 1))
    files = {}
    for name, blob in (("leaf.pem", leaf.cert_chain_pems[0]), ("intermediate.pem", leaf.cert_chain_pems[1]),
                       ("intercepted.pem", intercepted.cert_chain_pems[0]), ("expired.pem", expired.cert_chain_pems[0])):
        files[name] = str(base / name)
        blob.write_to_path(files[name])
    files["leaf.der"] = str(base / "leaf.der")
    Path(files["leaf.der"]).write_bytes(ssl.PEM_cert_to_DER_cert(leaf.cert_chain_pems[0].bytes().decode("ascii")))
    keychain = base / "System.keychain.pem"
    ca.cert_pem.write_to_path(str(keychain))
    return files, {"SECURITY_KEYCHAIN_PEM": str(keychain)}, base


def verify(files, names, host, env):
    argv = verify_cert_args(str(STAND_INS / "security"), [files[name] for name in names], host)
    done = subprocess.run([sys.executable] + argv, env=dict(os.environ, **env), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=60, check=False)
    return done, parse_verify_cert(done.returncode, done.stdout, done.stderr)


def test_security_stand_in_trusts_a_chain_in_the_keychain(pki):
    files, env, _base = pki
    done, result = verify(files, ["leaf.pem", "intermediate.pem"], "swscan.apple.com", env)
    assert done.returncode == 0 and done.stdout == SUCCESS_TEXT + "\n" and done.stderr == ""
    assert result == (True, SUCCESS_TEXT)
    assert verify(files, ["leaf.der", "intermediate.pem"], "swscan.apple.com", env)[1] == (True, SUCCESS_TEXT)


@pytest.mark.parametrize("names, host, detail", [
    (["intercepted.pem"], "swscan.apple.com", "Cert Verify Result: CSSMERR_TP_NOT_TRUSTED"),
    (["leaf.pem"], "swscan.apple.com", "Cert Verify Result: CSSMERR_TP_NOT_TRUSTED"),  # intermediate missing, -L
    (["leaf.pem", "intermediate.pem"], "swcdn.apple.com", "Cert Verify Result: Host name mismatch"),
    (["expired.pem"], "old.apple.com", "Cert Verify Result: CSSMERR_TP_CERT_EXPIRED"),
])
def test_security_stand_in_rejects(pki, names, host, detail):
    files, env, _base = pki
    done, result = verify(files, names, host, env)
    assert done.returncode == 1 and done.stdout == ""
    assert result == (False, detail)


def test_security_stand_in_rejects_unknown_flags_and_commands(pki):
    files, env, base = pki
    done = run(["security", "verify-cert", "-c", files["leaf.pem"], "-X"], env)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("security: illegal option -- X\nUsage: verify-cert [<options>] [<url>]\n")
    assert done.stderr.endswith("\n        Verify certificate(s).\n")
    trusted, detail = parse_verify_cert(done.returncode, done.stdout, done.stderr)
    assert not trusted and "rejected its arguments" in detail
    unknown = run(["security", "verify-certs", "-c", files["leaf.pem"]], env)
    assert unknown.returncode == 1 and unknown.stderr == 'security: unknown command "verify-certs"\n'
    policy = run(["security", "verify-cert", "-c", files["leaf.pem"], "-p", "tls"], env)
    assert policy.returncode == 2 and policy.stderr.startswith("***unknown policy spec (tls)\nUsage: verify-cert")
    calls = [json.loads(line) for line in (base / "System.keychain.pem.log").read_text().splitlines()]
    assert ["verify-cert", "-c", files["leaf.pem"], "-X"] in calls
