# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Publishing a feed set on the web server: all files switch together, the previous set is kept.

Runs on the managed host (the ``feeds_publish`` module): Python standard library only.

Layout under ``dest`` (the web server serves ``dest/current``)::

    sets/<id>/...        one directory per set, never changed once complete (<id>: hash of its manifest)
    current -> sets/<id> the set being served
    previous -> sets/<id> the set served before it
    changes.json         what the last publish added and removed, per feed file

A set is written into a hidden sibling directory, every file and directory fsynced, renamed into ``sets/``, and only
then ``current`` is switched by renaming a new symlink over it (one atomic rename). A publish interrupted at any step
leaves ``current`` pointing at a whole set. Sets other than ``current`` and ``previous`` are removed afterwards.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.files import fsync_dir, write_atomic, write_new

MANIFEST = "feeds.json"
CHANGES = "changes.json"
SETS = "sets"
# Which files' lines are feed entries (the guard and the change report count them).
FEED_SUFFIX = ".txt"


class PublishError(Exception):
    """A publish that must not happen; the message names the option."""


def set_id(files):
    return hashlib.sha256(files[MANIFEST].encode("utf-8")).hexdigest()[:20]


def _check_files(files):
    if not isinstance(files, dict) or MANIFEST not in files:
        raise PublishError("files must be the feed set of the macfleet.apple_network.feed_set filter (a mapping with %s)"
                           % MANIFEST)
    for path, text in files.items():
        parts = path.split("/")
        if (not isinstance(text, str) or path.startswith("/") or any(p in ("", ".", "..") for p in parts)
                or "\\" in path or "\0" in path):
            raise PublishError("files: %r is not a relative path of a feed file with text content" % (path,))


def _entries(text):
    return set(line for line in text.splitlines() if line.strip())


def read_set(directory):
    """``{relative path: text}`` of the feed files (``*.txt``) of a published set, or None when there is none."""
    if directory is None or not os.path.isdir(directory):
        return None
    result = {}
    for root, _dirs, names in os.walk(directory):
        for name in names:
            if name.endswith(FEED_SUFFIX):
                path = os.path.join(root, name)
                with open(path, "r", encoding="utf-8") as handle:
                    result[os.path.relpath(path, directory).replace(os.sep, "/")] = handle.read()
    return result


def change_report(old, new):
    """Per feed file, the entries added and removed from ``old`` to ``new`` (both ``{path: text}``), sorted.

    ``removed_percent`` is the largest share of its entries any one feed file loses: each product reads one feed, so
    a feed that loses a third of its entries is a bad update however many entries the other feeds keep.
    """
    feeds = {}
    removed_total = previous_total = added_total = 0
    worst = 0.0
    for path in sorted(set(old or {}) | set(p for p in new if p.endswith(FEED_SUFFIX))):
        before, after = _entries((old or {}).get(path, "")), _entries(new.get(path, ""))
        added, removed = sorted(after - before), sorted(before - after)
        previous_total += len(before)
        removed_total += len(removed)
        added_total += len(added)
        if added or removed:
            percent = round(100.0 * len(removed) / len(before), 1) if before else 0.0
            feeds[path] = {"added": added, "removed": removed, "previous_entries": len(before),
                           "removed_percent": percent}
            worst = max(worst, percent)
    return {"feeds": feeds, "added": added_total, "removed": removed_total, "previous_entries": previous_total,
            "removed_percent": worst}


def _swap_link(dest, name, target):
    """Point ``dest/name`` at ``target`` (relative) with one rename: readers see the old link or the new one."""
    tmp = os.path.join(dest, ".%s.tmp-%d" % (name, os.getpid()))
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(target, tmp)
    os.replace(tmp, os.path.join(dest, name))


def _link_target(dest, name):
    path = os.path.join(dest, name)
    if not os.path.islink(path):
        return None
    target = os.readlink(path)
    return target if os.path.isdir(os.path.join(dest, target)) else None


def check_dest(dest):
    """Refuse a destination that cannot take a set, before anything is written."""
    if not isinstance(dest, str) or not os.path.isabs(dest):
        raise PublishError("dest: %r must be an absolute path; nothing was published" % (dest,))
    probe = dest
    while True:
        try:
            os.stat(probe)
            break
        except FileNotFoundError:
            probe = os.path.dirname(probe)
        except NotADirectoryError:
            probe = os.path.dirname(probe)
        except OSError as exc:
            raise PublishError("dest: %s cannot be reached by this user (uid %d): %s; nothing was published"
                               % (probe, os.getuid(), exc.strerror))
    if not os.path.isdir(probe):
        raise PublishError("dest: %s is not a directory; nothing was published" % probe)
    if not os.access(probe, os.W_OK | os.X_OK):
        raise PublishError("dest: %s is not writable by this user (uid %d); nothing was published" % (probe, os.getuid()))
    for name in ("current", "previous"):
        path = os.path.join(dest, name)
        if os.path.lexists(path) and not os.path.islink(path):
            raise PublishError("dest: %s exists and is not a symlink; the feeds need dest to themselves; nothing was "
                               "published" % path)


