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
  - "Run it on the controller, once per job, for example with C(delegate_to: localhost) and C(run_once: true).
    Its action plugin makes the paths absolute on the controller first."
  - Every input file is validated before anything is written. A file that is truncated, not JSON, from another
    format version (result sets carry C(format) 2), nested too deeply or has an invalid field is left out and named
    with its problem (and the host, result index and field) in RV(rejected_files) and on the page; the report is
    written for the other files.
  - The report is built in one pass over the files, with memory bounded by the distinct answers (a Mac is kept as
    the tuple of its answers' ids). The HTML page opens with a one-line conclusion, what changed since the previous
    run (see O(previous)), the files rejected, and the fleet summary per endpoint, per group (the C(group) of each
    result set, C(ungrouped) without one), per intercepting CA, the Macs with identical results collapsed into one
    line, the Macs not checked with why, and per section what to change for how many Macs. The hosts x endpoints
    matrix is on the page for up to 50 Macs; for a larger fleet only the Macs with a failing cell are in it, on pages
    C(<basename>-matrix-<group>-<n>.html) of at most 100 Macs, linked from the group table.
  - The JSON export lists each distinct answer once (C(answers)) and each Mac (C(hosts)) with the answer id of each
    endpoint, the drift with every change; the JSON and CSV exports are complete and written piece by piece.
  - Output is deterministic. A file whose content would not change is not rewritten and the module
    reports RV(ignore:changed=false).
author:
  - macfleet.apple_network contributors (@macfleet)
extends_documentation_fragment:
  - ansible.builtin.files
  - macfleet.apple_network._attributes
  - macfleet.apple_network._attributes.IDEMPOTENT
  - macfleet.apple_network._attributes.PLATFORM
  - macfleet.apple_network._attributes.ACTION
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
      - A relative path is resolved against the directory C(ansible-playbook) runs in (the controller's working
        directory), not against the playbook's folder.
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
      - A relative path is resolved against the directory C(ansible-playbook) runs in (the controller's working
        directory). A directory inside the installed collection is refused, as a job never writes into it.
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
  previous:
    description:
      - The previous run's JSON export to compare with (RV(drift)).
      - Default the C(<basename>.json) in O(dest) that this run is about to replace, read before anything is written;
        without one the report says there is nothing to compare with.
      - A previous report that cannot be read is named in a warning, and the report is written without drift.
      - A relative path is resolved against the directory C(ansible-playbook) runs in.
    type: path
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
  description: The first 20 hosts that could not be checked, sorted by name, with the group, the reason and the error message.
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
  description: Number of Macs with HTTPS interception evidence, summed over the intercepting CAs.
  returned: success
  type: int
  sample: 1
conclusion:
  description: The report's one-line conclusion in words.
  returned: success
  type: str
  sample: 12 Macs of 9,950 have failing endpoints (most common gdmf.apple.com:443/tcp); 9,938 Macs reach every endpoint.
checked_host_count:
  description: Number of Macs that were checked.
  returned: success
  type: int
failing_host_count:
  description: Number of checked Macs with at least one failing cell (blocked, DNS failed, intercepted, probe error).
  returned: success
  type: int
groups:
  description: Per group of Macs, the number of Macs, checked, failing and not checked, and the cells per category.
  returned: success
  type: list
  elements: dict
group_count:
  description: Number of groups (RV(groups) may be cut short to keep the return value bounded, see RV(truncated)).
  returned: success
  type: int
intercepting_cas:
  description: The first 20 intercepting CAs, with the number of Macs and endpoints.
  returned: success
  type: list
  elements: dict
systemic:
  description: Causes of a whole Mac (C(resolves_no_names), C(reaches_no_endpoint)) with the number of Macs and groups.
  returned: success
  type: list
  elements: dict
matrix_pages:
  description: Number of matrix pages written, and the first 20 file names.
  returned: success
  type: dict
rejected_count:
  description: Number of result files (or sets) that could not be used.
  returned: success
  type: int
rejected_files:
  description: The first 20 files that could not be used, with C(file), C(problem) (V(truncated), V(not_json), V(format),
    V(too_deep), V(invalid), V(unreadable)) and C(message).
  returned: success
  type: list
  elements: dict
duplicate_count:
  description: Number of result sets dropped as duplicates.
  returned: success
  type: int
regressions:
  description: "Cells that got worse plus Macs that became not checked since the previous run (RV(drift)); what
    C(fail_on: [regression]) of the report playbook fails on."
  returned: success
  type: int
truncated:
  description: The lists that were cut short to keep the return value under 32 KB (only present when one was).
  returned: when a list was cut short
  type: list
  elements: str
sections:
  description:
    - The report's sections in the order of the page (catalog sections first, then the sources of rows without a
      section, then C(Explicit targets)), each with the number of its endpoints, the counts of its cells, the number of
      distinct fixes and the first five, each with the Macs and groups it concerns.
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
      description: The number of endpoints (C(host:port/protocol)) of the section.
      type: int
      returned: success
    counts:
      description: Cells of the section per category, as in RV(totals) without C(cells).
      type: dict
      returned: success
    fix_count:
      description: Number of distinct fixes of the section.
      type: int
      returned: success
    fixes:
      description: The first five fixes (endpoint, category, verdict, verdict in words, row, remediation, Macs, groups).
      type: list
      elements: dict
      returned: success
  sample:
    - section: Device management
      kind: section
      endpoints: 1
      counts: {ok: 0, intercepted: 0, blocked: 1, dns: 0, skipped: 0, error: 0, not_probed: 0}
      fix_count: 1
      fixes:
        - {endpoint: gdmf.apple.com:443/tcp, category: blocked, verdict: refused, verdict_text: connection refused,
           row: apple-support-101555/device-management/gdmf.apple.com, hosts: 1, groups: {london: 1},
           remediation: allow TCP 443 to gdmf.apple.com through the firewall}
