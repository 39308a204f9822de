#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: mobileconfig
author: macfleet.apple_network contributors (@macfleet)
version_added: 0.1.0
short_description: Render (and sign) a macOS configuration profile with proxy, bypass, firewall and Software Update payloads
description:
  - Renders a C(.mobileconfig) configuration profile (an XML property list) from typed options and writes it atomically.
  - "Payloads: O(proxy) (C(com.apple.SystemConfiguration), the only macOS payload with a proxy bypass list,
    C(ExceptionsList)), O(global_proxy) (C(com.apple.proxy.http.global)), O(firewall) (C(com.apple.security.firewall))
    and O(software_update) (C(com.apple.SoftwareUpdate))."
  - Every option is validated strictly before anything is written; unknown keys, wrong types, ports out of range,
    non-HTTP PAC URLs and host names outside the collection's host grammar fail with a message naming the field.
  - Payload and profile UUIDs are derived from the identifiers, and keys are written sorted, so the same input
    always renders the same bytes and the module reports no change.
  - With O(signing), the profile is wrapped in a CMS (PKCS#7) SignedData structure with the content attached and the
    certificate chain included. A signed file is re-signed only when its embedded content or the signing certificates change.
  - A profile that contains a proxy password is written with mode C(0600), any other with C(0644).
  - This module only writes the file. Since macOS 11 the C(profiles) tool cannot install profiles; use the
    M(macfleet.apple_network.macos_profile_info) module to check what is installed and the
    R(macfleet.apple_network.macos_proxy_profile,ansible_collections.macfleet.apple_network.macos_proxy_profile_role) role to deliver it.
extends_documentation_fragment:
  - macfleet.apple_network._attributes
  - macfleet.apple_network._attributes.PLATFORM
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows the property list text; passwords are replaced by a marker that still shows whether they changed.
  platform:
    support: full
    platforms: posix
    details:
      - Pure Python rendering; runs on the controller (C(delegate_to=localhost)) or on any POSIX host.
requirements:
  - cryptography >= 3.1 (only with O(signing))
options:
  path:
    description:
      - Where to write the profile.
      - An existing file there larger than 64 MiB (no profile is) fails the task; nothing is changed.
    type: path
    required: true
  state:
    description:
      - V(present) writes the profile, V(absent) removes the file.
    type: str
    choices: [present, absent]
    default: present
  identifier:
    description:
      - Reverse-DNS identifier of the profile (C(PayloadIdentifier)), for example V(com.example.proxy). A profile
        with the same identifier replaces the installed one.
      - Payload identifiers are this value plus V(.proxy), V(.globalproxy), V(.firewall) or V(.softwareupdate).
      - Required when O(state=present).
    type: str
  display_name:
    description:
      - C(PayloadDisplayName) shown in System Settings. Defaults to O(identifier).
    type: str
  description:
    description:
      - C(PayloadDescription).
    type: str
  organization:
    description:
      - C(PayloadOrganization).
    type: str
  scope:
    description:
      - C(PayloadScope). The firewall payload needs V(System).
    type: str
    choices: [System, User]
    default: System
  removal_disallowed:
    description:
      - C(PayloadRemovalDisallowed). On macOS 10.15 and later it only affects manually installed profiles.
    type: bool
  proxy:
    description:
      - The C(com.apple.SystemConfiguration) payload (C(Proxies) dictionary). Flags are written as integers 0/1.
      - Set at least one of O(proxy.web_proxy), O(proxy.secure_web_proxy), O(proxy.socks_proxy), O(proxy.auto_proxy_url).
    type: dict
    suboptions:
      web_proxy:
        description: HTTP proxy (C(HTTPEnable), C(HTTPProxy), C(HTTPPort)).
        type: dict
        suboptions:
          host:
            description: Proxy host name or IP address (IPv4 or IPv6, without a zone ID).
            type: str
            required: true
          port:
            description: Proxy port, 1-65535.
            type: int
            required: true
      secure_web_proxy:
        description: HTTPS proxy (C(HTTPSEnable), C(HTTPSProxy), C(HTTPSPort)).
        type: dict
        suboptions:
          host:
            description: Proxy host name or IP address (IPv4 or IPv6, without a zone ID).
            type: str
            required: true
          port:
            description: Proxy port, 1-65535.
            type: int
            required: true
      socks_proxy:
        description: SOCKS proxy (C(SOCKSEnable), C(SOCKSProxy), C(SOCKSPort)).
        type: dict
        suboptions:
          host:
            description: Proxy host name or IP address (IPv4 or IPv6, without a zone ID).
            type: str
            required: true
          port:
            description: Proxy port, 1-65535.
            type: int
            required: true
      auto_proxy_url:
        description:
          - PAC file URL (C(ProxyAutoConfigEnable), C(ProxyAutoConfigURLString)). Only C(http://) and C(https://)
            URLs are accepted, as on macOS 10.15 and later.
        type: str
      bypass_domains:
        description:
          - Hosts and domains that bypass the proxy (C(ExceptionsList), one array element per entry) - host names and
            patterns in the collection's host-pattern grammar (V(host.example.com), V(*.example.com)) and IPv4/IPv6
            addresses and networks (V(10.0.0.0/8), the short form V(169.254/16) written as V(169.254.0.0/16)),
            de-duplicated in order. The entries and what each covers follow the collection's bypass rule, the same
            as the P(macfleet.apple_network.macos_proxy#module) module's and the PAC and squid filters'
            (R(the proxy bypass guide,ansible_collections.macfleet.apple_network.docsite.proxy_bypass_guide.bypass_rule)).
          - Every entry given here bypasses the proxy. To follow the catalog's C(supports_proxies) column (hosts Apple
            marks as working through a proxy keep using it), build the list with the
            P(macfleet.apple_network.macos_bypass_list#filter) filter, for example
            V(query('macfleet.apple_network.hosts', bypass_https_interception=true\) | macfleet.apple_network.macos_bypass_list)
            (R(which hosts go DIRECT,ansible_collections.macfleet.apple_network.docsite.proxy_bypass_guide.proxy_column)).
        type: list
        elements: str
      bypass_include_apex:
        description:
          - Add V(example.com) after every V(*.example.com), so the apex bypasses the proxy too (the bypass rule).
          - V(false) leaves the apex out; how macOS then treats the apex is undocumented (it may still bypass it).
        type: bool
        default: true
      fallback_allowed:
        description: C(FallBackAllowed) (connect directly when the PAC file cannot be fetched).
        type: bool
      captive_login_allowed:
        description: C(ProxyCaptiveLoginAllowed) (macOS 10.9 and later).
        type: bool
  global_proxy:
    description:
      - The C(com.apple.proxy.http.global) payload. It has no bypass list; use O(proxy) for one, or a PAC file.
    type: dict
    suboptions:
      type:
        description: V(manual) needs O(global_proxy.host) and O(global_proxy.port); V(auto) needs O(global_proxy.pac_url).
        type: str
        choices: [manual, auto]
        default: manual
      host:
        description: Proxy host name or IP address (C(ProxyServer)), without a zone ID.
        type: str
      port:
        description: Proxy port (C(ProxyServerPort)), 1-65535.
        type: int
      username:
        description: C(ProxyUsername).
        type: str
      password:
        description: C(ProxyPassword). The file is then written with mode C(0600).
        type: str
      pac_url:
        description: C(ProxyPACURL), C(http://) or C(https://) only.
        type: str
      pac_fallback_allowed:
        description: C(ProxyPACFallbackAllowed).
        type: bool
      captive_login_allowed:
        description: C(ProxyCaptiveLoginAllowed).
        type: bool
  firewall:
    description:
      - The C(com.apple.security.firewall) payload (macOS 10.12 and later). Apps are identified by bundle ID.
    type: dict
    suboptions:
      enable_firewall:
        description: C(EnableFirewall).
        type: bool
        required: true
      block_all_incoming:
        description: C(BlockAllIncoming).
        type: bool
      enable_stealth_mode:
        description: C(EnableStealthMode).
        type: bool
      applications:
        description: C(Applications), one entry per app.
        type: list
        elements: dict
        suboptions:
          bundle_id:
            description: C(BundleID), for example V(com.apple.Safari).
            type: str
            required: true
          allowed:
            description: C(Allowed).
            type: bool
            required: true
      allow_signed:
        description: C(AllowSigned) (macOS 12.3 and later).
        type: bool
      allow_signed_app:
        description: C(AllowSignedApp) (macOS 12.3 and later).
        type: bool
      enable_logging:
        description: C(EnableLogging) (macOS 12.0 to 14; removed in macOS 15).
        type: bool
      logging_option:
        description: C(LoggingOption) (macOS 12.0 to 14; removed in macOS 15).
        type: str
        choices: [throttled, brief, detail]
  software_update:
    description:
      - The C(com.apple.SoftwareUpdate) payload. Set at least one suboption.
    type: dict
    suboptions:
      catalog_url:
        description:
          - C(CatalogURL). macOS 11 and later ignore it; setting it gives a warning.
        type: str
      automatic_check_enabled:
        description: C(AutomaticCheckEnabled) (macOS 10.15 and later; V(false) also locks the setting).
        type: bool
      automatic_download:
        description: C(AutomaticDownload) (macOS 10.15 and later).
        type: bool
      automatically_install_macos_updates:
        description: C(AutomaticallyInstallMacOSUpdates) (macOS 10.15 and later).
        type: bool
      automatically_install_app_updates:
        description: C(AutomaticallyInstallAppUpdates) (macOS 10.15 and later).
        type: bool
      critical_update_install:
        description: C(CriticalUpdateInstall) (macOS 10.15 and later).
        type: bool
      config_data_install:
        description: C(ConfigDataInstall) (macOS 10.15 and later).
        type: bool
      allow_prerelease_installation:
        description: C(AllowPreReleaseInstallation).
        type: bool
      require_admin_to_install:
        description: C(restrict-software-update-require-admin-to-install) (macOS 10.14 and later).
        type: bool
  signing:
    description:
      - Sign the profile (CMS SignedData, SHA-256, content attached, chain included).
      - Each PEM file may be up to 1 MiB.
    type: dict
    suboptions:
      certificate:
        description: PEM file with the signing certificate.
        type: path
        required: true
      private_key:
        description: PEM file with its private key.
        type: path
        required: true
      private_key_passphrase:
        description: Passphrase of the private key.
        type: str
      chain:
        description: PEM files with the intermediate certificates. Without them many verifiers fail.
        type: list
        elements: path
        default: []
seealso:
  - module: macfleet.apple_network.macos_profile_info
  - plugin: macfleet.apple_network.hosts
    plugin_type: lookup
  - name: Apple device-management schemas
    description: The YAML schemas the rendered payloads are tested against.
    link: https://github.com/apple/device-management
"""

EXAMPLES = r"""
- name: Proxy profile with Apple's Software Update hosts bypassing the proxy
  # example: needs root on a real host (writes under /srv/mdm, your MDM server's folder; the MDM guide's controller example renders a profile here)
  macfleet.apple_network.mobileconfig:
    path: /srv/mdm/com.example.proxy.mobileconfig
    identifier: com.example.proxy
    display_name: Corporate proxy
    organization: Example Corp
    proxy:
      web_proxy: {host: proxy.example.com, port: 3128}
      secure_web_proxy: {host: proxy.example.com, port: 3128}
      bypass_domains: "{{ ['*.local'] + query('macfleet.apple_network.hosts', bypass_https_interception=true) | macfleet.apple_network.macos_bypass_list }}"
      bypass_include_apex: true
  delegate_to: localhost

- name: Signed firewall and Software Update profile
  # example: needs root on a real host (your signing certificate under /etc/pki/mdm)
  macfleet.apple_network.mobileconfig:
    path: /srv/mdm/com.example.security.mobileconfig
    identifier: com.example.security
    firewall:
      enable_firewall: true
      enable_stealth_mode: true
      applications:
        - {bundle_id: com.apple.Safari, allowed: true}
    software_update:
      automatic_check_enabled: true
      critical_update_install: true
    signing:
      certificate: /etc/pki/mdm/signer.pem
      private_key: /etc/pki/mdm/signer.key
      chain: [/etc/pki/mdm/intermediate.pem]
  delegate_to: localhost
"""

RETURN = r"""
path:
  description: The profile file.
  returned: always
  type: str
identifier:
  description: The profile identifier.
  returned: when O(state=present)
  type: str
  sample: com.example.proxy
uuid:
  description: The profile UUID, derived from the identifier.
  returned: when O(state=present)
  type: str
  sample: A35762CA-E385-52F8-AED3-F54D871EAF96
payload_uuids:
  description: Payload identifier to payload UUID.
  returned: when O(state=present)
  type: dict
  sample: {com.example.proxy.proxy: AC022E3B-7BA9-57F8-ABFB-4CBC254DE021}
sha256:
  description:
    - SHA-256 of the unsigned rendering (the content a signed file carries) with every secret (C(ProxyPassword))
      replaced by C(********), as in the diff.
    - It does not change when only a password changes, so a job log never carries a digest a password guess can be
      tested against. The module decides whether the file changed by comparing the file's bytes, so a new password
      still reports a change.
  returned: when O(state=present)
  type: str
signed:
  description: Whether the file is signed.
  returned: when O(state=present)
  type: bool
resigned:
  description: Whether a new signature was made in this run.
  returned: when O(state=present)
  type: bool
mode:
  description: File mode, V(0600) when the profile holds a password.
  returned: when O(state=present)
  type: str
  sample: "0644"
bypass_entries:
  description:
    - The rendered C(ExceptionsList) (empty without O(proxy)), for applying the same list with
      M(macfleet.apple_network.macos_proxy).
  returned: when O(state=present)
  type: list
  elements: str
  sample: ["*.apple.com", "apple.com"]
expected:
  description:
    - What C(profiles show) should report for this profile once installed, without secrets; pass it to
      M(macfleet.apple_network.macos_profile_info) O(macfleet.apple_network.macos_profile_info#module:expected).
  returned: when O(state=present)
  type: dict
  contains:
    identifier:
      description: Profile identifier.
      type: str
    uuid:
      description: Profile UUID.
      type: str
    payloads:
      description: One entry per payload with C(type), C(identifier), C(uuid) and C(content) (the settings).
      type: list
      elements: dict
"""

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.profile import cms
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.profile.arguments import argument_spec, profile_options
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.profile.profile_file import (
    ProfileFileError,
    existing_profile,
    file_mode,
    read_profile_file,
    remove_profile,
    signed_bytes,
    write_profile,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.profile.render import (
    build_profile,
    bypass_entries,
    comparable,
    diff_text,
    has_credentials,
    public_digest,
    render,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.profile.spec import ProfileError


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_if=[("state", "present", ["identifier"])],
        supports_check_mode=True,
    )
    path = module.params["path"]
    try:
        if module.params["state"] == "absent":
            module.exit_json(**remove_profile(path, module.check_mode, module._diff))
        try:
            profile, warnings = build_profile(profile_options(module.params))
        except ProfileError as exc:
            module.fail_json(msg=to_native(exc))
        for warning in warnings:
            module.warn(warning)
        content = render(profile)
        mode = 0o600 if has_credentials(profile) else 0o644
        if os.path.isdir(path):
            module.fail_json(msg="path: %s is a directory" % path)
        existing_data = read_profile_file(path)
        existing_content, existing_parsed, _was_signed = existing_profile(existing_data)
        resigned = False
        data = content
        if module.params["signing"]:
            if cms.CRYPTOGRAPHY_IMPORT_ERROR is not None:
                module.fail_json(msg=missing_required_lib("cryptography (for signing)"), exception=cms.CRYPTOGRAPHY_IMPORT_ERROR)
            data, resigned = signed_bytes(module.params["signing"], content, existing_data, existing_content)
        content_changed = data != existing_data
        mode_changed = existing_data is not None and file_mode(path) != mode
        changed = content_changed or mode_changed
        if changed and not module.check_mode:
            write_profile(path, data, mode, content_changed)
    except ProfileFileError as exc:
        module.fail_json(msg=str(exc))
    result = dict(
        changed=changed,
        path=path,
        identifier=profile["PayloadIdentifier"],
        uuid=profile["PayloadUUID"],
        payload_uuids={p["PayloadIdentifier"]: p["PayloadUUID"] for p in profile["PayloadContent"]},
        sha256=public_digest(profile),
        signed=bool(module.params["signing"]),
        resigned=resigned and not module.check_mode,
        mode="%04o" % mode,
        expected=comparable(profile),
        bypass_entries=bypass_entries(profile),
    )
    if module._diff:
        result["diff"] = dict(before=diff_text(existing_parsed, profile) if existing_parsed else "",
                              after=diff_text(profile, existing_parsed), before_header=path, after_header=path)
        if mode_changed:
            result["diff"]["before_header"] = "%s (mode %04o)" % (path, file_mode(path))
            result["diff"]["after_header"] = "%s (mode %04o)" % (path, mode)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
