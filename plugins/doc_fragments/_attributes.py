# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Standard documentation fragment (as in community.crypto and community.dns)
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
"""

    PLATFORM = r"""
options: {}
attributes:
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
"""

    # Should be used together with the standard fragment
    IDEMPOTENT = r"""
options: {}
attributes:
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
      - This assumes that the system controlled/queried by the module has not changed in a relevant way.
"""

    # For read-only modules (info and probe modules).
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
"""

    # Modules with a controller-side action plugin.
    ACTION = r"""
options: {}
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
"""

    # Member of the probes action group.
    ACTIONGROUP_PROBES = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/macfleet.apple_network.probes) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - macfleet.apple_network.probes
"""

    # Member of the firewall action group.
    ACTIONGROUP_FIREWALL = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/macfleet.apple_network.firewall) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - macfleet.apple_network.firewall
"""

    # Member of the feeds action group.
    ACTIONGROUP_FEEDS = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/macfleet.apple_network.feeds) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - macfleet.apple_network.feeds
"""
