# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The playbooks' section choices (what the AWX multiselect offers) are the bundled editions' sections with hosts.

They are written out in the argument specifications because AWX needs them there; this keeps them in step with the
catalog when an edition changes.
"""

from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog

COLLECTION_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", ".."))


def host_sections():
    """Sections of the bundled editions that have host rows, in the order the documents give them."""
    sections = []
    for record in load_catalog().hosts():
        if record.get("section") and record["section"] not in sections:
            sections.append(record["section"])
    return sections


@pytest.mark.parametrize("spec, variable", [
    ("playbooks/argument_specs/readiness.yml", "macfleet_readiness_sections"),
    ("playbooks/argument_specs/probe.yml", "macfleet_probe_sections"),
])
def test_section_choices_are_the_catalogs_host_sections(spec, variable):
    with open(os.path.join(COLLECTION_ROOT, spec)) as handle:
        document = yaml.safe_load(handle)
    (entry_point,) = document["argument_specs"].values()
    option = entry_point["options"][variable]
    assert option["choices"] == host_sections()
    assert set(option["default"]) <= set(option["choices"])
