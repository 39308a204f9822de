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
    parse_pin_overrides,
    parse_port,
    parse_proxy,
    read_pem_item,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._probe.targets import catalog_targets

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

    def _pin_overrides(self, value):
        """pin_overrides checked here, their trust_anchors (files on the controller) given to the module as PEM text."""
        if not value:
            return []
        if not isinstance(value, list):
            raise ProbeInputError("pin_overrides: %r is not a list" % (value,))
        located = []
        for entry in value:
            if isinstance(entry, dict) and isinstance(entry.get("trust_anchors"), list):
                entry = dict(entry, trust_anchors=[self._loader.path_dwim(item) if isinstance(item, str) and "-----BEGIN" not in item
                                                   else item for item in entry["trust_anchors"]])
            located.append(entry)
        return parse_pin_overrides(located)

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        try:
            selectors = dict((name, _str_list(args, name)) for name in SELECTORS)
            catalog_files = _str_list(args, "catalog_files")
            editions = args.pop("editions", None)
            if isinstance(editions, str):
                editions = [editions]
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
            args["pin_overrides"] = self._pin_overrides(args.get("pin_overrides"))
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
