# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A probe test network: client and server namespaces, dnsmasq, TLS and SNTP servers, squid, mitmproxy."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import trustme

HERE = Path(__file__).resolve().parent


def _system_fixtures():
    """The shared system-test helpers (tests/system/conftest.py), loaded by path: both files are called conftest."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("macfleet_system_fixtures", str(HERE.parent / "conftest.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_FIXTURES = _system_fixtures()  # also puts the collections path on sys.path

from ansible_collections.macfleet.apple_network.tests.stock_python import (  # noqa: E402  pylint: disable=wrong-import-position
    stock_python as find_stock_python,
)


def _hostile_certs():
    """The certificate builder of the unit tests (hostile_certs.py), loaded by path."""
    import importlib.util
    path = HERE.parents[1] / "unit" / "plugins" / "module_utils" / "_host" / "probe" / "hostile_certs.py"
    spec = importlib.util.spec_from_file_location("macfleet_hostile_certs", str(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hostile_certs = _hostile_certs()
Namespaces, Processes = _FIXTURES.Namespaces, _FIXTURES.Processes
NET = "10.99.0"
DNS = NET + ".2"
PROXY_HOST = NET + ".2"
ADDR = {
    "good": NET + ".10",       # TLS from the expected ("Apple-like") CA
    "corp": NET + ".11",       # TLS from a corporate CA the client trusts
    "closed": NET + ".12",     # no listener: refused
    "blackhole": NET + ".66",  # nft drop
    "copycat": NET + ".13",    # TLS from a locally trusted CA that copies Apple's name
    "selfsigned": NET + ".14",  # a self-signed certificate nobody trusts
    "ntp": NET + ".20",
    "ntp_silent": NET + ".21",
    "ntp_kiss": NET + ".22",
}
NAMES = {
    "swscan.apple.com": "good",
    "updates.cdn-apple.com": "good",
    "swcdn.apple.com": "corp",
    "gs.apple.com": "closed",
    "gdmf.apple.com": "closed",  # in two sections of the current edition (Device management, Software updates)
    "xp.apple.com": "blackhole",
    "iprofiles.apple.com": "copycat",
    "identity.apple.com": "selfsigned",
    "time.apple.com": "ntp",
    "time-silent.apple.com": "ntp_silent",
    "time-kiss.apple.com": "ntp_kiss",
}
SINKHOLED = "mesu.apple.com"
NXDOMAIN = "albert.apple.com"
NO_ADDRESS = "ppq.apple.com"  # exists (a TXT record) but has no A or AAAA record
SILENT = "silent.apple.com"  # dnsmasq forwards it to a blackholed server: no answer at all
# Known only to the client's hosts file, as a per-domain resolver or VPN split DNS would answer on a Mac:
# the system resolver finds it, dnspython (which reads /etc/resolv.conf only) does not.
SPLIT_DNS = "mdmenrollment.apple.com"


def stock_python():
    """The stand-in for a Mac's Command Line Tools Python: a bare 3.9 without third-party packages."""
    path = find_stock_python()
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError("no stock Python 3.9 (set MACFLEET_STOCK_PYTHON or install pyenv's 3.9): hacking/bootstrap.sh finds it")
    check = subprocess.run([path, "-c", "import dns"], capture_output=True, check=False)
    if check.returncode == 0:
        raise RuntimeError("%s imports dnspython: it is not a stock interpreter" % path)
    return path


MITMDUMP = os.environ.get("MACFLEET_MITMDUMP") or os.path.join(
    os.environ.get("MACFLEET_CACHE") or os.path.expanduser("~/.cache/macfleet-apple_network"), "mitmproxy-venv", "bin", "mitmdump")


def wait_port(ns, address, port, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        proc = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c",
                               "import socket; socket.create_connection((%r, %d), 0.5).close()" % (address, port)],
                              capture_output=True, check=False)
        if proc.returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError("%s:%d did not start listening in %s" % (address, port, ns))


