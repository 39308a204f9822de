# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Controller side of endpoint_probe: catalog selectors become concrete targets, then the module runs."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.core import CatalogQueryError, load_catalog
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.schema import CatalogError
from ansible_collections.macfleet.apple_network.plugins.module_utils._probe.options import (
    ProbeInputError,
    parse_port,
    parse_proxy,
    read_pem_item,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._probe.targets import catalog_targets
from ansible_collections.macfleet.apple_network.plugins.plugin_utils._catalog_lookup import catalog_sources

MODULE = "macfleet.apple_network.endpoint_probe"
SELECTORS = ("sources", "used_by", "groups", "sections")


def _str_list(args, name):
    value = args.pop(name, None)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        raise ProbeInputError("%s: %r is not a list of strings" % (name, value))
    return list(value)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        try:
            selectors = dict((name, _str_list(args, name)) for name in SELECTORS)
            catalog_files, editions = catalog_sources(self._templar, task_vars, args.pop("catalog_files", None),
                                                      args.pop("editions", None))
            default_ports = args.pop("default_ports", None)
            if default_ports is None:
                default_ports = [443]
            if not isinstance(default_ports, (list, tuple)):
                default_ports = [default_ports]
            default_ports = [parse_port(port, "default_ports[%d]" % i) for i, port in enumerate(default_ports)]
            # Checked here as well, so that a bad proxy URL never reaches the module's logged arguments.
            parse_proxy(args.get("proxy"), args.get("proxy_username"), args.get("proxy_password"))
            # trust_anchors are files on the controller: the module gets their certificates as PEM text.
            anchors = _str_list(args, "trust_anchors")
            args["trust_anchors"] = [read_pem_item(self._loader.path_dwim(path) if "-----BEGIN" not in path else path,
                                                   "trust_anchors[%d]" % index)
                                     for index, path in enumerate(anchors)]
            explicit = args.get("targets") or []
            if not isinstance(explicit, list):
                raise ProbeInputError("targets: %r is not a list" % (explicit,))
            catalog = load_catalog(catalog_files, editions)
            targets = []
            if any(selectors.values()) or not explicit:
                targets = catalog_targets(catalog, default_ports=default_ports, **selectors)
        except (CatalogError, CatalogQueryError, ProbeInputError) as exc:
            result.update(failed=True, changed=False, msg="%s: %s" % (MODULE, exc))
            return result
        args["targets"] = targets + list(explicit)
        result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars))
        result["catalog_edition"] = catalog.edition
        return result
