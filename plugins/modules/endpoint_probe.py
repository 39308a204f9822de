#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: endpoint_probe
short_description: Probe Apple endpoints for DNS, TCP, TLS interception, HTTP, proxy and NTP problems
version_added: 0.1.0
description:
  - Tells, from a managed Mac (or a gateway), whether Apple's services can work on the network it sits on.
  - Runs on a Mac as it comes. The managed host needs only the Python standard library (3.9 to 3.13, such as the Command Line
    Tools Python or a MacAdmins Python). dnspython adds detail where it is installed, never a different verdict.
  - Per target it resolves the name with the system resolver (C(getaddrinfo), the path Apple's services use on macOS,
    which honours C(/etc/resolver/*), VPN split DNS and DNS settings from profiles); NXDOMAIN, a name without addresses,
    a failing name server and a timeout are told apart, and sinkhole answers are flagged. With dnspython installed its
    view (CNAME chain, rcode, from C(/etc/resolv.conf)) is added, and a disagreement between the two is reported.
  - It connects over TCP (open, refused, timed out) on the path the Mac's own services take (O(proxy)), and on TLS
    ports completes a handshake with SNI. V(ok) means the served chain verifies, host name included, against the root
    certificates Apple's service hosts chain to (shipped with the collection; O(trust_anchors) adds or replaces them)
    or against a CA pinned by SHA-256 in O(expected_issuers). Hosts that Apple's pin policy lets anchor only at Apple's
    roots get those alone, and neither O(trust_anchors) nor a pin applies to them unless O(pin_overrides) names the host.
    A chain that does not verify, but that the host's own trust accepts (the macOS Keychain, the
    default verify paths, or O(ca_bundle)), is V(intercepted) (a locally trusted CA re-signed it), and the result names
    that CA. A chain that verifies against neither is V(untrusted).
  - Everything read from the network is treated as hostile; the certificate reader has a bound on every field. An
    exception in the probe that is not a network error is reported as V(probe_error) with the step, never as a verdict
    about the network.
  - Optionally sends an HTTP request and checks the status (O(http)), and sends a real SNTP query to UDP port 123
    targets.
  - Targets come from the catalog (O(sources), O(used_by), O(groups), O(sections)) or from O(targets). An action plugin
    turns the catalog selectors into concrete targets on the controller. A host, port and protocol that several catalog
    rows list (C(gdmf.apple.com) in Device management and in Software updates) is probed once, and its result names
    every row (C(rows) of RV(results[].target)).
  - Targets are probed concurrently (O(concurrency)); every step has its own timeout (O(step_timeouts)) and the whole
    module returns within O(timeout) plus about one second, however many targets do not answer. Messages give the
    bound that applied to the step.
  - The module never changes anything, and it probes in check mode as well.
author:
  - macfleet.apple_network contributors (@macfleet)
extends_documentation_fragment:
  - macfleet.apple_network._attributes
  - macfleet.apple_network._attributes.INFO_MODULE
  - macfleet.apple_network._attributes.ACTION
  - macfleet.apple_network._attributes.ACTIONGROUP_PROBES
attributes:
  platform:
    description: Target operating systems.
    support: full
    platforms: posix
requirements:
  - Python 3.9 or later on the managed host, standard library only.
  - dnspython >= 2.0.0 on the managed host only for O(nameservers); where installed otherwise it adds detail to the
    DNS record.
  - cryptography is not used; the served chain (names, fingerprints, the leaf's subject alternative names) is read
    with the standard library. RV(environment) only says whether it is installed.
options:
  targets:
    description:
      - Explicit targets, probed in addition to the ones the catalog selectors give.
      - When neither O(targets) nor a catalog selector is given, every host in the catalog is probed.
    type: list
    elements: dict
    default: []
    suboptions:
      host:
        description:
          - Host name or IP address to probe. Required unless O(targets[].skip_reason) is set.
          - An IPv6 zone ID (V(fe80::1%en0)), white space or a control character is refused. An IPv6 address may be
            written in brackets; it is bracketed in the C(Host) header and the C(CONNECT) line.
        type: str
      port:
        description: Port number, 1 to 65535.
        type: int
        required: true
      protocol:
        description:
          - V(udp) targets are probed only on port 123 (SNTP); other UDP ports are reported V(skipped).
        type: str
        choices: [tcp, udp]
        default: tcp
      tls:
        description:
          - Whether to complete a TLS handshake. By default, when the port is one of O(tls_ports).
        type: bool
      http:
        description:
          - HTTP check for this target, overriding O(http). Giving this dictionary enables the check unless it sets
            O(targets[].http.enabled=false).
        type: dict
        suboptions:
          enabled:
            description: Whether to send the request.
            type: bool
          method:
            description: Request method.
            type: str
            choices: [GET, HEAD]
          path:
            description: Request path, starting with C(/).
            type: str
          expected_status:
            description: Acceptable status codes; empty means any HTTP answer.
            type: list
            elements: int
      required:
        description: Whether a failure of this target counts for O(fail_on=required).
        type: bool
        default: true
      pattern:
        description: The published host pattern this target stands for (set by the action plugin for catalog targets).
        type: str
      id:
        description: The catalog record id (set by the action plugin for catalog targets).
        type: str
      source:
        description: The catalog source of the target (set by the action plugin for catalog targets).
        type: str
      service:
        description: What the port is used for (set by the action plugin for catalog targets).
        type: str
      section:
        description:
          - The catalog section of the target's first row, such as V(Device management) (set by the action plugin for
            catalog targets). The readiness report groups its cells by section.
        type: str
      probe_host_origin:
        description:
          - Where the concrete name of a wildcard pattern comes from, as the catalog says (V(document) or
            V(maintainers)); set by the action plugin for catalog targets.
        type: str
      rows:
        description:
          - Every catalog row the target stands for (set by the action plugin). The readiness report uses the rows'
            sections and proxy support to say what to change when the target fails.
        type: list
        elements: dict
        suboptions:
          id:
            description: The catalog record id.
            type: str
          source:
            description: The catalog source of the row.
            type: str
          section:
            description: The section of the row (none for the rows of the 2018 seed documents).
            type: str
          pattern:
            description: The host pattern of the row.
            type: str
          supports_proxies:
            description: Whether Apple states that the host works through a proxy.
            type: str
            choices: ["yes", not_stated, see_note]
          probe_host_origin:
            description: Where the row's concrete probe name comes from.
            type: str
      skip_reason:
        description:
          - When set, the target is not probed and is reported V(skipped) with this reason. The action plugin sets it
            for wildcard patterns that have no concrete probe host.
        type: str
  sources:
    description:
      - Catalog sources whose hosts are probed. Handled on the controller by the action plugin.
    type: list
    elements: str
    default: []
  used_by:
    description:
      - Probe the catalog hosts used by these products or services (whole-phrase, case-insensitive match),
        for example V(Software Update). Handled on the controller.
    type: list
    elements: str
    default: []
  groups:
    description:
      - Catalog host groups to probe, for example V(apple), V(other) or V(software-update). Handled on the controller.
      - O(groups) and O(sections) add up; O(sources) and O(used_by) narrow what they select.
    type: list
    elements: str
    default: []
  sections:
    description:
      - Catalog sections whose hosts are probed, for example V(Device management) or V(Certificate validation)
        (case and punctuation are ignored, so V(device-management) works too). Handled on the controller; a name
        the catalog does not have fails the task with the list of valid sections.
      - A host is probed when it is in one of O(groups) or in one of O(sections).
      - Wildcard rows (C(*.push.apple.com)) are probed through the concrete name the catalog gives them
        (C(probe_host_origin) of RV(results[].target) says where it comes from); a wildcard without one is reported
        V(skipped) with the reason, and is never probed under a made-up name.
    type: list
    elements: str
    default: []
  catalog_files:
    description:
      - User catalog files merged after the bundled editions before the selectors are applied (on the controller).
      - When empty, the job's catalog applies, as for the catalog lookups; that is the variable
        C(macfleet_apple_network_catalog_files) (for example a group variable), else the environment variable
        E(MACFLEET_APPLE_NETWORK_CATALOG_FILES) on the controller (comma-separated).
    type: list
    elements: path
    default: []
  editions:
    description:
      - Bundled catalog editions to load; by default the variable C(macfleet_apple_network_editions), else all of them.
    type: list
    elements: str
  default_ports:
    description:
      - TCP ports probed for catalog hosts whose record lists no single port. Port ranges in a record (such as the
        dynamic 49152-65535) are never probed.
    type: list
    elements: int
    default: [443]
  nameservers:
    description:
      - Name servers to ask directly, as V(192.0.2.53), V(192.0.2.53:5353) or V([2001:db8::53]:53). This needs
        dnspython on the managed host; the task fails, naming this option, when it is missing.
      - By default the system resolver decides (C(getaddrinfo)), as it does for Apple's services.
    type: list
    elements: str
    default: []
  sinkhole_addresses:
    description:
      - Addresses and networks that mean "blocked by DNS filtering" when a name resolves only to them.
      - Replaces the default list.
    type: list
    elements: str
    default: ["0.0.0.0", "127.0.0.0/8", "::", "::1"]
  expected_issuers:
    description:
      - SHA-256 fingerprints (64 hex digits, colons allowed) of CA certificates you accept as genuine issuers
        (pins), and issuer names kept as evidence.
      - A fingerprint makes a chain V(ok) when the chain verifies, host name included, against that certificate alone
        (it may be a root or an intermediate). The certificate is looked up among the shipped anchors,
        O(trust_anchors) and O(ca_bundle), and, with Python 3.10 or later on the managed host, in the served chain.
      - Pins do not apply to hosts that Apple pins to its own roots (see O(pin_overrides)).
      - A name (compared case-insensitively with the common name and organisation of the issuers on the chain) is
        evidence only, reported as C(issuer_name_match) in RV(results[].tls); it never makes a chain V(ok), since whoever
        runs a CA chooses its name.
    type: list
    elements: str
    default: [Apple Inc., DigiCert Inc]
  trust_anchors:
    description:
      - PEM files on the controller with root certificates to trust as Apple service anchors, read by the action
        plugin (a successor of a shipped anchor, or a test CA). PEM text is accepted as well.
      - A file that cannot be read or holds no certificate fails the task, naming the item, before anything is probed.
      - These anchors do not apply to hosts that Apple pins to its own roots (see O(pin_overrides)).
    type: list
    elements: str
    default: []
  trust_anchors_mode:
    description:
      - V(add) adds O(trust_anchors) to the shipped anchors; V(replace) uses O(trust_anchors) alone.
      - Either way, hosts that Apple pins to its own roots keep that rule (see O(pin_overrides)).
    type: str
    choices: [add, replace]
    default: add
  pin_overrides:
    description:
      - Apple pins some hosts to its own roots (gdmf.apple.com, courier.push.apple.com and the other push hosts,
        gs.apple.com, humb, tbsc, axm-adm-*, gsa.apple.com); macOS rejects any other chain there, even one from a CA
        the Mac trusts. For these hosts only Apple's roots make a chain V(ok); O(trust_anchors) and the fingerprints
        in O(expected_issuers) do not apply to them.
      - An entry replaces that rule for its host, when you know that the host's software accepts your CA there (a
        test network, a device whose pinning you changed). The chain is then also V(ok) when it verifies against the
        entry's pins or anchors, and RV(results[].tls) says so (C(trust.decided_by) V(host_override), C(trust.rule)).
    type: list
    elements: dict
    default: []
    suboptions:
      host:
        description: A host that Apple pins to its own roots; any other host fails the task.
        type: str
        required: true
      expected_issuers:
        description: SHA-256 fingerprints of CA certificates accepted for this host (names are refused here).
        type: list
        elements: str
        default: []
      trust_anchors:
        description: PEM files on the controller (or PEM text) with root certificates accepted for this host.
        type: list
        elements: str
        default: []
  host_trust:
    description:
      - The host's own trust, asked only to tell V(intercepted) (a locally trusted CA re-signed the chain) from
        V(untrusted). It never makes a chain V(ok).
      - V(keychain) asks the macOS Keychain with C(/usr/bin/security verify-cert); V(default_paths) uses the default
        verify paths of the managed host's Python; V(auto) is V(keychain) on macOS and V(default_paths) elsewhere.
      - O(ca_bundle), when given, stands for the host's trust instead.
    type: str
    choices: [auto, keychain, default_paths]
    default: auto
  ca_bundle:
    description:
      - PEM file of CA certificates on the managed host that stands for the host's own trust (see O(host_trust)).
    type: path
  tls_ports:
    description: TCP ports on which a TLS handshake is made (unless a target sets O(targets[].tls)).
    type: list
    elements: int
    default: [443, 465, 993, 995, 2195, 2196, 5223, 8443]
  http:
    description: HTTP check for every TCP target (TLS ports get HTTPS).
    type: dict
    default: {}
    suboptions:
      enabled:
        description: Whether to send the request.
        type: bool
        default: false
      method:
        description: Request method.
        type: str
        choices: [GET, HEAD]
        default: GET
      path:
        description: Request path, starting with C(/).
        type: str
        default: /
      expected_status:
        description: Acceptable status codes; empty means any HTTP answer.
        type: list
        elements: int
        default: []
  proxy:
    description:
      - The path to probe, as Apple's services on the host would take it.
      - V(auto) is V(system) on macOS and V(direct) elsewhere.
      - V(system) reads the Mac's proxy settings with C(scutil --proxy). TLS targets go through the HTTPS proxy
        (HTTP CONNECT) unless the host matches C(ExceptionsList) (or is a simple name with C(ExcludeSimpleHostnames));
        a plain HTTP check goes through the HTTP proxy; other ports go direct. With a PAC URL or automatic proxy
        discovery the PAC file is not evaluated; the target is probed direct and the result says so. The task fails
        when C(scutil) is missing and V(system) was asked for explicitly.
      - V(direct) never uses a proxy.
      - An explicit HTTP proxy, V(http://host:port), is used for every TCP target (plain HTTP checks are sent as
        proxy requests); the proxy resolves the names. Credentials go in O(proxy_username) and O(proxy_password), which
        are never logged; a URL with credentials in it is rejected.
      - Every result says which path it took (RV(results[].path)).
    type: str
    default: auto
  proxy_username:
    description: User name for the proxy (Basic authentication).
    type: str
  proxy_password:
    description:
      - Password for the proxy (Basic authentication).
      - The credentials go in a C(Proxy-Authorization) header of every request to the proxy (C(CONNECT) and plain
        HTTP requests alike), in clear text (Basic authentication is only encoded) over the unencrypted connection to
        the proxy.
      - With O(proxy=system) (or V(auto) on macOS) they are sent to whichever proxy the Mac's settings
        (C(scutil --proxy)) name, which a local user or a profile may have set; see O(system_proxy_credentials).
    type: str
  system_proxy_credentials:
    description:
      - Whether O(proxy_username) and O(proxy_password) are sent to a proxy that the Mac's own settings name
        (O(proxy=system), or V(auto) on macOS).
      - V(false) sends no credentials to such a proxy, so an authenticating system proxy answers C(407) and the target
        is reported V(proxy_denied). An explicit O(proxy=http://host:port) always gets the credentials.
    type: bool
    default: true
  concurrency:
    description: How many targets are probed at the same time (1 to 256); each one is a thread that mostly waits.
    type: int
    default: 64
  timeout:
    description:
      - Seconds for the whole probe run. Targets still unanswered then are reported V(timeout); targets not started are
        reported V(skipped).
    type: float
    default: 30
  step_timeouts:
    description: Seconds for each step of one target (capped by what is left of O(timeout)).
    type: dict
    default: {}
    suboptions:
      dns:
        description: Both the A and the AAAA query.
        type: float
        default: 3
      tcp:
        description: The TCP connect, or connecting to the proxy and getting its CONNECT answer.
        type: float
        default: 5
      tls:
        description: The TLS handshake.
        type: float
        default: 5
      http:
        description: The HTTP request and the status line of the answer.
        type: float
        default: 5
      ntp:
        description: The SNTP query and its reply.
        type: float
        default: 3
  fail_on:
    description:
      - When the task fails. V(never) never fails it, V(any) fails it when any target fails or is intercepted,
        V(required) only when a target with O(targets[].required=true) does.
      - A probe error (verdict V(probe_error)) counts as a failure here, since nothing was learnt about that target.
    type: str
    choices: [never, any, required]
    default: never
  result_dir:
    description:
      - Directory on the controller to write the host's result set to, as C(<inventory_hostname>.json) (created when
        missing; the file is replaced atomically, mode C(0644)). Handled on the controller by the action plugin.
      - A relative path is resolved against the directory C(ansible-playbook) runs in (the controller's working
        directory), C(~) against the controller user's home; a directory inside the installed collection is refused.
      - The file is what M(macfleet.apple_network.readiness_report) reads; its C(results) follow O(detail).
      - With it, the task returns a summary (RV(result_file), RV(summary), RV(failures), RV(group)) instead of
        RV(results), so a host's results and the expanded targets stay out of the job's output and AWX's event stream.
      - A host that cannot be probed gets a file too, with C(unchecked) (C(reason) V(unreachable), V(no_python) with a
        C(remedy), or V(module_error), and C(message)); the task then reports the host unreachable or failed (use
        C(ignore_unreachable) and C(ignore_errors) to go on).
      - In check mode the probe runs but nothing is written (RV(written) is false).
    type: path
  detail:
    description:
      - How much of each result the file of O(result_dir) keeps. V(compact) keeps target, status, verdict, category,
        message, path, timings and the TLS verdict (verified, interception, resigned_by, trust) of an ok or skipped
        target, and everything (DNS, TCP, certificate chain, HTTP, proxy, NTP) of a target that failed or was
        intercepted. V(full) keeps everything of every target.
    type: str
    choices: [compact, full]
    default: compact
  group_by:
    description:
      - Records a group for the host in the file of O(result_dir) (C(group)); the readiness report groups its hosts
        by it. The group is the value of the host variable of that name (for example V(site) with C(site=paris) in the
        inventory); when the host has no such variable, the first, in sorted order, of its inventory groups whose name
        starts with the name and an underscore (V(site_paris), as C(ansible.builtin.group_by) and C(keyed_groups) name
        them); else none (C(null), reported as ungrouped). Handled on the controller.
    type: str
  discover_python:
    description:
      - Find the host's Python with a shell command first (as M(ansible.builtin.raw) runs one, no Python needed) and
        run the probe with it. Handled on the controller.
      - The interpreter the inventory names (C(ansible_python_interpreter), or the configuration's) is used; when it
        is missing the host is reported V(no_python). Only C(/usr/bin/python3) on a Mac without the Command Line Tools
        is passed over, for the MacAdmins Python.
      - With none named, on macOS the MacAdmins Python framework
        (C(/Library/ManagedFrameworks/Python/Python3.framework/Versions/Current/bin/python3)), else C(/usr/bin/python3)
        when C(xcode-select -p) names an installed developer directory; elsewhere C(python3) on C(PATH), else
        C(/usr/bin/python3).
      - Without the Command Line Tools C(/usr/bin/python3) is a stub that opens a dialog asking the Mac's user to
        install them; it is never started. A host with no usable Python is reported V(no_python), with the remedy.
    type: bool
    default: false
notes:
  - The probe runs on the managed host, so it sees that host's network, resolver, proxy settings and trust.
  - An HTTPS proxy that re-signs connections is detected cryptographically, because its chain does not verify against the
    anchors. A CA that copies Apple's name (C(O=Apple Inc.)) is still V(intercepted).
  - The shipped anchors are the nine roots listed in the collection's trust anchors guide. AAA Certificate Services
    ends on 2028-12-31; add its successor with O(trust_anchors) until a release ships it.
  - With O(proxy=system), C(ExceptionsList) entries are matched conservatively, because Apple documents no rule and
    the published tests disagree. C(*.example.com) bypasses names under example.com but not the apex (the
    collection's host rule, which is why its bypass lists carry both forms); C(example.com) bypasses that name only;
    other wildcards are ignored; address and CIDR entries (C(169.254/16)) bypass literal address targets only. Where
    macOS might bypass more, the result's C(path.note) says so.
  - macOS also requires Apple's intermediate marker OID for hosts pinned to Apple's roots; the probe checks the
    anchor part of that rule only.
  - With Python older than 3.10 on the managed host only the server's leaf certificate can be read, so a pinned
    intermediate must be in O(trust_anchors) or O(ca_bundle) to be found, and the Keychain is asked with the leaf
    alone.
seealso:
  - plugin: macfleet.apple_network.hosts
    plugin_type: lookup
  - plugin: macfleet.apple_network.ports
    plugin_type: lookup
"""

EXAMPLES = r"""
---
- name: Probe from every Mac without starting Apple's python3 stub; write each Mac's result file on the controller
  macfleet.apple_network.endpoint_probe:
    sections: [Device management, Software updates]
    discover_python: true
    result_dir: /srv/macfleet/results
    group_by: site
  # Every host gets a result file; go on, and fail the unchecked ones after the report.
  ignore_unreachable: true
  ignore_errors: true

- name: Probe the Software Update servers on a Mac
  # example: needs macOS (on a Mac with network access to Apple; tests/system/probe runs the module against local stand-in servers)
  macfleet.apple_network.endpoint_probe:
    used_by: [Software Update]
    fail_on: required
  register: probe

- name: On a Mac, follow its own proxy settings and trust (the defaults), fail when a required host is intercepted
  # example: needs macOS (the Mac's own proxy settings and Keychain)
  macfleet.apple_network.endpoint_probe:
    groups: [software-update]
    fail_on: required

- name: Probe through the corporate proxy, with swscan expected to answer 403 to a bare GET
  # example: needs macOS (a Mac behind the corporate proxy)
  macfleet.apple_network.endpoint_probe:
    targets:
      - host: swscan.apple.com
        port: 443
        http:
          expected_status: [403]
    proxy: http://proxy.example.com:3128
    proxy_username: "{{ proxy_user }}"
    proxy_password: "{{ proxy_password }}"

- name: Check time service and APNs; also accept chains through a CA with this SHA-256 fingerprint
  # example: needs macOS (network access to Apple's hosts; apple_root_ca_sha256 is your fingerprint)
  macfleet.apple_network.endpoint_probe:
    targets:
      - {host: time.apple.com, port: 123, protocol: udp}
      - {host: courier.push.apple.com, port: 5223}
    expected_issuers:
      # Replace with the fingerprint of the root or intermediate CA you expect (openssl x509 -fingerprint -sha256).
      - "{{ apple_root_ca_sha256 }}"
    timeout: 20

- name: In a lab whose devices accept the lab CA for gdmf.apple.com, say so for that host only
  # example: needs macOS (a lab Mac whose devices accept your lab CA, files/lab-root-ca.pem, for gdmf.apple.com)
  macfleet.apple_network.endpoint_probe:
    targets:
      - {host: gdmf.apple.com, port: 443}
    pin_overrides:
      - host: gdmf.apple.com
        trust_anchors: [files/lab-root-ca.pem]
"""

RETURN = r"""
results:
  description: One record per target, in target order (catalog targets first). With O(result_dir) they are in the file.
  returned: when O(result_dir) is not set
  type: list
  elements: dict
  contains:
    target:
      description:
        - The target (host, port, protocol, pattern, id, source, service, required).
        - For catalog targets also section, probe_host_origin and rows (id, source, section, pattern,
          supports_proxies and probe_host_origin of every catalog row the target stands for).
      type: dict
      returned: always
    status:
      description: V(ok), V(failed), V(intercepted), V(skipped) or V(error) (a probe error).
      type: str
      returned: always
    verdict:
      description:
        - V(ok), V(nxdomain), V(servfail), V(no_answer), V(dns_timeout), V(sinkhole), V(refused), V(timeout),
          V(tls_error), V(untrusted), V(pin_mismatch), V(intercepted), V(http_unexpected_status), V(proxy_denied),
          V(proxy_error),
          V(ntp_no_reply), V(ntp_invalid), V(skipped) or V(probe_error).
        - V(probe_error) means the probe itself raised an exception that is not a network error (a bug in the
          probe, not an answer from the network); RV(results[].error) names the step and the exception.
      type: str
      returned: always
    category:
      description: V(ok), V(intercepted), V(blocked) (network path), V(dns) (name resolution), V(skipped) or
        V(error) (a probe error).
      type: str
      returned: always
    message:
      description: What happened, in one sentence.
      type: str
      returned: always
    error:
      description:
        - For a V(probe_error) only (null otherwise), step (V(path), V(dns), V(tcp), V(tls), V(http), V(ntp) or
          V(setup)), type (the exception class name) and message (at most 300 characters).
      type: dict
      returned: always
      sample: {step: tls, type: KeyError, message: "'subject'"}
    dns:
      description:
        - source (the system resolver or dnspython), addresses, canonical_name, eai (the C(getaddrinfo) error code),
          error and sinkholed addresses; null when not reached.
        - With dnspython installed, cname_chain, rcode, the dnspython view and a disagreement sentence when the two
          resolvers disagree.
      type: dict
      returned: always
    path:
      description:
        - The path the probe took. source (V(option), V(system) or V(none)), mode (V(direct), V(proxy), V(bypassed)
          or V(pac)), proxy (host:port), bypass_entry (the C(ExceptionsList) entry that matched) and note.
      type: dict
      returned: always
    tcp:
      description: Whether the connection was made, to which address, and the error.
      type: dict
      returned: always
    tls:
      description:
        - sni, version, cipher, verified, verify_error (why the anchors refused the chain), chain (subject, issuer,
          sha256, not_after per certificate as served), issuers_seen, leaf_issuer, issuer_name_match, matched_issuer,
          interception and resigned_by (the CA that re-signed an intercepted chain).
        - trust says what decided, decided_by (V(anchors), V(pin), V(host_override) or V(host_trust)), which anchors
          were asked (anchors, pin_rule), the rule that applied to the host in words (rule, for example Apple's
          per-host pin or the O(pin_overrides) entry) and which host trust (host_trust, host_trust_result).
        - Names taken from certificates show control, bidi and other invisible characters as escapes (C(\\u202e)).
      type: dict
      returned: always
    http:
      description: method, path, expected_status, status and reason of the HTTP check; null when not made.
      type: dict
      returned: always
    proxy:
      description: url (without credentials), status and reason of the CONNECT answer, tunnel, intercepted; null without a proxy.
      type: dict
      returned: always
    ntp:
      description: address, reply, stratum, version, mode, leap, offset_ms, delay_ms, reference_id; null for TCP targets.
      type: dict
      returned: always
    timings_ms:
      description: Milliseconds spent in dns, tcp, tls, http, ntp and in total (null for steps not run).
      type: dict
      returned: always
  sample:
    - target: {host: swscan.apple.com, port: 443, protocol: tcp, pattern: swscan.apple.com,
               id: software-update-servers/swscan.apple.com, source: software-update-servers,
               service: Secure Sockets Layer (SSL or HTTPS), required: true}
      status: intercepted
      verdict: intercepted
      category: intercepted
      message: "swscan.apple.com port 443/tcp: the chain does not verify against Apple service anchors (9) ... re-signed by Example Corp Proxy CA"
summary:
  description: Counts of targets by status.
  returned: always
  type: dict
  contains:
    total:
      description: Number of targets.
      type: int
    ok:
      description: Targets that passed.
      type: int
    failed:
      description: Targets that failed (DNS or network path).
      type: int
    intercepted:
      description: Targets whose TLS was intercepted.
      type: int
    skipped:
      description: Targets not probed.
      type: int
    error:
      description: Targets whose probe hit a probe error (status V(error)).
      type: int
  sample: {total: 4, ok: 2, failed: 1, intercepted: 1, skipped: 0, error: 0}
generated_at:
  description: When the probe started (UTC, ISO 8601).
  returned: always
  type: str
  sample: "2024-05-01T12:00:00Z"
environment:
  description: What the probe ran with on the managed host (Python, optional libraries, resolver, proxy mode, trust).
  returned: when O(result_dir) is not set
  type: dict
  sample: {python: "3.9.6 (/usr/bin/python3)", dnspython: false, cryptography: false,
           resolver: system resolver (getaddrinfo), proxy: system, anchors: Apple service anchors (9),
           host_trust: macOS Keychain (security verify-cert)}
catalog_edition:
  description: The catalog edition the targets were selected from (added on the controller).
  returned: always
  type: str
  sample: apple-2018-02-13
result_file:
  description: The host's result file (with O(result_dir)).
  returned: when O(result_dir) is set
  type: str
  sample: /srv/macfleet/results/mac-01.json
written:
  description: Whether RV(result_file) was written (false in check mode).
  returned: when O(result_dir) is set
  type: bool
group:
  description: The host's group (O(group_by)); null when it has none.
  returned: when O(result_dir) is set
  type: str
  sample: paris
detail:
  description: The O(detail) of the result file.
  returned: when O(result_dir) is set
  type: str
  sample: compact
failures:
  description:
    - "One line per target that failed or was intercepted, C(host:port/protocol verdict: message), at most 20, each at
      most 200 characters; the file has the whole record."
  returned: when O(result_dir) is set
  type: list
  elements: str
  sample: ["swcdn.apple.com:443/tcp intercepted: ... re-signed by Example Corp Proxy CA"]
failure_count:
  description: Number of targets that failed or were intercepted.
  returned: when O(result_dir) is set
  type: int
python:
  description: The Python version and path the probe ran with.
  returned: when O(result_dir) is set and the probe ran
  type: str
  sample: "3.9.6 (/Library/ManagedFrameworks/Python/Python3.framework/Versions/Current/bin/python3)"
unchecked:
  description:
    - Why the host could not be probed, C(reason) (V(unreachable), V(no_python) or V(module_error)), C(message), and
      for V(no_python) the C(remedy).
  returned: when O(result_dir) is set and the host could not be probed
  type: dict
  sample: {reason: no_python, message: "interpreter discovery found no usable Python 3 on this macOS host (...)",
           remedy: "install Apple's Command Line Tools ..."}
"""

import os
import platform
import shutil
import sys
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe import dnsprobe, keychain, sysproxy, tlsinspect
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.engine import prepare, run_probes, utc_now
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.options import ProbeInputError, parse_config
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.verdicts import failure_message

CONTROLLER_OPTIONS = ("sources", "used_by", "groups", "sections", "catalog_files", "result_dir", "group_by",
                      "discover_python")


def argument_spec():
    http_options = dict(
        enabled=dict(type="bool"),
        method=dict(type="str", choices=["GET", "HEAD"]),
        path=dict(type="str"),
        expected_status=dict(type="list", elements="int"),
    )
    return dict(
        targets=dict(type="list", elements="dict", default=[], options=dict(
            host=dict(type="str"),
            port=dict(type="int", required=True),
            protocol=dict(type="str", choices=["tcp", "udp"], default="tcp"),
            tls=dict(type="bool"),
            http=dict(type="dict", options=http_options),
            required=dict(type="bool", default=True),
            pattern=dict(type="str"),
            id=dict(type="str"),
            source=dict(type="str"),
            service=dict(type="str"),
            section=dict(type="str"),
            probe_host_origin=dict(type="str"),
            rows=dict(type="list", elements="dict", options=dict(
                id=dict(type="str"),
                source=dict(type="str"),
                section=dict(type="str"),
                pattern=dict(type="str"),
                supports_proxies=dict(type="str", choices=["yes", "not_stated", "see_note"]),
                probe_host_origin=dict(type="str"),
            )),
            skip_reason=dict(type="str"),
        )),
        sources=dict(type="list", elements="str", default=[]),
        used_by=dict(type="list", elements="str", default=[]),
        groups=dict(type="list", elements="str", default=[]),
        sections=dict(type="list", elements="str", default=[]),
        catalog_files=dict(type="list", elements="path", default=[]),
        editions=dict(type="list", elements="str"),
        default_ports=dict(type="list", elements="int", default=[443]),
        nameservers=dict(type="list", elements="str", default=[]),
        sinkhole_addresses=dict(type="list", elements="str", default=["0.0.0.0", "127.0.0.0/8", "::", "::1"]),
        expected_issuers=dict(type="list", elements="str", default=["Apple Inc.", "DigiCert Inc"]),
        trust_anchors=dict(type="list", elements="str", default=[]),
        trust_anchors_mode=dict(type="str", choices=["add", "replace"], default="add"),
        pin_overrides=dict(type="list", elements="dict", default=[], options=dict(
            host=dict(type="str", required=True),
            expected_issuers=dict(type="list", elements="str", default=[]),
            trust_anchors=dict(type="list", elements="str", default=[]),
        )),
        host_trust=dict(type="str", choices=["auto", "keychain", "default_paths"], default="auto"),
        ca_bundle=dict(type="path"),
        tls_ports=dict(type="list", elements="int", default=[443, 465, 993, 995, 2195, 2196, 5223, 8443]),
        http=dict(type="dict", default={}, options=dict(
            enabled=dict(type="bool", default=False),
            method=dict(type="str", choices=["GET", "HEAD"], default="GET"),
            path=dict(type="str", default="/"),
            expected_status=dict(type="list", elements="int", default=[]),
        )),
        proxy=dict(type="str", default="auto"),
        proxy_username=dict(type="str"),
        proxy_password=dict(type="str", no_log=True),
        system_proxy_credentials=dict(type="bool", default=True),
        concurrency=dict(type="int", default=64),
        timeout=dict(type="float", default=30),
        step_timeouts=dict(type="dict", default={}, options=dict(
            dns=dict(type="float", default=3),
            tcp=dict(type="float", default=5),
            tls=dict(type="float", default=5),
            http=dict(type="float", default=5),
            ntp=dict(type="float", default=3),
        )),
        fail_on=dict(type="str", choices=["never", "any", "required"], default="never"),
        result_dir=dict(type="path"),
        detail=dict(type="str", choices=["compact", "full"], default="compact"),
        group_by=dict(type="str"),
        discover_python=dict(type="bool", default=False),
    )


def _on_macos():
    return platform.system() == "Darwin"


def _mac_tool(module, name, directory, explicit, missing, fallback):
    """The path of a macOS tool; when it is missing, fail if the option asked for it explicitly, else warn and go on."""
    path = module.get_bin_path(name, opt_dirs=[directory])
    if path is None:
        if explicit:
            module.fail_json(msg=missing)
        module.warn(fallback)
    return path


def _system_proxy(module, explicit):
    """The Mac's proxy settings from ``scutil --proxy``; None (direct) where the tool is missing and not asked for."""
    scutil = _mac_tool(module, "scutil", "/usr/sbin", explicit,
                       "proxy: 'system' reads the host's proxy settings with scutil --proxy (macOS), and scutil is "
                       "not on this host; give the proxy as http://host:port, or 'direct'",
                       "proxy: auto found no scutil on this macOS host; probing direct")
    if scutil is None:
        return None
    rc, out, err = module.run_command([scutil, "--proxy"])
    if rc != 0:
        module.fail_json(msg="proxy: scutil --proxy failed (exit %d): %s" % (rc, (err or out).strip()))
    try:
        return sysproxy.system_proxy_settings(sysproxy.parse_scutil_proxy(out))
    except sysproxy.SystemProxyError as exc:
        module.fail_json(msg="proxy: the output of scutil --proxy cannot be read: %s" % exc)


def _keychain_checker(module, security):
    """A function (DER chain, host) -> (trusted, detail) that asks ``security verify-cert``."""
    def verify(ders, host):
        if not ders:
            return False, "no certificate to verify"
        scratch = tempfile.mkdtemp(prefix="macfleet-probe-")
        try:
            files = []
            for index, blob in enumerate(ders):
                path = os.path.join(scratch, "cert-%d.der" % index)
                with open(path, "wb") as handle:
                    handle.write(blob)
                files.append(path)
            rc, out, err = module.run_command(keychain.verify_cert_args(security, files, host))
            return keychain.parse_verify_cert(rc, out, err)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return verify


def _host_trust(module, config):
    """``keychain`` or ``default_paths`` for this host, and the Keychain checker where it applies."""
    choice = config["host_trust"]
    explicit = choice == "keychain"
    if choice == "auto":
        choice = "keychain" if _on_macos() else "default_paths"
    if choice != "keychain" or config["ca_bundle"]:
        return choice if not config["ca_bundle"] else "ca_bundle", None
    security = _mac_tool(module, "security", "/usr/bin", explicit,
                         "host_trust: 'keychain' asks the macOS Keychain with /usr/bin/security verify-cert, and "
                         "security is not on this host; use 'default_paths' or give ca_bundle",
                         "host_trust: auto found no security tool on this macOS host; using the default verify paths")
    if security is None:
        return "default_paths", None
    return "keychain", _keychain_checker(module, security)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    given = [name for name in CONTROLLER_OPTIONS if params[name]]
    if given:
        module.fail_json(msg="%s: catalog selectors are expanded on the controller by the action plugin; call the module "
                             "as macfleet.apple_network.endpoint_probe, not through a different action" % ", ".join(given))
    try:
        specs, config = parse_config(params)
    except ProbeInputError as exc:
        module.fail_json(msg=str(exc))

    resolver = None
    if config["nameservers"]:
        if not dnsprobe.HAS_DNSPYTHON:
            module.fail_json(msg="nameservers: asking these name servers directly needs the Python library dnspython on the "
                                 "managed host, and %s has none; leave nameservers empty to use the system resolver"
                                 % sys.executable, exception=dnsprobe.DNSPYTHON_IMPORT_ERROR)
        try:
            resolver = dnsprobe.make_resolver(config["nameservers"])
        except dnsprobe.ResolverSetupError as exc:
            module.fail_json(msg="nameservers: %s" % exc)

    settings = None
    if config["proxy_mode"] == "system" or (config["proxy_mode"] == "auto" and _on_macos()):
        settings = _system_proxy(module, explicit=config["proxy_mode"] == "system")
    host_trust, verify_cert = _host_trust(module, config)
    prepare(config, host_trust=host_trust, system_proxy=settings, verify_cert=verify_cert, resolver=resolver)
    mode = config["proxy_mode"]

    environment = {
        "python": "%s (%s)" % (platform.python_version(), sys.executable),
        "dnspython": dnsprobe.HAS_DNSPYTHON,
        "cryptography": tlsinspect.HAS_CRYPTOGRAPHY,
        "resolver": "nameservers (dnspython)" if resolver is not None else "system resolver (getaddrinfo)",
        "proxy": mode if mode != "url" else "option",
        "anchors": config["trust"].anchors_label,
        "host_trust": config["trust"].host_label,
    }
    generated_at = utc_now()
    results, summary = run_probes(specs, config)
    message = failure_message(results, config["fail_on"])
    if message:
        module.fail_json(msg=message, results=results, summary=summary, generated_at=generated_at, environment=environment,
                         changed=False)
    module.exit_json(changed=False, results=results, summary=summary, generated_at=generated_at, environment=environment)


if __name__ == "__main__":
    main()
