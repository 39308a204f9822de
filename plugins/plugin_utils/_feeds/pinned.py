# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Apple service hosts whose certificates Apple's own OS pins: TLS interception breaks them whatever the proxy does.

Taken from the table "Apple's own pin policy for catalog hosts" of the trust-anchors README (shared/trust-anchors,
which reads ``Pinning/CertificatePinning.plist`` of apple-oss-distributions/security_certificates 55349.0.11). Only
hosts with a pin rule are listed; the hosts that README marks "no Apple pin" are left to the catalog's own
``bypass_https_interception`` column. Written in the collection's host grammar (``p*-content.icloud.com`` stands for
the numbered MMCS hosts the plist matches with a label regex).
"""

from __future__ import annotations

PINNED_HOSTS = (
    "swscan.apple.com", "swcdn.apple.com", "swdist.apple.com", "swdownload.apple.com",
    "mesu.apple.com", "gdmf.apple.com",
    "courier.push.apple.com", "init.push.apple.com",
    "gs.apple.com", "humb.apple.com", "tbsc.apple.com", "gsa.apple.com",
    "axm-adm-mdm.apple.com", "axm-adm-scep.apple.com", "axm-adm-enroll.apple.com",
    "xp.apple.com", "itunes.apple.com", "www.apple.com", "*.mzstatic.com", "*.itunes.com",
    "configuration.apple.com", "iprofiles.apple.com", "identity.apple.com", "updates.cdn-apple.com",
    "idmsa.apple.com", "setup.icloud.com", "gateway.icloud.com", "p*-content.icloud.com",
)
