# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Ask the Mac itself whether it trusts a server's chain: ``/usr/bin/security verify-cert``.

Standard library only (runs on the managed Mac, Python 3.9+). This module builds the command
and reads its result; the caller runs it. A chain that fails our own verification but that the
Mac's trust settings (System Roots, the System keychain, an MDM-installed root) accept was
intercepted by a *locally trusted* CA; one the Mac rejects too is simply untrusted.

The command (:func:`verify_cert_args`): ``security verify-cert -c LEAF [-c INTERMEDIATE ...] -p ssl -s HOST -L``

* ``-p ssl`` evaluates an SSL server chain.
* ``-s HOST`` names the server; it means the same on every macOS version (``-n`` does not).
* ``-L``: local certificates only, so the evaluation never fetches missing CA certificates from the
  network (no side effects, no hang); a server that omits an intermediate is reported untrusted.
* No ``-k``/``-N``: the default keychain search list is what the Mac's own software uses.

The result (:func:`parse_verify_cert`): trusted only with exit status 0 and the line
``...certificate verification successful.``; a failed evaluation exits 1 with
``Cert Verify Result: <error>`` (such as ``CSSMERR_TP_NOT_TRUSTED``) on standard error, and that line
is the detail.
"""

from __future__ import annotations

SUCCESS_TEXT = "...certificate verification successful."
RESULT_PREFIX = "Cert Verify Result:"
DENY_PREFIX = "SecTrustEvaluate result:"


def verify_cert_args(security_path, cert_files, host):
    """The argv checking the chain *cert_files* (leaf first) as an SSL server chain for *host*."""
    if not isinstance(security_path, str) or not security_path:
        raise ValueError("security_path must be a non-empty path")
    if isinstance(cert_files, str) or not cert_files:
        raise ValueError("cert_files must be a non-empty list of paths, leaf first")
    if not isinstance(host, str) or not host or host.startswith("-") or any(ch.isspace() or ord(ch) < 32 for ch in host):
        raise ValueError("host must be a host name or address, got %r" % (host,))
    argv = [security_path, "verify-cert"]
    for path in cert_files:
        if not isinstance(path, str) or not path:
            raise ValueError("every certificate file must be a non-empty path, got %r" % (path,))
        argv += ["-c", path]
    return argv + ["-p", "ssl", "-s", host, "-L"]


def _text(value):
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _lines(text):
    return [line.strip() for line in _text(text).splitlines() if line.strip()]


def parse_verify_cert(rc, stdout, stderr):
    """``(trusted, detail)`` from the exit status and output of ``security verify-cert``.

    Trusted only with exit status 0 *and* the line ``...certificate verification successful.``
    (exit 0 without it, as after ``-q`` or a policy that could not be created, is not trust).
    Otherwise the detail is the ``Cert Verify Result: ...`` line, else the
    ``SecTrustEvaluate result: ...`` line, else the first line of standard error.
    """
    out, err = _lines(stdout), _lines(stderr)
    if rc == 0 and SUCCESS_TEXT in out:
        return True, SUCCESS_TEXT
    for prefix in (RESULT_PREFIX, DENY_PREFIX):
        for line in err + out:
            if line.startswith(prefix):
                return False, line
    first = (err or out or ["no output"])[0]
    if rc is None:
        return False, "security verify-cert did not finish: %s" % first
    if rc == 0:
        return False, "security verify-cert exited 0 without %r: %s" % (SUCCESS_TEXT, first)
    if rc == 2:
        return False, "security verify-cert rejected its arguments (exit status 2): %s" % first
    return False, "security verify-cert exited with status %s: %s" % (rc, first)