class ProbeNetwork:
    def __init__(self, namespaces, processes, scratch):
        self.ns, self.procs, self.dir = namespaces, processes, scratch
        self.client = namespaces.add("pc")
        self.server = namespaces.add("ps")
        _dev_c, dev_s = namespaces.link(self.client, NET + ".1/24", self.server, NET + ".2/24")
        for address in ADDR.values():
            subprocess.run(["ip", "-n", self.server, "addr", "add", address + "/24", "dev", dev_s], check=True)
        # The "Apple" anchor of these tests: given to the probe in trust_anchors, never in the host's trust.
        self.expected_ca = trustme.CA(organization_name="Apple Inc.")
        self.corp_ca = trustme.CA(organization_name="Example Corp Proxy")
        self.copycat_ca = copycat_ca()
        self.anchor_file = self.dir / "test-anchor.pem"
        self.anchor_file.write_bytes(self.expected_ca.cert_pem.bytes())
        # The host's own trust (ca_bundle, or the Keychain stand-in): the corporate CA and the copycat.
        self.ca_bundle = self.dir / "trusted.pem"
        self.ca_bundle.write_text(self.corp_ca.cert_pem.bytes().decode() + self.copycat_ca.cert_pem.bytes().decode())
        # A host that trusts both CAs, for the pin tests: only a pin tells which one is genuine.
        self.both_bundle = self.dir / "trusted-both.pem"
        self.both_bundle.write_text(self.expected_ca.cert_pem.bytes().decode() + self.corp_ca.cert_pem.bytes().decode())
        self.expected_fingerprint = _sha256(self.expected_ca.cert_pem.bytes())
        self.corp_fingerprint = _sha256(self.corp_ca.cert_pem.bytes())
        self._firewall()
        self._dns()
        self._servers()
        self._squid()
        self.mitm_port = None

    def _firewall(self):
        rules = self.dir / "blackhole.nft"
        rules.write_text("table inet probetest {\n chain input {\n  type filter hook input priority 0; policy accept;\n"
                         "  ip daddr %s counter drop\n }\n}\n" % ADDR["blackhole"])
        subprocess.run(["ip", "netns", "exec", self.server, "nft", "-f", str(rules)], check=True)

    def _dns(self):
        lines = ["port=53", "listen-address=%s" % DNS, "bind-interfaces", "no-resolv", "no-hosts"]
        lines += ["host-record=%s,%s" % (name, ADDR[key]) for name, key in NAMES.items()]
        lines += ["address=/%s/0.0.0.0" % SINKHOLED, "address=/%s/" % NXDOMAIN, 'txt-record=%s,"no address"' % NO_ADDRESS,
                  "local=/%s/" % NO_ADDRESS,  # answered from local data only: NOERROR without an address
                  "server=/%s/%s" % (SILENT, ADDR["blackhole"])]
        conf = self.dir / "dnsmasq.conf"
        conf.write_text("\n".join(lines) + "\n")
        self.procs.start(["ip", "netns", "exec", self.server, "dnsmasq", "--conf-file=%s" % conf, "--keep-in-foreground",
                          "--pid-file=%s" % (self.dir / "dnsmasq.pid"), "--log-facility=%s" % (self.dir / "dnsmasq.log")])
        # /etc/hosts of the server namespace, for mitmproxy's upstream lookups (removed with the namespace)
        etc = Path("/etc/netns") / self.server
        etc.mkdir(parents=True, exist_ok=True)
        (etc / "hosts").write_text("".join("%s %s\n" % (ADDR[key], name) for name, key in NAMES.items()))
        # The client's system resolver is this dnsmasq (ip netns exec bind-mounts the file over /etc/resolv.conf);
        # an empty hosts file keeps the machine's own /etc/hosts out of the answers.
        client_etc = Path("/etc/netns") / self.client
        client_etc.mkdir(parents=True, exist_ok=True)
        (client_etc / "resolv.conf").write_text("nameserver %s\n" % DNS)
        (client_etc / "hosts").write_text("127.0.0.1 localhost\n%s %s\n" % (ADDR["good"], SPLIT_DNS))

    def _leaf(self, ca, name):
        leaf = ca.issue_cert(*[n for n, key in NAMES.items() if key in ("good", "corp", "copycat", "selfsigned")],
                             SPLIT_DNS, "127.0.0.1", ADDR[name])
        chain, key = self.dir / ("%s-chain.pem" % name), self.dir / ("%s-key.pem" % name)
        chain.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
        key.write_bytes(leaf.private_key_pem.bytes())
        return str(chain), str(key)

    def _servers(self):
        good, corp = self._leaf(self.expected_ca, "good"), self._leaf(self.corp_ca, "corp")
        copycat = self._leaf(self.copycat_ca, "copycat")
        selfsigned = self._leaf(_SelfSigned(self.copycat_ca), "selfsigned")
        config = {"tls": [{"address": ADDR["good"], "port": 443, "certchain": good[0], "key": good[1], "status": 403},
                          {"address": ADDR["corp"], "port": 443, "certchain": corp[0], "key": corp[1], "status": 403},
                          {"address": ADDR["copycat"], "port": 443, "certchain": copycat[0], "key": copycat[1], "status": 403},
                          {"address": ADDR["selfsigned"], "port": 443, "certchain": selfsigned[0], "key": selfsigned[1],
                           "status": 403}],
                  "sntp": [{"address": ADDR["ntp"], "port": 123, "mode": "good"},
                           {"address": ADDR["ntp_silent"], "port": 123, "mode": "silent"},
                           {"address": ADDR["ntp_kiss"], "port": 123, "mode": "kiss"}]}
        path, ready = self.dir / "servers.json", self.dir / "servers.ready"
        path.write_text(json.dumps(config))
        self.procs.start(["ip", "netns", "exec", self.server, sys.executable, str(HERE / "servers.py"), str(path), str(ready)],
                         wait_for=ready.exists)
        self.expected_ca.cert_pem.write_to_path(str(self.dir / "expected-ca.pem"))

    def _squid(self):
        sq = self.dir / "squid"
        (sq / "logs").mkdir(parents=True)
        os.chmod(sq / "logs", 0o777)
        (sq / "hosts").write_text("".join("%s %s\n" % (ADDR[key], name) for name, key in NAMES.items()))
        conf = sq / "squid.conf"
        conf.write_text("\n".join([
            "http_port %s:3128" % PROXY_HOST, "cache deny all", "pinger_enable off", "cache_effective_user proxy",
            "shutdown_lifetime 1 seconds", "pid_filename %s" % (sq / "squid.pid"),
            "access_log %s" % (sq / "logs" / "access.log"), "cache_log %s" % (sq / "logs" / "cache.log"),
            "hosts_file %s" % (sq / "hosts"), "dns_nameservers 127.0.0.9",
            "acl SSL_ports port 443", "acl CONNECT method CONNECT", "acl allowed dstdomain swscan.apple.com updates.cdn-apple.com",
            "http_access deny CONNECT !SSL_ports", "http_access allow allowed", "http_access deny all", ""]))
        self.procs.start(["ip", "netns", "exec", self.server, "squid", "-N", "-f", str(conf)])
        wait_port(self.client, PROXY_HOST, 3128)
        self.squid_url = "http://%s:3128" % PROXY_HOST

    def start_mitmproxy(self):
        if self.mitm_port:
            return "http://%s:%d" % (PROXY_HOST, self.mitm_port)
        if not os.access(MITMDUMP, os.X_OK):
            raise RuntimeError("mitmdump not found at %s: run hacking/bootstrap.sh (it creates the mitmproxy venv)" % MITMDUMP)
        self.mitm_port = 8088
        confdir = self.dir / "mitm"
        confdir.mkdir()
        self.procs.start(["ip", "netns", "exec", self.server, MITMDUMP, "--listen-host", PROXY_HOST, "--listen-port",
                          str(self.mitm_port), "--set", "confdir=%s" % confdir,
                          "--set", "ssl_verify_upstream_trusted_ca=%s" % (self.dir / "expected-ca.pem"), "-q"],
                         env=dict(os.environ, HOME=str(self.dir)))
        wait_port(self.client, PROXY_HOST, self.mitm_port, timeout=30)
        # A managed Mac trusts its inspection proxy's CA (an MDM installs it): so does this host's trust bundle.
        self.mitm_bundle = self.dir / "trusted-with-mitm.pem"
        self.mitm_bundle.write_text(self.ca_bundle.read_text() + (confdir / "mitmproxy-ca-cert.pem").read_text())
        return "http://%s:%d" % (PROXY_HOST, self.mitm_port)


