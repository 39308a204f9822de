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
import sys


def pending_path(state_dir, name, backend):
    return os.path.join(state_dir, "%s.%s.pending" % (name, backend))


def watchdog_script(pending, timeout, restore_argv, restore_input, discard=()):
    """``/bin/sh`` script: sleep, claim the marker by renaming it, then feed the saved input to the restore command.

    ``discard``: files staged for the confirmation (save files) that a rollback removes.
    """
    claimed = pending + ".rollback"
    quote = shlex.quote
    return (
        "sleep %d\n"
        "mv %s %s 2>/dev/null || exit 0\n"
        "%s < %s\n"
        "rc=$?\n"
        "%s"
        "rm -f %s\n"
        "exit $rc\n"
    ) % (timeout, quote(pending), quote(claimed), " ".join(quote(a) for a in restore_argv), quote(restore_input),
         "".join("rm -f %s\n" % quote(path) for path in discard), quote(claimed))


# Exit codes of confirm_script, and what they mean (the reasons confirm() gives).
CONFIRM_REASONS = {
    3: "no rollback is pending: the watchdog already restored the previous ruleset",
    4: "the pending rollback belongs to another run",
    5: "the watchdog claimed the rollback first",
}
CONFIRM_SAVE_FAILED = 6


def confirm_script(pending, token, moves=()):
    """``/bin/sh`` script doing what :func:`confirm` does, then committing staged files (``moves``: ``(staged, path)``)
    by renaming them; prints ``saved N`` for each committed ``moves[N]``. Exit codes: :data:`CONFIRM_REASONS`,
    :data:`CONFIRM_SAVE_FAILED`.

    The action plugin runs it over the new connection: confirming costs one shell command, not a module run.
    """
    lines = [
        "p=%s" % shlex.quote(pending),
        'tok= pid=',
        '[ -f "$p" ] && read -r tok pid < "$p" || exit 3',
        '[ "$tok" = %s ] || exit 4' % shlex.quote(token),
        'mv "$p" "$p.confirmed" 2>/dev/null || exit 5',
        'case "$pid" in ""|*[!0-9]*) ;; *) kill -TERM "-$pid" 2>/dev/null ;; esac',
        'rm -f "$p.confirmed"',
    ]
    for index, (staged, path) in enumerate(moves):
        lines.append("mv -f %s %s || exit %d" % (shlex.quote(staged), shlex.quote(path), CONFIRM_SAVE_FAILED))
        lines.append("echo saved %d" % index)
    return "\n".join(lines) + "\n"


# Started with the module's run_command: forks the watchdog into a session of its own (so that it outlives the module
# and the connection, and confirm can stop it and its children with one signal to its process group; what
# ``setsid`` does, which macOS lacks), with /dev/null for its standard streams, then prints its PID once it runs.
# The close-on-exec pipe reaches end of file when the child has exec'd /bin/sh, or carries the error if it could not.
_DETACH = """
import os, sys
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    try:
        os.close(r)
        os.setsid()
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.execv("/bin/sh", ["/bin/sh", "-c", sys.argv[1]])
    except BaseException as exc:
        os.write(w, repr(exc).encode("utf-8", "replace"))
    os._exit(127)
os.close(w)
error = os.read(r, 4096)
if error:
    sys.exit("cannot start /bin/sh: %s" % error.decode("utf-8", "replace"))
print(pid)
"""


def arm(run_command, state_dir, name, backend, token, timeout, restore_argv, restore_input, discard=()):
    """Write the marker and start the detached watchdog with ``run_command`` (the module's ``run_command``, as
    ansible-test's sanity rules ask of modules since ansible-core 2.21); returns its PID, also its process group."""
    pending = pending_path(state_dir, name, backend)
    script = watchdog_script(pending, timeout, restore_argv, restore_input, discard)
    with open(pending, "w") as handle:
        handle.write(token + "\n")
    rc, out, err = run_command([sys.executable, "-c", _DETACH, script], expand_user_and_vars=False)
    pid = out.strip()
    if rc != 0 or not pid.isdigit():
        raise OSError("could not start the rollback watchdog (rc %s): %s" % (rc, (err or out).strip()))
    with open(pending, "w") as handle:
        handle.write("%s %s\n" % (token, pid))
    return int(pid)


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
