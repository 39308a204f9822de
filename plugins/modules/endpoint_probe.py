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
  - Per target it resolves the name with dnspython (A, AAAA, CNAME chain; NXDOMAIN, SERVFAIL, no answer and timeout
    told apart; sinkhole answers flagged), connects over TCP (open, refused, timed out), and on TLS ports completes a
    handshake with SNI, verifies the chain against the system store or O(ca_bundle), and compares the chain's issuers
    with O(expected_issuers). A chain that verifies against a locally installed corporate CA but does not come from an
    expected issuer is reported as V(intercepted), not V(ok).
  - Optionally sends an HTTP request and checks the status (O(http)), goes through an HTTP CONNECT proxy (O(proxy)),
    and sends a real SNTP query to UDP port 123 targets.
  - Targets come from the catalog (O(sources), O(used_by), O(groups)) or from O(targets). An action plugin turns the
    catalog selectors into concrete targets on the controller, so the managed host needs only Python (plus dnspython,
    and cryptography for TLS targets).
  - Targets are probed concurrently (O(concurrency)); every step has its own timeout (O(step_timeouts)) and the whole
    module returns within O(timeout) plus about one second, however many targets do not answer.
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
  - dnspython >= 2.0.0 (on the managed host, for targets given by name)
  - cryptography (on the managed host, for TLS targets)
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
    type: list
    elements: str
    default: []
  catalog_files:
    description:
      - User catalog files merged after the bundled editions before the selectors are applied (on the controller).
    type: list
    elements: path
    default: []
  editions:
    description:
      - Bundled catalog editions to load; by default all of them.
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
      - Name servers to ask, as V(192.0.2.53), V(192.0.2.53:5353) or V([2001:db8::53]:53). By default the system's
        resolver configuration (C(/etc/resolv.conf)) is used.
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
      - Issuers a genuine chain comes from. Each item is either a SHA-256 fingerprint (64 hex digits, colons allowed)
        of a CA certificate on the chain, including the trust anchor, or a name compared (case-insensitively) with the
        common name and organisation of every issuer on the chain.
      - Fingerprints are the strict form; names are easier to write but a proxy CA could copy a name. A copied name
        still fails verification unless that CA is trusted locally.
      - The default names cover Apple's and DigiCert's certificate authorities.
    type: list
    elements: str
    default: [Apple Inc., DigiCert Inc]
  ca_bundle:
    description:
      - PEM file of CA certificates to verify against instead of the system store.
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
      - An HTTP proxy, V(http://host:port). Credentials go in O(proxy_username) and O(proxy_password), which are never
        logged; a URL with credentials in it is rejected. TCP targets
        are probed through an HTTP CONNECT tunnel (plain HTTP checks are sent as proxy requests); the proxy resolves
        the names. The result tells whether the proxy allowed the tunnel and whether it intercepted TLS.
    type: str
  proxy_username:
    description: User name for the proxy (Basic authentication).
    type: str
  proxy_password:
    description: Password for the proxy (Basic authentication).
    type: str
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
    type: str
    choices: [never, any, required]
    default: never
notes:
  - The probe runs on the managed host, so it sees that host's network, resolver and proxy path.
  - An HTTPS proxy that re-signs connections is detected from the issuers, not from the subject text, which a
    re-signing proxy copies.
  - With Python older than 3.10 on the managed host, only the server's leaf certificate can be read. Expected issuers
    given as names still match, because the leaf names its issuer, but a fingerprint of a CA certificate cannot match
    there; give names, or run the module with a newer Python.
seealso:
  - plugin: macfleet.apple_network.hosts
    plugin_type: lookup
  - plugin: macfleet.apple_network.ports
    plugin_type: lookup
"""

EXAMPLES = r"""
---
- name: Probe the Software Update servers on a Mac
  macfleet.apple_network.endpoint_probe:
    used_by: [Software Update]
    fail_on: required
  register: probe

- name: Probe through the corporate proxy, with swscan expected to answer 403 to a bare GET
  macfleet.apple_network.endpoint_probe:
    targets:
      - host: swscan.apple.com
        port: 443
        http:
          expected_status: [403]
    proxy: http://proxy.example.com:3128
    proxy_username: "{{ proxy_user }}"
    proxy_password: "{{ proxy_password }}"

- name: Check time service and APNs; accept only chains through a CA with this SHA-256 fingerprint
  macfleet.apple_network.endpoint_probe:
    targets:
      - {host: time.apple.com, port: 123, protocol: udp}
      - {host: courier.push.apple.com, port: 5223}
    expected_issuers:
      # Replace with the fingerprint of the root or intermediate CA you expect (openssl x509 -fingerprint -sha256).
      - "{{ apple_root_ca_sha256 }}"
    timeout: 20
"""

RETURN = r"""
results:
  description: One record per target, in target order (catalog targets first).
  returned: always
  type: list
  elements: dict
  contains:
    target:
      description: The target (host, port, protocol, pattern, id, source, service, required).
      type: dict
      returned: always
    status:
      description: V(ok), V(failed), V(intercepted) or V(skipped).
      type: str
      returned: always
    verdict:
      description:
        - V(ok), V(nxdomain), V(servfail), V(no_answer), V(dns_timeout), V(sinkhole), V(refused), V(timeout),
          V(tls_error), V(untrusted), V(intercepted), V(http_unexpected_status), V(proxy_denied), V(proxy_error),
          V(ntp_no_reply), V(ntp_invalid) or V(skipped).
      type: str
      returned: always
    category:
      description: V(ok), V(intercepted), V(blocked) (network path), V(dns) (name resolution) or V(skipped).
      type: str
      returned: always
    message:
      description: What happened, in one sentence.
      type: str
      returned: always
    dns:
      description: Addresses, cname_chain (name/target pairs), canonical_name, rcode and sinkholed addresses; null when not reached.
      type: dict
      returned: always
    tcp:
      description: Whether the connection was made, to which address, and the error.
      type: dict
      returned: always
    tls:
      description:
        - sni, version, cipher, verified, verify_error, chain (subject, issuer, sha256 per certificate),
          issuers_seen, expected_issuers, matched_issuer and interception.
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
      message: "swscan.apple.com port 443/tcp: the certificate chain is not from an expected issuer ..."
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
  sample: {total: 4, ok: 2, failed: 1, intercepted: 1, skipped: 0}
generated_at:
  description: When the probe started (UTC, ISO 8601).
  returned: always
  type: str
  sample: "2024-05-01T12:00:00Z"
catalog_edition:
  description: The catalog edition the targets were selected from (added on the controller).
  returned: always
  type: str
  sample: apple-2018-02-13
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.macfleet.apple_network.plugins.module_utils._probe import dnsprobe, tlsinspect
from ansible_collections.macfleet.apple_network.plugins.module_utils._probe.engine import run_probes, utc_now
from ansible_collections.macfleet.apple_network.plugins.module_utils._probe.options import ProbeInputError, parse_config
from ansible_collections.macfleet.apple_network.plugins.module_utils._probe.verdicts import failure_message

CONTROLLER_OPTIONS = ("sources", "used_by", "groups", "catalog_files")


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
            skip_reason=dict(type="str"),
        )),
        sources=dict(type="list", elements="str", default=[]),
        used_by=dict(type="list", elements="str", default=[]),
        groups=dict(type="list", elements="str", default=[]),
        catalog_files=dict(type="list", elements="path", default=[]),
        editions=dict(type="list", elements="str"),
        default_ports=dict(type="list", elements="int", default=[443]),
        nameservers=dict(type="list", elements="str", default=[]),
        sinkhole_addresses=dict(type="list", elements="str", default=["0.0.0.0", "127.0.0.0/8", "::", "::1"]),
        expected_issuers=dict(type="list", elements="str", default=["Apple Inc.", "DigiCert Inc"]),
        ca_bundle=dict(type="path"),
        tls_ports=dict(type="list", elements="int", default=[443, 465, 993, 995, 2195, 2196, 5223, 8443]),
        http=dict(type="dict", default={}, options=dict(
            enabled=dict(type="bool", default=False),
            method=dict(type="str", choices=["GET", "HEAD"], default="GET"),
            path=dict(type="str", default="/"),
            expected_status=dict(type="list", elements="int", default=[]),
        )),
        proxy=dict(type="str"),
        proxy_username=dict(type="str"),
        proxy_password=dict(type="str", no_log=True),
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
    )


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

    needs_dns = any(not s["literal"] and not s["skip_reason"] and not (config["proxy"] and s["target"]["protocol"] == "tcp")
                    for s in specs) or (config["proxy"] is not None)
    needs_tls = any(s["tls"] and not s["skip_reason"] for s in specs)
    if needs_dns and dnsprobe.DNSPYTHON_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("dnspython", reason="to resolve the targets' names"),
                         exception=dnsprobe.DNSPYTHON_IMPORT_ERROR)
    if needs_tls and tlsinspect.CRYPTOGRAPHY_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("cryptography", reason="to inspect the TLS certificate chains"),
                         exception=tlsinspect.CRYPTOGRAPHY_IMPORT_ERROR)
    resolver = None
    if needs_dns:
        try:
            resolver = dnsprobe.make_resolver(config["nameservers"])
        except dnsprobe.ResolverSetupError as exc:
            module.fail_json(msg="nameservers: %s" % exc)

    generated_at = utc_now()
    results, summary = run_probes(specs, config, resolver)
    message = failure_message(results, config["fail_on"])
    if message:
        module.fail_json(msg=message, results=results, summary=summary, generated_at=generated_at, changed=False)
    module.exit_json(changed=False, results=results, summary=summary, generated_at=generated_at)


if __name__ == "__main__":
    main()
