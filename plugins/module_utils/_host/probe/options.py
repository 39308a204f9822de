# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Validation of endpoint probe input: every field is checked before anything is probed.

Errors are :class:`ProbeInputError` with a message that names the field and the value.
"""

from __future__ import annotations

import base64
import re
import ssl

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules import addresses as address_rule
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.terms import SUPPORTS_PROXIES
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe import anchors, der
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.ports import PROTOCOLS, parse_port

DEFAULT_SINKHOLES = ("0.0.0.0", "127.0.0.0/8", "::", "::1")
DEFAULT_EXPECTED_ISSUERS = ("Apple Inc.", "DigiCert Inc")
DEFAULT_TLS_PORTS = (443, 465, 993, 995, 2195, 2196, 5223, 8443)
DEFAULT_STEP_TIMEOUTS = {"dns": 3.0, "tcp": 5.0, "tls": 5.0, "http": 5.0, "ntp": 3.0}
NTP_PORT = 123
HTTP_METHODS = ("GET", "HEAD")
FAIL_ON = ("never", "any", "required")
_FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")
_PATH = re.compile(r"^/[\x21-\x7e]*$")


class ProbeInputError(ValueError):
    """Bad probe input; the message names the field."""


def parse_host(value, field):
    """A host name or an IP address (``[v6]`` too), by the address rule; returns (normalised, is_address)."""
    return address_rule.parse_host(value, field, ProbeInputError, brackets=True)


def _bool(value, field):
    if not isinstance(value, bool):
        raise ProbeInputError("%s: %r is not a boolean" % (field, value))
    return value


def _positive(value, field):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ProbeInputError("%s: %r is not a number of seconds" % (field, value))
    if number <= 0:
        raise ProbeInputError("%s: %r must be greater than 0" % (field, value))
    return number


def parse_http(value, field, default=None):
    """Normalise an HTTP check (``enabled``, ``method``, ``path``, ``expected_status``)."""
    base = dict(default or {"enabled": False, "method": "GET", "path": "/", "expected_status": []})
    if value is None:
        return base
    if not isinstance(value, dict):
        raise ProbeInputError("%s: %r is not a dictionary" % (field, value))
    unknown = sorted(set(value) - set(("enabled", "method", "path", "expected_status")))
    if unknown:
        raise ProbeInputError("%s: unknown key %r; valid keys are enabled, method, path, expected_status" % (field, unknown[0]))
    result = dict(base)
    explicit = dict((k, v) for k, v in value.items() if v is not None)
    result.update(explicit)
    if "enabled" not in explicit and default is not None:
        result["enabled"] = True  # a per-target http dictionary asks for the check
    if not isinstance(result["enabled"], bool):
        raise ProbeInputError("%s.enabled: %r is not a boolean" % (field, result["enabled"]))
    method = str(result["method"]).upper()
    if method not in HTTP_METHODS:
        raise ProbeInputError("%s.method: %r is not supported; valid values are: %s" % (field, result["method"], ", ".join(HTTP_METHODS)))
    result["method"] = method
    if not isinstance(result["path"], str) or not _PATH.match(result["path"]):
        raise ProbeInputError("%s.path: %r must start with '/' and contain no spaces or control characters" % (field, result["path"]))
    statuses = result["expected_status"]
    if not isinstance(statuses, (list, tuple)):
        statuses = [statuses]
    parsed = []
    for status in statuses:
        try:
            code = int(status)
        except (TypeError, ValueError):
            code = 0
        if isinstance(status, bool) or not 100 <= code <= 599:
            raise ProbeInputError("%s.expected_status: %r is not an HTTP status code (100-599)" % (field, status))
        parsed.append(code)
    result["expected_status"] = parsed
    return result


_TARGET_KEYS = ("host", "port", "protocol", "tls", "http", "required", "pattern", "id", "source", "service", "section",
                "probe_host_origin", "rows", "skip_reason")
_ROW_KEYS = ("id", "source", "section", "pattern", "supports_proxies", "probe_host_origin")


def parse_rows(value, field):
    """The catalog rows a target stands for: a list of dictionaries with the keys of ``_ROW_KEYS`` (text or null)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ProbeInputError("%s: %r is not a list of catalog rows" % (field, value))
    rows = []
    for index, raw in enumerate(value):
        where = "%s[%d]" % (field, index)
        if not isinstance(raw, dict):
            raise ProbeInputError("%s: %r is not a dictionary" % (where, raw))
        unknown = sorted(set(raw) - set(_ROW_KEYS))
        if unknown:
            raise ProbeInputError("%s: unknown key %r; valid keys are: %s" % (where, unknown[0], ", ".join(_ROW_KEYS)))
        row = {}
        for key in _ROW_KEYS:
            item = raw.get(key)
            if item is not None and not isinstance(item, str):
                raise ProbeInputError("%s.%s: %r is not a string" % (where, key, item))
            row[key] = item
        if row["supports_proxies"] is not None and row["supports_proxies"] not in SUPPORTS_PROXIES:
            raise ProbeInputError("%s.supports_proxies: %r is not valid; valid values are: %s"
                                  % (where, row["supports_proxies"], ", ".join(SUPPORTS_PROXIES)))
        rows.append(row)
    return rows


