# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ``mobileconfig`` module's argument spec, and which of its options make up the profile."""

from __future__ import annotations

PAYLOAD_OPTIONS = ("proxy", "global_proxy", "firewall", "software_update")
PROFILE_OPTIONS = ("identifier", "display_name", "description", "organization", "scope", "removal_disallowed")


def _server():
    return dict(type="dict", options=dict(host=dict(type="str", required=True), port=dict(type="int", required=True)))


def argument_spec():
    return dict(
        path=dict(type="path", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        identifier=dict(type="str"),
        display_name=dict(type="str"),
        description=dict(type="str"),
        organization=dict(type="str"),
        scope=dict(type="str", choices=["System", "User"], default="System"),
        removal_disallowed=dict(type="bool"),
        proxy=dict(type="dict", options=dict(
            web_proxy=_server(),
            secure_web_proxy=_server(),
            socks_proxy=_server(),
            auto_proxy_url=dict(type="str"),
            bypass_domains=dict(type="list", elements="str", no_log=False),
            bypass_include_apex=dict(type="bool", default=True),
            fallback_allowed=dict(type="bool"),
            captive_login_allowed=dict(type="bool"),
        )),
        global_proxy=dict(type="dict", options=dict(
            type=dict(type="str", choices=["manual", "auto"], default="manual"),
            host=dict(type="str"),
            port=dict(type="int"),
            username=dict(type="str"),
            password=dict(type="str", no_log=True),
            pac_url=dict(type="str"),
            pac_fallback_allowed=dict(type="bool"),
            captive_login_allowed=dict(type="bool"),
        )),
        firewall=dict(type="dict", options=dict(
            enable_firewall=dict(type="bool", required=True),
            block_all_incoming=dict(type="bool"),
            enable_stealth_mode=dict(type="bool"),
            applications=dict(type="list", elements="dict", options=dict(
                bundle_id=dict(type="str", required=True),
                allowed=dict(type="bool", required=True),
            )),
            allow_signed=dict(type="bool"),
            allow_signed_app=dict(type="bool"),
            enable_logging=dict(type="bool"),
            logging_option=dict(type="str", choices=["throttled", "brief", "detail"]),
        )),
        software_update=dict(type="dict", options=dict(
            catalog_url=dict(type="str"),
            automatic_check_enabled=dict(type="bool"),
            automatic_download=dict(type="bool"),
            automatically_install_macos_updates=dict(type="bool"),
            automatically_install_app_updates=dict(type="bool"),
            critical_update_install=dict(type="bool"),
            config_data_install=dict(type="bool"),
            allow_prerelease_installation=dict(type="bool"),
            require_admin_to_install=dict(type="bool"),
        )),
        signing=dict(type="dict", options=dict(
            certificate=dict(type="path", required=True),
            private_key=dict(type="path", required=True),
            private_key_passphrase=dict(type="str", no_log=True),
            chain=dict(type="list", elements="path", default=[]),
        )),
    )


def profile_options(params):
    """The options :func:`.render.build_profile` takes: the profile and payload options that are set."""
    return {name: params[name] for name in PROFILE_OPTIONS + PAYLOAD_OPTIONS if params[name] is not None}
