# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Controller-side glue between Ansible plugins and the catalog core."""

from __future__ import annotations

from ansible.errors import AnsibleError, AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.cache import cached_answer
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.common import CatalogError, CatalogQueryError


VARIABLE_OPTIONS = {
    "catalog_files": "macfleet_apple_network_catalog_files",
    "editions": "macfleet_apple_network_editions",
}


def apply_query(plugin_name, data, expression):
    """Apply a JMESPath expression; a clear error when jmespath is missing or the expression is wrong."""
    if expression is None:
        return data
    try:
        import jmespath  # imported on first use: most lookups never need it
    except ImportError as exc:
        raise AnsibleError("The %s plugin needs the Python library jmespath for the query option: pip install jmespath"
                           % plugin_name) from exc
    try:
        return jmespath.search(expression, data)
    except jmespath.exceptions.JMESPathError as exc:
        raise AnsibleError("%s: query %r is not a valid JMESPath expression: %s" % (plugin_name, expression, exc))


class CatalogLookupBase(LookupBase):
    """A lookup that answers from the catalog.

    A lookup whose result is one catalog query names it in ``QUERY`` and the options passed to it in
    ``QUERY_OPTIONS``; other lookups override :meth:`select`.
    """

    PLUGIN_NAME = None
    QUERY = None
    QUERY_OPTIONS = ()

    def select(self, catalog_files, editions):
        """The lookup's result from the catalog of ``catalog_files`` and ``editions``.

        ``Catalog.<QUERY>`` goes through the catalog's answer cache: Ansible runs each host's lookup
        in a fresh worker, and a cached answer spares that worker compiling the catalog core.
        """
        options = dict((name, self.get_option(name)) for name in self.QUERY_OPTIONS)
        return cached_answer(self.QUERY, options, catalog_files, editions)

    def run(self, terms, variables=None, **kwargs):
        if terms:
            raise AnsibleLookupError("%s takes no positional terms, only keyword options; got %r" % (self.PLUGIN_NAME, terms))
        # Variables reach a lookup untemplated; render the catalog ones before their type (path) is applied.
        for option, variable in VARIABLE_OPTIONS.items():
            if option not in kwargs and variables and variable in variables:
                kwargs[option] = self._templar.template(variables[variable])
        self.set_options(var_options=variables, direct=kwargs)
        try:
            result = self.select(self.get_option("catalog_files") or (), self.get_option("editions"))
        except (CatalogError, CatalogQueryError) as exc:
            raise AnsibleLookupError("%s: %s" % (self.PLUGIN_NAME, exc)) from exc
        result = apply_query(self.PLUGIN_NAME, result, self.get_option("query"))
        if result is None:
            return []
        return result if isinstance(result, list) else [result]
