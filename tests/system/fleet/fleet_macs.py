# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A fleet of "stock Macs" over SSH (built on stock_macs.py): ten probing Macs and two "Macs as they come".

``mac01`` .. ``mac10`` (10.98.0.41-50) run the probe with the bare Python 3.9 the inventory names. Their
``/etc/hosts`` (bind-mounted per namespace by ``ip netns exec``, so each Mac has its own) decides what each
name reaches, and :meth:`FleetMacs.set_path` changes it between runs:

    swscan.apple.com        the TLS server signed by the test anchor (10.98.0.10): ok
    updates.cdn-apple.com   a second such server (10.98.0.13): ok; :meth:`drop_port` drops it: timeout
    swcdn.apple.com         mitmproxy in reverse mode (10.98.0.15), re-signing with its own CA that the Macs
                            trust (ca_bundle): intercepted; or the anchor-signed server: ok
    gs.apple.com            no listener: refused
    albert.apple.com        NXDOMAIN

Groups (:data:`SITES`): a ``site`` host variable for mac01-08, the inventory group ``site_bordeaux`` for
mac09, nothing for mac10 (ungrouped).

``stub`` (10.98.0.51) is a Mac without the Command Line Tools: its sshd runs in its own mount namespace in
which ``/usr/bin/python3`` is a stub that appends to :attr:`FleetMacs.stub_record` when started, and the
session's ``PATH`` starts with the ``uname`` (Darwin) and ``xcode-select`` (no developer directory)
stand-ins of tests/stand-ins/macos. ``framework`` (10.98.0.52) is a Mac with the MacAdmins Python:
in its mount namespace ``/Library/ManagedFrameworks/Python/Python3.framework/Versions/Current/bin/python3``
is the stock Python 3.9 (an empty ``/Library`` mount point is created on this machine for the fixture's
lifetime when it is missing, and removed afterwards).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stock_macs import ADDR, MAC_ADDRS, NET, PROBE_ENV, REFUSED_HOST, NXDOMAIN, StockMacs, build_stock_macs, require_stock_macs

STAND_INS = Path(__file__).resolve().parents[2] / "stand-ins" / "macos"
MACADMINS_PYTHON = "/Library/ManagedFrameworks/Python/Python3.framework/Versions/Current/bin/python3"
PROBING = ["mac%02d" % n for n in range(1, 11)]
ODD = ["stub", "framework"]
FLEET_ADDRS = dict((mac, "%s.%d" % (NET, 40 + n)) for n, mac in enumerate(PROBING, 1))
FLEET_ADDRS.update(stub=NET + ".51", framework=NET + ".52")
GOOD2, MITM = NET + ".13", NET + ".15"
SITES = {"mac01": "paris", "mac02": "paris", "mac03": "paris", "mac04": "paris",
         "mac05": "lyon", "mac06": "lyon", "mac07": "lyon", "mac08": "lyon"}
GROUPED = {"mac09": "site_bordeaux"}
# The explicit targets every probing Mac probes, and what each gives with the paths set by default.
TARGETS = [
    {"host": "swscan.apple.com", "port": 443},
    {"host": "updates.cdn-apple.com", "port": 443},
    {"host": "swcdn.apple.com", "port": 443},
    {"host": REFUSED_HOST, "port": 443},
    {"host": NXDOMAIN, "port": 443},
]
BULK_NAMES = ["bulk%02d.apple.com" % n for n in range(1, 71)]
PATHS = {"swscan.apple.com": ADDR["good"], "updates.cdn-apple.com": GOOD2}


def endpoint(host, port=443, protocol="tcp"):
    return "%s:%d/%s" % (host, port, protocol)


