# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Two "stock Macs" reached over SSH: managed hosts whose interpreter is a bare Python 3.9.

Apple's Command Line Tools ship Python 3.9 with no third-party packages, and that is what
``endpoint_probe`` must run on. The fixture :func:`stock_macs` builds, per test module::

    controller (10.98.0.1)   ansible-playbook runs here (``ip netns exec``)
    mac1       (10.98.0.31)  its own sshd; /etc/netns/<mac1>/resolv.conf -> 10.98.0.2
    mac2       (10.98.0.32)  its own sshd; /etc/netns/<mac2>/resolv.conf -> 10.98.0.2
    server     (10.98.0.2)   a Linux bridge joining the three veths; dnsmasq on 10.98.0.2:53,
                             trustme TLS servers and SNTP servers (tests/system/probe/servers.py)
                             on 10.98.0.10-22

Each Mac resolves names through the system resolver of its namespace (dnsmasq, with the probe
tests' records: swscan.apple.com is served by a TLS server whose CA is in :attr:`StockMacs.ca_bundle`,
gs.apple.com is refused, mesu.apple.com is sinkholed, albert.apple.com is NXDOMAIN, time.apple.com
answers SNTP). Names dnsmasq has no record for are REFUSED; nothing is forwarded anywhere.

``inventory("stock")`` points ``ansible_python_interpreter`` at the stock Python 3.9
(``MACFLEET_STOCK_PYTHON``, else pyenv's ``~/.pyenv/versions/3.9.*/bin/python3.9``);
``inventory("full")`` at the test run's own interpreter (dnspython and cryptography installed).
The fixture needs root (skipped otherwise) and fails when sshd, ssh or the stock Python is missing:
CI has them (``hacking/bootstrap.sh``). Every process is stopped by its PID, every namespace and
``/etc/netns`` directory is removed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PROBE_DIR = HERE.parent / "probe"
COLLECTION_PLAYBOOKS = HERE.parents[2] / "playbooks"
SSHD = "/usr/sbin/sshd"
SFTP_SERVER = "/usr/lib/openssh/sftp-server"


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, str(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The probe tests' network (dnsmasq records, servers.py): its names and helpers are reused, with this
# fixture's own addresses. Loaded by path: tests/system/probe is not a package.
PROBE_ENV = _load("macfleet_stock_macs_probe_env", PROBE_DIR / "probe_env.py")
Namespaces, Processes = PROBE_ENV.Namespaces, PROBE_ENV.Processes
# The "stock Mac" interpreter: MACFLEET_STOCK_PYTHON, else the newest pyenv Python 3.9, else None.
stock_python = PROBE_ENV.find_stock_python
NXDOMAIN, SINKHOLED = PROBE_ENV.NXDOMAIN, PROBE_ENV.SINKHOLED

NET = "10.98.0"
CONTROLLER_ADDR = NET + ".1"
DNS = NET + ".2"
MAC_ADDRS = {"mac1": NET + ".31", "mac2": NET + ".32"}
ADDR = {
    "good": NET + ".10",       # TLS from the expected ("Apple-like") CA
    "corp": NET + ".11",       # TLS from a corporate CA
    "closed": NET + ".12",     # no listener: refused
    "ntp": NET + ".20",
    "ntp_silent": NET + ".21",
    "ntp_kiss": NET + ".22",
}
# The probe tests' names whose addresses exist here (no blackhole: no firewall rules in this network).
NAMES = dict((name, key) for name, key in PROBE_ENV.NAMES.items() if key in ADDR)
REFUSED_HOST = [name for name, key in NAMES.items() if key == "closed"][0]  # gs.apple.com
BRIDGE = "mfbr0"


def _ip(*args):
    subprocess.run(["ip"] + list(args), check=True, capture_output=True, text=True)


def check_stock_python(python):
    """Fail the test (not skip: CI must have it) unless ``python`` is a Python 3.9 without dnspython or cryptography."""
    hint = "run hacking/bootstrap.sh full, or set MACFLEET_STOCK_PYTHON to a Python 3.9 without third-party packages"
    if not python or not os.access(python, os.X_OK):
        pytest.fail("no stock-Mac Python 3.9 (MACFLEET_STOCK_PYTHON or ~/.pyenv/versions/3.9.*/bin/python3.9): %s" % hint)
    env = dict((k, v) for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME"))
    probe = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True,
                           text=True, env=env, check=False)
    if probe.returncode != 0 or probe.stdout.strip() != "3.9":
        pytest.fail("%s is not Python 3.9 (%r %r): %s" % (python, probe.stdout, probe.stderr, hint))
    for module in ("dns", "cryptography"):
        if subprocess.run([python, "-c", "import %s" % module], capture_output=True, env=env, check=False).returncode == 0:
            pytest.fail("%s can import %s, a stock Mac cannot: %s" % (python, module, hint))


class StockMacs:
    """The network, the servers and the two Macs' sshd; see the module docstring."""

    # Subclasses (fleet_macs.py) add Macs and server addresses.
    MAC_ADDRS = MAC_ADDRS
    SERVER_ADDRS = tuple(ADDR.values())

    def __init__(self, namespaces, processes, scratch, stock_interpreter):
        self.ns, self.procs, self.dir = namespaces, processes, scratch
        self.stock_python = stock_interpreter
        self.full_python = sys.executable
        self.addresses = dict(self.MAC_ADDRS)
        self.server = namespaces.add("srv")
        _ip("-n", self.server, "link", "add", BRIDGE, "type", "bridge")
        _ip("-n", self.server, "addr", "add", DNS + "/24", "dev", BRIDGE)
        for address in self.SERVER_ADDRS:
            _ip("-n", self.server, "addr", "add", address + "/24", "dev", BRIDGE)
        _ip("-n", self.server, "link", "set", BRIDGE, "up")
        self.controller = namespaces.add("ctl")
        self._attach(self.controller, CONTROLLER_ADDR)
        self.macs = {}
        for mac, address in self.addresses.items():
            self.macs[mac] = namespaces.add(mac)
            self._attach(self.macs[mac], address)
            self._etc(self.macs[mac], mac)
        self._dns()
        self._servers()
        self._client_key()
        for mac in self.macs:
            self._sshd(mac)

    # -- network -------------------------------------------------------------------------------------------

    def _attach(self, ns, address):
        """A veth pair created straight inside ``ns`` and the server namespace; the server end joins the bridge."""
        tag = uuid.uuid4().hex[:6]
        inner, outer = "sm%s" % tag, "sb%s" % tag
        _ip("link", "add", inner, "netns", ns, "type", "veth", "peer", "name", outer, "netns", self.server)
        _ip("-n", ns, "addr", "add", address + "/24", "dev", inner)
        _ip("-n", ns, "link", "set", inner, "up")
        _ip("-n", self.server, "link", "set", outer, "master", BRIDGE)
        _ip("-n", self.server, "link", "set", outer, "up")

    def _etc(self, ns, mac):
        """The Mac's own resolver and hosts file (bind-mounted by ``ip netns exec``; removed with the namespace)."""
        etc = Path("/etc/netns") / ns
        etc.mkdir(parents=True, exist_ok=True)
        (etc / "resolv.conf").write_text("nameserver %s\noptions timeout:2 attempts:1\n" % DNS)
        (etc / "hosts").write_text("127.0.0.1 localhost %s\n::1 localhost\n" % mac)

    def _dns(self):
        lines = ["port=53", "listen-address=%s" % DNS, "bind-interfaces", "no-resolv", "no-hosts"]
        lines += ["host-record=%s,%s" % (name, ADDR[key]) for name, key in NAMES.items()]
        lines += ["address=/%s/0.0.0.0" % SINKHOLED, "address=/%s/" % NXDOMAIN]
        conf = self.dir / "dnsmasq.conf"
        conf.write_text("\n".join(lines) + "\n")
        self.procs.start(["ip", "netns", "exec", self.server, "dnsmasq", "--conf-file=%s" % conf, "--keep-in-foreground",
                          "--pid-file=%s" % (self.dir / "dnsmasq.pid"), "--log-facility=%s" % (self.dir / "dnsmasq.log")])
        PROBE_ENV.wait_port(self.server, DNS, 53)

    def _servers(self):
        import trustme
        self.expected_ca = trustme.CA(organization_name="Apple Inc.")
        self.corp_ca = trustme.CA(organization_name="Example Corp Proxy")
        # The "Apple" anchor of the test goes to the probe as trust_anchors; the Macs' own trust holds the corporate CA.
        self.anchor_file = self.dir / "test-anchor.pem"
        self.anchor_file.write_bytes(self.expected_ca.cert_pem.bytes())
        self.ca_bundle = self.dir / "trusted.pem"
        self.ca_bundle.write_bytes(self.corp_ca.cert_pem.bytes())
        tls = []
        for key, ca in (("good", self.expected_ca), ("corp", self.corp_ca)):
            leaf = ca.issue_cert(*[name for name, k in NAMES.items() if k in ("good", "corp")])
            chain, private = self.dir / ("%s-chain.pem" % key), self.dir / ("%s-key.pem" % key)
            chain.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
            private.write_bytes(leaf.private_key_pem.bytes())
            tls.append({"address": ADDR[key], "port": 443, "certchain": str(chain), "key": str(private), "status": 403})
        sntp = {"ntp": "good", "ntp_silent": "silent", "ntp_kiss": "kiss"}
        config = {"tls": tls, "sntp": [{"address": ADDR[key], "port": 123, "mode": mode} for key, mode in sntp.items()]}
        path, ready = self.dir / "servers.json", self.dir / "servers.ready"
        path.write_text(json.dumps(config))
        self.procs.start(["ip", "netns", "exec", self.server, sys.executable, str(PROBE_DIR / "servers.py"), str(path), str(ready)],
                         wait_for=ready.exists)

    # -- sshd ----------------------------------------------------------------------------------------------

    def _client_key(self):
        self.key = self.dir / "id_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "macfleet-stock-macs", "-f", str(self.key)],
                       check=True, capture_output=True)
        self.authorized_keys = self.dir / "authorized_keys"
        shutil.copyfile(str(self.key) + ".pub", str(self.authorized_keys))

    def _sshd_config(self, mac):
        """Extra sshd_config lines for a Mac (none here)."""
        del mac
        return []

    def _sshd_command(self, mac, command):
        """The command that starts a Mac's sshd inside its namespace (as is here)."""
        del mac
        return command

    def _sshd(self, mac):
        ns, address = self.macs[mac], self.addresses[mac]
        home = self.dir / mac
        home.mkdir()
        host_key = home / "ssh_host_ed25519_key"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", mac, "-f", str(host_key)],
                       check=True, capture_output=True)
        conf = home / "sshd_config"
        conf.write_text("\n".join([
            "Port 22", "ListenAddress %s" % address, "HostKey %s" % host_key,
            "AuthorizedKeysFile %s" % self.authorized_keys, "PermitRootLogin prohibit-password",
            "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no",
            "UseDNS no", "PidFile %s" % (home / "sshd.pid"), "Subsystem sftp %s" % SFTP_SERVER, "LogLevel VERBOSE"]
            + self._sshd_config(mac) + [""]))
        check = subprocess.run([SSHD, "-t", "-f", str(conf)], capture_output=True, text=True, check=False)
        if check.returncode != 0:
            pytest.fail("sshd rejects %s: %s" % (conf, check.stderr))
        self.procs.start(["ip", "netns", "exec", ns] + self._sshd_command(mac, [SSHD, "-D", "-f", str(conf), "-E", str(home / "sshd.log")]))
        PROBE_ENV.wait_port(self.controller, address, 22)

    def sshd_log(self, mac):
        path = self.dir / mac / "sshd.log"
        return path.read_text() if path.exists() else ""

    # -- Ansible -------------------------------------------------------------------------------------------

    def ssh_vars(self):
        """The ``[macs:vars]`` section's lines: root over SSH with the fixture's key, no multiplexing, pipelining."""
        return [
            "[macs:vars]",
            "ansible_connection=ssh",
            "ansible_user=root",
            "ansible_ssh_private_key_file=%s" % self.key,
            "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'",
            # No ControlPersist: a multiplexing master would outlive the run (and its PID is not ours to stop).
            "ansible_ssh_args='-o ControlMaster=no -o ControlPersist=no'",
            # One SSH connection per task instead of four (a connection costs ~0.7 s on a sandboxed CI machine).
            "ansible_pipelining=true",
        ]

    def interpreter(self, variant):
        return {"stock": self.stock_python, "full": self.full_python}[variant]

    def inventory(self, variant="stock"):
        """An INI inventory of mac1 and mac2 over SSH, ``variant`` ``stock`` (bare Python 3.9) or ``full`` (this venv)."""
        path = self.dir / ("inventory-%s.ini" % variant)
        lines = ["[macs]"]
        lines += ["%s ansible_host=%s" % (mac, address) for mac, address in MAC_ADDRS.items()]
        lines += self.ssh_vars() + ["ansible_python_interpreter=%s" % self.interpreter(variant), ""]
        path.write_text("\n".join(lines))
        return str(path)

    def output_dir(self, name):
        path = self.dir / "out" / ("%s-%s" % (name, uuid.uuid4().hex[:6]))
        path.parent.mkdir(exist_ok=True)
        return path