def parse_target(raw, index, http_default, tls_ports):
    field = "targets[%d]" % index
    if not isinstance(raw, dict):
        raise ProbeInputError("%s: %r is not a dictionary with host, port and protocol" % (field, raw))
    unknown = sorted(set(raw) - set(_TARGET_KEYS))
    if unknown:
        raise ProbeInputError("%s: unknown key %r; valid keys are: %s" % (field, unknown[0], ", ".join(_TARGET_KEYS)))
    protocol = raw.get("protocol") or "tcp"
    if not isinstance(protocol, str) or protocol.lower() not in PROTOCOLS:
        raise ProbeInputError("%s.protocol: %r is not supported; valid values are: %s" % (field, protocol, ", ".join(PROTOCOLS)))
    protocol = protocol.lower()
    port = parse_port(raw.get("port"), field + ".port", ProbeInputError)
    skip_reason = raw.get("skip_reason")
    if raw.get("host") is None and skip_reason:
        host, literal = None, False
    else:
        host, literal = parse_host(raw.get("host"), field + ".host")
    tls = raw.get("tls")
    if tls is not None and not isinstance(tls, bool):
        raise ProbeInputError("%s.tls: %r is not a boolean" % (field, tls))
    required = raw.get("required")
    if required is None:
        required = True
    if not isinstance(required, bool):
        raise ProbeInputError("%s.required: %r is not a boolean" % (field, required))
    http = parse_http(raw.get("http"), field + ".http", default=http_default) if raw.get("http") is not None else dict(http_default)
    if protocol == "udp":
        tls = False
        http = dict(http, enabled=False)
    elif tls is None:
        tls = port in tls_ports
    return {
        "target": {
            "host": host,
            "port": port,
            "protocol": protocol,
            "pattern": raw.get("pattern"),
            "id": raw.get("id"),
            "source": raw.get("source"),
            "service": raw.get("service"),
            "section": raw.get("section"),
            "probe_host_origin": raw.get("probe_host_origin"),
            "rows": parse_rows(raw.get("rows"), field + ".rows"),
            "required": required,
        },
        "literal": literal,
        "tls": tls,
        "http": http,
        "skip_reason": skip_reason,
    }


def parse_nameserver(value, field):
    """``address``, ``address:port``, ``[v6]`` or ``[v6]:port`` -> (address, port)."""
    if not isinstance(value, str) or not value:
        raise ProbeInputError("%s: %r is not a name server address" % (field, value))
    text = value
    port = 53
    match = re.match(r"^\[([^\]]+)\](?::(\d+))?$", text)
    if match:
        text, port_text = match.group(1), match.group(2)
        if port_text:
            port = parse_port(port_text, field, ProbeInputError)
    elif text.count(":") == 1:
        text, port_text = text.split(":")
        port = parse_port(port_text, field, ProbeInputError)
    try:
        return str(address_rule.parse_ip_address(text, field)), port
    except address_rule.AddressError as exc:
        raise ProbeInputError("%s (an IP address with an optional port: 192.0.2.53, 192.0.2.53:5353, [2001:db8::53]:53)"
                              % exc) from None


