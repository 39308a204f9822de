# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Confirm-or-rollback on the host: a detached watchdog restores the previous ruleset unless confirmed.

The pending marker is claimed by ``rename`` on both sides, so exactly one of "confirm" and
"rollback" wins, even when they race at the deadline.
"""

from __future__ import annotations

import errno
import os
import shlex
import signal
import stat
import sys
import uuid


class StateDirError(Exception):
    """The state directory cannot be trusted with rollback data: nothing is applied."""


def check_state_dir(state_dir, name, backend):
    """Refuse an existing state directory that another user owns or that its group or others may write, and a
    pending marker or restore input of ``name`` and ``backend`` that is not a plain file (a symlink, say).

    Another writer could swap the restore input the watchdog runs as root, or the pending marker the confirmation
    trusts. A directory that does not exist yet is created later with mode 0700.
    """
    try:
        info = os.stat(state_dir)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return
        raise StateDirError("state_dir %s cannot be read: %s; nothing was changed" % (state_dir, exc.strerror))
    for path in (pending_path(state_dir, name, backend), restore_input_path(state_dir, name, backend)):
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            continue
        if not stat.S_ISREG(mode):
            raise StateDirError("%s is %s, not a plain file; refusing to use it; nothing was changed"
                                % (path, "a symlink" if stat.S_ISLNK(mode) else "not a plain file"))
    if not stat.S_ISDIR(info.st_mode):
        raise StateDirError("state_dir %s is not a directory; nothing was changed" % state_dir)
    if info.st_uid != os.geteuid():
        raise StateDirError("state_dir %s belongs to uid %d, not to the user running the module (uid %d); nothing "
                            "was changed" % (state_dir, info.st_uid, os.geteuid()))
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise StateDirError("state_dir %s is writable by its group or by others (mode %04o); make it 0700 (chmod "
                            "go-w); nothing was changed" % (state_dir, stat.S_IMODE(info.st_mode)))


def open_state_file(path, mode="r", create=False):
    """Open a file of the state directory without following a symlink planted in its place; ``create``: it must not
    exist yet (O_EXCL), as the pending marker of a new watchdog."""
    flags = getattr(os, "O_NOFOLLOW", 0) | (os.O_RDONLY if mode == "r" else os.O_WRONLY | os.O_TRUNC)
    if create:
        flags |= os.O_CREAT | os.O_EXCL
    return os.fdopen(os.open(path, flags, 0o600), mode)


def heredoc(command, content):
    """``command`` reading ``content`` from a shell here-document.

    The end marker is a fresh random token checked not to occur in ``content``: no line of the content (an iptables
    comment, a pf.conf line) can end the document early and run the rest as commands.
    """
    if not content.endswith("\n"):
        content += "\n"
    marker = "MACFLEET_EOF_%s" % uuid.uuid4().hex
    while marker in content:
        marker = "MACFLEET_EOF_%s" % uuid.uuid4().hex
    return "%s <<'%s'\n%s%s\n" % (command, marker, content, marker)


def restore_files_script(previous, staging_suffix):
    """``/bin/sh`` lines putting files back as ``previous`` (``{path: text or None}``): each is written next to its
    place (``path`` + ``staging_suffix``) and renamed over it; None removes it."""
    lines = []
    for path in sorted(previous):
        target = shlex.quote(path)
        if previous[path] is None:
            lines.append("rm -f %s\n" % target)
            continue
        staged = shlex.quote(path + staging_suffix)
        lines.append(heredoc("cat > %s" % staged, previous[path]))
        lines.append("mv -f %s %s\n" % (staged, target))
    return "".join(lines)


def pending_path(state_dir, name, backend):
    return os.path.join(state_dir, "%s.%s.pending" % (name, backend))


def restore_input_path(state_dir, name, backend):
    return os.path.join(state_dir, "%s.%s.rollback" % (name, backend))


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
    try:
        if stat.S_ISREG(os.lstat(pending).st_mode):
            os.unlink(pending)  # an earlier run's marker; anything else in its place makes the creation below fail
    except OSError:
        pass
    with open_state_file(pending, "w", create=True) as handle:
        handle.write(token + "\n")
    rc, out, err = run_command([sys.executable, "-c", _DETACH, script], expand_user_and_vars=False)
    pid = out.strip()
    if rc != 0 or not pid.isdigit():
        raise OSError("could not start the rollback watchdog (rc %s): %s" % (rc, (err or out).strip()))
    with open_state_file(pending, "w") as handle:
        handle.write("%s %s\n" % (token, pid))
    return int(pid)


def confirm(state_dir, name, backend, token):
    """Claim the marker for the controller. Returns (True, None) or (False, reason)."""
    pending = pending_path(state_dir, name, backend)
    claimed = pending + ".confirmed"
    try:
        with open_state_file(pending) as handle:
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