class FleetMacs(StockMacs):
    MAC_ADDRS = FLEET_ADDRS
    SERVER_ADDRS = tuple(ADDR.values()) + (GOOD2, MITM)

    # -- the Macs' sessions ---------------------------------------------------------------------------------

    def _stand_ins(self, mac):
        """The uname and xcode-select stand-ins in the Mac's own bin directory (xcode-select without a path file)."""
        bin_dir = self.dir / mac / "bin"
        bin_dir.mkdir(parents=True)
        for name in ("uname", "xcode-select"):
            shutil.copy2(STAND_INS / name, bin_dir / name)
        return bin_dir

    def _sshd_config(self, mac):
        if mac not in ODD:
            return []
        self.stand_in_bin = getattr(self, "stand_in_bin", {})
        self.stand_in_bin[mac] = self._stand_ins(mac)
        return ["SetEnv PATH=%s:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" % self.stand_in_bin[mac]]

    def _sshd_command(self, mac, command):
        if mac == "stub":
            self.stub_record = self.dir / "stub-started.log"
            self.stub_record.write_text("")
            stub = self.dir / "python3-stub"
            # Apple's stub: asks the user to install the developer tools (here: records that it was started) and fails.
            stub.write_text("#!/bin/sh\necho \"started: $0 $*\" >> %s\n"
                            "echo 'xcode-select: note: No developer tools were found, requesting install.' >&2\nexit 1\n"
                            % self.stub_record)
            stub.chmod(0o755)
            mounts = "mount --bind %s /usr/bin/python3" % stub
        elif mac == "framework":
            library = self.dir / "Library"
            framework_bin = library / Path(MACADMINS_PYTHON).relative_to("/Library").parent
            framework_bin.mkdir(parents=True)
            (framework_bin / "python3").symlink_to(self.stock_python)
            mounts = "mount --bind %s /Library" % library
        else:
            return command
        script = "%s && exec %s" % (mounts, " ".join(command))
        return ["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script]

    # -- paths and faults between runs ------------------------------------------------------------------------

    def set_path(self, mac, host, address):
        """Point ``host`` at ``address`` in the Mac's own hosts file (rewritten in place: the bind mount stays)."""
        hosts = Path("/etc/netns") / self.macs[mac] / "hosts"
        lines = [line for line in hosts.read_text().splitlines() if not line.endswith(" " + host)]
        lines.append("%s %s" % (address, host))
        with open(hosts, "r+", encoding="utf-8") as handle:
            handle.truncate(0)
            handle.write("\n".join(lines) + "\n")

    def intercept(self, mac, on=True):
        self.set_path(mac, "swcdn.apple.com", MITM if on else ADDR["good"])

    def drop_port(self, mac, on=True):
        """Drop (or stop dropping) the Mac's traffic to updates.cdn-apple.com's server, port 443, in its namespace."""
        ns = self.macs[mac]
        if on:
            rules = "table inet fleettest {\n chain output {\n  type filter hook output priority 0; policy accept;\n" \
                    "  ip daddr %s tcp dport 443 drop\n }\n}\n" % GOOD2
            subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=rules, text=True, check=True)
        else:
            subprocess.run(["ip", "netns", "exec", ns, "nft", "delete", "table", "inet", "fleettest"], check=True)

    # -- servers ---------------------------------------------------------------------------------------------

    def _servers(self):
        super()._servers()
        # The second anchor-signed server also answers for every name of apple.com (bulk targets, all ok).
        leaf = self.expected_ca.issue_cert("updates.cdn-apple.com", "*.apple.com")
        chain, key = self.dir / "good2-chain.pem", self.dir / "good2-key.pem"
        chain.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
        key.write_bytes(leaf.private_key_pem.bytes())
        config = {"tls": [{"address": GOOD2, "port": 443, "certchain": str(chain), "key": str(key), "status": 403}], "sntp": []}
        path, ready = self.dir / "servers2.json", self.dir / "servers2.ready"
        path.write_text(__import__("json").dumps(config))
        self.procs.start(["ip", "netns", "exec", self.server, sys.executable, str(PROBE_ENV.HERE / "servers.py"), str(path),
                          str(ready)], wait_for=ready.exists)
        self._mitmproxy()
        for mac in PROBING:
            for host, address in PATHS.items():
                self.set_path(mac, host, address)
            self.intercept(mac, SITES.get(mac) == "paris")
            hosts = Path("/etc/netns") / self.macs[mac] / "hosts"
            with open(hosts, "a", encoding="utf-8") as handle:
                handle.write("%s %s\n" % (GOOD2, " ".join(BULK_NAMES)))

    def _mitmproxy(self):
        """mitmproxy as a reverse proxy for the anchor-signed server: it re-signs with its own CA, which the Macs trust."""
        mitmdump = PROBE_ENV.MITMDUMP
        if not os.access(mitmdump, os.X_OK):
            pytest.fail("mitmdump not found at %s: run hacking/bootstrap.sh (it creates the mitmproxy venv)" % mitmdump)
        confdir = self.dir / "mitm"
        confdir.mkdir()
        self.procs.start(["ip", "netns", "exec", self.server, mitmdump, "--mode", "reverse:https://%s:443" % ADDR["good"],
                          "--listen-host", MITM, "--listen-port", "443", "--set", "confdir=%s" % confdir,
                          "--set", "ssl_insecure=true", "--set", "keep_host_header=true", "-q"], env=dict(os.environ, HOME=str(self.dir)))
        PROBE_ENV.wait_port(self.controller, MITM, 443, timeout=30)
        # The Macs' own trust: the corporate CA and the inspection proxy's CA (an MDM installs it).
        self.ca_bundle.write_text(self.ca_bundle.read_text() + (confdir / "mitmproxy-ca-cert.pem").read_text())

    # -- Ansible -------------------------------------------------------------------------------------------

    def fleet_inventory(self, macs=PROBING, name="fleet"):
        """INI inventory of ``macs``: the probing Macs name the stock Python; ``stub`` names /usr/bin/python3 (the
        inventory of a Mac as it comes); ``framework`` names none."""
        path = self.dir / ("inventory-%s.ini" % name)
        lines = ["[macs]"]
        for mac in macs:
            line = "%s ansible_host=%s" % (mac, self.addresses[mac])
            if mac in SITES:
                line += " site=%s" % SITES[mac]
            if mac in PROBING:
                line += " ansible_python_interpreter=%s" % self.stock_python
            elif mac == "stub":
                line += " ansible_python_interpreter=/usr/bin/python3"
            lines.append(line)
        for group in sorted(set(GROUPED.values())):
            members = [mac for mac in macs if GROUPED.get(mac) == group]
            if members:
                lines += ["[%s]" % group] + members
        lines += self.ssh_vars() + [""]
        path.write_text("\n".join(lines))
        return str(path)

    def probe_vars(self, out):
        return {"macfleet_probe_hosts": "macs", "macfleet_probe_output_dir": str(out), "macfleet_probe_targets": TARGETS,
                "macfleet_probe_ca_bundle": str(self.ca_bundle), "macfleet_probe_timeout": 8,
                "macfleet_probe_trust_anchors": [str(self.anchor_file)], "macfleet_report_group_by": "site"}


def build_fleet_macs():
    """``(macs, finaliser)``; the /Library mount point exists while the fleet does."""
    library_created = not os.path.exists("/Library")
    if library_created:
        os.mkdir("/Library", 0o755)
    try:
        macs, finish = build_stock_macs(FleetMacs)
    except BaseException:
        if library_created:
            os.rmdir("/Library")
        raise

    def finish_fleet():
        try:
            finish()
        finally:
            if library_created:
                os.rmdir("/Library")
    return macs, finish_fleet


@pytest.fixture(scope="module", name="fleet_macs")
def fleet_macs_fixture():
    require_stock_macs()
    macs, finish = build_fleet_macs()
    try:
        yield macs
    finally:
        finish()


assert not set(FLEET_ADDRS.values()) & set(MAC_ADDRS.values())