def parse_proxy(url, username=None, password=None):
    """Parse ``http://host:port`` (or a keyword: auto, system, direct); returns a dict, or None for a keyword."""
    if url is None or url == "" or parse_proxy_mode(url) != "url":
        return None
    field = "proxy"
    if not isinstance(url, str):
        raise ProbeInputError("%s: %r is not a URL" % (field, url))
    match = re.match(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?:(?P<userinfo>[^@/]*)@)?(?P<host>\[[^\]]+\]|[^:/]+)(?::(?P<port>[^/]*))?/?$",
                     url.strip())
    if not match:
        raise ProbeInputError("%s: %r is not a proxy URL of the form http://host:port" % (field, _redact(url)))
    if match.group("scheme").lower() != "http":
        raise ProbeInputError("%s: %r uses the scheme %r; only http:// proxies (HTTP CONNECT) are supported"
                              % (field, _redact(url), match.group("scheme")))
    if match.group("userinfo") is not None:
        raise ProbeInputError("%s: %r carries credentials in the URL; give them in proxy_username and proxy_password "
                              "instead, which are never logged" % (field, _redact(url)))
    if not match.group("port"):
        raise ProbeInputError("%s: %r has no port; write it as http://host:port" % (field, _redact(url)))
    port = parse_port(match.group("port"), field + " port", ProbeInputError)
    host, _literal = parse_host(match.group("host"), field + " host")
    return proxy_for(host, port, _proxy_auth(username, password))


def _proxy_auth(username, password):
    """The Proxy-Authorization value for Basic authentication, or None."""
    if not username:
        return None
    return "Basic " + base64.b64encode(("%s:%s" % (username, password or "")).encode("utf-8")).decode("ascii")


def proxy_for(host, port, auth):
    """A proxy record (as :func:`parse_proxy` returns) for a proxy the host's settings name."""
    return {"host": host, "port": port, "auth": auth, "url": "http://%s" % address_rule.format_authority(host, port)}


def _redact(url):
    return re.sub(r"//[^@/]*@", "//***@", str(url))


def parse_expected_issuers(values):
    names, fingerprints = [], []
    for index, value in enumerate(values):
        field = "expected_issuers[%d]" % index
        if not isinstance(value, str) or not value.strip():
            raise ProbeInputError("%s: %r is not an issuer name or SHA-256 fingerprint" % (field, value))
        compact = value.strip().replace(":", "").lower()
        if _FINGERPRINT.match(compact):
            fingerprints.append(compact)
        elif re.match(r"^[0-9a-fA-F:]+$", value.strip()) and len(compact) > 16:
            raise ProbeInputError("%s: %r looks like a fingerprint but is not 64 hex digits (SHA-256)" % (field, value))
        else:
            names.append(value.strip())
    return names, fingerprints


def parse_sinkholes(values):
    networks = []
    for index, value in enumerate(values):
        networks.append(address_rule.parse_ip_network(value, "sinkhole_addresses[%d]" % index, ProbeInputError))
    return networks


