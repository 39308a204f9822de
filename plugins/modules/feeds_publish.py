#!/usr/bin/python
# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: feeds_publish
author: macfleet.apple_network contributors (@macfleet)
version_added: 0.1.0
short_description: Publish a feed set atomically into a directory a web server serves, keeping the previous set
description:
  - Writes the files of a feed set (the output of P(macfleet.apple_network.feed_set#filter)) into a new directory
    C(<dest>/sets/<id>), fsyncs every file and directory, then switches the symlink C(<dest>/current) to it with one
    rename; C(<dest>/previous) points at the set served before. Point the web server at C(<dest>/current).
  - A publish interrupted at any step leaves C(current) pointing at a whole set; readers see the old set or the new one,
    never a mix.
  - Refuses a set that removes more than O(max_removed_percent) of the entries of the set being served, unless
    O(allow_large_removal=true); the error gives the count.
  - Writes the change report (entries added and removed per feed file) to C(<dest>/changes.json) and returns it.
  - A feed file whose content did not change keeps its modification time, so the pollers' conditional requests
    (C(If-Modified-Since), C(ETag)) get C(304 Not Modified) for it.
  - Publishing the set being served again changes nothing.
extends_documentation_fragment:
  - macfleet.apple_network._attributes
  - macfleet.apple_network._attributes.IDEMPOTENT
  - macfleet.apple_network._attributes.ACTIONGROUP_FEEDS
attributes:
  check_mode:
    support: full
    details: Computes the change report and applies the removal guard without writing anything.
  diff_mode:
    support: none
  idempotent:
    support: full
options:
  dest:
    description:
      - Directory the feed sets are kept in (created if missing); the web server serves C(<dest>/current).
      - Must be writable by the user the module runs as; C(current) and C(previous) in it must be symlinks or absent.
    type: path
    required: true
  files:
    description: The feed set, a mapping of relative paths to file contents, as P(macfleet.apple_network.feed_set#filter) returns it.
    type: dict
    required: true
  max_removed_percent:
    description:
      - The largest share of its entries any one feed file of the served set may lose in the new set (each product
        reads one feed, so the share is taken per feed file).
    type: float
    default: 20
  allow_large_removal:
    description: Publish even when the new set removes more than O(max_removed_percent) of the entries.
    type: bool
    default: false
  file_mode:
    description: Mode of the feed files.
    type: raw
    default: "0644"
  dir_mode:
    description: Mode of the set directories.
    type: raw
    default: "0755"
seealso:
  - plugin: macfleet.apple_network.feed_set
    plugin_type: filter
  - ref: ansible_collections.macfleet.apple_network.docsite.feeds_guide
    description: Feeds for secure web gateways and firewalls.
"""

EXAMPLES = r"""
- name: Publish Apple's feeds for the firewalls
  # example: needs root on a real host (writes into a web server's directory; tests/system/feeds publishes with nginx)
  macfleet.apple_network.feeds_publish:
    dest: /srv/feeds/apple
    files: "{{ query('macfleet.apple_network.hosts') | macfleet.apple_network.feed_set(vendors=['paloalto']) }}"
  register: feeds

- name: Tell the network team what changed
  # example: needs root on a real host (reads what the task above published)
  ansible.builtin.debug:
    msg: "{{ feeds.changes.feeds }}"
  when: feeds is changed
"""

RETURN = r"""
set:
  description: Id of the set now served (the start of the SHA-256 of its manifest).
  returned: success
  type: str
  sample: 5f1c0e4b2d9a7c3e8b10
previous_set:
  description: Id of the set served before, now at C(<dest>/previous); null on the first publish.
  returned: success
  type: str
current:
  description: Path of the directory the web server serves.
  returned: success
  type: str
  sample: /srv/feeds/apple/current
changes:
  description: The change report, also written to C(<dest>/changes.json).
  returned: success
  type: dict
  contains:
    feeds:
      description: Per feed file that changed, C(added) and C(removed) entries (sorted lines).
      type: dict
    added:
      description: Entries added, over all feed files.
      type: int
    removed:
      description: Entries removed, over all feed files.
      type: int
    previous_entries:
      description: Entries of the set served before.
      type: int
    removed_percent:
      description: The largest share of its entries (percent) one feed file loses; the guard compares it.
      type: float
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.feeds.publish import PublishError, plan, publish
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.files import parse_mode


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            files=dict(type="dict", required=True),
            max_removed_percent=dict(type="float", default=20),
            allow_large_removal=dict(type="bool", default=False),
            file_mode=dict(type="raw", default="0644"),
            dir_mode=dict(type="raw", default="0755"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        if module.check_mode:
            new_id, current_id, report = plan(params["dest"], params["files"], params["max_removed_percent"],
                                              params["allow_large_removal"])
            changed = new_id != current_id
        else:
            file_mode = parse_mode(params["file_mode"], "file_mode", PublishError)
            dir_mode = parse_mode(params["dir_mode"], "dir_mode", PublishError)
            changed, report = publish(params["dest"], params["files"], params["max_removed_percent"],
                                      params["allow_large_removal"], file_mode, dir_mode)
    except PublishError as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg="dest: publishing into %s failed: %s; the set served before is still served"
                         % (params["dest"], exc))
    module.exit_json(changed=changed, set=report["set"], previous_set=report["previous_set"],
                     current=os.path.join(params["dest"], "current"), changes=report)


if __name__ == "__main__":
    main()
