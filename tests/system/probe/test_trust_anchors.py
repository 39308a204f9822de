# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Checks the shipped trust anchors (anchors.py) against ``shared/trust-anchors`` beside the repository.

The README table there is parsed here on its own (not with hacking/trust_anchors.py), and fingerprints
and dates are read with openssl, so a mistake in the collection's DER reader or generator cannot hide.
hacking/test-all.sh exports MACFLEET_REPO_ROOT.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.anchors import ANCHORS

SECTION = "## The anchor set"


def _anchors_dir():
    """``shared/trust-anchors`` beside the repository, or beside any folder above it (worktrees, copies)."""
    starts = [Path(__file__).resolve()]
    if os.environ.get("MACFLEET_REPO_ROOT"):
        starts.insert(0, Path(os.environ["MACFLEET_REPO_ROOT"]).resolve())
    for start in starts:
        for folder in [start] + list(start.parents):
            candidate = folder / "shared" / "trust-anchors"
            if candidate.is_dir():
                return candidate
    pytest.fail("shared/trust-anchors not found beside %s; run through hacking/test-all.sh"
                % ", ".join(str(s) for s in starts))


def _plain(cell):
    return cell.strip().strip("*").strip("`").strip()


def _readme_rows():
    """[{file, sha256 (colon form), not_after}] from the README's "The anchor set" table, in order."""
    text = (_anchors_dir() / "README.md").read_text(encoding="utf-8")
    assert text.count(SECTION + "\n") == 1, "README.md has no single %r section" % SECTION
    lines = text.split(SECTION + "\n", 1)[1].splitlines()
    table = []
    for line in lines:
        if line.startswith("## "):
            break
        if line.startswith("|"):
            table.append(line)
        elif table:
            break
    header = [_plain(cell).lower() for cell in table[0].strip().strip("|").split("|")]
    assert re.fullmatch(r"[-|: ]+", table[1]), table[1]
    columns = {name: header.index(name) for name in ("file", "sha-256 fingerprint", "not after")}
    rows = []
    for line in table[2:]:
        cells = line.strip().strip("|").split("|")
        rows.append({
            "file": _plain(cells[columns["file"]]),
            "sha256": _plain(cells[columns["sha-256 fingerprint"]]),
            "not_after": _plain(cells[columns["not after"]]),
        })
    return rows


FILES = [anchor["file"] for anchor in ANCHORS]


@pytest.fixture(scope="module", name="rows")
def fixture_rows():
    return _readme_rows()


def _row(rows, name):
    matches = [row for row in rows if row["file"] == name]
    assert len(matches) == 1, "the README table has %d rows for %s" % (len(matches), name)
    return matches[0]


def _shipped(name):
    matches = [anchor for anchor in ANCHORS if anchor["file"] == name]
    assert len(matches) == 1, "anchors.py ships %d anchors named %s" % (len(matches), name)
    return matches[0]


def test_readme_table_parsed(rows):
    assert len(rows) == 9
    for row in rows:
        assert re.fullmatch(r"[a-z0-9-]+\.pem", row["file"]), row
        assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", row["sha256"]), row
        assert re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", row["not_after"]), row


def test_same_files_same_order(rows):
    on_disk = sorted(path.name for path in _anchors_dir().glob("*.pem"))
    assert sorted(row["file"] for row in rows) == on_disk
    assert FILES == [row["file"] for row in rows]


@pytest.mark.parametrize("name", FILES)
def test_shipped_anchor_matches_readme_and_file(name, rows):
    row = _row(rows, name)
    anchor = _shipped(name)
    assert anchor["sha256"] == row["sha256"].replace(":", "").lower()
    assert anchor["not_after"] == row["not_after"]

    on_disk = (_anchors_dir() / name).read_bytes().replace(b"\r\n", b"\n")
    assert anchor["pem"].encode("ascii") == on_disk

    body = b"".join(line for line in on_disk.splitlines() if not line.startswith(b"-----"))
    assert hashlib.sha256(base64.b64decode(body, validate=True)).hexdigest() == anchor["sha256"]


@pytest.mark.parametrize("name", FILES)
def test_openssl_agrees(name, rows, tmp_path):
    row = _row(rows, name)
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl not installed")
    pem = tmp_path / "anchor.pem"
    pem.write_text(_shipped(name)["pem"], encoding="ascii")
    out = subprocess.run([openssl, "x509", "-in", str(pem), "-noout", "-fingerprint", "-sha256", "-enddate"],
                         check=True, capture_output=True, text=True).stdout
    fingerprint = re.search(r"Fingerprint=([0-9A-F:]+)", out).group(1)
    end = datetime.strptime(re.search(r"notAfter=(.+)", out).group(1).strip(), "%b %d %H:%M:%S %Y GMT")
    assert fingerprint == row["sha256"]
    assert end.strftime("%Y-%m-%d") == row["not_after"]
