# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Controller-side glue between Ansible plugins and the catalog core."""

from __future__ import annotations

import functools
import inspect
import os

from ansible import constants as C
from ansible.config.manager import ensure_type
from ansible.errors import AnsibleError, AnsibleFilterError, AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.answers import cached_answer
from ansible_collections.macfleet.apple_network.plugins.module_utils._catalog.errors import CatalogError, CatalogQueryError


VARIABLE_OPTIONS = {
    "catalog_files": "macfleet_apple_network_catalog_files",
    "editions": "macfleet_apple_network_editions",
}
# Where the job's catalog files come from when neither the task nor a variable names them.
ENVIRONMENT_OPTIONS = {"catalog_files": "MACFLEET_APPLE_NETWORK_CATALOG_FILES"}


def catalog_sources(templar, variables, catalog_files=None, editions=None):
    """The job's ``(catalog_files, editions)``, for every controller-side consumer of the catalog alike.

    The task's own value wins; an empty one (a role's or playbook's default ``[]``) falls through to the
    group variables ``macfleet_apple_network_catalog_files``/``macfleet_apple_network_editions``, then to
    the environment variable ``MACFLEET_APPLE_NETWORK_CATALOG_FILES``, so that a catalog set once per job
    reaches the lookups, the roles and the probe. Variables reach plugins untemplated; they are rendered here.
    """
    given = {"catalog_files": catalog_files, "editions": editions}
    for option, variable in VARIABLE_OPTIONS.items():
        if given[option] in (None, "", []) and variables and variable in variables:
            given[option] = templar.template(variables[variable])
    for option, name in ENVIRONMENT_OPTIONS.items():
        if given[option] in (None, "", []) and os.environ.get(name):
            given[option] = os.environ[name]
    files = given["catalog_files"]
    files = ensure_type(files, "list") if files not in (None, "") else []
    editions = given["editions"]
    if editions in ("", []):
        editions = None
    elif editions is not None:
        editions = ensure_type(editions, "list")
    return [str(path) for path in files], editions


def refuse_unknown_keywords(plugin_name, given, valid, error=AnsibleLookupError):
    """A misspelt keyword (``sections=`` for ``section=``) fails naming the valid ones, instead of being ignored."""
    unknown = sorted(set(given) - set(valid))
    if unknown:
        raise error("%s: unknown option%s %s; valid options are: %s"
                    % (plugin_name, "s" if len(unknown) > 1 else "", ", ".join(unknown), ", ".join(sorted(valid))))


def keyword_checked(filter_name, func):
    """``func`` as a filter that refuses an unknown keyword argument naming the valid ones
    (Python's own message names neither the filter's options nor the filter)."""
    valid = list(inspect.signature(func).parameters)[1:]

    @functools.wraps(func)
    def checked(*args, **kwargs):
        refuse_unknown_keywords(filter_name, kwargs, valid, error=AnsibleFilterError)
        return func(*args, **kwargs)
    return checked


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
        kwargs["catalog_files"], editions = catalog_sources(self._templar, variables, kwargs.get("catalog_files"),
                                                            kwargs.get("editions"))
        if editions is not None:
            kwargs["editions"] = editions
        try:
            self.set_options(var_options=variables, direct=kwargs)
        except AnsibleError as exc:
            # Ansible's own message ("Invalid value 5 for config 'family'") does not list the choices.
            definitions = C.config.get_configuration_definitions(self.plugin_type, self._load_name) or {}
            hints = ["%s: %r; valid values are: %s" % (name, kwargs[name], ", ".join(str(c) for c in spec["choices"]))
                     for name, spec in sorted(definitions.items()) if spec.get("choices") and name in kwargs]
            raise AnsibleLookupError("%s: %s%s" % (self.PLUGIN_NAME, exc.message,
                                                   " (%s)" % "; ".join(hints) if hints else "")) from exc
        refuse_unknown_keywords(self.PLUGIN_NAME, kwargs, self._options)
        try:
            result = self.select(self.get_option("catalog_files") or (), self.get_option("editions"))
        except (CatalogError, CatalogQueryError) as exc:
            raise AnsibleLookupError("%s: %s" % (self.PLUGIN_NAME, exc)) from exc
        result = apply_query(self.PLUGIN_NAME, result, self.get_option("query"))
        if result is None:
            return []
        return result if isinstance(result, list) else [result]
