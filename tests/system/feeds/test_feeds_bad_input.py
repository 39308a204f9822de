# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The feeds playbook on bad input: a clear error naming the option and the value, and nothing published."""

from __future__ import annotations

import pytest

from feeds_env import feeds_vars, run_feeds, user_catalog

BAD_HOST_CATALOG = user_catalog(3) + '  - {source: corp, group: corp, host: "bad_host.corp.example.com"}\n'


@pytest.mark.parametrize("case, expect", [
    ({"feeds_vendors": ["checkpoint"]}, ["feeds_vendors", "checkpoint"]),
    ({"feeds_catalog_sections": ["Device management"]}, ["yields no hosts", "feeds_catalog_sections", "Device management"]),
    ({"feeds_supports_proxies": ["yes"]}, ["hosts: the selection yields no hosts", "supports_proxies"]),
    ({"catalog": BAD_HOST_CATALOG}, ["bad_host.corp.example.com", "'_'"]),
    ({"dest_under_a_file": True}, ["dest:", "is not a directory", "nothing was published"]),
], ids=["unknown-vendor", "no-hosts", "no-hosts-after-proxy-column", "bad-character", "unwritable-dest"])
def test_bad_input_fails_naming_the_option_and_publishes_nothing(run_playbook, scratch, case, expect):
    catalog = scratch / "corp.yml"
    catalog.write_text(case.pop("catalog", user_catalog(10)))
    dest = scratch / "feeds"
    if case.pop("dest_under_a_file", False):
        (scratch / "file").write_text("not a directory\n")
        dest = scratch / "file" / "feeds"
    result = run_feeds(run_playbook, scratch, feeds_vars(dest, catalog, **case))
    assert result.rc != 0, result
    failures = [host["msg"] for task in result.tasks() for host in task["hosts"].values() if host.get("failed")]
    assert len(failures) == 1, result
    for text in expect:
        assert text in failures[0], failures[0]
    assert not (scratch / "feeds").exists()
