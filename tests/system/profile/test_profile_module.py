# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The mobileconfig module through ansible-playbook: idempotence, diff, signing with real openssl, bad input."""

from __future__ import annotations

import copy
import hashlib
import os
import plistlib
import stat
import subprocess

import pytest
import trustme

# apple_schema puts the collections root on sys.path, so it comes before ansible_collections imports.
import apple_schema  # noqa: F401, pylint: disable=unused-import
from profile_play import run_tasks
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.profile import cms

MODULE = "macfleet.apple_network.mobileconfig"

BASE = {
    "identifier": "com.example.macfleet.proxy",
    "display_name": "Proxy",
    "proxy": {"web_proxy": {"host": "proxy.example.com", "port": 3128},
              "secure_web_proxy": {"host": "proxy.example.com", "port": 3128},
              "bypass_domains": ["*.apple.com", "swscan.apple.com", "*.example.org"]},
}


def _task(name, path, args, **extra):
    return dict({"name": name, MODULE: dict({"path": str(path)}, **args), "register": name}, **extra)


def _snapshot(name, path):
    copy_args = {"src": str(path), "dest": "%s.%s" % (path, name), "remote_src": True, "mode": "preserve"}
    return {"name": "snapshot " + name, "ansible.builtin.copy": copy_args}


def test_render_twice_identical_and_one_bypass_change_shows_in_diff(tmp_path):
    path = tmp_path / "p.mobileconfig"
    changed = copy.deepcopy(BASE)
    changed["proxy"]["bypass_domains"][2] = "*.example.net"
    run = run_tasks(tmp_path, [
        _task("first", path, BASE), _snapshot("first", path),
        _task("second", path, BASE), _snapshot("second", path),
        _task("check", path, changed, check_mode=True), _snapshot("check", path),
        _task("third", path, changed),
    ], registers=("first", "second", "check", "third"))
    res = run.result
    assert not res["_failed_task"], run
    first_bytes = (tmp_path / "p.mobileconfig.first").read_bytes()
    assert res["first"]["changed"] is True and first_bytes.startswith(b"<?xml")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644

    assert res["second"]["changed"] is False, res["second"]
    assert (tmp_path / "p.mobileconfig.second").read_bytes() == first_bytes
    assert res["second"]["diff"]["before"] == res["second"]["diff"]["after"]

    assert res["check"]["changed"] is True
    assert (tmp_path / "p.mobileconfig.check").read_bytes() == first_bytes, "check mode must not write"

    third = res["third"]
    assert third["changed"] is True and path.read_bytes() != first_bytes
    assert "<string>*.example.org</string>" in third["diff"]["before"]
    assert "<string>*.example.net</string>" in third["diff"]["after"]
    assert "*.example.org" not in third["diff"]["after"]
    assert "-\t\t\t\t\t<string>*.example.org</string>" in run.stdout, "the diff is shown"
    assert plistlib.loads(path.read_bytes())["PayloadContent"][0]["Proxies"]["ExceptionsList"][-2:] == [
        "*.example.net", "example.net"]  # the bypass rule's apex
    # UUIDs are derived from identifiers: stable across a content change
    assert third["uuid"] == res["first"]["uuid"] and third["payload_uuids"] == res["first"]["payload_uuids"]
    assert third["bypass_entries"] == ["*.apple.com", "apple.com", "swscan.apple.com", "*.example.net", "example.net"]


