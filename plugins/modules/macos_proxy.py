#!/usr/bin/python
# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: macos_proxy
author: macfleet.apple_network contributors (@macfleet)
version_added: 0.1.0
short_description: Manage proxy bypass domains, web proxies and the auto-proxy URL of macOS network services
description:
  - Manages, with C(networksetup), the proxy settings of one, several or all network services of a Mac
    (Wi-Fi, Ethernet adapters, Thunderbolt Bridge, ...)
  - The bypass domains (C(ExceptionsList)) in O(bypass_mode=merge) keep the entries the administrator or
    the user already has and add the missing ones; O(bypass_mode=replace) sets exactly the given list.
  - Optionally sets the web proxy, the secure web proxy and the proxy auto-config (PAC) URL.
  - Reads the current state with the C(-get...) verbs first and only calls the C(-set...) verbs for what
    differs, so a second run reports no change.
  - C(networksetup) can report an error in its output while exiting with status 0; any C(** Error) line
    or C(... is not a recognized network service.) line fails the task.
  - Every value is validated before the first C(-set...) call; a host pattern with a quote, backslash,
    space or newline fails the task with nothing changed.
extends_documentation_fragment:
  - macfleet.apple_network._attributes
  - macfleet.apple_network._attributes.PLATFORM
  - macfleet.apple_network._attributes.IDEMPOTENT
attributes:
  check_mode:
    support: full
    details: The C(-get...) verbs still run in check mode, they only read.
  diff_mode:
    support: full
  platform:
    platforms: macOS
  idempotent:
    support: full
