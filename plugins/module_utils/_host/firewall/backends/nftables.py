# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The nftables backend: one dedicated ``inet`` table with named sets, replaced in one transaction."""

from __future__ import annotations

import hashlib
import json
import re
import tempfile

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends.base import Backend
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import (
    client_dns,
    dns_rules,
    format_range,
    restricts,
)
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.ports import PROTOCOLS

FAMILY = "inet"
_ND_TYPES = "nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert"
_HOOKS = (("ingress", "input", "iif"), ("egress", "output", "oif"))
# DHCP client traffic per direction: (IP family, source port, destination port). Out: the client's requests
# (renewals go to the server's unicast address); in: the servers' answers, which conntrack does not match when
# they are broadcast or multicast.
_DHCP = {"egress": (("ipv4", 68, 67), ("ipv6", 546, 547)), "ingress": (("ipv4", 67, 68), ("ipv6", 547, 546))}


def _elements(items):
    return ", ".join(items)


def _set(lines, name, set_type, flags, elements, extra=None):
    lines.append("\tset %s {" % name)
    lines.append("\t\ttype %s" % set_type)
    if flags:
        lines.append("\t\tflags %s" % flags)
    if extra:
        lines.append("\t\t%s" % extra)
    if elements:
        lines.append("\t\telements = { %s }" % _elements(elements))
    lines.append("\t}")


def render(spec):
    """The table definition as ``nft -f`` input (without the replace preamble)."""
    name = spec["name"]
    lines = ["table %s %s {" % (FAMILY, name), '\tcomment "managed by macfleet.apple_network firewall_rules"']
    for direction in spec["directions"]:
        for proto in PROTOCOLS:
            ranges = spec["rules"][direction][proto]
            _set(lines, "%s_%s" % (direction, proto), "inet_service", "interval", [format_range(s, e) for s, e in ranges])
    _set(lines, "mgmt_tcp", "inet_service", "interval", [format_range(s, e) for s, e in spec["management"]])
    dns_out, dns_local_in = dns_rules(spec)
    if dns_out or dns_local_in:
        for version, set_type in ((4, "ipv4_addr"), (6, "ipv6_addr")):
            _set(lines, "dns%d" % version, set_type, None, [str(a) for a in spec["dns"][version]])
    restricted = restricts(spec, "egress")
    if restricted or restricts(spec, "forward"):
        for version, set_type in ((4, "ipv4_addr"), (6, "ipv6_addr")):
            _set(lines, "dst%d" % version, set_type, "interval", [str(n) for n in spec["destinations"][version]])
        for version, set_type in ((4, "ipv4_addr"), (6, "ipv6_addr")):
            _set(lines, "dyn%d" % version, set_type, "timeout", [str(a) for a in spec["resolved"][version]],
                 extra="timeout %ds" % spec["address_timeout"])
    for direction, hook, iface in _HOOKS:
        if direction not in spec["directions"]:
            continue
        lines.append("\tchain %s {" % hook)
        lines.append("\t\ttype filter hook %s priority filter; policy drop;" % hook)
        if spec["keep"]["loopback"]:
            lines.append('\t\t%s "lo" accept' % iface)
        lines.append("\t\tct state established,related accept")
        lines.append("\t\ticmpv6 type { %s } accept" % _ND_TYPES)
        if spec["allow_icmp"]:
            lines.append("\t\tmeta l4proto { icmp, ipv6-icmp } accept")
        if direction == "ingress":
            lines.append("\t\ttcp dport @mgmt_tcp accept")
        if (dns_out and direction == "egress") or (dns_local_in and direction == "ingress"):
            prefix = "" if direction == "egress" else 'iif "lo" '
            for version, selector in ((4, "ip"), (6, "ip6")):
                for proto in ("udp", "tcp"):
                    lines.append("\t\t%s%s daddr @dns%d %s dport 53 accept" % (prefix, selector, version, proto))
        if spec["keep"]["dhcp"]:
            for family, sport, dport in _DHCP[direction]:
                lines.append("\t\tmeta nfproto %s udp sport %d udp dport %d accept" % (family, sport, dport))
        _allow_selection(lines, direction, direction == "egress" and restricted)
        if spec["policy"] == "reject":
            _reject(lines)
        lines.append("\t}")
    if "forward" in spec["directions"]:
        _forward(spec, lines)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _allow_selection(lines, direction, restricted):
    """Accept the direction's port sets, only to the destination sets when ``restricted``."""
    for proto in PROTOCOLS:
        port_set = "@%s_%s" % (direction, proto)
        if restricted:
            for version, selector in ((4, "ip"), (6, "ip6")):
                lines.append("\t\t%s daddr @dst%d %s dport %s accept" % (selector, version, proto, port_set))
                lines.append("\t\t%s daddr @dyn%d %s dport %s accept" % (selector, version, proto, port_set))
        else:
            lines.append("\t\t%s dport %s accept" % (proto, port_set))


def _reject(lines):
    lines.append("\t\tmeta l4proto tcp reject with tcp reset")
    lines.append("\t\treject with icmpx port-unreachable")


