# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Headless Chromium for the readiness report tests: load a page, dump the DOM Chromium built, read it back."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from html.parser import HTMLParser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Flags per test-infrastructure.md: no sandbox (root), no GPU, nothing that phones home.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium(url, *args):
    profile = tempfile.mkdtemp(prefix="macfleet-chromium-")
    try:
        proc = subprocess.run([CHROMIUM] + FLAGS + ["--user-data-dir=%s" % profile] + list(args) + [url],
                              capture_output=True, text=True, timeout=120, check=False)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


class Dom(HTMLParser):
    """The DOM Chromium serialised: cells by (host, endpoint), rows of unchecked hosts by host, element texts
    by id (and of cells, unchecked rows and remediation cells in ``texts``), the matrix's section headings
    (``sections``: heading and column span), the headings of the per-section lists (``section_titles``) and
    every remediation row (``fixes``: section, endpoint, verdict; ``fix_hosts``: its number of Macs), all tags seen."""

    def __init__(self, text):
        super().__init__()
        self.tags, self.cells, self.by_id, self.headers = [], {}, {}, []
        self.unchecked, self.texts, self.fix_hosts = {}, {}, {}
        self.sections, self.section_titles, self.fixes = [], [], []
        self._stack, self._fix_section, self._fix_row = [], None, None
        self._row_host, self._column = None, 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        key = attrs.get("id")
        classes = (attrs.get("class") or "").split()
        if tag == "tr" and "data-host" in attrs:
            self._row_host, self._column = attrs["data-host"], 0
        if tag == "td" and "cell" in classes:
            # A paged matrix's cell names neither: the row names the host, the column header the endpoint.
            host = attrs.get("data-host", self._row_host)
            endpoint = attrs.get("data-endpoint") or self.headers[self._column]
            self._column += 1
            self.cells[(host, endpoint)] = attrs
            key = ("cell", host, endpoint)
        if tag == "td" and "unchecked" in classes:
            self.unchecked[attrs["data-host"]] = attrs
            key = ("unchecked", attrs["data-host"])
        if tag == "th" and "ep" in classes:
            self.headers.append(attrs["data-endpoint"])
        if tag == "th" and "section" in classes:
            self.sections.append((attrs["data-section"], int(attrs["colspan"])))
        if tag == "h3" and "data-section" in attrs:
            self.section_titles.append(attrs["data-section"])
        if tag == "table" and "fixes" in classes:
            self._fix_section = attrs["data-section"]
        if tag == "tr" and "fix-row" in classes:
            self._fix_row = (self._fix_section, attrs["data-endpoint"], attrs["data-verdict"])
            self.fix_hosts[self._fix_row] = int(attrs["data-hosts"])
        if tag == "table":
            self._fix_row = None
        if tag == "td" and "fix" in classes and self._fix_row is not None:
            key = ("fix",) + self._fix_row
            self.fixes.append(self._fix_row)
        self._stack.append((tag, key, []))

    def handle_endtag(self, tag):
        while self._stack:
            name, ident, text = self._stack.pop()
            if isinstance(ident, tuple):
                self.texts[ident] = " ".join("".join(text).split())
            elif ident:
                self.by_id[ident] = "".join(text).strip()
            if self._stack:
                self._stack[-1][2].extend(text)
            if name == tag:
                break

    def handle_data(self, data):
        if self._stack:
            self._stack[-1][2].append(data)
