# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The argument spec of the endpoint_probe module (its documentation is in ``plugins/modules/endpoint_probe.py``)."""

from __future__ import annotations

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.ports import PROTOCOLS

# Options the action plugin handles on the controller; the module refuses them when they reach it.
CONTROLLER_OPTIONS = ("sources", "used_by", "groups", "sections", "catalog_files", "result_dir", "group_by",
                      "discover_python")


def _target_options():
    http_options = dict(
        enabled=dict(type="bool"),
        method=dict(type="str", choices=["GET", "HEAD"]),
        path=dict(type="str"),
        expected_status=dict(type="list", elements="int"),
    )
    return dict(
        host=dict(type="str"),
        port=dict(type="int", required=True),
        protocol=dict(type="str", choices=list(PROTOCOLS), default="tcp"),
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
    )


def argument_spec():
    return dict(
        targets=dict(type="list", elements="dict", default=[], options=_target_options()),
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
