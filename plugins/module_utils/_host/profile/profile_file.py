# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The profile file the ``mobileconfig`` module manages: what is there now (plain or signed), the signed bytes to
write, writing and removing it."""

from __future__ import annotations

import os
import plistlib

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.files import FileTooLarge, read_bytes, write_atomic
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.profile import cms
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.profile.render import diff_text

# Bounds of the files read: far above any profile this module renders (10,000 bypass entries are under 1 MiB) and
# any certificate chain.
PROFILE_LIMIT = 64 * 1024 * 1024
PEM_LIMIT = 1024 * 1024


class ProfileFileError(Exception):
    """The profile file or a signing file cannot be used; the message names the option."""


def read_profile_file(path):
    """The bytes at ``path``, None when there is no file."""
    try:
        return read_bytes(path, PROFILE_LIMIT, missing_ok=True)
    except FileTooLarge as exc:
        raise ProfileFileError("path: %s, which no profile is" % exc) from None


def file_mode(path):
    return os.stat(path).st_mode & 0o7777


def existing_profile(data):
    """(unsigned content bytes or None, parsed profile or None, was signed)."""
    if data is None:
        return None, None, False
    signed = cms.looks_signed(data)
    content = data
    if signed:
        try:
            content = cms.signed_content(data)
        except cms.CMSError:
            return None, None, True
    try:
        parsed = plistlib.loads(content)
    except Exception:  # pylint: disable=broad-exception-caught
        parsed = None
    return content, parsed if isinstance(parsed, dict) else None, signed


def remove_profile(path, check_mode, diff):
    """Remove the file at ``path`` (not in check mode); returns the module result."""
    data = read_profile_file(path)
    changed = data is not None
    result = dict(changed=changed, path=path)
    if diff:
        _content, parsed, _signed = existing_profile(data)
        result["diff"] = dict(before=diff_text(parsed) if parsed else "", after="",
                              before_header=path, after_header=path)
    if changed and not check_mode:
        os.unlink(path)
    return result


def signed_bytes(signing, content, existing_data, existing_content):
    """The file bytes for ``content`` signed as the ``signing`` option says: ``(bytes, resigned)``.

    The file there is kept when it embeds the same content and the same certificates. Needs ``cryptography``.
    """
    sources = [("signing.certificate", signing["certificate"]), ("signing.private_key", signing["private_key"])]
    sources += [("signing.chain[%d]" % index, chain_path) for index, chain_path in enumerate(signing["chain"])]
    pems = []
    for field, file_path in sources:
        try:
            pems.append(read_bytes(file_path, PEM_LIMIT))
        except OSError as exc:
            raise ProfileFileError("%s: cannot read %s: %s" % (field, file_path, exc)) from None
    try:
        cert, key, chain = cms.load_signer(pems[0], pems[1], pems[2:], signing.get("private_key_passphrase"))
    except (ValueError, TypeError) as exc:
        raise ProfileFileError("signing: cannot load the certificate, key or chain: %s" % exc) from None
    if existing_content == content and cms.embedded_certificates_der(existing_data) == cms.certificates_der(cert, chain):
        return existing_data, False
    return cms.sign(content, cert, key, chain), True


def write_profile(path, data, mode, content_changed):
    """Write ``data`` with ``mode`` atomically, or only set the mode when the content is already there."""
    if not content_changed:
        os.chmod(path, mode)
        return
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise ProfileFileError("path: the directory %s does not exist" % parent)
    write_atomic(path, data, mode)
