# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Typos fail loudly, through ansible-playbook: a misspelt keyword of a lookup or filter fails naming the valid
options, and a selection value that matches nothing fails naming the valid values, in lookups, filters, the
endpoint_probe action and a role option alike (never a silent "everything" or "nothing")."""

from __future__ import annotations

import pytest

CASES = {
    "hosts sections=": ("msg: \"{{ query('macfleet.apple_network.hosts', sections='Device management') }}\"",
                        ["unknown option sections", "valid options are:", "section,"]),
    "ports usedby=": ("msg: \"{{ query('macfleet.apple_network.ports', usedby='Bonjour') }}\"",
                      ["unknown option usedby", "used_by"]),
    "firewall_selection direction=": (
        "msg: \"{{ query('macfleet.apple_network.firewall_selection', direction=['ingress']) }}\"",
        ["unknown option direction", "directions"]),
    "hosts used_by typo": ("msg: \"{{ query('macfleet.apple_network.hosts', used_by='Sofware Update') }}\"",
                           ["used_by: 'Sofware Update' matches nothing", "did you mean 'Software Update'", "valid values"]),
    "hosts unknown group": ("msg: \"{{ query('macfleet.apple_network.hosts', group='sofware-update') }}\"",
                            ["group: 'sofware-update' is not a host group; valid values are:", "software-update"]),
    "filter unknown keyword": (
        "msg: \"{{ query('macfleet.apple_network.ports', used_by='Bonjour') | macfleet.apple_network.port_ranges(unspecifed=[]) }}\"",
        ["macfleet.apple_network.port_ranges: unknown option unspecifed; valid options are: unspecified"]),
    "filter unknown protocol": (
        "msg: \"{{ query('macfleet.apple_network.ports', used_by='Bonjour') | macfleet.apple_network.port_ranges(unspecified=['tpc']) }}\"",
        ["'tpc' is not a protocol; valid values are: tcp, udp"]),
    "filter shape direction typo": (
        "msg: \"{{ query('macfleet.apple_network.firewall_selection')[0] | macfleet.apple_network.firewall_shape('ufw', directon='egress') }}\"",
        ["firewall_shape: unknown option directon; valid options are: direction, shape"]),
}


def _play(task):
    return """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Case
      %s
""" % task


@pytest.mark.parametrize("case", sorted(CASES))
def test_lookup_and_filter_typos_fail(case, run_playbook):
    expression, expected = CASES[case]
    run = run_playbook(_play("ansible.builtin.debug:\n        " + expression))
    assert run.rc != 0, run
    message = run.results("Case", "localhost")["msg"]
    for text in expected:
        assert text in message, message


def test_endpoint_probe_used_by_typo_fails_naming_the_valid_values(run_playbook):
    run = run_playbook(_play("macfleet.apple_network.endpoint_probe:\n        used_by: [Sofware Update]"))
    assert run.rc != 0, run
    result = run.results("Case", "localhost")
    assert result.get("failed") and not result.get("results"), result
    assert "used_by: 'Sofware Update' matches nothing" in result["msg"] and "'Software Update'" in result["msg"], result


def test_endpoint_probe_selection_of_no_host_fails(run_playbook):
    # Each selector is valid, together they select nothing (no host of the 2018 group is in a 101555 section).
    run = run_playbook(_play("macfleet.apple_network.endpoint_probe:\n        sources: [apple-support-101555]\n"
                             "        used_by: [iTunes]"))
    assert run.rc != 0, run
    assert "matches no catalog host" in run.results("Case", "localhost")["msg"]


def test_role_option_typo_fails(run_playbook, tmp_path):
    play = """
- hosts: localhost
  gather_facts: false
  roles:
    - role: macfleet.apple_network.proxy_bypass
      proxy_bypass_targets: [pac]
      proxy_bypass_pac_path: %s/bypass.pac
      proxy_bypass_pac_proxy: proxy.example.com:3128
      proxy_bypass_catalog_used_by: [Sofware Update]
""" % tmp_path
    run = run_playbook(play)
    assert run.rc != 0, run
    failed = [r for t in run.tasks() for r in t["hosts"].values() if r.get("failed")]
    assert failed and "used_by: 'Sofware Update' matches nothing" in failed[0]["msg"], failed
    assert not (tmp_path / "bypass.pac").exists()
