# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Regenerates the trust-anchor data block of plugins/module_utils/_host/probe/anchors.py from PEM files.

  python hacking/trust_anchors.py                 rewrite the block from ../shared/trust-anchors
  python hacking/trust_anchors.py --check         exit 1 (and show the difference) if anchors.py is out of date
  python hacking/trust_anchors.py --source DIR    read another directory of PEM files

Each ``*.pem`` file must hold exactly one self-issued CA certificate in PEM form and nothing else, must
load into ``ssl.SSLContext.load_verify_locations`` and must not have expired. The anchors keep the order
of the ``| `file.pem` |`` rows of README.md in the source directory; files it does not list follow in
name order. An anchor is an Apple anchor (``apple: True``) when it is self-issued with O=Apple Inc.

Standard library only; names and dates come from the collection's own DER reader (der.py).
"""

from __future__ import annotations

import argparse
import datetime
import difflib
import importlib.util
import json
import os
import re
import ssl
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SOURCE = os.path.join(os.path.dirname(REPO_ROOT), "shared", "trust-anchors")
PROBE_UTILS = os.path.join(REPO_ROOT, "plugins", "module_utils", "_host", "probe")
DEFAULT_ANCHORS_PY = os.path.join(PROBE_UTILS, "anchors.py")
BEGIN = "# BEGIN GENERATED ANCHOR DATA\n"
END = "# END GENERATED ANCHOR DATA\n"
PEM_RE = re.compile(r"-----BEGIN CERTIFICATE-----\n(?:[A-Za-z0-9+/=]{1,76}\n)+-----END CERTIFICATE-----\n")
README_ROW_RE = re.compile(r"^\|\s*`([^`/]+\.pem)`\s*\|", re.MULTILINE)


class AnchorError(Exception):
    """A PEM file cannot be shipped as a trust anchor."""


def _load_der_module():
    """der.py by path: hacking/ is not importable as part of the collection."""
    spec = importlib.util.spec_from_file_location("_macfleet_probe_der", os.path.join(PROBE_UTILS, "der.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


der = _load_der_module()


def _order(source, names):
    readme = os.path.join(source, "README.md")
    listed = []
    if os.path.isfile(readme):
        with open(readme, encoding="utf-8") as handle:
            for name in README_ROW_RE.findall(handle.read()):
                if name in names and name not in listed:
                    listed.append(name)
    return listed + sorted(name for name in names if name not in listed)


def read_anchor(path, now=None):
    """The ANCHORS entry for one PEM file; raises AnchorError."""
    name = os.path.basename(path)
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        text = raw.decode("ascii").replace("\r\n", "\n").replace("\r", "\n").strip() + "\n"
    except UnicodeDecodeError:
        raise AnchorError("%s: not ASCII PEM text" % name) from None
    if not PEM_RE.fullmatch(text):
        raise AnchorError("%s: must hold exactly one PEM CERTIFICATE block and nothing else" % name)
    try:
        cert = der.read_certificate(der.pem_to_ders(text)[0])
    except der.DERError as exc:
        raise AnchorError("%s: %s" % (name, exc)) from None
    if cert["subject"] != cert["issuer"] or not cert["is_ca"]:
        raise AnchorError("%s: %s is not a root (self-issued CA) certificate" % (name, cert["subject"]))
    now = now or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if cert["not_after"] <= now:
        raise AnchorError("%s: %s expired on %s" % (name, cert["subject"], cert["not_after"]))
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=text)
    except (ssl.SSLError, ValueError) as exc:
        raise AnchorError("%s: ssl cannot load it as a trust anchor: %s" % (name, exc)) from None
    attributes = cert["subject_attributes"]
    common_names = [value for key, value in attributes if key == "CN"]
    organisations = [value for key, value in attributes if key == "O"]
    return {
        "file": name,
        "name": common_names[0] if common_names else cert["subject"],
        "sha256": cert["sha256"],
        "not_after": cert["not_after"][:10],
        "apple": "Apple Inc." in organisations,
        "pem": text,
    }


def collect(source):
    """ANCHORS entries for every *.pem file in source, in README order."""
    if not os.path.isdir(source):
        raise AnchorError("%s: no such directory" % source)
    names = [name for name in os.listdir(source) if name.endswith(".pem")]
    if not names:
        raise AnchorError("%s: no *.pem files" % source)
    anchors, seen = [], {}
    for name in _order(source, names):
        anchor = read_anchor(os.path.join(source, name))
        if anchor["sha256"] in seen:
            raise AnchorError("%s: the same certificate as %s" % (name, seen[anchor["sha256"]]))
        seen[anchor["sha256"]] = name
        anchors.append(anchor)
    return anchors


def _constant(file_name):
    return "PEM_" + re.sub(r"[^A-Z0-9]+", "_", file_name[:-len(".pem")].upper()).strip("_")


def render(anchors):
    """The generated block, BEGIN and END lines included."""
    lines = [BEGIN, "# Written by hacking/trust_anchors.py from %d PEM files; do not edit by hand.\n" % len(anchors)]
    constants = []
    for anchor in anchors:
        constant = _constant(anchor["file"])
        if constant in constants:
            raise AnchorError("%s: constant %s clashes with another file name" % (anchor["file"], constant))
        constants.append(constant)
        lines.append("\n%s = (\n" % constant)
        lines.extend('    "%s\\n"\n' % line for line in anchor["pem"].splitlines())
        lines.append(")\n")
    lines.append("\nANCHORS = (\n")
    for anchor, constant in zip(anchors, constants):
        lines.append("    {\n")
        for key in ("file", "name", "sha256", "not_after"):
            lines.append("        %s: %s,\n" % (json.dumps(key), json.dumps(anchor[key])))
        lines.append('        "apple": %s,\n' % anchor["apple"])
        lines.append('        "pem": %s,\n' % constant)
        lines.append("    },\n")
    lines.append(")\n")
    lines.append(END)
    return "".join(lines)


def replace_block(current, block, path):
    start, stop = current.find(BEGIN), current.find(END)
    if start < 0 or stop < start or current.count(BEGIN) != 1 or current.count(END) != 1:
        raise AnchorError("%s: needs exactly one %r line followed by one %r line" % (path, BEGIN.strip(), END.strip()))
    return current[:start] + block + current[stop + len(END):]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--source", default=DEFAULT_SOURCE, help="directory of PEM files (default: %(default)s)")
    parser.add_argument("--anchors", default=DEFAULT_ANCHORS_PY, help="anchors.py to update (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="only report whether anchors.py is up to date")
    args = parser.parse_args(argv)
    try:
        anchors = collect(args.source)
        with open(args.anchors, encoding="utf-8") as handle:
            current = handle.read()
        wanted = replace_block(current, render(anchors), args.anchors)
    except (AnchorError, OSError) as exc:
        sys.stderr.write("trust_anchors.py: %s\n" % exc)
        return 2
    if args.check:
        if wanted == current:
            sys.stdout.write("%s is up to date with %s (%d anchors)\n" % (args.anchors, args.source, len(anchors)))
            return 0
        diff = list(difflib.unified_diff(current.splitlines(True), wanted.splitlines(True), "anchors.py (shipped)", "anchors.py (from PEM files)"))
        sys.stdout.write("".join(diff[:60]) + ("...\n" if len(diff) > 60 else ""))
        sys.stdout.write("%s is out of date with %s: run python hacking/trust_anchors.py --source %s\n" % (args.anchors, args.source, args.source))
        return 1
    if wanted != current:
        with open(args.anchors, "w", encoding="utf-8") as handle:
            handle.write(wanted)
    for anchor in anchors:
        apple = " (Apple)" if anchor["apple"] else ""
        sys.stdout.write("%-45s %s %s %s%s\n" % (anchor["file"], anchor["sha256"], anchor["not_after"], anchor["name"], apple))
    sys.stdout.write("%s %s\n" % (args.anchors, "updated" if wanted != current else "was already up to date"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
