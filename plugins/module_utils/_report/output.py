# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Writing the report's files: each rendered into a scratch file and moved into place only when it changed (with
a diff for --diff), stale matrix pages removed, and the file attributes the task asks for set."""

from __future__ import annotations

import filecmp
import glob
import os
import shutil
import tempfile

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.macfleet.apple_network.plugins.module_utils._report.exports import render_csv, render_json
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.html_matrix import matrix_pages, render_matrix_page
from ansible_collections.macfleet.apple_network.plugins.module_utils._report.summary_page import render_html

FORMATS = ("html", "json", "csv")
# A diff shows the content of files up to this size; a larger file is named with its sizes.
DIFF_LIMIT = 64 * 1024


class Output:
    """The report's files, each written to a temporary file first and moved into place only when it changed."""

    def __init__(self, module, dest, scratch):
        self.module, self.dest, self.scratch = module, dest, scratch
        self.changed, self.diffs, self.written = [], [], []

    def write(self, name, render, label):
        final = os.path.join(self.dest, name)
        fd, tmp = tempfile.mkstemp(prefix=".%s." % name, dir=self.scratch)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                render(handle)
            self.written.append(final)
            if os.path.exists(final) and filecmp.cmp(tmp, final, shallow=False):
                return
            self.changed.append(label)
            if self.module._diff:
                self.diffs.append(_diff(final, tmp))
            if not self.module.check_mode:
                self.module.atomic_move(tmp, final)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def _diff(final, tmp):
    before_size = os.path.getsize(final) if os.path.exists(final) else None
    after_size = os.path.getsize(tmp)
    if (before_size or 0) <= DIFF_LIMIT and after_size <= DIFF_LIMIT:
        before = ""
        if before_size is not None:
            with open(final, encoding="utf-8", errors="replace") as handle:
                before = handle.read()
        with open(tmp, encoding="utf-8") as handle:
            after = handle.read()
    else:
        before = "" if before_size is None else "(%s bytes)\n" % before_size
        after = "(%d bytes: too large to show)\n" % after_size
    return {"before_header": final if before_size is not None else "/dev/null", "after_header": final,
            "before": before, "after": after}


def write_report(module, report, drift, dest, basename, formats):
    """Write the report's files in ``formats`` to ``dest`` (created if missing). Returns the files by format, the
    matrix pages, the formats whose files changed, the diffs and whether anything changed."""
    diffs = []
    dest_missing = not os.path.isdir(dest)
    if dest_missing:
        diffs.append({"before_header": dest, "after_header": dest, "before": {"path": dest, "state": "absent"},
                      "after": {"path": dest, "state": "directory"}})
        if not module.check_mode:
            try:
                os.makedirs(dest)
            except OSError as exc:
                module.fail_json(msg="dest: cannot create %s: %s" % (dest, to_native(exc)))
    scratch = tempfile.mkdtemp(prefix=".readiness-report.", dir=None if module.check_mode or dest_missing else dest)
    files, pages = {}, []
    try:
        output = Output(module, dest, scratch)
        if "html" in formats:
            files["html"] = _write_html(output, report, drift, basename, pages, diffs)
        if "json" in formats:
            output.write("%s.json" % basename, lambda h: render_json(report, drift, h), "json")
            files["json"] = os.path.join(dest, "%s.json" % basename)
        if "csv" in formats:
            output.write("%s.csv" % basename, lambda h: render_csv(report, h), "csv")
            files["csv"] = os.path.join(dest, "%s.csv" % basename)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    changed_files = [f for f in FORMATS if f in output.changed]
    diffs.extend(output.diffs)
    changed = bool(changed_files) or dest_missing
    if not module.check_mode:
        for path in output.written:
            file_args = module.load_file_common_arguments(module.params, path=path)
            changed = module.set_fs_attributes_if_different(file_args, changed)
    return files, pages, changed_files, diffs, changed


def _write_html(output, report, drift, basename, pages, diffs):
    """The summary page and the matrix pages (appended to ``pages``); matrix pages of an earlier run that this
    run has not written are removed. Returns the summary page's path."""
    module, dest = output.module, output.dest
    page_list = matrix_pages(report, basename)
    per_group = {}
    for _name, group, _number, _records in page_list:
        per_group[group] = per_group.get(group, 0) + 1
    summary_name = "%s.html" % basename
    output.write(summary_name, lambda h: render_html(report, drift, h, basename, page_list), "html")
    for name, group, number, records in page_list:
        output.write(name, lambda h, g=group, n=number, r=records: render_matrix_page(
            report, h, summary_name, g, n, r, per_group[g]), "html")
        pages.append(os.path.join(dest, name))
    stale = set(glob.glob(os.path.join(glob.escape(dest), glob.escape(basename) + "-matrix-*.html"))) - set(pages)
    for path in sorted(stale):
        output.changed.append("html")
        if module._diff:
            diffs.append({"before_header": path, "after_header": "/dev/null", "before": "(removed)\n", "after": ""})
        if not module.check_mode:
            os.unlink(path)
    return os.path.join(dest, summary_name)