def build_stock_macs(cls=StockMacs):
    """Context-free construction (for a fixture or a script): returns ``(macs, finaliser)``."""
    scratch = Path(tempfile.mkdtemp(prefix="macfleet-stockmac-"))
    os.chmod(scratch, 0o755)
    spaces, procs = Namespaces("mfs"), Processes()

    def finish():
        procs.stop_all()
        spaces.cleanup()
        shutil.rmtree(scratch, ignore_errors=True)

    try:
        # sshd's privilege-separation directory; openssh-server's own tmpfiles entry creates it at boot, so it stays.
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        return cls(spaces, procs, scratch, stock_python()), finish
    except BaseException:
        finish()
        raise


def require_stock_macs():
    """Skip without root; fail when a tool CI has is missing."""
    if os.geteuid() != 0:
        pytest.skip("network namespaces and per-namespace sshd need root")
    missing = [tool for tool in (SSHD, SFTP_SERVER) if not os.access(tool, os.X_OK)]
    missing += [tool for tool in ("ssh", "ssh-keygen", "dnsmasq", "ip") if shutil.which(tool) is None]
    if missing:
        pytest.fail("missing %s: install openssh-server (hacking/bootstrap.sh full installs it)" % ", ".join(missing))
    check_stock_python(stock_python())


@pytest.fixture(scope="module", name="stock_macs")
def stock_macs_fixture():
    """Controller, two stock Macs with their own sshd, and a server namespace; removed after the module."""
    require_stock_macs()
    macs, finish = build_stock_macs()
    try:
        yield macs
    finally:
        finish()
