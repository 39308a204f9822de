# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The macOS tools the endpoint_probe module asks on the managed host: ``scutil --proxy`` and ``security verify-cert``.

The helpers take the running ``AnsibleModule`` (for ``get_bin_path``, ``run_command``, ``warn`` and
``fail_json``). A tool that an option asked for explicitly fails the task when it is missing; with ``auto``
the module warns and goes on without it (direct path, default verify paths).
"""

from __future__ import annotations

import os
import platform
import shutil
import tempfile

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe import keychain, sysproxy


def on_macos():
    return platform.system() == "Darwin"


def mac_tool(module, name, directory, explicit, missing, fallback):
    """The path of a macOS tool; when it is missing, fail if the option asked for it explicitly, else warn and go on."""
    path = module.get_bin_path(name, opt_dirs=[directory])
    if path is None:
        if explicit:
            module.fail_json(msg=missing)
        module.warn(fallback)
    return path


def system_proxy(module, explicit):
    """The Mac's proxy settings from ``scutil --proxy``; None (direct) where the tool is missing and not asked for."""
    scutil = mac_tool(module, "scutil", "/usr/sbin", explicit,
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


def keychain_checker(module, security):
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


def host_trust(module, config):
    """``keychain``, ``default_paths`` or ``ca_bundle`` for this host, and the Keychain checker where it applies."""
    choice = config["host_trust"]
    explicit = choice == "keychain"
    if choice == "auto":
        choice = "keychain" if on_macos() else "default_paths"
    if choice != "keychain" or config["ca_bundle"]:
        return choice if not config["ca_bundle"] else "ca_bundle", None
    security = mac_tool(module, "security", "/usr/bin", explicit,
                        "host_trust: 'keychain' asks the macOS Keychain with /usr/bin/security verify-cert, and "
                        "security is not on this host; use 'default_paths' or give ca_bundle",
                        "host_trust: auto found no security tool on this macOS host; using the default verify paths")
    if security is None:
        return "default_paths", None
    return "keychain", keychain_checker(module, security)
