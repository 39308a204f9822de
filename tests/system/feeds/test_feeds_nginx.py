# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The feeds playbook publishing into a directory a real nginx serves (in a namespace), polled the way products
poll: conditional GETs with If-None-Match / If-Modified-Since, before and after a republish; the removal guard; an
interrupted publish."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys

import pytest

from feeds_env import NGINX, PUBLISH_TASK, Nginx, feeds_vars, manifest_of, run_feeds, user_catalog

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists(NGINX), reason="needs root and nginx")

HOSTS = 40
DROPPED = 12  # 30 % of the hosts


@pytest.fixture
def served(scratch, processes, netns):
    dest = scratch / "feeds"
    namespace = netns.add("feeds")
    nginx = Nginx(scratch, processes, namespace, dest / "current")
    return dest, nginx


def test_publish_poll_guard_override_and_conditional_requests(run_playbook, scratch, served):
    dest, nginx = served
    catalog = scratch / "corp.yml"
    catalog.write_text(user_catalog(HOSTS))
    first = run_feeds(run_playbook, scratch, feeds_vars(dest, catalog))
    assert first.rc == 0, first
    nginx.start()
    manifest = manifest_of(dest / "current")
    served_first = nginx.served_set(manifest)
    for path, described in manifest["files"].items():
        assert hashlib.sha256(served_first[path]).hexdigest() == described["sha256"], path
    assert served_first["zscaler/hosts-url.txt"].decode().count("\n") == HOSTS

    # The products' polls: a conditional GET of an unchanged feed is answered 304 without a body.
    status, headers, _body = nginx.get("paloalto/hosts-domain.txt")
    assert status == 200 and "etag" in headers, (status, headers)
    etag, modified = headers["etag"], headers["last-modified"]
    assert nginx.get("paloalto/hosts-domain.txt", {"If-None-Match": etag})[0] == 304
    assert nginx.get("paloalto/hosts-domain.txt", {"If-Modified-Since": modified})[0] == 304
    checksum = nginx.get("secure_firewall/hosts-url.txt.md5")[2].decode().strip()
    assert checksum == hashlib.md5(served_first["secure_firewall/hosts-url.txt"]).hexdigest()

    # The same catalog again: nothing changes, the pollers keep getting 304.
    again = run_feeds(run_playbook, scratch, feeds_vars(dest, catalog))
    assert again.rc == 0 and again.results(PUBLISH_TASK)["localhost"]["changed"] is False, again
    assert nginx.get("paloalto/hosts-domain.txt", {"If-None-Match": etag})[0] == 304

    # The catalog loses 30 % of its hosts: refused, with the count; the served set is untouched.
    catalog.write_text(user_catalog(HOSTS, drop=DROPPED))
    refused = run_feeds(run_playbook, scratch, feeds_vars(dest, catalog))
    assert refused.rc != 0
    message = refused.results(PUBLISH_TASK)["localhost"]["msg"]
    assert "max_removed_percent" in message and "allow_large_removal=true" in message
    assert "zscaler/hosts-url.txt loses %d of its %d entries (30.0%%)" % (DROPPED, HOSTS) in message, message
    assert nginx.served_set(manifest) == served_first
    assert nginx.get("paloalto/hosts-domain.txt", {"If-None-Match": etag})[0] == 304

    # With the override it publishes; the change report lists exactly the removed entries.
    forced = run_feeds(run_playbook, scratch, feeds_vars(dest, catalog, feeds_allow_large_removal=True))
    assert forced.rc == 0, forced
    report = forced.results(PUBLISH_TASK)["localhost"]["changes"]
    assert json.loads((dest / "changes.json").read_text()) == report
    removed = report["feeds"]["paloalto/hosts-domain.txt"]["removed"]
    expected = sorted("*.w%d.corp.example.com" % i if i % 5 == 0 else "^h%d.corp.example.com" % i for i in range(DROPPED))
    assert removed == expected and report["feeds"]["paloalto/hosts-domain.txt"]["added"] == []
    assert report["feeds"]["zscaler/hosts-url.txt"]["removed"] == sorted(
        ".w%d.corp.example.com" % i if i % 5 == 0 else "h%d.corp.example.com" % i for i in range(DROPPED))
    new_manifest = manifest_of(dest / "current")
    status, headers, body = nginx.get("paloalto/hosts-domain.txt", {"If-None-Match": etag})
    assert status == 200 and headers["etag"] != etag
    assert hashlib.sha256(body).hexdigest() == new_manifest["files"]["paloalto/hosts-domain.txt"]["sha256"]
    assert nginx.get("paloalto/hosts-domain.txt", {"If-None-Match": headers["etag"]})[0] == 304
    # The previous set is kept whole beside the served one.
    previous = dest / "previous"
    for path, described in manifest["files"].items():
        assert hashlib.sha256((previous / path).read_bytes()).hexdigest() == described["sha256"]


INTERRUPT = """
import os, signal, sys, json
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.feeds.publish import publish
files = json.load(open(sys.argv[2]))
def step(name):
    if name == sys.argv[3]:
        os.kill(os.getpid(), signal.SIGKILL)
publish(sys.argv[1], files, allow_large_removal=True, _step=step)
"""


@pytest.mark.parametrize("interrupt", ["write zscaler/hosts-url.txt", "rename set", "swap previous"])
def test_a_killed_publish_leaves_the_previous_set_served_whole(run_playbook, scratch, served, interrupt):
    dest, nginx = served
    catalog = scratch / "corp.yml"
    catalog.write_text(user_catalog(HOSTS))
    assert run_feeds(run_playbook, scratch, feeds_vars(dest, catalog)).rc == 0
    nginx.start()
    manifest = manifest_of(dest / "current")
    before = nginx.served_set(manifest)

    # The next set, as the role would render it, published by a process killed (SIGKILL) in the middle.
    from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.loader import load_catalog
    from ansible_collections.macfleet.apple_network.plugins.plugin_utils._feeds.render import build_feed_set

    catalog.write_text(user_catalog(HOSTS, drop=3))
    hosts = load_catalog([str(catalog)]).hosts(source="corp")
    files = scratch / "next.json"
    files.write_text(json.dumps(build_feed_set(hosts, [], hosts, pinned=False)))
    killed = subprocess.run([sys.executable, "-c", INTERRUPT, str(dest), str(files), interrupt], check=False,
                            env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert killed.returncode == -signal.SIGKILL
    assert nginx.served_set(manifest) == before
    # The next run of the role publishes the new set and clears what the killed one left.
    after = run_feeds(run_playbook, scratch, feeds_vars(dest, catalog))
    assert after.rc == 0, after
    assert sorted(os.listdir(dest / "sets")) == sorted(
        os.path.basename(os.readlink(dest / name)) for name in ("current", "previous"))
