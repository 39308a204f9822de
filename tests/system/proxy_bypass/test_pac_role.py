# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role's pac target: the written file, evaluated by pacparser; mode, validation, idempotence, check mode."""

from __future__ import annotations

import sys

import pacparser
import pytest

ROLE_PLAY = """
- hosts: localhost
  gather_facts: false
  roles:
    - role: macfleet.apple_network.proxy_bypass
      vars:
        proxy_bypass_targets: [pac]
"""
TASK = "macfleet.apple_network.proxy_bypass : Write the PAC file atomically"
VALIDATOR = ("%s -c \"import sys, pacparser; pacparser.init(); pacparser.parse_pac_file(sys.argv[1]); "
             "sys.exit(pacparser.find_proxy('https://swscan.apple.com/', 'swscan.apple.com') != 'DIRECT')\" %%s"
             % sys.executable)


def verdicts(path, names):
    pacparser.init()
    try:
        pacparser.parse_pac_file(str(path))
        return dict((name, pacparser.find_proxy("https://%s/" % name, name)) for name in names)
    finally:
        pacparser.cleanup()


def test_pac_target(play, scratch):
    path = scratch / "www" / "proxy.pac"
    path.parent.mkdir()
    extra = {"proxy_bypass_pac_path": str(path), "proxy_bypass_pac_proxy": "proxy.example.com:3128",
             "proxy_bypass_pac_mode": "0640", "proxy_bypass_pac_validate": VALIDATOR,
             "proxy_bypass_extra_hosts": ["apple.com"]}
    checked = play(ROLE_PLAY, extra_vars=extra, check=True)
    assert checked.rc == 0, checked
    assert checked.results(TASK)["localhost"]["changed"] is True
    assert not path.exists()

    result = play(ROLE_PLAY, extra_vars=extra)
    assert result.rc == 0, result
    assert oct(path.stat().st_mode & 0o777) == "0o640"
    fallback = "PROXY proxy.example.com:3128; DIRECT"
    assert verdicts(path, ["swscan.apple.com", "SWCDN.APPLE.COM.", "apple.com", "gg1.apple.com", "evilapple.com",
                           "ggx.apple.com.evil.net", "example.org"]) == {
        "swscan.apple.com": "DIRECT", "SWCDN.APPLE.COM.": "DIRECT", "apple.com": "DIRECT", "gg1.apple.com": "DIRECT",
        "evilapple.com": fallback, "ggx.apple.com.evil.net": fallback, "example.org": fallback}

    again = play(ROLE_PLAY, extra_vars=extra)
    assert again.rc == 0, again
    assert again.results(TASK)["localhost"]["changed"] is False


def test_validation_command_failure_keeps_the_old_file(play, scratch):
    path = scratch / "proxy.pac"
    path.write_text("// old\n")
    extra = {"proxy_bypass_pac_path": str(path), "proxy_bypass_pac_fallback": "PROXY a.example.com:3128",
             "proxy_bypass_pac_validate": "/bin/false %s"}
    result = play(ROLE_PLAY, extra_vars=extra)
    assert result.rc != 0
    assert path.read_text() == "// old\n"


@pytest.mark.parametrize("extra, message", [
    ({"proxy_bypass_extra_hosts": ['evil".apple.com']}, "macos_bypass_list: bypass host 'evil"),
    ({"proxy_bypass_extra_hosts": ["evil .apple.com"]}, "evil .apple.com"),
    ({"proxy_bypass_extra_hosts": ["fd00::1%en0"]}, "bypass host 'fd00::1%en0' is neither a host pattern nor a valid IP"),
    ({"proxy_bypass_extra_hosts": ["10.0.0.0/8", "fe80::%x;}/64"]}, "zone ID"),
    ({"proxy_bypass_pac_proxy": "", "proxy_bypass_pac_fallback": ""}, "exactly one of proxy_bypass_pac_proxy"),
])
def test_bad_input_fails_before_writing(play, scratch, extra, message):
    path = scratch / "proxy.pac"
    values = {"proxy_bypass_pac_path": str(path), "proxy_bypass_pac_proxy": "proxy.example.com:3128"}
    values.update(extra)
    result = play(ROLE_PLAY, extra_vars=values)
    assert result.rc != 0
    assert message in result.proc.stdout
    assert not path.exists()