options:
  services:
    description:
      - Network service names exactly as C(networksetup -listallnetworkservices) lists them (without the
        C(*) of a disabled service), for example V(Wi-Fi) or V(USB 10/100/1000 LAN).
      - When omitted, every listed service is managed (see O(include_disabled)).
      - A name that is not listed fails the task before anything is changed.
    type: list
    elements: str
  include_disabled:
    description:
      - When O(services) is omitted, whether disabled services (listed with a leading C(*)) are managed too,
        so that their settings are right when they are enabled later.
    type: bool
    default: true
  bypass_domains:
    description:
      - Hosts and domains that bypass the proxies, for example the host patterns of
        P(macfleet.apple_network.hosts#lookup) or the output of P(macfleet.apple_network.macos_bypass_list#filter).
      - Each entry is a host name, a pattern (V(*.example.com), V(gg*.example.com)) in the collection's host
        grammar, or an IPv4/IPv6 address or network (V(10.0.0.0/8), the short form V(169.254/16)), as the
        collection's bypass rule defines them (see R(the proxy bypass guide,ansible_collections.macfleet.apple_network.docsite.proxy_bypass_guide.bypass_rule)).
      - Host entries are lower-cased, networks written in canonical form (V(169.254.0.0/16)), and the list de-duplicated;
        in O(bypass_mode=merge) and O(bypass_mode=remove) V(169.254/16) and V(169.254.0.0/16) are the same entry.
      - Every entry given here bypasses the proxy. To follow the catalog's C(supports_proxies) column (hosts Apple
        marks as working through a proxy keep using it), build the list with P(macfleet.apple_network.macos_bypass_list#filter)
        (R(which hosts go DIRECT,ansible_collections.macfleet.apple_network.docsite.proxy_bypass_guide.proxy_column)).
      - When omitted, the bypass domains are left alone.
    type: list
    elements: str
  bypass_mode:
    description:
      - V(merge) keeps the current entries (for example the defaults V(*.local) and V(169.254/16)) and appends
        the missing entries of O(bypass_domains); entries are compared ignoring case and a trailing dot.
      - V(replace) sets the list to exactly O(bypass_domains); an empty list clears it.
      - V(remove) takes the entries of O(bypass_domains) out of the list and keeps every other entry, for
        example to undo what an earlier V(merge) added.
    type: str
    choices: [merge, replace, remove]
    default: merge
  include_apex:
    description:
      - Add V(example.com) after every V(*.example.com) in O(bypass_domains), so the apex bypasses the proxy too, as it
        does in the P(macfleet.apple_network.pac_file#filter) and P(macfleet.apple_network.squid_acl#filter) output
        and the P(macfleet.apple_network.mobileconfig#module) profile (the collection's bypass rule).
      - V(false) leaves the apex out; how macOS then treats the apex is undocumented (it may still bypass it).
    type: bool
    default: true
  web_proxy:
    description:
      - The web (HTTP) proxy. When omitted it is left alone.
    type: dict
    suboptions:
      enabled:
        description: Whether the proxy is on. V(false) turns it off and ignores O(web_proxy.server) and O(web_proxy.port).
        type: bool
        default: true
      server:
        description:
          - Proxy host name or IP address. Required when O(web_proxy.enabled=true).
          - An IPv6 zone ID (V(fe80::1%en0)), white space or a control character is refused.
        type: str
      port:
        description: Proxy port. Required when O(web_proxy.enabled=true).
        type: int
  secure_web_proxy:
    description:
      - The secure web (HTTPS) proxy. When omitted it is left alone.
    type: dict
    suboptions:
      enabled:
        description: Whether the proxy is on. V(false) turns it off.
        type: bool
        default: true
      server:
        description:
          - Proxy host name or IP address. Required when O(secure_web_proxy.enabled=true).
          - An IPv6 zone ID (V(fe80::1%en0)), white space or a control character is refused.
        type: str
      port:
        description: Proxy port. Required when O(secure_web_proxy.enabled=true).
        type: int
  auto_proxy:
    description:
      - The proxy auto-config (PAC) URL, for example one serving the file of the
        P(macfleet.apple_network.pac_file#filter) filter. When omitted it is left alone.
    type: dict
    suboptions:
      enabled:
        description: Whether automatic proxy configuration is on. V(false) turns it off.
        type: bool
        default: true
      url:
        description:
          - The PAC URL. Since macOS 10.15 only V(http://) and V(https://) URLs are accepted.
          - Required when O(auto_proxy.enabled=true).
        type: str
  networksetup_path:
    description:
      - Path of the C(networksetup) executable.
      - Change it only for a relocated binary or for tests with a stand-in executable.
    type: path
    default: /usr/sbin/networksetup
notes:
  - Most C(networksetup -set...) verbs need root; run the task with C(become=true).
  - When a PAC URL is in use, macOS may ignore the bypass domains; the PAC file must then send the
    same hosts C(DIRECT) itself (the P(macfleet.apple_network.pac_file#filter) filter does).
  - How macOS matches the bypass domains is not documented; the collection writes both V(example.com) and
    V(*.example.com) (O(include_apex=true)) so the apex bypasses the proxy whatever macOS does.
requirements:
  - macOS with C(networksetup)
seealso:
  - plugin: macfleet.apple_network.macos_bypass_list
    plugin_type: filter
  - plugin: macfleet.apple_network.pac_file
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Let the catalog hosts that need it bypass the proxy on every network service (keep existing entries)
  # example: needs macOS (changes the Mac's proxy settings with networksetup; tests/system/proxy_bypass runs it against the stand-ins)
  macfleet.apple_network.macos_proxy:
    bypass_domains: "{{ query('macfleet.apple_network.hosts', bypass_https_interception=true) | macfleet.apple_network.macos_bypass_list }}"
  become: true

- name: Exactly these bypass domains, a web and secure web proxy on two services
  # example: needs macOS (changes the Mac's proxy settings with networksetup; tests/system/proxy_bypass runs it against the stand-ins)
  macfleet.apple_network.macos_proxy:
    services:
      - Wi-Fi
      - USB 10/100/1000 LAN
    bypass_mode: replace
    bypass_domains:
      - "*.local"
      - 169.254.0.0/16
      - "*.apple.com"
    include_apex: true
    web_proxy:
      server: proxy.example.com
      port: 3128
    secure_web_proxy:
      server: proxy.example.com
      port: 3128
  become: true

- name: Use a PAC file
  # example: needs macOS (changes the Mac's proxy settings with networksetup; tests/system/proxy_bypass runs it against the stand-ins)
  macfleet.apple_network.macos_proxy:
    auto_proxy:
      url: http://wpad.example.com/proxy.pac
  become: true
"""

RETURN = r"""
services:
  description: One entry per managed network service, in the order networksetup lists them.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The service name.
      type: str
      sample: USB 10/100/1000 LAN
    enabled:
      description: Whether the service is enabled (listed without C(*)).
      type: bool
    changed:
      description: Whether a setting of this service was (or, in check mode, would be) changed.
      type: bool
    before:
      description: The managed settings before the run (only the kinds that the task manages).
      type: dict
      sample: {"bypass_domains": ["*.local", "169.254/16"]}
    after:
      description: The managed settings after the run.
      type: dict
      sample: {"bypass_domains": ["*.local", "169.254/16", "swscan.apple.com"]}
commands:
  description: The C(networksetup) calls that changed (or, in check mode, would change) a setting, as argument lists.
  returned: success
  type: list
  elements: list
  sample: [["/usr/sbin/networksetup", "-setproxybypassdomains", "Wi-Fi", "*.local", "169.254/16", "swscan.apple.com"]]
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.networksetup import NetworksetupError
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.proxy import BypassRenderError
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.bypass.services import (
    Networksetup,
    UnknownServiceError,
    apply_service,
    argument_spec,
    plan_service,
    select_services,
    wanted_state,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.hostnames import HostnameError


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_one_of=[("bypass_domains", "web_proxy", "secure_web_proxy", "auto_proxy")],
        supports_check_mode=True,
    )
    try:
        wanted = wanted_state(module.params)
    except (HostnameError, BypassRenderError) as exc:
        module.fail_json(msg="Invalid value, nothing was changed: %s" % exc)
    path = module.params["networksetup_path"]
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        module.fail_json(msg="networksetup_path %r is not an executable file; this module needs macOS" % path)
    tool = Networksetup(module, path)
    results, commands, diff_before, diff_after = [], [], {}, {}
    try:
        services = select_services(module.params, tool)
        plans = []
        for service in services:
            before, after, calls = plan_service(tool, service["name"], wanted, module.params["bypass_mode"])
            plans.append((service, before, after, calls))
        for service, before, after, calls in plans:
            if calls and not module.check_mode:
                apply_service(tool, service, wanted, after, calls)
            commands.extend([path] + call for call in calls)
            results.append(dict(name=service["name"], enabled=service["enabled"], changed=bool(calls),
                                before=before, after=after))
            if calls:
                diff_before[service["name"]], diff_after[service["name"]] = before, after
    except UnknownServiceError as exc:
        module.fail_json(msg=str(exc))
    except NetworksetupError as exc:
        module.fail_json(msg=str(exc), services=results, commands=commands)
    changed = bool(commands)
    result = dict(changed=changed, services=results, commands=commands)
    if module._diff:
        result["diff"] = dict(before=diff_before, after=diff_after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
