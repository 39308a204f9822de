# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import os
import shutil
import tempfile

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.feeds.publish import PublishError, publish, read_set
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._feeds.render import build_feed_set


@pytest.fixture(scope="module")
def hosts():
    return load_catalog().hosts()


def feed_set(hosts):
    return build_feed_set(hosts, ["17.0.0.0/8"], hosts, vendors=["paloalto", "zscaler"], pinned=False)


def served(dest):
    """Every file of the set ``current`` points at, as a reader through the symlink sees it."""
    root = os.path.join(str(dest), "current")
    result = {}
    for base, _dirs, names in os.walk(root):
        for name in names:
            with open(os.path.join(base, name)) as handle:
                result[os.path.relpath(os.path.join(base, name), root)] = handle.read()
    return result


def without(hosts, count):
    """The records of ``hosts`` less those of the first ``count`` host patterns (a catalog that dropped them)."""
    dropped = set(sorted(set(h["host"] for h in hosts))[:count])
    return [h for h in hosts if h["host"] not in dropped]


def without_30_percent(hosts):
    """A catalog change that drops every third-and-a-bit host record (30 % of the hosts, by pattern)."""
    patterns = sorted(set(h["host"] for h in hosts))
    dropped = set(patterns[: int(len(patterns) * 0.3)])
    return [h for h in hosts if h["host"] not in dropped], dropped


def test_first_publish_and_republish_unchanged(tmp_path, hosts):
    files = feed_set(hosts)
    changed, report = publish(str(tmp_path), files)
    assert changed and report["previous_set"] is None
    assert served(tmp_path) == files
    assert os.path.islink(tmp_path / "current") and not os.path.lexists(tmp_path / "previous")
    changed, report = publish(str(tmp_path), files)
    assert not changed and report["feeds"] == {}


def test_large_removal_refused_with_count_then_override_reports_exactly_the_removed(tmp_path, hosts):
    old = feed_set(hosts)
    publish(str(tmp_path), old)
    remaining, dropped = without_30_percent(hosts)
    new = feed_set(remaining)
    with pytest.raises(PublishError, match=r"max_removed_percent: the new feed set removes \d+ entries") as err:
        publish(str(tmp_path), new)
    expected = "zscaler/hosts-url.txt loses %d of its %d entries" % (
        len(set(old["zscaler/hosts-url.txt"].splitlines()) - set(new["zscaler/hosts-url.txt"].splitlines())),
        len(old["zscaler/hosts-url.txt"].splitlines()))
    assert expected in str(err.value) and "allow_large_removal=true" in str(err.value)
    assert served(tmp_path) == old  # nothing published
    assert len(os.listdir(tmp_path / "sets")) == 1
    changed, report = publish(str(tmp_path), new, allow_large_removal=True)
    assert changed and served(tmp_path) == new
    assert report["removed_percent"] > 20
    for path in (p for p in old if p.endswith(".txt")):
        expect_removed = sorted(set(old[path].splitlines()) - set(new[path].splitlines()))
        assert report["feeds"].get(path, {"removed": []})["removed"] == expect_removed
        assert report["feeds"].get(path, {"added": []})["added"] == []
    zscaler_removed = report["feeds"]["zscaler/hosts-url.txt"]["removed"]
    assert set(zscaler_removed) == set(h if "*" not in h else "." + h.split(".", 1)[1] for h in dropped) - set(
        new["zscaler/hosts-url.txt"].splitlines())
    with open(tmp_path / "changes.json") as handle:
        assert json.load(handle) == report
    # The previous set is kept whole beside the new one.
    assert read_set(str(tmp_path / "previous")) == dict((p, t) for p, t in old.items() if p.endswith(".txt"))


def test_small_removal_publishes_under_the_default_guard(tmp_path, hosts):
    publish(str(tmp_path), feed_set(hosts))
    changed, report = publish(str(tmp_path), feed_set(without(hosts, 5)))
    assert changed and 0 < report["removed_percent"] <= 20


STEPS = ["mkdir", "write feeds.json", "rename set", "swap previous", "swap current", "write changes", "prune"]