def test_password_hidden_file_private_and_catalog_url_warns(tmp_path):
    path = tmp_path / "cred.mobileconfig"
    args = {"identifier": "com.example.cred",
            "global_proxy": {"host": "proxy.example.com", "port": 8080, "username": "svc", "password": "Sup3r-Secret"}}
    other = copy.deepcopy(args)
    other["global_proxy"]["password"] = "0ther-Secret"
    run = run_tasks(tmp_path, [
        _task("first", path, args), _snapshot("first", path),
        _task("second", path, other), _snapshot("second", path),
        _task("again", path, other),
        _task("su", tmp_path / "su.mobileconfig",
              {"identifier": "com.example.su", "software_update": {"catalog_url": "http://su.example.com/x.sucatalog"}}),
    ], registers=("first", "second", "again", "su"))
    res = run.result
    assert not res["_failed_task"], run
    assert res["first"]["changed"] is True and res["first"]["mode"] == "0600"
    assert stat.S_IMODE(os.stat(tmp_path / "cred.mobileconfig.first").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert b"Sup3r-Secret" in (tmp_path / "cred.mobileconfig.first").read_bytes()
    assert res["second"]["changed"] is True and "******** (changed)" in res["second"]["diff"]["after"]
    assert res["again"]["changed"] is False
    # The returned digest is the same for both passwords: nothing in the log to test a password guess against.
    assert res["first"]["sha256"] == res["second"]["sha256"] == res["again"]["sha256"]
    for name in ("first", "second"):
        file_digest = hashlib.sha256((tmp_path / ("cred.mobileconfig." + name)).read_bytes()).hexdigest()
        assert file_digest not in run.stdout + run.stderr and file_digest not in str(res)
    for secret in ("Sup3r-Secret", "0ther-Secret"):
        assert secret not in run.stdout and secret not in run.stderr
        assert secret not in str(res["first"]) and secret not in str(res["second"])
    assert any("macOS 11 and later ignore CatalogURL" in w for w in res["su"].get("warnings", [])), res["su"]
    assert "macOS 11 and later ignore CatalogURL" in run.stderr + run.stdout


BAD = [
    ({"proxy": {"auto_proxy_url": "file:///etc/proxy.pac"}}, "proxy.auto_proxy_url must be an http:// or https:// URL"),
    ({"proxy": {"auto_proxy_url": "ftp://pac.example.com/p.pac"}}, "proxy.auto_proxy_url must be an http:// or https:// URL"),
    ({"global_proxy": {"type": "auto", "pac_url": "javascript:alert(1)"}}, "global_proxy.pac_url must be an http:// or https:// URL"),
    ({"proxy": {"web_proxy": {"host": "proxy.example.com", "port": 70000}}}, "proxy.web_proxy.port must be between 1 and 65535, got 70000"),
    ({"global_proxy": {"host": "proxy.example.com", "port": 0}}, "global_proxy.port must be between 1 and 65535, got 0"),
    ({"proxy": {"web_proxy": {"host": "proxy.example.com", "port": 3128},
                "bypass_domains": ["ok.example.com", "evil.example.com\n<string>x"]}},
     "proxy.bypass_domains[1] must not contain control characters or line breaks"),
    ({"proxy": {"web_proxy": {"host": "proxy.example.com", "port": 3128}, "bypass_domains": ["a b.example.com"]}},
     "bypass host 'a b.example.com' contains the character ' '"),
    ({"firewall": {"enable_firewall": True, "EnableStealthMode": True}}, "EnableStealthMode"),
    ({"proxy": {"web_proxy": {"host": "proxy.example.com", "port": 3128}, "Exceptions": "*.local"}}, "Exceptions"),
    ({"software_update": {"automatic_download": "sometimes"}}, "automatic_download"),
    ({"firewall": {"enable_firewall": True, "applications": [{"bundle_id": "/Applications/Safari.app", "allowed": True}]}},
     "firewall.applications[0].bundle_id must be a bundle identifier"),
]


def test_bad_input_fails_clearly_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    path = out / "bad.mobileconfig"
    task = {"name": "bad", MODULE: "{{ {'path': '%s', 'identifier': 'com.example.bad'} | combine(item) }}" % path,
            "loop": [args for args, _message in BAD], "register": "bad", "ignore_errors": True}
    run = run_tasks(tmp_path, [task], registers=("bad",))
    results = run.result["bad"]["results"]
    assert len(results) == len(BAD), run
    for (args, message), res in zip(BAD, results):
        assert res.get("failed") is True, (args, res)
        assert message in res["msg"], (message, res["msg"])
    assert list(out.iterdir()) == [], "nothing written, no temporary file left"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """Root CA -> intermediate -> signer (RSA), as PEM files."""
    base = tmp_path_factory.mktemp("pki")
    root = trustme.CA(key_type=trustme.KeyType.RSA)
    intermediate = root.create_child_ca(key_type=trustme.KeyType.RSA)
    leaf = intermediate.issue_cert("profiles.example.com", key_type=trustme.KeyType.RSA)
    files = {"root": base / "root.pem", "chain": base / "intermediate.pem", "cert": base / "signer.pem", "key": base / "signer.key"}
    root.cert_pem.write_to_path(str(files["root"]))
    intermediate.cert_pem.write_to_path(str(files["chain"]))
    leaf.cert_chain_pems[0].write_to_path(str(files["cert"]))
    leaf.private_key_pem.write_to_path(str(files["key"]))
    return files


def _verify(path, root, out):
    return subprocess.run(["openssl", "smime", "-verify", "-binary", "-inform", "der", "-purpose", "any",
                           "-in", str(path), "-CAfile", str(root), "-out", str(out)],
                          capture_output=True, text=True, check=False)


def test_signed_profile_verifies_and_is_resigned_only_on_change(tmp_path, pki):
    unsigned, signed, nochain = tmp_path / "unsigned.mobileconfig", tmp_path / "signed.mobileconfig", tmp_path / "nochain.mobileconfig"
    signing = {"certificate": str(pki["cert"]), "private_key": str(pki["key"]), "chain": [str(pki["chain"])]}
    changed = copy.deepcopy(BASE)
    changed["proxy"]["bypass_domains"].append("*.example.net")
    run = run_tasks(tmp_path, [
        _task("unsigned", unsigned, BASE),
        _task("signed", signed, dict(BASE, signing=signing)), _snapshot("first", signed),
        _task("nochain", nochain, dict(BASE, signing=dict(signing, chain=[]))),
        _task("again", signed, dict(BASE, signing=signing)), _snapshot("again", signed),
        _task("changed", signed, dict(changed, signing=signing)), _snapshot("changed", signed),
        _task("plain", signed, changed),
    ], registers=("signed", "again", "changed", "plain"))
    res = run.result
    assert not res["_failed_task"], run
    first = (tmp_path / "signed.mobileconfig.first").read_bytes()
    assert res["signed"]["changed"] is True and res["signed"]["signed"] is True and res["signed"]["resigned"] is True
    assert first[:1] == b"\x30"

    proc = _verify(tmp_path / "signed.mobileconfig.first", pki["root"], tmp_path / "content.plist")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "content.plist").read_bytes() == unsigned.read_bytes()
    assert cms.signed_content(first) == unsigned.read_bytes()

    # Without the intermediate in the file, verification against the root alone fails.
    assert _verify(nochain, pki["root"], tmp_path / "x.plist").returncode != 0

    # Tampered: one character of the embedded content changed.
    tampered = tmp_path / "tampered.mobileconfig"
    tampered.write_bytes(first.replace(b"proxy.example.com", b"proxy.example.con", 1))
    proc = _verify(tampered, pki["root"], tmp_path / "t.plist")
    assert proc.returncode != 0
    assert "failure" in proc.stderr.lower(), proc.stderr

    # Same content: not re-signed (a new signature would differ in its signing time).
    assert res["again"]["changed"] is False and res["again"]["resigned"] is False
    assert (tmp_path / "signed.mobileconfig.again").read_bytes() == first

    # Changed content: re-signed, still verifies, and the diff shows the change.
    assert res["changed"]["changed"] is True and res["changed"]["resigned"] is True
    assert "*.example.net" in res["changed"]["diff"]["after"] and "*.example.net" not in res["changed"]["diff"]["before"]
    assert _verify(tmp_path / "signed.mobileconfig.changed", pki["root"], tmp_path / "c2.plist").returncode == 0

    # Signing dropped: the file becomes the unsigned rendering.
    assert res["plain"]["changed"] is True and signed.read_bytes()[:5] == b"<?xml"
