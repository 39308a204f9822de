#!/usr/bin/python
# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: readiness_report
short_description: Write the fleet readiness report from per-host probe results
version_added: 0.1.0
description:
  - Reads the per-host result files that the collection's C(probe) playbook writes (one JSON document
    per host, with the C(results) and C(summary) of the C(endpoint_probe) module) and writes a readiness
    report into a directory.
  - The report is a self-contained HTML page (no external assets, no scripts) with a hosts by endpoints
    matrix coloured by verdict (ok, intercepted, blocked, DNS failed, skipped), the HTTPS interception
    evidence (issuer seen against issuer expected), counts per service and the catalog edition used,
    plus a JSON and a CSV export of the same data.
  - Each cell shows, where the probe reported them, the path the probe took (C(direct), C(via proxy host:port),
    C(bypassed by <entry>), C(PAC not evaluated)), which trust decided the TLS chain (the anchor set, a pinned
    fingerprint or the host's trust store) and, for an intercepted cell, the CA that re-signed the chain.
  - The matrix's columns are grouped by the catalog section of their endpoint (the 2018 documents' rows, which have no
    section, by their source; targets that stand for no catalog row under C(Explicit targets)); an endpoint that
    several sections list (C(gdmf.apple.com)) has one column and is counted and listed in each of its sections.
  - For every cell that needs a change (blocked, DNS failed, intercepted) the report says what to change in one line
    per section, generated from the verdict and the catalog row, for example C(allow TCP 443 to gdmf.apple.com through
    the firewall), C(exempt gdmf.apple.com from TLS inspection), C(send gdmf.apple.com DIRECT) with the reason for a
    proxy failure on a row whose proxy support Apple does not state, or a C(fix DNS) line for a name that does not
    resolve. The HTML page lists these lines per section, the JSON export has them per cell (C(remediation)) and per
    section (RV(sections)), and the CSV export in its C(remediation) column.
  - Every host of the result sets is in the report. A host that could not be probed (its result set has
    C(unchecked) with a C(reason) of V(unreachable), V(no_python) or V(module_error) and a C(message), and no
    results; the P(macfleet.apple_network.probe_result_set#filter) filter writes it) gets a row that says
    C(not checked) and the reason, with the message, and is counted in RV(unchecked), apart from the cell RV(totals).
  - Result sets from several runs are merged, so a job that AWX split into slices gives one report.
    When a host appears in more than one result set, the set with the latest C(generated_at) is kept;
    equal times are decided by the content, so the outcome never depends on the order of the inputs.
    The report lists every duplicate it dropped.
  - "Run it on the controller, once per job, for example with C(delegate_to: localhost) and C(run_once: true)."
  - Every input file is validated before anything is written; an invalid file fails with a message naming
    the file, the host, the result index and the field.
  - Output is deterministic. A file whose content would not change is not rewritten and the module
    reports RV(ignore:changed=false).
author:
  - macfleet.apple_network contributors (@macfleet)
extends_documentation_fragment:
  - ansible.builtin.files
  - macfleet.apple_network._attributes
  - macfleet.apple_network._attributes.IDEMPOTENT
  - macfleet.apple_network._attributes.PLATFORM
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows the old and the new content of every file that changes.
  idempotent:
    support: full
  platform:
    support: full
    platforms: posix
options:
  src:
    description:
      - Result files, or directories whose C(*.json) files (not recursive) are result files.
      - A result file holds one per-host result set (C(host), C(catalog_edition), C(generated_at),
        C(results), C(summary), and C(unchecked) for a host that could not be probed) or a list of them.
      - Files are read in the order given; directories in the sorted order of their file names.
    type: list
    elements: path
    default: []
  result_sets:
    description:
      - Per-host result sets given directly, in the same format as a result file, for example collected
        from C(hostvars) of the probed hosts.
      - Merged with the sets read from O(src).
    type: list
    elements: dict
    default: []
  dest:
    description:
      - Directory the report files are written to. It is created when missing.
      - When O(dest) is also listed in O(src), the report's own JSON export is not read back as a result file.
    type: path
    required: true
  basename:
    description:
      - File name of the report without extension; the files are C(<basename>.html), C(<basename>.json)
        and C(<basename>.csv).
      - Letters, digits, C(.), C(_) and C(-) only, starting with a letter or a digit.
    type: str
    default: readiness
  formats:
    description:
      - Which files to write. Files of formats not listed are left alone.
    type: list
    elements: str
    choices: [html, json, csv]
    default: [html, json, csv]
  title:
    description:
      - Title of the HTML page and of the JSON export.
    type: str
    default: Apple network readiness
notes:
  - The CSV export has one row per host and endpoint, with the path, trust, section and remediation columns, and one row per host
    that could not be checked (category C(not-checked), C(unchecked_reason) and the message). Text cells that
    would start with C(=), C(+), C(-) or C(@) are prefixed with C(') so that a spreadsheet never evaluates them
    as formulas.
seealso:
  - plugin: macfleet.apple_network.probe_result_set
    plugin_type: filter
    description: The result set of one host from the registered result of its probe task.
  - ref: ansible_collections.macfleet.apple_network.docsite.awx_guide
    description: Running the collection in AWX, with surveys and job slicing.
"""

EXAMPLES = r"""
- name: Write the readiness report from the probe results of every slice
  # example: needs root on a real host (reads the AWX slices under /var/lib/awx/reports)
  macfleet.apple_network.readiness_report:
    src:
      - /var/lib/awx/reports/slice-1
      - /var/lib/awx/reports/slice-2
    dest: /var/lib/awx/reports/fleet
  delegate_to: localhost
  run_once: true

- name: Report from result sets the probe play left in hostvars (probe_result_set filter), HTML only
  # example: needs macOS (the result sets of a probe play on the inventory's Macs)
  macfleet.apple_network.readiness_report:
    result_sets: "{{ ansible_play_hosts_all | map('extract', hostvars, 'macfleet_probe_result_set') | list }}"
    dest: ~/.ansible/macfleet_apple_network/readiness-output
    formats: [html]
    title: Readiness of the London office
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
files:
  description: Path of each report file that was written (or would be written in check mode), by format.
  returned: success
  type: dict
  sample:
    html: /srv/reports/readiness.html
    json: /srv/reports/readiness.json
    csv: /srv/reports/readiness.csv
changed_files:
  description: The formats whose file changed (or would change in check mode).
  returned: success
  type: list
  elements: str
  sample: [html, json]
host_count:
  description: Number of hosts in the report, after merging duplicates, including the hosts that could not be checked.
  returned: success
  type: int
  sample: 3
unchecked:
  description: Number of hosts that could not be checked, by reason, and in all.
  returned: success
  type: dict
  contains:
    unreachable:
      description: The controller could not connect to the host.
      type: int
      returned: success
    no_python:
      description: The module never started, for want of a usable Python on the host.
      type: int
      returned: success
    module_error:
      description: The probe module failed for another reason.
      type: int
      returned: success
    total:
      description: All hosts that could not be checked.
      type: int
      returned: success
  sample: {unreachable: 1, no_python: 0, module_error: 0, total: 1}
unchecked_hosts:
  description: The hosts that could not be checked, sorted by name, with the reason and the error message.
  returned: success
  type: list
  elements: dict
  sample:
    - host: mac-07
      reason: unreachable
      message: "Failed to connect to the host via ssh: ssh: connect to host mac-07 port 22: Operation timed out"
      origin: /srv/results/mac-07.json
      generated_at: "2024-05-01T10:00:03Z"
endpoint_count:
  description: Number of endpoints (matrix columns).
  returned: success
  type: int
  sample: 5
totals:
  description: Number of matrix cells per verdict colour, and of all cells (hosts that could not be checked have no cells).
  returned: success
  type: dict
  contains:
    ok:
      description: Reachable with the expected certificate chain.
      type: int
      returned: success
    intercepted:
      description: HTTPS interception detected.
      type: int
      returned: success
    blocked:
      description: Refused, timed out, TLS, HTTP, proxy or NTP failure.
      type: int
      returned: success
    dns:
      description: The name did not resolve.
      type: int
      returned: success
    skipped:
      description: Not probed by choice.
      type: int
      returned: success
    not_probed:
      description: The endpoint is not in that host's results.
      type: int
      returned: success
    cells:
      description: All cells (hosts times endpoints).
      type: int
      returned: success
  sample: {ok: 10, intercepted: 1, blocked: 1, dns: 2, skipped: 1, not_probed: 0, cells: 15}
catalog_editions:
  description: The catalog editions the hosts were probed with (more than one is flagged in the report).
  returned: success
  type: list
  elements: str
  sample: [apple-2018-02-13]
interception_count:
  description: Number of host and endpoint pairs with HTTPS interception evidence.
  returned: success
  type: int
  sample: 1
sections:
  description:
    - The report's sections in the order of the page (catalog sections first, then the sources of rows without a
      section, then C(Explicit targets)), each with its endpoints, the counts of its cells and every cell that needs a
      change, with the line that says what to change.
  returned: success
  type: list
  elements: dict
  contains:
    section:
      description: The section name, or the source id of rows without a section, or C(Explicit targets).
      type: str
      returned: success
    kind:
      description: V(section), V(source) or V(targets).
      type: str
      returned: success
    endpoints:
      description: The endpoints (C(host:port/protocol)) of the section.
      type: list
      elements: str
      returned: success
    counts:
      description: Cells of the section per category, as in RV(totals) without C(cells).
      type: dict
      returned: success
    failures:
      description: Every cell of the section that needs a change (host, endpoint, category, verdict, row and remediation).
      type: list
      elements: dict
      returned: success
  sample:
    - section: Device management
      kind: section
      endpoints: [gdmf.apple.com:443/tcp]
      counts: {ok: 0, intercepted: 0, blocked: 1, dns: 0, skipped: 0, not_probed: 0}
      failures:
        - {host: mac-01, endpoint: gdmf.apple.com:443/tcp, category: blocked, verdict: refused,
           row: apple-support-101555/device-management/gdmf.apple.com,
           remediation: allow TCP 443 to gdmf.apple.com through the firewall}
duplicates:
  description: Hosts that appeared in more than one result set, with the kept and the dropped origin.
  returned: success
  type: list
  elements: dict
  sample:
    - host: mac-02
      kept: /srv/results/slice-a/mac-02.json
      dropped: /srv/results/slice-b/mac-02.json
      kept_generated_at: "2024-05-01T10:00:05Z"
      dropped_generated_at: "2024-05-01T09:00:00Z"
"""

import os
import re
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native

from ansible_collections.macfleet.apple_network.plugins.module_utils._report.model import (
    ReportError,
    build_report,
    expand_paths,
    read_result_file,
    validate_result_set,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.render import RENDERERS

_BASENAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$")
FORMATS = ("html", "json", "csv")


def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _write(module, path, content):
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        module.atomic_move(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type="list", elements="path", default=[]),
            result_sets=dict(type="list", elements="dict", default=[]),
            dest=dict(type="path", required=True),
            basename=dict(type="str", default="readiness"),
            formats=dict(type="list", elements="str", choices=list(FORMATS), default=list(FORMATS)),
            title=dict(type="str", default="Apple network readiness"),
        ),
        required_one_of=[("src", "result_sets")],
        add_file_common_args=True,
        supports_check_mode=True,
    )
    params = module.params
    if not _BASENAME.match(params["basename"]):
        module.fail_json(msg="basename: %r may only contain letters, digits, '.', '_' and '-'" % params["basename"])
    dest = params["dest"]
    if os.path.exists(dest) and not os.path.isdir(dest):
        module.fail_json(msg="dest: %s exists and is not a directory" % dest)
    formats = [f for f in FORMATS if f in params["formats"]]
    paths = {fmt: os.path.join(dest, "%s.%s" % (params["basename"], fmt)) for fmt in formats}

    # Read and validate every input before anything is written.
    try:
        result_sets = []
        for path in expand_paths(params["src"], exclude=[os.path.join(dest, params["basename"] + ".json")]):
            result_sets.extend(read_result_file(path))
        for index, data in enumerate(params["result_sets"]):
            result_sets.append(validate_result_set(data, "result_sets[%d]" % index))
    except ReportError as exc:
        module.fail_json(msg=to_native(exc))
    if not result_sets:
        module.fail_json(msg="no probe results: src (%s) holds no result files and result_sets is empty"
                         % (", ".join(params["src"]) or "none"))
    report = build_report(result_sets, title=params["title"])

    changed_files, diffs = [], []
    dest_missing = not os.path.isdir(dest)
    if dest_missing:
        diffs.append({"before_header": dest, "after_header": dest, "before": {"path": dest, "state": "absent"},
                      "after": {"path": dest, "state": "directory"}})
        if not module.check_mode:
            try:
                os.makedirs(dest)
            except OSError as exc:
                module.fail_json(msg="dest: cannot create %s: %s" % (dest, to_native(exc)))
    for fmt in formats:
        content = to_bytes(RENDERERS[fmt](report))
        before = None if dest_missing else _read(paths[fmt])
        if before != content:
            changed_files.append(fmt)
            if module._diff:
                diffs.append({"before_header": paths[fmt] if before is not None else "/dev/null", "after_header": paths[fmt],
                              "before": "" if before is None else to_native(before, errors="surrogate_or_replace"),
                              "after": to_native(content)})
            if not module.check_mode:
                _write(module, paths[fmt], content)
    changed = bool(changed_files) or dest_missing
    if not module.check_mode:
        for fmt in formats:
            file_args = module.load_file_common_arguments(params, path=paths[fmt])
            changed = module.set_fs_attributes_if_different(file_args, changed)

    result = dict(
        changed=changed,
        files=paths,
        changed_files=changed_files,
        host_count=report["host_count"],
        unchecked=report["unchecked"],
        unchecked_hosts=report["unchecked_hosts"],
        endpoint_count=report["endpoint_count"],
        totals=report["totals"],
        catalog_editions=report["catalog_editions"],
        interception_count=len(report["interceptions"]),
        duplicates=report["duplicates"],
        sections=report["sections"],
    )
    if module._diff and diffs:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
