# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A test "host" with a real firewalld or ufw: a network namespace plus a mount namespace of its own.

The mount namespace (``unshare --mount`` inside ``ip netns exec``, so it also has the namespace's
``/etc/netns/<ns>/resolv.conf``) bind-mounts scratch copies over the firewall's configuration and state directories,
so nothing of this machine's own ``/etc/firewalld``, ``/etc/ufw``, ``/run`` or ``/var/log`` is read or written. The
first process in it holds it: firewalld's own ``dbus-daemon`` (a config of its own, its socket in the scratch
directory, ``DBUS_SYSTEM_BUS_ADDRESS`` pointing at it), or ``sleep`` for ufw, which has no daemon. Every later command
enters both namespaces with ``nsenter`` (:attr:`IsolatedHost.prefix`). Processes are started with the shared
``processes`` fixture and stopped by their PIDs; firewalld first, then its bus (reverse start order).

Usable by any system test (example playbooks driving ``ansible.posix.firewalld`` or ``community.general.ufw`` too):
``start_firewalld(processes, netns_name, scratch_dir)`` / ``start_ufw(...)``, then run the playbook with
``run_playbook(..., wrap=host.prefix, env=host.env)``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

DBUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy user="root">
    <allow own="org.fedoraproject.FirewallD1"/>
    <allow own="org.fedoraproject.FirewallD1.config"/>
  </policy>
  <policy context="default">
    <allow user="root"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""


class IsolatedHost:
    """The namespaces of one test host: ``tool`` (``firewalld`` or ``ufw``), ``netns`` (its name), ``prefix`` (argv
    that enters both), ``env``."""

    def __init__(self, tool, netns, holder_pid, env=None, config=()):
        self.tool = tool
        self.netns = netns
        self.holder_pid = holder_pid
        self.env = dict(env or {})
        self.config = [Path(path) for path in config]  # the copies bind-mounted over the tool's configuration
        self.prefix = ["nsenter", "-t", str(holder_pid), "-m", "-n", "--wd=/"]

    def run(self, *cmd, check=True, input=None):
        """Run a command inside the host (both namespaces) with its environment."""
        return subprocess.run(self.prefix + list(cmd), capture_output=True, text=True, check=check, input=input,
                              env=dict(os.environ, **self.env), timeout=60)

    def shown(self):
        """Everything the firewall tool shows about its configuration, as text: ufw's ``status verbose`` and
        ``show added``; firewalld's policies, zones and ipsets, runtime and permanent."""
        if self.tool == "ufw":
            return dict((query, self.run("ufw", *query.split()).stdout) for query in ("status verbose", "show added"))
        result = {}
        for scope in ([], ["--permanent"]):
            for query in ("--list-all-policies", "--list-all", "--list-all-zones", "--get-ipsets", "--get-policies"):
                result[" ".join(scope + [query])] = self.run("firewall-cmd", *(scope + [query])).stdout
        return result

    def saved_config(self):
        """``{path: bytes}`` of every file of the host's configuration copies."""
        files = {}
        for top in self.config:
            paths = [top] if top.is_file() else [Path(d) / f for d, _s, names in os.walk(str(top)) for f in names]
            files.update((path, path.read_bytes()) for path in paths)
        return files

    def restore_config(self, saved):
        """Writes the files of :meth:`saved_config` back in place (a file bind mount keeps its inode) and removes the
        files added since."""
        for path in set(self.saved_config()) - set(saved):
            path.unlink()
        for path, data in saved.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)


def _copy(source, target):
    if os.path.isdir(source):
        shutil.copytree(source, str(target), symlinks=True)
    else:
        shutil.copy2(source, str(target))


def start_isolated(processes, netns, root, binds, holder, ready):
    """Start ``holder`` (argv) in ``netns`` and a new mount namespace where each ``(source, target)`` of ``binds`` is
    bind-mounted first; waits for ``ready()``. A failing mount stops the script before anything else runs."""
    script = Path(root) / "enter.sh"
    lines = ["set -e"] + ["mount --bind '%s' '%s'" % (source, target) for source, target in binds]
    lines.append("exec %s" % " ".join("'%s'" % word for word in holder))
    script.write_text("\n".join(lines) + "\n")
    proc = processes.start(["ip", "netns", "exec", netns, "unshare", "--mount", "--propagation", "private",
                            "/bin/sh", str(script)], wait_for=ready, timeout=20)
    return proc.pid


def start_firewalld(processes, netns, scratch):
    """firewalld (nftables backend) with its own bus, configuration, ``/run`` and ``/var/log``; returns the host."""
    root = Path(scratch) / "firewalld-host"
    root.mkdir()
    etc = root / "etc-firewalld"
    _copy("/etc/firewalld", etc)
    conf = etc / "firewalld.conf"
    text = re.sub(r"(?m)^FirewallBackend=.*$", "FirewallBackend=nftables", conf.read_text())
    conf.write_text(text if "FirewallBackend=nftables" in text else text + "FirewallBackend=nftables\n")
    run, log = root / "run", root / "log"
    (run / "dbus").mkdir(parents=True)
    log.mkdir()
    socket = root / "bus.sock"
    (root / "dbus.conf").write_text(DBUS_CONFIG.format(socket=socket))
    binds = [(etc, "/etc/firewalld"), (run, "/run"), (log, "/var/log")]
    holder = ["dbus-daemon", "--config-file=%s" % (root / "dbus.conf"), "--nofork", "--nopidfile"]
    pid = start_isolated(processes, netns, root, binds, holder, ready=socket.exists)
    host = IsolatedHost("firewalld", netns, pid, {"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=%s" % socket})

    def running():
        return host.run("firewall-cmd", "--state", check=False).stdout.strip() == "running"

    processes.start(host.prefix + ["firewalld", "--nofork", "--nopid"], env=dict(os.environ, **host.env),
                    wait_for=running, timeout=60)
    return host


def start_ufw(processes, netns, scratch):
    """ufw with its own ``/etc/ufw``, ``/lib/ufw`` and ``/etc/default/ufw`` (no sysctl file: nothing outside the
    network namespace is written); inactive, as installed. Returns the host."""
    root = Path(scratch) / "ufw-host"
    root.mkdir()
    binds = []
    for source, name in (("/etc/ufw", "etc-ufw"), ("/lib/ufw", "lib-ufw"), ("/etc/default/ufw", "default-ufw")):
        _copy(source, root / name)
        binds.append((root / name, source))
    defaults = root / "default-ufw"
    defaults.write_text(re.sub(r"(?m)^IPT_SYSCTL=.*$", "IPT_SYSCTL=", defaults.read_text()))
    conf = root / "etc-ufw" / "ufw.conf"
    conf.write_text(re.sub(r"(?m)^ENABLED=.*$", "ENABLED=no", conf.read_text()))
    started = root / "started"
    holder = ["/bin/sh", "-c", "touch %s && exec sleep infinity" % started]
    pid = start_isolated(processes, netns, root, binds, holder, ready=started.exists)
    return IsolatedHost("ufw", netns, pid, config=[copy for copy, _mounted_at in binds])