def _forward(spec, lines):
    """Gateway mode: the sets of the clients (and their name servers), the ``forward`` base chain and ``clients``.

    The base chain keeps policy accept: only packets from a client network enter ``clients``, which allows the
    selection and ends in the policy; every other forwarded packet leaves this table untouched (an accept here
    ends only this table's chain, other tables still see the packet).
    """
    for version, set_type in ((4, "ipv4_addr"), (6, "ipv6_addr")):
        _set(lines, "clients%d" % version, set_type, "interval", [str(n) for n in spec["clients"][version]])
    dns = client_dns(spec)
    if dns:
        for version, set_type in ((4, "ipv4_addr"), (6, "ipv6_addr")):
            _set(lines, "client_dns%d" % version, set_type, None, [str(a) for a in spec["client_dns"][version]])
    lines.append("\tchain forward {")
    lines.append("\t\ttype filter hook forward priority filter; policy accept;")
    lines.append("\t\tct state established,related accept")
    lines.append("\t\tip saddr @clients4 jump clients")
    lines.append("\t\tip6 saddr @clients6 jump clients")
    lines.append("\t}")
    lines.append("\tchain clients {")
    if spec["allow_icmp"]:
        lines.append("\t\tmeta l4proto { icmp, ipv6-icmp } accept")
    if dns:
        for version, selector in ((4, "ip"), (6, "ip6")):
            for proto in ("udp", "tcp"):
                lines.append("\t\t%s daddr @client_dns%d %s dport 53 accept" % (selector, version, proto))
    _allow_selection(lines, "forward", restricts(spec, "forward"))
    if spec["policy"] == "reject":
        _reject(lines)
    else:
        lines.append("\t\tdrop")
    lines.append("\t}")


def replace_script(spec):
    """Atomic replacement: create-if-missing, delete, define: one ``nft -f`` transaction."""
    name = spec["name"]
    return "add table %s %s\ndelete table %s %s\n%s" % (FAMILY, name, FAMILY, name, render(spec))


def restore_script(name, previous_listing):
    """Put the table back exactly as ``previous_listing`` (``nft list table`` output, or None: no table)."""
    script = "add table %s %s\ndelete table %s %s\n" % (FAMILY, name, FAMILY, name)
    if previous_listing:
        script += previous_listing
    return script


def delete_script(name):
    return "delete table %s %s\n" % (FAMILY, name)


_VOLATILE = (
    (re.compile(r" expires [0-9dhms]+"), ""),
    (re.compile(r"counter packets \d+ bytes \d+"), "counter"),
)


def normalize_listing(text):
    """``nft list table`` output without what changes by itself (element expiry, counters)."""
    for regex, repl in _VOLATILE:
        text = regex.sub(repl, text)
    return text.strip() + "\n" if text.strip() else ""


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def status(name, state, spec, listing, stored_text):
    """``listing``: ``nft list table`` output or None when the table does not exist; ``stored_text``: the state file.

    Returns ``{in_sync, diff, rendered?, digest?}``. For absent, ``foreign`` tells that the table exists
    but was not created by the module.
    """
    stored = json.loads(stored_text) if stored_text else {}
    if state == "absent":
        if listing is None:
            return {"in_sync": True}
        return {"in_sync": False, "foreign": "managed by macfleet.apple_network" not in listing,
                "diff": {"before": normalize_listing(listing), "after": ""}}
    rendered = render(spec)
    digest = sha256(rendered)
    listed = normalize_listing(listing) if listing is not None else None
    matches = listed is not None and stored.get("listing") == listed
    before = stored.get("rendered", "") if matches else (listed or "")
    return {"in_sync": matches and stored.get("sha256") == digest, "rendered": rendered, "digest": digest,
            "diff": {"before": before, "after": rendered}}


class NftablesBackend(Backend):
    backend = "nftables"

    def render(self):
        return render(self.spec)

    @property
    def _state_name(self):
        return "%s.nftables.json" % self.name

    def read(self):
        """``{binary, listing, stored}``: the table as ``nft list table`` prints it (None: no table) and the state file."""
        binary = self.module.get_bin_path("nft", required=True)
        rc, listing, _err = self.runner.run([binary, "list", "table", FAMILY, self.name], check_rc=False, record=False)
        return {"binary": binary, "listing": listing if rc == 0 else None,
                "stored": self.runner.read_state_file(self._state_name)}

    def diff(self, current):
        return status(self.name, self.params["state"], self.spec, current["listing"], current["stored"])

    def snapshot(self, current):
        return [current["binary"], "-f", "-"], restore_script(self.name, current["listing"])

    def remove(self, current, status):
        result = {"changed": False, "commands": self.runner.commands}
        if status["in_sync"]:
            return result
        if status["foreign"]:
            self.module.fail_json(msg="table %s %s exists but was not created by this module; refusing to delete it"
                                  % (FAMILY, self.name))
        result.update(changed=True, diff=status["diff"])
        if not self.module.check_mode:
            self.runner.run([current["binary"], "-f", "-"], data=delete_script(self.name))
            self.runner.remove_state_file(self._state_name)
        return result

    def apply(self, current, status):
        binary, runner = current["binary"], self.runner
        rendered = status["rendered"]
        script = replace_script(self.spec)
        result = {"changed": False, "commands": runner.commands, "rendered": rendered, "diff": status["diff"]}
        if status["in_sync"]:
            return result
        result["changed"] = True
        if self.module.check_mode:
            with tempfile.NamedTemporaryFile("w", suffix=".nft") as handle:
                handle.write(script)
                handle.flush()
                runner.run([binary, "-c", "-f", handle.name], record=False)
            return result
        check_file = runner.write_state_file("%s.nftables.candidate" % self.name, script)
        runner.run([binary, "-c", "-f", check_file])
        runner.run([binary, "-f", check_file])
        _rc, listing, _err = runner.run([binary, "list", "table", FAMILY, self.name], record=False)
        runner.write_state_file(self._state_name, json.dumps({"sha256": status["digest"], "rendered": rendered,
                                                              "listing": normalize_listing(listing)}))
        runner.remove_state_file("%s.nftables.candidate" % self.name)
        result["rollback"] = self.arm(current)
        return result