@pytest.mark.parametrize("interrupt", STEPS + ["write zscaler/hosts-url.txt"])
def test_interrupted_publish_leaves_a_whole_set_served(tmp_path, hosts, interrupt):
    old = feed_set(hosts)
    publish(str(tmp_path), old)
    new = feed_set(without(hosts, 3))

    def step(name):
        if name == interrupt:
            raise KeyboardInterrupt(name)

    with pytest.raises(KeyboardInterrupt):
        publish(str(tmp_path), new, _step=step)
    assert served(tmp_path) in (old, new)
    before_switch = interrupt not in STEPS or STEPS.index(interrupt) <= STEPS.index("swap current")
    assert served(tmp_path) == (old if before_switch else new)
    # The next publish completes and cleans up what the interrupted one left.
    publish(str(tmp_path), new)
    assert served(tmp_path) == new
    assert sorted(os.listdir(tmp_path / "sets")) == sorted(
        os.path.basename(os.readlink(tmp_path / name)) for name in ("current", "previous"))


def test_unchanged_files_keep_their_modification_time(tmp_path, hosts):
    old = feed_set(hosts)
    publish(str(tmp_path), old)
    before = os.stat(tmp_path / "current" / "paloalto" / "networks-ipv4.txt").st_mtime_ns
    changed_before = os.stat(tmp_path / "current" / "zscaler" / "hosts-url.txt").st_mtime_ns
    os.utime(tmp_path / "current" / "paloalto" / "networks-ipv4.txt", ns=(before - 10**9, before - 10**9))
    publish(str(tmp_path), feed_set(without(hosts, 2)))
    assert os.stat(tmp_path / "current" / "paloalto" / "networks-ipv4.txt").st_mtime_ns == before - 10**9
    assert os.stat(tmp_path / "current" / "zscaler" / "hosts-url.txt").st_mtime_ns >= changed_before


def _as_unprivileged(function):
    """Run ``function`` in a child process as nobody when the tests run as root (root may write anywhere)."""
    if os.geteuid() != 0:
        return function()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        os.close(read)
        try:
            os.setgid(65534)
            os.setuid(65534)
            result = str(function())
        except BaseException as exc:  # noqa: B902 - everything goes back to the parent
            result = "%s: %s" % (type(exc).__name__, exc)
        os.write(write, result.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as handle:
        answer = handle.read()
    os.waitpid(pid, 0)
    return answer


def test_unwritable_destination_names_the_option(hosts):
    files = feed_set(hosts)
    # Outside pytest's own (private) temporary directory: the unprivileged child must reach the directory.
    top = tempfile.mkdtemp(prefix="macfleet-feeds-")
    base = os.path.join(top, "srv")
    os.mkdir(base)
    os.chmod(top, 0o755)
    os.chmod(base, 0o755)
    parent = top
    while parent != os.path.dirname(parent):
        parent = os.path.dirname(parent)
        if os.stat(parent).st_mode & 0o005 != 0o005:
            pytest.skip("%s is not reachable by other users" % parent)

    def attempt():
        try:
            publish(os.path.join(base, "feeds"), files)
        except PublishError as exc:
            return "PublishError: %s" % exc
        return "published"

    try:
        answer = _as_unprivileged(attempt)
        assert answer.startswith("PublishError: dest: %s is not writable" % base), answer
        assert os.listdir(base) == []
    finally:
        shutil.rmtree(top)


def test_destination_that_is_a_file_or_relative(tmp_path, hosts):
    (tmp_path / "file").write_text("x")
    with pytest.raises(PublishError, match="dest: .*file is not a directory"):
        publish(str(tmp_path / "file" / "feeds"), feed_set(hosts))
    with pytest.raises(PublishError, match="dest: 'feeds' must be an absolute path"):
        publish("feeds", feed_set(hosts))
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "current").mkdir()
    with pytest.raises(PublishError, match="is not a symlink"):
        publish(str(tmp_path / "d"), feed_set(hosts))


@pytest.mark.parametrize("files", [{"a.txt": "x"}, {"feeds.json": "{}", "../x.txt": "y"}, {"feeds.json": "{}", "/abs.txt": ""}])
def test_files_that_are_not_a_feed_set(tmp_path, files):
    with pytest.raises(PublishError, match="files"):
        publish(str(tmp_path), files)
    assert os.listdir(tmp_path) == []
