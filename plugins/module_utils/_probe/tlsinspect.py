# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Certificate chain inspection and the interception verdict (needs cryptography)."""

from __future__ import annotations

import hashlib
import traceback

try:
    from cryptography import x509
    from cryptography.x509.oid import NameOID
except ImportError:
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()
else:
    CRYPTOGRAPHY_IMPORT_ERROR = None


def served_chain(ssl_socket, verified):
    """DER certificates of the connection: the verified path (with its trust anchor) or the served chain."""
    candidates = []
    sslobj = getattr(ssl_socket, "_sslobj", None)
    for owner in (ssl_socket, sslobj):
        name = "get_verified_chain" if verified else "get_unverified_chain"
        method = getattr(owner, name, None)
        if method is not None:
            try:
                candidates = method() or []
            except Exception:  # pylint: disable=broad-except
                candidates = []
            if candidates:
                break
    ders = []
    for cert in candidates:
        if isinstance(cert, bytes):
            ders.append(cert)
        else:  # _ssl.Certificate before Python 3.13
            import _ssl
            ders.append(cert.public_bytes(_ssl.ENCODING_DER))
    if not ders:
        leaf = ssl_socket.getpeercert(binary_form=True)
        if leaf:
            ders.append(leaf)
    return ders


def _attrs(name, oid):
    return [attr.value for attr in name.get_attributes_for_oid(oid)]


def describe(ders):
    """[{subject, issuer, sha256, issuer_names}] for DER certificates, leaf first."""
    chain = []
    for der in ders:
        cert = x509.load_der_x509_certificate(der)
        chain.append({
            "subject": cert.subject.rfc4514_string(),
            "issuer": cert.issuer.rfc4514_string(),
            "sha256": hashlib.sha256(der).hexdigest(),
            "_issuer_names": _attrs(cert.issuer, NameOID.COMMON_NAME) + _attrs(cert.issuer, NameOID.ORGANIZATION_NAME),
        })
    return chain


def match_issuers(chain, names, fingerprints):
    """The expected issuer this chain comes from (a name or fingerprint), or None.

    A name matches the common name or organisation of an issuer anywhere on the path
    (case-insensitive); a fingerprint matches any certificate on the path, including the
    trust anchor when the verified path is known.
    """
    wanted_names = dict((n.lower(), n) for n in names)
    for cert in chain:
        if cert["sha256"] in fingerprints:
            return cert["sha256"]
    for cert in chain:
        for value in cert["_issuer_names"]:
            if value.lower() in wanted_names:
                return wanted_names[value.lower()]
    return None


def public_chain(chain):
    return [{"subject": c["subject"], "issuer": c["issuer"], "sha256": c["sha256"]} for c in chain]


def issuers_seen(chain):
    seen = []
    for cert in chain:
        if cert["issuer"] not in seen:
            seen.append(cert["issuer"])
    return seen