def plan(dest, files, max_removed_percent=20, allow_large_removal=False):
    """What publishing ``files`` into ``dest`` would do: ``(new_id, current_id, report)``; raises PublishError if refused."""
    _check_files(files)
    if isinstance(max_removed_percent, bool) or not isinstance(max_removed_percent, (int, float)) \
            or not 0 <= max_removed_percent <= 100:
        raise PublishError("max_removed_percent: %r must be a number from 0 to 100" % (max_removed_percent,))
    check_dest(dest)
    current = _link_target(dest, "current")
    new_id = set_id(files)
    current_id = os.path.basename(current) if current else None
    report = change_report(read_set(os.path.join(dest, current)) if current else None, files)
    report.update({"set": new_id, "previous_set": current_id})
    if current_id != new_id and report["removed_percent"] > max_removed_percent and not allow_large_removal:
        over = ["%s loses %d of its %d entries (%s%%)"
                % (path, len(diff["removed"]), diff["previous_entries"], diff["removed_percent"])
                for path, diff in sorted(report["feeds"].items()) if diff["removed_percent"] > max_removed_percent]
        raise PublishError(
            "max_removed_percent: the new feed set removes %d entries of the set being served; %s: more than "
            "max_removed_percent=%s%% of a feed; nothing was published. Check the catalog selection, or set "
            "allow_large_removal=true to publish it anyway" % (report["removed"], "; ".join(over), max_removed_percent))
    return new_id, current_id, report


def publish(dest, files, max_removed_percent=20, allow_large_removal=False, file_mode=0o644, dir_mode=0o755,
            _step=None):
    """Publish ``files`` (``{relative path: text}``) as the current set of ``dest``; returns ``(changed, report)``.

    ``_step`` (tests only) is called with the name of each step before it runs, so a test can interrupt a publish
    between any two steps.
    """
    step = _step or (lambda name: None)
    new_id, current_id, report = plan(dest, files, max_removed_percent, allow_large_removal)
    if new_id == current_id:
        report["feeds"], report["added"], report["removed"] = {}, 0, 0
        return False, report
    sets = os.path.join(dest, SETS)
    step("mkdir")
    os.makedirs(sets, mode=dir_mode, exist_ok=True)
    final = os.path.join(sets, new_id)
    old_dir = os.path.join(dest, SETS, current_id) if current_id else None
    if not os.path.isdir(final):
        tmp = os.path.join(sets, ".tmp-%s-%d" % (new_id, os.getpid()))
        if os.path.lexists(tmp):
            shutil.rmtree(tmp)
        os.mkdir(tmp, dir_mode)
        for path in sorted(files):
            step("write " + path)
            target = os.path.join(tmp, *path.split("/"))
            parent = os.path.dirname(target)
            if not os.path.isdir(parent):
                os.makedirs(parent, mode=dir_mode)
            data = files[path].encode("utf-8")
            write_new(target, data, file_mode)
            # An unchanged file keeps the modification time it was served with, so pollers' If-Modified-Since and
            # the web server's ETag (size and mtime) answer 304 for it.
            old = os.path.join(old_dir, *path.split("/")) if old_dir else None
            if old and os.path.isfile(old) and os.path.getsize(old) == len(data):
                with open(old, "rb") as handle:
                    if handle.read() == data:
                        stat = os.stat(old)
                        os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        for root, dirs, _names in os.walk(tmp, topdown=False):
            for name in dirs:
                fsync_dir(os.path.join(root, name))
        fsync_dir(tmp)
        step("rename set")
        os.rename(tmp, final)
        fsync_dir(sets)
    if current_id:
        step("swap previous")
        _swap_link(dest, "previous", os.path.join(SETS, current_id))
    step("swap current")
    _swap_link(dest, "current", os.path.join(SETS, new_id))
    fsync_dir(dest)
    step("write changes")
    write_atomic(os.path.join(dest, CHANGES), (json.dumps(report, sort_keys=True, indent=2) + "\n").encode("utf-8"),
                 file_mode)
    step("prune")
    keep = set([new_id, current_id])
    for name in os.listdir(sets):
        if name not in keep:
            shutil.rmtree(os.path.join(sets, name), ignore_errors=True)
    return True, report
