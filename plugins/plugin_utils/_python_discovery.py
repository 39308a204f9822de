# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Find a managed host's Python with a POSIX shell command only, never starting Apple's python3 stub.

On a Mac without the Command Line Tools, ``/usr/bin/python3`` is a stub that opens a dialog on the
logged-in user's screen asking to install the developer tools. Ansible's own interpreter discovery
(and any module run with that interpreter) starts it. :data:`DISCOVERY_SCRIPT` runs through the
connection's shell (what ``ansible.builtin.raw`` does) and only tests files and runs ``uname`` and
``xcode-select -p``. The rule, on macOS (``uname -s`` is ``Darwin``), first usable of:

1. the interpreter the inventory (or configuration) names, unless it is ``/usr/bin/python3`` on a Mac
   without the Command Line Tools; a named interpreter that is missing is not replaced by another
   (the inventory is wrong, and the report says so);
2. the MacAdmins Python framework, :data:`MACADMINS_PYTHON`;
3. ``/usr/bin/python3`` when ``xcode-select -p`` names an existing developer directory (the tools are installed).

Elsewhere (Linux): the named interpreter, else ``python3`` on ``PATH``, else ``/usr/bin/python3``.
No usable one means ``no_python``, with :data:`NO_PYTHON_REMEDY`.
"""

from __future__ import annotations

import shlex

MACADMINS_PYTHON = "/Library/ManagedFrameworks/Python/Python3.framework/Versions/Current/bin/python3"
APPLE_STUB = "/usr/bin/python3"
NO_PYTHON_REMEDY = ("install Apple's Command Line Tools (xcode-select --install, or the package from your MDM) or the "
                    "MacAdmins Python (%s), or name a Python 3.9 or later in the inventory (ansible_python_interpreter)"
                    % MACADMINS_PYTHON)

# Output: one "key=value" line per fact; "skip=<path> <why>" for each candidate passed over.
DISCOVERY_SCRIPT = r"""
given=%(named)s
named=$given
os=$(uname -s 2>/dev/null)
echo "os=$os"
case $named in
  "/usr/bin/env "*) named=$(command -v "${named#/usr/bin/env }" 2>/dev/null) || named="$given" ;;
  /*) ;;
  ?*) named=$(command -v "$named" 2>/dev/null) || named="$given" ;;
esac
tools() {
  dir=$(xcode-select -p 2>/dev/null) && [ -n "$dir" ] && [ -d "$dir" ]
}
usable() {
  [ -n "$1" ] || return 1
  if [ ! -f "$1" ] || [ ! -x "$1" ]; then echo "skip=$1 not an executable file"; return 1; fi
  if [ "$os" = Darwin ] && [ "$1" = %(stub)s ] && ! tools; then
    echo "skip=$1 Apple's stub: the Command Line Tools are not installed (xcode-select -p)"; return 1
  fi
  echo "interpreter=$1"
}
if [ -n "$named" ]; then
  # The inventory's choice stands, except Apple's stub on a Mac without the tools.
  usable "$named" || { [ "$os" = Darwin ] && [ "$named" = %(stub)s ] && usable %(framework)s; }
elif [ "$os" = Darwin ]; then
  usable %(framework)s || usable %(stub)s
else
  usable "$(command -v python3 2>/dev/null)" || usable /usr/bin/python3
fi
echo "end=1"
"""


class DiscoveryError(Exception):
    """The discovery command failed or printed something unexpected (a module error, not no_python: its message
    does not say "interpreter discovery")."""


def discovery_command(named):
    """The shell command that finds the interpreter; ``named`` is the inventory's (None or "auto..." for none)."""
    if not named or named.startswith("auto"):
        named = ""
    script = DISCOVERY_SCRIPT % {"named": shlex.quote(named), "stub": shlex.quote(APPLE_STUB),
                                 "framework": shlex.quote(MACADMINS_PYTHON)}
    return "/bin/sh -c %s" % shlex.quote(script)


def parse_discovery(rc, stdout, stderr=""):
    """``{"os", "interpreter" (None when there is none), "skipped": [(path, why)]}`` from the command's output."""
    facts = {"os": None, "interpreter": None, "skipped": []}
    ended = False
    for line in (stdout or "").splitlines():
        key, sep, value = line.strip().partition("=")
        if not sep:
            continue
        if key == "os":
            facts["os"] = value or None
        elif key == "interpreter":
            facts["interpreter"] = value
        elif key == "skip":
            path, _sep, why = value.partition(" ")
            facts["skipped"].append((path, why))
        elif key == "end":
            ended = True
    if rc != 0 or not ended:
        raise DiscoveryError("the shell command that looks for Python failed (exit %s): %s"
                             % (rc, ((stderr or "") + (stdout or "")).strip()[-500:] or "no output"))
    return facts


def no_python_message(facts):
    """Why no interpreter was found, naming each candidate passed over."""
    tried = "; ".join("%s: %s" % (path, why) for path, why in facts["skipped"])
    # "interpreter discovery" is how _report.result_set.classify_probe_result tells no_python from a module error.
    return "interpreter discovery found no usable Python 3 on this %s host%s" % (
        "macOS" if facts["os"] == "Darwin" else (facts["os"] or "unknown"), " (%s)" % tried if tried else "")
