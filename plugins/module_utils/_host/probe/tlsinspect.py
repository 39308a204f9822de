# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The served certificate chain as evidence, with the standard library (``der.py`` reads the names).

The verdict never depends on what is read here (``trust.py`` decides with ``ssl``); this module
says who issued what, the same on every interpreter (cryptography is not used).
"""

from __future__ import annotations

import hashlib
import importlib.util
import ssl

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe import der

# Reported in the task's environment only; found without importing it (nothing here uses it).
HAS_CRYPTOGRAPHY = importlib.util.find_spec("cryptography") is not None

# Parsed certificates by their DER bytes: the intermediates (and a host's leaf on several ports) repeat
# across targets, so one run reads each distinct certificate once. Bounded; entries are never mutated.
_READ_CACHE = {}
_READ_CACHE_SIZE = 512


def _to_der(cert):
    if isinstance(cert, (bytes, bytearray)):
        return bytes(cert)
    # Python 3.10-3.12 hand out certificate objects; their default export is PEM.
    return ssl.PEM_cert_to_DER_cert(cert.public_bytes())


def served_chain(ssl_socket):
    """DER certificates as the server sent them, leaf first.

    Python 3.13 has ``get_unverified_chain`` on the socket; 3.10-3.12 have it on the socket's
    ``_sslobj``; before 3.10 only the leaf can be read (``getpeercert``).
    """
    method = getattr(ssl_socket, "get_unverified_chain", None)
    if method is None:
        method = getattr(getattr(ssl_socket, "_sslobj", None), "get_unverified_chain", None)
    ders = []
    if method is not None:
        try:
            ders = [_to_der(cert) for cert in (method() or [])]
        except (ssl.SSLError, ValueError, TypeError, AttributeError):
            ders = []
    if not ders:
        leaf = ssl_socket.getpeercert(binary_form=True)
        if leaf:
            ders.append(leaf)
    return ders


def _read(blob):
    cert = _READ_CACHE.get(blob)
    if cert is None:
        cert = der.read_certificate(blob)
        if len(_READ_CACHE) >= _READ_CACHE_SIZE:
            _READ_CACHE.clear()
        _READ_CACHE[blob] = cert
    return cert


def describe(ders):
    """[{subject, issuer, sha256, not_after, der, _issuer_names}] for DER certificates, leaf first.

    The leaf also gets ``subject_alt_names`` (the values, in certificate order).
    """
    chain = []
    for index, blob in enumerate(ders):
        try:
            cert = _read(blob)
        except der.DERError as exc:
            chain.append(_unreadable(index, blob, exc))
            continue
        entry = {"subject": cert["subject"], "issuer": cert["issuer"], "sha256": cert["sha256"],
                 "not_after": cert["not_after"], "der": blob, "_issuer_names": list(cert["issuer_names"])}
        if index == 0:
            entry["subject_alt_names"] = [value for _kind, value in cert["subject_alt_names"]]
        chain.append(entry)
    return chain


def _unreadable(index, blob, exc):
    """Evidence for a certificate the reader refuses: its fingerprint (pins still match), and its names
    when the fields up to the subject can be read. Trust never depends on this (``ssl`` decides)."""
    entry = {"subject": None, "issuer": None, "sha256": hashlib.sha256(blob).hexdigest(), "not_after": None, "der": blob,
             "_issuer_names": [], "error": "certificate %d cannot be read: %s" % (index, exc)}
    try:
        names = der.read_names(blob)
    except der.DERError:
        return entry
    entry.update(subject=names["subject"], issuer=names["issuer"], _issuer_names=list(names["issuer_names"]),
                 error="certificate %d: only its names can be read: %s" % (index, exc))
    return entry


def issuer_name_match(chain, names):
    """The expected issuer name found on the chain (evidence only), or None."""
    wanted = dict((n.lower(), n) for n in names)
    for cert in chain:
        for value in cert["_issuer_names"]:
            if value.lower() in wanted:
                return wanted[value.lower()]
    return None


def resigning_ca(chain):
    """The name of the CA that issued the leaf: the one that re-signed an intercepted chain."""
    if not chain:
        return None
    if not chain[0].get("issuer"):
        if chain[0].get("error"):
            return "unparseable (the leaf certificate, SHA-256 %s, cannot be read)" % chain[0]["sha256"]
        return None
    names = chain[0]["_issuer_names"]
    return names[0] if names else chain[0]["issuer"]


def public_chain(chain):
    keys = ("subject", "issuer", "sha256", "not_after", "subject_alt_names", "error")
    return [dict((k, c[k]) for k in keys if k in c) for c in chain]


def issuers_seen(chain):
    seen = []
    for cert in chain:
        if cert.get("issuer") and cert["issuer"] not in seen:
            seen.append(cert["issuer"])
    return seen