def parse_pin_overrides(values):
    """``pin_overrides``: [{host, expected_issuers (SHA-256 fingerprints), trust_anchors (PEM text)}].

    Each entry replaces Apple's per-host rule for a host that Apple pins to its own roots; a host
    without such a rule, a name instead of a fingerprint, or an entry without any pin or anchor is refused.
    """
    if values is None:
        return []
    if not isinstance(values, list):
        raise ProbeInputError("pin_overrides: %r is not a list" % (values,))
    overrides, seen = [], set()
    for index, entry in enumerate(values):
        field = "pin_overrides[%d]" % index
        if not isinstance(entry, dict):
            raise ProbeInputError("%s: %r is not a mapping with host, expected_issuers and trust_anchors" % (field, entry))
        unknown = sorted(set(entry) - {"host", "expected_issuers", "trust_anchors"})
        if unknown:
            raise ProbeInputError("%s: unknown key(s) %s; valid keys are host, expected_issuers, trust_anchors" % (field, ", ".join(unknown)))
        host = entry.get("host")
        if not isinstance(host, str) or anchors.pin_policy(host) is None:
            raise ProbeInputError("%s.host: %r is not a host that Apple pins to its own roots (%s); other hosts take "
                                  "expected_issuers and trust_anchors directly"
                                  % (field, host, ", ".join(rule[0] for rule in anchors.PIN_RULES)))
        host = host.lower()[:-1] if host.endswith(".") else host.lower()
        if host in seen:
            raise ProbeInputError("%s.host: %s is named twice" % (field, host))
        seen.add(host)
        try:
            names, fingerprints = parse_expected_issuers(entry.get("expected_issuers") or [])
        except ProbeInputError as exc:
            raise ProbeInputError("%s.%s" % (field, exc))
        if names:
            raise ProbeInputError("%s.expected_issuers: %r is not a SHA-256 fingerprint (an override trusts certificates, "
                                  "not names)" % (field, names[0]))
        pems = [read_pem_item(value, "%s.trust_anchors[%d]" % (field, i)) for i, value in enumerate(entry.get("trust_anchors") or [])]
        if not fingerprints and not pems:
            raise ProbeInputError("%s: give expected_issuers (SHA-256 fingerprints) or trust_anchors for %s" % (field, host))
        overrides.append({"host": host, "expected_issuers": fingerprints, "trust_anchors": pems})
    return overrides


PROXY_KEYWORDS = ("auto", "system", "direct")
TRUST_ANCHORS_MODES = ("add", "replace")
HOST_TRUSTS = ("auto", "keychain", "default_paths")


def parse_proxy_mode(url):
    """``auto`` (None), ``system``, ``direct`` or ``url`` for an explicit proxy URL."""
    if url is None or url == "":
        return "auto"
    if isinstance(url, str) and url.strip().lower() in PROXY_KEYWORDS:
        return url.strip().lower()
    return "url"


def read_pem_item(value, field):
    """PEM text (given inline, or read from a path on this host); ProbeInputError names the field."""
    if not isinstance(value, str) or not value.strip():
        raise ProbeInputError("%s: %r is neither PEM text nor a file path" % (field, value))
    text = value
    if "-----BEGIN" not in value:
        try:
            with open(value, "rb") as handle:
                text = handle.read().decode("ascii", "replace")
        except (IOError, OSError) as exc:
            raise ProbeInputError("%s: cannot read %r: %s" % (field, value, exc.strerror or exc))
    what = "the text" if "-----BEGIN" in value else repr(value)
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise ProbeInputError("%s: %s holds no PEM certificate (-----BEGIN CERTIFICATE-----)" % (field, what))
    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        ders = der.pem_to_ders(text)
        probe.load_verify_locations(cadata=b"".join(ders))
    except (der.DERError, ssl.SSLError, ValueError) as exc:
        raise ProbeInputError("%s: %s holds a certificate block that is not a valid certificate: %s" % (field, what, exc))
    return "".join(ssl.DER_cert_to_PEM_cert(blob) for blob in ders)


def read_ca_bundle(ca_bundle):
    """The PEM text of ``ca_bundle`` (a path on this host), checked to load as CA certificates."""
    try:
        with open(ca_bundle, "rb") as handle:
            data = handle.read().decode("ascii", "replace")
    except (IOError, OSError) as exc:
        raise ProbeInputError("ca_bundle: cannot read %r: %s" % (ca_bundle, exc.strerror or exc))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cadata=data)
    except (ssl.SSLError, ValueError, OSError) as exc:
        raise ProbeInputError("ca_bundle: %r holds no usable PEM CA certificates: %s" % (ca_bundle, exc))
    return data


