# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import hashlib
import plistlib

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.profile import cms, installed, render
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.profile.spec import ProfileError

OPTS = {"identifier": "com.example.proxy",
        "proxy": {"web_proxy": {"host": "Proxy.Example.com", "port": 3128}, "bypass_domains": ["*.apple.com", "*.apple.com"],
                  "bypass_include_apex": True}}


def test_render_is_deterministic_and_uuid_derived():
    one, _w = render.build_profile(OPTS)
    two, _w = render.build_profile(dict(OPTS))
    assert render.render(one) == render.render(two)
    assert one["PayloadUUID"] == render.derived_uuid("profile", "com.example.proxy")
    other, _w = render.build_profile(dict(OPTS, identifier="com.example.other"))
    assert other["PayloadUUID"] != one["PayloadUUID"]
    proxies = one["PayloadContent"][0]["Proxies"]
    assert proxies["HTTPProxy"] == "proxy.example.com" and proxies["ExceptionsList"] == ["*.apple.com", "apple.com"]


@pytest.mark.parametrize("options, message", [
    ({"identifier": "com.example.p", "proxy": {"auto_proxy_url": "file:///p.pac"}}, "proxy.auto_proxy_url"),
    ({"identifier": "com.example.p", "proxy": {"web_proxy": {"host": "h.example.com", "port": True}}}, "proxy.web_proxy.port must be of type int"),
    ({"identifier": "com.example.p", "proxy": {"web_proxy": {"host": "h.example.com", "port": 65536}}}, "between 1 and 65535"),
    ({"identifier": "com.example.p", "proxy": {"web_proxy": {"host": "h.example.com", "port": 1}, "bypass_domains": ["a\nb"]}}, "bypass_domains[0]"),
    ({"identifier": "com.example.p", "software_update": {"Foo": True}}, "unknown key Foo"),
    ({"identifier": "com.example.p", "global_proxy": {"type": "auto", "pac_url": "http://w/p", "host": "h"}}, "apply only when global_proxy.type is manual"),
    ({"identifier": "com.example.p", "global_proxy": {"host": "h", "port": 1, "password": "x"}}, "password needs"),
    ({"identifier": "com.example.p"}, "set at least one payload"),
    ({"identifier": "com.example.p", "display_name": "a\x00b", "firewall": {"enable_firewall": True}}, "profile.display_name"),
])
def test_bad_input(options, message):
    with pytest.raises(ProfileError, match=None) as info:
        render.build_profile(options)
    assert message in str(info.value)


def test_password_never_shown_in_error():
    with pytest.raises(ProfileError) as info:
        render.build_profile({"identifier": "com.example.p", "global_proxy": {"host": "h", "port": 1, "username": "u", "password": 12345}})
    assert "12345" not in str(info.value) and "(hidden)" in str(info.value)


def test_diff_masks_passwords():
    profile, _w = render.build_profile({"identifier": "com.example.p", "global_proxy": {"host": "h", "port": 1, "username": "u", "password": "pw1"}})
    text = render.diff_text(profile)
    assert "pw1" not in text and "********" in text
    assert render.has_credentials(profile)
    assert "ProxyPassword" not in str(render.comparable(profile))


def test_public_digest_does_not_depend_on_the_password():
    def profile(password, port=8080):
        return render.build_profile({"identifier": "com.example.p", "global_proxy": {
            "host": "proxy.example.com", "port": port, "username": "svc", "password": password}})[0]

    one, other = profile("Sup3r-Secret"), profile("0ther-Secret")
    assert render.render(one) != render.render(other)  # the files differ: a new password is a change
    assert render.public_digest(one) == render.public_digest(other)
    # Not the digest of the file (which a password guess could be tested against), and still a digest of the rest.
    assert render.public_digest(one) != hashlib.sha256(render.render(one)).hexdigest()
    assert render.public_digest(profile("Sup3r-Secret", port=3128)) != render.public_digest(one)


def test_signed_content_extraction_and_errors():
    pytest.importorskip("cryptography")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    import datetime

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "signer")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    content = render.render(render.build_profile(OPTS)[0])
    signed = cms.sign(content, cert, key, [])
    assert cms.looks_signed(signed) and not cms.looks_signed(content)
    assert cms.signed_content(signed) == content
    assert cms.embedded_certificates_der(signed) == cms.certificates_der(cert, [])
    with pytest.raises(cms.CMSError):
        cms.signed_content(signed[:40])
    pem = cert.public_bytes(serialization.Encoding.PEM)
    other = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with pytest.raises(ValueError, match="does not belong"):
        cms.load_signer(pem, other)


def test_compare_installed():
    profile, _w = render.build_profile(OPTS)
    expected = render.comparable(profile)
    payload = profile["PayloadContent"][0]
    show = {"_computerlevel": [{"ProfileIdentifier": "com.example.proxy", "ProfileUUID": profile["PayloadUUID"], "ProfileItems": [{
        "PayloadType": payload["PayloadType"], "PayloadIdentifier": payload["PayloadIdentifier"], "PayloadUUID": payload["PayloadUUID"],
        "PayloadContent": {"Proxies": dict(payload["Proxies"])}}]}]}
    parsed = installed.parse_show_output(plistlib.dumps(show))
    level, found = installed.find_profile(parsed, "com.example.proxy")
    assert level == "_computerlevel"
    assert installed.compare(expected, installed.installed_view(found)) == []
    found["ProfileItems"][0]["PayloadContent"]["Proxies"]["HTTPEnable"] = True  # bool instead of 1
    diffs = installed.compare(expected, installed.installed_view(found))
    assert diffs and "HTTPEnable" in diffs[0]
    assert installed.find_profile(installed.parse_show_output(b""), "x") == (None, None)
    with pytest.raises(installed.InstalledError):
        installed.parse_show_output(b"There are no profiles")