drift:
  description:
    - "What changed since the previous run (O(previous)): the counts of every kind of change, the changed cells
      aggregated per endpoint and group (C(by_endpoint)), the first 20 changes of each kind, and the catalog edition
      change. The JSON export has the same under C(drift), with every change listed."
    - A first run, or a run whose previous report cannot be read, has all counts zero, C(compared_with) null and a
      C(note) that says why (an unreadable previous report is also named in a warning).
    - "Cells are compared per Mac and endpoint present in both runs. Severity: C(ok) and C(skipped) < C(intercepted)
      < C(dns), C(blocked) and C(error). A cell whose category got worse is in C(regressions), one that got better in
      C(fixed), another verdict of the same severity in C(changed)."
  returned: success
  type: dict
  contains:
    compared_with:
      description: Path of the previous report's JSON export, or null when there was nothing to compare with.
      type: str
      returned: success
    previous_generated_at:
      description: When the previous run probed its last host.
      type: str
      returned: success
    note:
      description: In words, what the run was compared with, or why it was not.
      type: str
      returned: success
    counts:
      description:
        - "Number of changes per kind: C(regressions), C(fixed), C(changed) (cells); C(hosts_new), C(hosts_gone),
          C(hosts_newly_unchecked), C(hosts_checked_again) (Macs); C(cells_new), C(cells_new_failing), C(cells_gone)
          (endpoints a Mac probes in one run only); and C(worse): C(regressions) plus C(hosts_newly_unchecked), what
          C(fail_on: [regression]) of the report playbook fails on."
      type: dict
      returned: success
    by_endpoint:
      description: Changed cells per kind, endpoint, group and before/after category and verdict, with the number of Macs.
      type: list
      elements: dict
      returned: success
    regressions:
      description: "The first changed cells that got worse: C(host), C(group), C(endpoint), C(before) and C(after)
        (each C(category) and C(verdict))."
      type: list
      elements: dict
      returned: success
    fixed:
      description: The first cells that got better, as in C(regressions).
      type: list
      elements: dict
      returned: success
    changed:
      description: The first cells with another verdict of the same severity, as in C(regressions).
      type: list
      elements: dict
      returned: success
    hosts_new:
      description: The first Macs not in the previous run (C(host), C(group)).
      type: list
      elements: dict
      returned: success
    hosts_gone:
      description: The first Macs of the previous run that are not in this one (C(host), C(group)).
      type: list
      elements: dict
      returned: success
    hosts_newly_unchecked:
      description: The first Macs checked in the previous run and not checked now (C(host), C(group), C(reason), C(message)).
      type: list
      elements: dict
      returned: success
    hosts_checked_again:
      description: The first Macs not checked in the previous run and checked now (C(host), C(group), C(was)).
      type: list
      elements: dict
      returned: success
    catalog:
      description:
        - "The catalog edition change: C(before) and C(after) (edition lists), C(changed), C(counts) of catalog entries
          C(added), C(removed) and C(changed) (from the catalog's C(changes)), the first 50 C(added) and C(removed)
          (C(kind), C(id)), and a C(note). Null when there was nothing to compare with."
      type: dict
      returned: success
  sample:
    compared_with: /srv/reports/readiness.json
    previous_generated_at: "2024-05-01T10:00:05Z"
    note: compared with the run of 2024-05-01T10:00:05Z
    counts: {regressions: 1, fixed: 0, changed: 0, hosts_new: 0, hosts_gone: 0, hosts_newly_unchecked: 0,
             hosts_checked_again: 0, cells_new: 0, cells_new_failing: 0, cells_gone: 0, worse: 1}
    by_endpoint:
      - {kind: regressions, endpoint: gdmf.apple.com:443/tcp, group: london, hosts: 1,
         before: {category: ok, verdict: ok}, after: {category: blocked, verdict: timeout}}
    regressions:
      - {host: mac-01, group: london, endpoint: gdmf.apple.com:443/tcp,
         before: {category: ok, verdict: ok}, after: {category: blocked, verdict: timeout}}
    fixed: []
    changed: []
    hosts_new: []
    hosts_gone: []
    hosts_newly_unchecked: []
    hosts_checked_again: []
    catalog: {before: [apple-2026-08-07], after: [apple-2026-08-07], changed: false,
              counts: {added: 0, removed: 0, changed: 0}, added: [], removed: [], note: same catalog edition}
duplicates:
  description: The first 20 hosts that appeared in more than one result set, with the kept and the dropped origin.
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

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.macfleet.apple_network.plugins.module_utils._report.drift import drift_of
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.inputs import read_inputs
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.output import FORMATS, write_report
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.returns import module_return
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.terms import ReportError

_BASENAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type="list", elements="path", default=[]),
            result_sets=dict(type="list", elements="dict", default=[]),
            dest=dict(type="path", required=True),
            basename=dict(type="str", default="readiness"),
            formats=dict(type="list", elements="str", choices=list(FORMATS), default=list(FORMATS)),
            title=dict(type="str", default="Apple network readiness"),
            previous=dict(type="path"),
        ),
        required_one_of=[("src", "result_sets")],
        add_file_common_args=True,
        supports_check_mode=True,
    )
    params = module.params
    basename = params["basename"]
    if not _BASENAME.match(basename):
        module.fail_json(msg="basename: %r may only contain letters, digits, '.', '_' and '-'" % basename)
    dest = params["dest"]
    if os.path.exists(dest) and not os.path.isdir(dest):
        module.fail_json(msg="dest: %s exists and is not a directory" % dest)
    formats = [f for f in FORMATS if f in params["formats"]]
    json_path = os.path.join(dest, "%s.json" % basename)

    try:
        builder = read_inputs(params, exclude=[json_path])
    except ReportError as exc:
        module.fail_json(msg=to_native(exc))
    if not builder.has_input():
        module.fail_json(msg="no probe results: src (%s) holds no result files and result_sets is empty"
                         % (", ".join(params["src"]) or "none"))
    report = builder.finish()
    warnings = []
    # The previous run's JSON export is read before this run replaces it.
    drift = drift_of(report, params["previous"] or json_path, params["previous"] is not None, warnings)
    files, pages, changed_files, diffs, changed = write_report(module, report, drift, dest, basename, formats)

    result = module_return(report, drift, files, pages, changed_files)
    result["changed"] = changed
    for warning in warnings:
        module.warn(warning)
    if report.summary["rejected_files"]:
        module.warn("%d result file(s) could not be used and are listed in the report (rejected_files), first: %s"
                    % (len(report.summary["rejected_files"]), report.summary["rejected_files"][0]["message"][:500]))
    if module._diff and diffs:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