class _CopycatCA:
    """A CA whose subject copies Apple's intermediate (CN=Apple Public Server RSA CA 12 - G1, O=Apple Inc., C=US)."""

    def __init__(self):
        import datetime
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
        self._x509, self._hashes, self._serialization, self._ec, self._oid = x509, hashes, serialization, ec, NameOID
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                               x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Apple Inc."),
                               x509.NameAttribute(NameOID.COMMON_NAME, "Apple Public Server RSA CA 12 - G1")])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (x509.CertificateBuilder().subject_name(self.name).issuer_name(self.name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                                  data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                                  crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
                     .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
                     .sign(self.key, hashes.SHA256()))
        self.cert_pem = _Blob(self.cert.public_bytes(serialization.Encoding.PEM))

    def issue_cert(self, *names, **kwargs):
        import datetime
        x509, oid = self._x509, self._oid
        key = self._ec.generate_private_key(self._ec.SECP256R1())
        alt = hostile_certs.general_names(names)
        now = datetime.datetime.now(datetime.timezone.utc)
        self_signed = kwargs.get("self_signed", False)
        subject = x509.Name([x509.NameAttribute(oid.COMMON_NAME, names[0])])
        signer = key if self_signed else self.key
        cert = (x509.CertificateBuilder().subject_name(subject)
                .issuer_name(subject if self_signed else self.name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.SubjectAlternativeName(alt), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False)
                .sign(signer, self._hashes.SHA256()))
        enc = self._serialization
        key_pem = key.private_bytes(enc.Encoding.PEM, enc.PrivateFormat.PKCS8, enc.NoEncryption())
        return _Leaf([_Blob(cert.public_bytes(enc.Encoding.PEM))], _Blob(key_pem))


class _Blob:
    def __init__(self, data):
        self.data = data

    def bytes(self):
        return self.data

    def write_to_path(self, path):
        Path(path).write_bytes(self.data)


class _Leaf:
    def __init__(self, chain, key):
        self.cert_chain_pems, self.private_key_pem = chain, key


class _SelfSigned:
    """Issues self-signed leaves (the copycat CA's code, signing with the leaf's own key)."""

    def __init__(self, helper):
        self.helper = helper

    def issue_cert(self, *names):
        return self.helper.issue_cert(*names, self_signed=True)


def copycat_ca():
    return _CopycatCA()


def _sha256(pem):
    import hashlib
    import ssl as _ssl
    return hashlib.sha256(_ssl.PEM_cert_to_DER_cert(pem.decode())).hexdigest()


def cleanup_etc(ns):
    shutil.rmtree("/etc/netns/%s" % ns, ignore_errors=True)


COLLECTION_PLAYBOOKS = HERE.parents[2] / "playbooks"