def parse_config(params):
    """Validate every option; returns (targets, config). Raises ProbeInputError."""
    tls_ports = set(parse_port(p, "tls_ports[%d]" % i, ProbeInputError) for i, p in enumerate(params.get("tls_ports") or DEFAULT_TLS_PORTS))
    http_default = parse_http(params.get("http"), "http")
    raw_targets = params.get("targets") or []
    if not isinstance(raw_targets, list):
        raise ProbeInputError("targets: %r is not a list" % (raw_targets,))
    targets = [parse_target(raw, index, http_default, tls_ports) for index, raw in enumerate(raw_targets)]
    steps = dict(DEFAULT_STEP_TIMEOUTS)
    for key, value in (params.get("step_timeouts") or {}).items():
        if key not in steps:
            raise ProbeInputError("step_timeouts: unknown step %r; valid steps are: %s" % (key, ", ".join(sorted(steps))))
        if value is not None:
            steps[key] = _positive(value, "step_timeouts.%s" % key)
    concurrency = params.get("concurrency", 64)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or not 1 <= concurrency <= 256:
        raise ProbeInputError("concurrency: %r is not a number between 1 and 256" % (concurrency,))
    fail_on = params.get("fail_on") or "never"
    if fail_on not in FAIL_ON:
        raise ProbeInputError("fail_on: %r is not valid; valid values are: %s" % (fail_on, ", ".join(FAIL_ON)))
    names, fingerprints = parse_expected_issuers(
        params.get("expected_issuers") if params.get("expected_issuers") is not None else DEFAULT_EXPECTED_ISSUERS)
    sinkholes = params.get("sinkhole_addresses")
    nameservers = [parse_nameserver(v, "nameservers[%d]" % i) for i, v in enumerate(params.get("nameservers") or [])]
    config = {
        "timeout": _positive(params.get("timeout", 30), "timeout"),
        "steps": steps,
        "concurrency": concurrency,
        "fail_on": fail_on,
        "expected_names": names,
        "expected_fingerprints": fingerprints,
        "expected_issuers": list(params.get("expected_issuers") if params.get("expected_issuers") is not None
                                 else DEFAULT_EXPECTED_ISSUERS),
        "sinkholes": parse_sinkholes(sinkholes if sinkholes is not None else DEFAULT_SINKHOLES),
        "nameservers": nameservers,
        "proxy_mode": parse_proxy_mode(params.get("proxy")),
        "proxy": None,
        # Credentials for a proxy the Mac's settings name (proxy: system), sent only when allowed.
        "proxy_auth": (_proxy_auth(params.get("proxy_username"), params.get("proxy_password"))
                       if _bool(params.get("system_proxy_credentials", True), "system_proxy_credentials") else None),
        "ca_bundle": params.get("ca_bundle"),
        "ca_bundle_pem": None,
        "host_trust": params.get("host_trust") or "auto",
        "trust_anchors": [read_pem_item(v, "trust_anchors[%d]" % i) for i, v in enumerate(params.get("trust_anchors") or [])],
        "trust_anchors_mode": params.get("trust_anchors_mode") or "add",
        "pin_overrides": parse_pin_overrides(params.get("pin_overrides")),
    }
    if config["proxy_mode"] == "url":
        config["proxy"] = parse_proxy(params.get("proxy"), params.get("proxy_username"), params.get("proxy_password"))
    if config["host_trust"] not in HOST_TRUSTS:
        raise ProbeInputError("host_trust: %r is not valid; valid values are: %s" % (config["host_trust"], ", ".join(HOST_TRUSTS)))
    if config["trust_anchors_mode"] not in TRUST_ANCHORS_MODES:
        raise ProbeInputError("trust_anchors_mode: %r is not valid; valid values are: %s"
                              % (config["trust_anchors_mode"], ", ".join(TRUST_ANCHORS_MODES)))
    if config["trust_anchors_mode"] == "replace" and not config["trust_anchors"]:
        raise ProbeInputError("trust_anchors_mode: 'replace' needs at least one certificate in trust_anchors")
    if config["ca_bundle"]:
        config["ca_bundle_pem"] = read_ca_bundle(config["ca_bundle"])
    return targets, config
