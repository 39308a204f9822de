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
    certificates Apple's service hosts chain to (O(trust_anchors)) or against a CA pinned in O(expected_issuers), within
    Apple's per-host pin rule (O(pin_overrides)). A chain that does not verify, but that the host's own trust accepts
    (O(host_trust)), is V(intercepted) and the result names the CA that re-signed it; a chain that verifies against
    neither is V(untrusted).
  - Optionally sends an HTTP request and checks the status (O(http)), and sends a real SNTP query to UDP port 123
    targets.
  - Targets come from O(targets) or from the catalog (O(sources), O(used_by), O(groups), O(sections)), which the action
    plugin expands on the controller. A host, port and protocol that several catalog rows list is probed once, and its
    result names every row (C(rows) of RV(results[].target)).
  - Targets are probed concurrently (O(concurrency)); every step has its own timeout (O(step_timeouts)) and the whole
    module returns within O(timeout) plus about one second, however many targets do not answer.
  - Everything read from the network is treated as hostile. An exception in the probe that is not a network error is
    reported as V(probe_error) with the step, never as a verdict about the network.
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
  - dnspython >= 2.0.0 on the managed host only for O(nameservers); where installed otherwise it adds detail to the DNS record.
  - cryptography is not used (the served chain is read with the standard library); RV(environment) says whether it is installed.
