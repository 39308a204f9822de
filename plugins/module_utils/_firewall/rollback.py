# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Confirm-or-rollback on the host: a detached watchdog restores the previous ruleset unless confirmed.

The pending marker is claimed by ``rename`` on both sides, so exactly one of "confirm" and
"rollback" wins, even when they race at the deadline.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess


def pending_path(state_dir, name, backend):
    return os.path.join(state_dir, "%s.%s.pending" % (name, backend))


def watchdog_script(pending, timeout, restore_argv, restore_input):
    """``/bin/sh`` script: sleep, claim the marker by renaming it, then feed the saved input to the restore command."""
    claimed = pending + ".rollback"
    quote = shlex.quote
    return (
        "sleep %d\n"
        "mv %s %s 2>/dev/null || exit 0\n"
        "%s < %s\n"
        "rc=$?\n"
        "rm -f %s\n"
        "exit $rc\n"
    ) % (timeout, quote(pending), quote(claimed), " ".join(quote(a) for a in restore_argv), quote(restore_input),
         quote(claimed))


def arm(state_dir, name, backend, token, timeout, restore_argv, restore_input):
    """Write the marker and start the detached watchdog; returns its PID."""
    pending = pending_path(state_dir, name, backend)
    script = watchdog_script(pending, timeout, restore_argv, restore_input)
    with open(pending, "w") as handle:
        handle.write(token + "\n")
    proc = subprocess.Popen(["/bin/sh", "-c", script], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, close_fds=True, start_new_session=True)
    with open(pending, "w") as handle:
        handle.write("%s %d\n" % (token, proc.pid))
    return proc.pid


def confirm(state_dir, name, backend, token):
    """Claim the marker for the controller. Returns (True, None) or (False, reason)."""
    pending = pending_path(state_dir, name, backend)
    claimed = pending + ".confirmed"
    try:
        with open(pending) as handle:
            parts = handle.read().split()
    except (IOError, OSError):
        return False, "no rollback is pending for %s (%s): the watchdog already restored the previous ruleset" % (name, backend)
    if not parts or parts[0] != token:
        return False, "the pending rollback of %s (%s) belongs to another run" % (name, backend)
    try:
        os.rename(pending, claimed)
    except OSError:
        return False, "the watchdog claimed the rollback of %s (%s) first" % (name, backend)
    if len(parts) > 1 and parts[1].isdigit():
        try:
            os.killpg(int(parts[1]), signal.SIGTERM)
        except OSError:
            pass
    os.unlink(claimed)
    return True, None
