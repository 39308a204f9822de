# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which trust decides a TLS verdict, as standard-library ``ssl`` contexts.

* **Anchors** decide ``ok``: the chain must verify, host name included, against the root certificates
  Apple's service hosts chain to (shipped in ``anchors.py``), plus or instead of ``trust_anchors``.
* **Pins** (SHA-256 fingerprints in ``expected_issuers``) also decide ``ok``: the chain must verify
  against the pinned certificate alone (a partial chain is accepted, so an intermediate can be pinned).
* **Apple's per-host rule** comes first for the hosts Apple's own pin policy lets anchor only at Apple
  roots (``anchors.PIN_RULES``): they get the Apple roots alone, and neither ``trust_anchors`` nor
  ``expected_issuers`` pins apply to them, since macOS itself rejects any other chain there. Only a
  ``pin_overrides`` entry naming the host replaces that rule (``decided_by`` is then ``host_override``).
* **The host's own trust** only tells ``intercepted`` (a locally trusted CA re-signed the chain) from
  ``untrusted``; it never makes a chain ``ok``. On macOS that trust is the Keychain, asked with
  ``security verify-cert``; elsewhere the default verify paths, or ``ca_bundle`` when given.

Issuer *names* are evidence only: whoever runs a CA chooses its name.
"""

from __future__ import annotations

import hashlib
import ssl

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe import anchors, der

# OpenSSL's X509_V_FLAG_PARTIAL_CHAIN; ssl.VERIFY_X509_PARTIAL_CHAIN exists only from Python 3.10.
_PARTIAL_CHAIN = getattr(ssl, "VERIFY_X509_PARTIAL_CHAIN", 0x80000)

HOST_TRUST_LABELS = {
    "keychain": "macOS Keychain (security verify-cert)",
    "default_paths": "default verify paths of this Python (%s)",
    "ca_bundle": "ca_bundle %s",
}


def _context(cadata=None, partial=False, verify=True):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    if cadata:
        context.load_verify_locations(cadata=cadata)
    if partial:
        context.verify_flags |= _PARTIAL_CHAIN
    return context


def _ders(pem_text):
    """The DER certificates of PEM text that was checked before (``options``); none for empty text."""
    return der.pem_to_ders(pem_text) if "-----BEGIN CERTIFICATE-----" in pem_text else []


class Trust:
    """The contexts of one probe run; built once, shared read-only by every worker thread."""

    def __init__(self, user_anchors=(), mode="add", host_trust="default_paths", ca_bundle=None, ca_bundle_pem=None,
                 pins=(), verify_cert=None, pin_overrides=()):
        self.mode = mode
        user_pem = "".join(user_anchors)
        user_count = len(_ders(user_pem))
        shipped = len(anchors.ANCHORS)
        suffix = " + trust_anchors (%d)" % user_count if user_count else ""
        if mode == "replace":
            self._all = _context(user_pem)
            self.anchors_label = "trust_anchors only (%d)" % user_count
        else:
            self._all = _context(anchors.anchor_pem() + user_pem)
            self.anchors_label = "Apple service anchors (%d)%s" % (shipped, suffix)
        self._shipped = _context(anchors.anchor_pem())
        self._apple = _context(anchors.anchor_pem(apple_only=True))
        self._apple_label = "Apple roots only, as Apple's pin policy requires for this host (%d)" % (
            len([a for a in anchors.ANCHORS if a["apple"]]))
        self.insecure = _context(verify=False)
        override_pem = "".join(pem for entry in pin_overrides for pem in entry["trust_anchors"])
        # Certificates a pin may name without the served chain showing them (Python < 3.10 sees only the leaf).
        known = _ders(anchors.anchor_pem() + user_pem + override_pem + (ca_bundle_pem or ""))
        self._known = dict((hashlib.sha256(blob).hexdigest(), blob) for blob in known)
        self.pins = list(pins)
        self._overrides = {}
        for entry in pin_overrides:
            pem = "".join(entry["trust_anchors"])
            self._overrides[entry["host"]] = {
                "host": entry["host"], "pins": list(entry["expected_issuers"]),
                "context": _context(pem) if pem else None, "anchor_count": len(_ders(pem)),
            }
        self.host_trust = host_trust
        self.verify_cert = verify_cert
        if ca_bundle:
            self.host_kind = "ca_bundle"
            self.host_label = HOST_TRUST_LABELS["ca_bundle"] % ca_bundle
            self._host = _context(ca_bundle_pem)
        elif host_trust == "keychain":
            self.host_kind = "keychain"
            self.host_label = HOST_TRUST_LABELS["keychain"]
            self._host = None
        else:
            self.host_kind = "default_paths"
            paths = ssl.get_default_verify_paths()
            self.host_label = HOST_TRUST_LABELS["default_paths"] % (paths.cafile or paths.capath or "none found")
            self._host = ssl.create_default_context()

    def rule_for(self, host):
        """``apple`` when only Apple's roots may anchor this host, else ``any`` (``user`` in replace mode)."""
        if host and anchors.pin_rule(host) == "apple":
            return "apple"
        return "user" if self.mode == "replace" else "any"

    def rule_text(self, host, rule):
        """The rule that applies to ``host``, in words (``tls.trust.rule``)."""
        if rule == "apple":
            policy = anchors.pin_policy(host)
            return ("Apple pins %s to Apple's roots (per-host rule %s); trust_anchors and expected_issuers pins do not "
                    "apply to it unless pin_overrides names it" % (host, policy[1]))
        if rule == "user":
            return "no per-host rule for %s: trust_anchors (replace mode) or an expected_issuers pin" % (host or "an address")
        return "no per-host rule for %s: the Apple service anchors, trust_anchors or an expected_issuers pin" % (
            host or "an address")

    def override_for(self, host):
        """The ``pin_overrides`` entry for ``host`` (case-insensitive, trailing dot ignored), or None."""
        if not host:
            return None
        return self._overrides.get(host.lower()[:-1] if host.endswith(".") else host.lower())

    @staticmethod
    def override_text(override):
        return "user override for %s (pin_overrides: %d pin(s), %d anchor(s)) in place of Apple's per-host rule" % (
            override["host"], len(override["pins"]), override["anchor_count"])

    def label_for(self, rule):
        """Which anchors were asked for a host with this rule, in words."""
        return self._apple_label if rule == "apple" else self.anchors_label

    def anchor_context(self, rule):
        return self._apple if rule == "apple" else self._all

    def public_context(self):
        """The shipped anchors, for telling a pin-rule violation (a public CA) from interception."""
        return self._shipped

    def pin_context(self, served, pins=None):
        """A context trusting only the pinned certificates (from the known set or the served chain), or None.

        ``served`` is the described chain (dicts with ``sha256`` and ``der``); ``pins`` defaults to the
        ``expected_issuers`` pins. Returns ``(context, pins found)``.
        """
        found = []
        for pin in self.pins if pins is None else pins:
            if pin in self._known:
                found.append((pin, self._known[pin]))
                continue
            for cert in served:
                if cert["sha256"] == pin:
                    found.append((pin, cert["der"]))
                    break
        if not found:
            return None, []
        # cadata takes concatenated DER as well as PEM text.
        return _context(b"".join(blob for _pin, blob in found), partial=True), [pin for pin, _blob in found]

    def host_context(self):
        return self._host
