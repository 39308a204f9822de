# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Paths a user gives a job, as the controller resolves them.

A relative path means the directory ``ansible-playbook`` runs in: the controller process's working
directory, which ansible-core never changes (the local connection runs modules in the playbook's folder
instead, which for the collection's own playbooks is inside the installed collection). A job never
writes into the installed collection: it is read-only in an execution environment.
"""

from __future__ import annotations

import os

COLLECTION_DIR = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


class OutputPathError(ValueError):
    pass


def user_path(value, field):
    """``value`` as an absolute path: ``~`` expanded, a relative path joined to the controller's working directory."""
    if not isinstance(value, str) or not value or "\0" in value:
        raise OutputPathError("%s: %r is not a path" % (field, value))
    path = os.path.expanduser(value)
    if not os.path.isabs(path):
        try:
            cwd = os.getcwd()
        except OSError as exc:
            raise OutputPathError("%s: %r is relative, and the directory ansible-playbook runs in cannot be read (%s); "
                                  "give an absolute path" % (field, value, exc)) from None
        path = os.path.join(cwd, path)
    return os.path.normpath(path)


def output_path(value, field):
    """:func:`user_path` for a place the job writes to; a place inside the installed collection is refused."""
    path = user_path(value, field)
    real = os.path.realpath(path)
    if real == COLLECTION_DIR or real.startswith(COLLECTION_DIR.rstrip(os.sep) + os.sep):
        raise OutputPathError("%s: %s is inside the installed collection (%s), which a job never writes to; give an "
                              "absolute path or one relative to the directory ansible-playbook runs in"
                              % (field, path, COLLECTION_DIR))
    return path
