# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The served certificate chain as evidence, with the standard library (``der.py`` reads the names).

The verdict never depends on what is read here (``trust.py`` decides with ``ssl``); this module
says who issued what. cryptography, where installed, adds the leaf's subject alternative names.
"""

from __future__ import annotations

import ssl

from ansible_collections.macfleet.apple_network.plugins.module_utils._probe import der

try:
    from cryptography import x509
except ImportError:
    HAS_CRYPTOGRAPHY = False
else:
    HAS_CRYPTOGRAPHY = True


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


def describe(ders):
    """[{subject, issuer, sha256, not_after, der, _issuer_names}] for DER certificates, leaf first."""
    chain = []
    for index, blob in enumerate(ders):
        try:
            cert = der.read_certificate(blob)
        except der.DERError as exc:
            chain.append({"subject": None, "issuer": None, "sha256": None, "not_after": None, "der": blob,
                          "_issuer_names": [], "error": "certificate %d cannot be read: %s" % (index, exc)})
            continue
        entry = {"subject": cert["subject"], "issuer": cert["issuer"], "sha256": cert["sha256"],
                 "not_after": cert["not_after"], "der": blob, "_issuer_names": list(cert["issuer_names"])}
        if HAS_CRYPTOGRAPHY and index == 0:
            entry["subject_alt_names"] = _alt_names(blob)
        chain.append(entry)
    return chain


def _alt_names(blob):
    try:
        cert = x509.load_der_x509_certificate(blob)
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except Exception:  # pylint: disable=broad-except
        return []
    return [str(name.value) for name in extension.value]


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
    if not chain or not chain[0].get("issuer"):
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