options:
  targets:
    description: Targets probed in addition to the catalog selectors' (with neither, every host in the catalog is probed).
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
        description: V(udp) targets are probed only on port 123 (SNTP); other UDP ports are reported V(skipped).
        type: str
        choices: [tcp, udp]
        default: tcp
      tls:
        description: Whether to complete a TLS handshake. By default, when the port is one of O(tls_ports).
        type: bool
      http:
        description: HTTP check for this target, overriding O(http). Giving this dictionary enables the check unless it sets
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
        description: The catalog section of the target's first row, such as V(Device management) (set by the action plugin).
        type: str
      probe_host_origin:
        description: Where the concrete name of a wildcard pattern comes from (V(document) or V(maintainers); set by the action plugin).
        type: str
      rows:
        description: Every catalog row the target stands for (set by the action plugin). The readiness report uses the rows'
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
        description: When set, the target is not probed and is reported V(skipped) with this reason (a wildcard without a probe host).
        type: str
  sources:
    description: Catalog sources whose hosts are probed. Handled on the controller by the action plugin.
    type: list
    elements: str
    default: []
  used_by:
    description: Probe the catalog hosts used by these products or services (whole-phrase, case-insensitive match),
      for example V(Software Update). Handled on the controller.
    type: list
    elements: str
    default: []
  groups:
    description: Catalog host groups to probe, for example V(apple) or V(software-update). Handled on the controller.
      O(groups) and O(sections) add up; O(sources) and O(used_by) narrow what they select.
    type: list
    elements: str
    default: []
  sections:
    description:
      - Catalog sections whose hosts are probed, for example V(Device management) (case and punctuation are ignored).
        Handled on the controller; a name the catalog does not have fails the task with the list of valid sections.
      - A wildcard row (C(*.push.apple.com)) is probed through the concrete name the catalog gives it, else reported V(skipped).
    type: list
    elements: str
    default: []
  catalog_files:
    description: User catalog files merged after the bundled editions (on the controller). When empty, the variable
      C(macfleet_apple_network_catalog_files) applies, else E(MACFLEET_APPLE_NETWORK_CATALOG_FILES) (comma-separated).
    type: list
    elements: path
    default: []
  editions:
    description: Bundled catalog editions to load; by default the variable C(macfleet_apple_network_editions), else all of them.
    type: list
    elements: str
  default_ports:
    description: TCP ports probed for catalog hosts whose record lists no single port. Port ranges in a record (such as the
      dynamic 49152-65535) are never probed.
    type: list
    elements: int
    default: [443]
  nameservers:
    description: Name servers to ask directly, as V(192.0.2.53), V(192.0.2.53:5353) or V([2001:db8::53]:53), instead of the
      system resolver (C(getaddrinfo)). This needs dnspython on the managed host; the task fails when it is missing.
    type: list
    elements: str
    default: []
  sinkhole_addresses:
    description: Addresses and networks that mean "blocked by DNS filtering" when a name resolves only to them (replaces the default list).
    type: list
    elements: str
    default: ["0.0.0.0", "127.0.0.0/8", "::", "::1"]
  expected_issuers:
    description:
      - SHA-256 fingerprints (64 hex digits, colons allowed) of CA certificates you accept as genuine issuers (pins).
        A chain is V(ok) when it verifies, host name included, against such a certificate alone (a root or an
        intermediate among the shipped anchors, O(trust_anchors), O(ca_bundle) or, with Python 3.10 or later, the
        served chain); not for hosts that Apple pins to its own roots (see O(pin_overrides)).
      - A name (compared case-insensitively with the issuers' common name and organisation) is evidence only,
        C(issuer_name_match) in RV(results[].tls); it never makes a chain V(ok), since whoever runs a CA chooses its name.
    type: list
    elements: str
    default: [Apple Inc., DigiCert Inc]
  trust_anchors:
    description:
      - PEM files on the controller (or PEM text) with root certificates to trust as Apple service anchors (a successor
        of a shipped anchor, or a test CA); one that cannot be read or holds no certificate fails the task.
      - They do not apply to hosts that Apple pins to its own roots (see O(pin_overrides)).
    type: list
    elements: str
    default: []
  trust_anchors_mode:
    description: V(add) adds O(trust_anchors) to the shipped anchors; V(replace) uses O(trust_anchors) alone.
    type: str
    choices: [add, replace]
    default: add
  pin_overrides:
    description:
      - Apple pins some hosts to its own roots (gdmf.apple.com, courier.push.apple.com and the other push hosts,
        gs.apple.com, humb, tbsc, axm-adm-*, gsa.apple.com); macOS rejects any other chain there, even one from a CA
        the Mac trusts. For these hosts only Apple's roots make a chain V(ok).
      - An entry replaces that rule for its host, when you know that the host's software accepts your CA there (a
        test network, a device whose pinning you changed). The chain is then also V(ok) when it verifies against the
        entry's pins or anchors (C(trust.decided_by) V(host_override) in RV(results[].tls)).
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
        V(untrusted); it never makes a chain V(ok). O(ca_bundle), when given, stands for it instead.
      - V(keychain) asks the macOS Keychain with C(/usr/bin/security verify-cert); V(default_paths) uses the default
        verify paths of the managed host's Python; V(auto) is V(keychain) on macOS and V(default_paths) elsewhere.
    type: str
    choices: [auto, keychain, default_paths]
    default: auto
  ca_bundle:
    description: PEM file of CA certificates on the managed host that stands for the host's own trust (see O(host_trust)).
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
      - The path to probe, as Apple's services on the host would take it; every result says which path it took
        (RV(results[].path)). V(auto) is V(system) on macOS and V(direct) elsewhere; V(direct) never uses a proxy.
      - V(system) reads the Mac's proxy settings with C(scutil --proxy) (the task fails when C(scutil) is missing). TLS
        targets go through the HTTPS proxy (HTTP CONNECT) unless the host matches C(ExceptionsList) or
        C(ExcludeSimpleHostnames); a plain HTTP check goes through the HTTP proxy; other ports go direct. A PAC URL or
        automatic proxy discovery is not evaluated; the target is probed direct and the result says so.
      - An explicit V(http://host:port) is used for every TCP target and resolves the names; a URL with credentials is rejected (use O(proxy_username)).
    type: str
    default: auto
  proxy_username:
    description: User name for the proxy (Basic authentication).
    type: str
  proxy_password:
    description:
      - Password for the proxy (Basic authentication); the credentials are never logged.
      - They go in a C(Proxy-Authorization) header of every request to the proxy, in clear text over the unencrypted
        connection to the proxy; with O(proxy=system) to whichever proxy the Mac's settings name (see
        O(system_proxy_credentials)).
    type: str
  system_proxy_credentials:
    description:
      - Whether O(proxy_username) and O(proxy_password) are sent to a proxy that the Mac's own settings name
        (O(proxy=system), or V(auto) on macOS), which a local user or a profile may have set.
      - V(false) sends no credentials to such a proxy, so an authenticating system proxy answers C(407) and the target
        is reported V(proxy_denied). An explicit O(proxy=http://host:port) always gets the credentials.
    type: bool
    default: true
  concurrency:
    description: How many targets are probed at the same time (1 to 256); each one is a thread that mostly waits.
    type: int
    default: 64
  timeout:
    description: Seconds for the whole run. Targets still unanswered then are reported V(timeout), targets not started V(skipped).
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
    description: When the task fails. V(never) never fails it, V(any) fails it when any target fails or is intercepted,
      V(required) only when a target with O(targets[].required=true) does. A probe error counts as a failure.
    type: str
    choices: [never, any, required]
    default: never
  result_dir:
    description:
      - Directory on the controller to write the host's result set to, C(<inventory_hostname>.json), for
        M(macfleet.apple_network.readiness_report) (created when missing; written atomically, mode C(0644)). Relative
        to the controller's working directory; not inside the installed collection. Handled on the controller.
      - With it, the task returns a summary (RV(result_file), RV(summary), RV(failures), RV(group)) instead of
        RV(results), so the results and the expanded targets stay out of the job's output and AWX's event stream.
      - A host that cannot be probed gets a file too, with C(unchecked) (C(reason) V(unreachable), V(no_python) with a
        C(remedy), or V(module_error)); the task then reports the host unreachable or failed (use
        C(ignore_unreachable) and C(ignore_errors) to go on). In check mode nothing is written.
    type: path
  detail:
    description: How much of each result the file of O(result_dir) keeps. V(compact) keeps target, status, verdict, category,
      message, path, timings and the TLS verdict of an ok or skipped target, and everything of a target that failed
      or was intercepted. V(full) keeps everything of every target.
    type: str
    choices: [compact, full]
    default: compact
  group_by:
    description: Records a group for the host in the file of O(result_dir) (C(group)); the readiness report groups its hosts
      by it. The group is the value of the host variable of that name (V(site) with C(site=paris)), else the first,
      in sorted order, of the host's inventory groups named after it and an underscore (V(site_paris), as
      C(ansible.builtin.group_by) and C(keyed_groups) name them), else none. Handled on the controller.
    type: str
  discover_python:
    description:
      - Find the host's Python with a shell command first (no Python needed) and run the probe with it (on the controller).
      - The interpreter the inventory names (C(ansible_python_interpreter), or the configuration's) is used, except
        C(/usr/bin/python3) on a Mac without the Command Line Tools, which is a stub that asks the Mac's user to install
        them and is never started. With none named, on macOS the MacAdmins Python framework
        (C(/Library/ManagedFrameworks/Python/Python3.framework/Versions/Current/bin/python3)), else C(/usr/bin/python3)
        when C(xcode-select -p) names an installed developer directory; elsewhere C(python3) on C(PATH), else
        C(/usr/bin/python3). A host with no usable Python is reported V(no_python), with the remedy.
    type: bool
    default: false
notes:
  - The probe runs on the managed host, so it sees that host's network, resolver, proxy settings and trust.
  - An HTTPS proxy that re-signs connections is detected cryptographically, because its chain does not verify against the
    anchors. A CA that copies Apple's name (C(O=Apple Inc.)) is still V(intercepted).
  - The shipped anchors and Apple's per-host pin rules are described in
    R(the trust anchors guide,ansible_collections.macfleet.apple_network.docsite.trust_anchors). macOS also requires
    Apple's intermediate marker OID for the pinned hosts; the probe checks the anchor part of that rule only.
  - With O(proxy=system), C(ExceptionsList) entries are matched conservatively, as the collection's bypass rule reads
    them (R(the proxy bypass guide,ansible_collections.macfleet.apple_network.docsite.proxy_bypass_guide.bypass_rule));
    where macOS might bypass more, the result's C(path.note) says so.
  - With Python older than 3.10 on the managed host only the server's leaf certificate can be read, so a pinned
    intermediate must be in O(trust_anchors) or O(ca_bundle) to be found, and the Keychain is asked with the leaf alone.
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
      description: The target (host, port, protocol, pattern, id, source, service, required); for catalog targets also section,
        probe_host_origin and rows (every catalog row the target stands for, with the keys of O(targets[].rows)).
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
          V(proxy_error), V(ntp_no_reply), V(ntp_invalid), V(skipped) or V(probe_error).
        - V(probe_error) means the probe itself raised an exception that is not a network error (a bug in the
          probe, not an answer from the network); RV(results[].error) names the step and the exception.
      type: str
      returned: always
    category:
      description: V(ok), V(intercepted), V(blocked) (network path), V(dns) (name resolution), V(skipped) or V(error) (a probe error).
      type: str
      returned: always
    message:
      description: What happened, in one sentence.
      type: str
      returned: always
    error:
      description: For a V(probe_error) only (null otherwise), step (V(path), V(dns), V(tcp), V(tls), V(http), V(ntp) or
        V(setup)), type (the exception class name) and message (at most 300 characters).
      type: dict
      returned: always
      sample: {step: tls, type: KeyError, message: "'subject'"}
    dns:
      description: source (the system resolver or dnspython), addresses, canonical_name, eai (the C(getaddrinfo) error code),
        error and sinkholed addresses; null when not reached. With dnspython installed also cname_chain, rcode, the
        dnspython view and a disagreement sentence when the two resolvers disagree.
      type: dict
      returned: always
    path:
      description: The path the probe took. source (V(option), V(system) or V(none)), mode (V(direct), V(proxy), V(bypassed)
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
  description: "One line per target that failed or was intercepted, C(host:port/protocol verdict: message), at most 20 of at
    most 200 characters each; the file has the whole record."
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
  description: Why the host could not be probed, C(reason) (V(unreachable), V(no_python) or V(module_error)), C(message), and
    for V(no_python) the C(remedy).
  returned: when O(result_dir) is set and the host could not be probed
  type: dict
  sample: {reason: no_python, message: "interpreter discovery found no usable Python 3 on this macOS host (...)",
           remedy: "install Apple's Command Line Tools ..."}
"""

import platform
import sys

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe import dnsprobe, macos, tlsinspect
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.argspec import CONTROLLER_OPTIONS, argument_spec
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.engine import prepare, run_probes, utc_now
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.options import ProbeInputError, parse_config
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.verdicts import failure_message


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
    if config["proxy_mode"] == "system" or (config["proxy_mode"] == "auto" and macos.on_macos()):
        settings = macos.system_proxy(module, explicit=config["proxy_mode"] == "system")
    host_trust, verify_cert = macos.host_trust(module, config)
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
