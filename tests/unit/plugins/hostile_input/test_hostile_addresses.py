# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Hostile-input suite, addresses: generated hostile values never change a rendered rule, list, plist or request.

Valid seed values (addresses, networks, host names, proxy endpoints, ports) are mutated with hostile fragments of
several families (zone IDs, line breaks, NUL and control characters, unicode look-alikes and invisible characters,
white space, shell/config punctuation). Each mutated value goes through a public entry point into a renderer: the
nft, pf and iptables rulesets, the PAC file, the squid drop-in, the macOS bypass list, the profile plist and the
probe's HTTP request head. Each case must end one of two ways:

* refused, with an error that names the field and holds no raw line break or NUL (so the value is shown escaped);
* accepted, and then the rendered output is byte for byte the output of the clean seed: the value was normalised,
  nothing it carried reached the output.

Besides, the renderers' inputs are instrumented: every address object a firewall renderer receives and every host a
request head is built from is parsed back with an independent strict grammar (ASCII, no zone). Deterministic seed,
bounded case count; the counts per family are printed (``pytest -s``) for the record.
"""

from __future__ import annotations

import ipaddress
import random
import re
from collections import Counter

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.macfleet.apple_network.plugins.filter import firewall_ruleset as ruleset_filter
from ansible_collections.macfleet.apple_network.plugins.filter.proxy_bypass import macos_bypass_list, pac_file, squid_acl
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.backends import iptables
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.firewall.spec import FirewallInputError, build_spec
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe import netprobe
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.probe.options import ProbeInputError, parse_config
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.profile.render import build_profile, render
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.profile.spec import ProfileError

SEED = 20
MUTATIONS_PER_SEED = 24

# Each fragment holds at least one character that no host name, address or port may contain.
FAMILIES = {
    "zone_id": ["%en0", "%x\naccept", "%0", "%", "%eth0 }", "%x\r\nX-Injected: 1", "%a;b", "%25en0", "%\u0661"],
    "line_break": ["\n", "\r\n", "\r", "\n}\n", "\u2028", "\x85", "\x0b", "\x0c"],
    "nul_control": ["\x00", "\x1b[31m", "\x7f", "\x01", "\x08", "\u200e", "\ufeff"],
    "unicode": ["\u200b", "\u00a0", "\uff10", "\u0660", "\u0430", "\uff46", "\u2024", "\uff0e", "\u00b9", "\u2070"],
    "white_space": [" ", "\t", "  ", "\u3000", "\u2009"],
    "punctuation": [";", "\"", "}", "{", "#", "'", "\\", "$(", "`", ",", "!", "(", ")", "<", ">", "|", "&", "=", "@",
                    "+", "?", "[", "]", "~", "^"],
}

STRICT_ADDRESS = re.compile(r"^[0-9a-f:.]+(?:/[0-9]{1,3})?\Z")
STRICT_NAME = re.compile(r"^[a-z0-9.-]+\Z")


def mutations(rng, seed, fragments, count):
    """``count`` hostile variants of ``seed``: a fragment inserted, appended or prepended (the seed stays whole, so an
    accepted variant must render as the seed does)."""
    result = []
    for _index in range(count):
        fragment = rng.choice(fragments)
        where = rng.randrange(len(seed) + 1)
        how = rng.choice(("insert", "insert", "append", "prepend"))
        if how == "append":
            value = seed + fragment
        elif how == "prepend":
            value = fragment + seed
        else:
            value = seed[:where] + fragment + seed[where:]
        result.append(value)
    return result


def _check_address_objects(value, path="spec"):
    """Every ipaddress object in a renderer's input parses back with the strict grammar (no zone, ASCII)."""
    if isinstance(value, dict):
        for key, item in value.items():
            _check_address_objects(item, "%s.%s" % (path, key))
    elif isinstance(value, (list, tuple, set)):
        for index, item in enumerate(value):
            _check_address_objects(item, "%s[%d]" % (path, index))
    elif isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address, ipaddress.IPv4Network, ipaddress.IPv6Network)):
        text = str(value)
        assert STRICT_ADDRESS.match(text) and getattr(value, "scope_id", None) is None, \
            "%s: %r reached a renderer" % (path, text)
        assert ipaddress.ip_network(text, strict=False)


@pytest.fixture
def instrumented(monkeypatch):
    """The firewall renderers check what they are given before they render it."""
    seen = Counter()

    def checked(render_function):
        def wrapper(spec):
            _check_address_objects(spec)
            seen["renderer inputs checked"] += 1
            return render_function(spec)
        return wrapper

    monkeypatch.setattr(ruleset_filter, "RENDERERS", dict((name, checked(function))
                                                          for name, function in ruleset_filter.RENDERERS.items()))
    return seen


def iptables_text(spec):
    _check_address_objects(spec)
    return repr([iptables.chain_rules(spec, 4), iptables.chain_rules(spec, 6)])


RULES = [{"direction": "egress", "protocol": "tcp", "ports": [443]}]


def firewall_slot(slot, backend):
    def run(value):
        kwargs = {"destinations": ["17.0.0.0/8"], "resolved_destinations": ["17.253.144.10"], "nameservers": ["10.0.0.53"]}
        kwargs[slot] = [value]
        if slot == "rules":
            kwargs["rules"], rules = None, [{"direction": "egress", "protocol": "tcp", "ports": [value]}]
        else:
            rules = RULES
        if backend == "iptables":
            spec = build_spec(directions=["egress"], rules=rules, destinations=kwargs["destinations"],
                              resolved_destinations=kwargs["resolved_destinations"], nameservers=kwargs["nameservers"])
            return iptables_text(spec)
        selection = {"rules": rules, "destinations": kwargs["destinations"],
                     "resolved_destinations": kwargs["resolved_destinations"]}
        return ruleset_filter.firewall_ruleset(selection, backend=backend, directions=["egress"],
                                               nameservers=kwargs["nameservers"])
    return run


def bypass_slot(render):
    def run(value):
        return render(["apple.com", {"host": value, "supports_proxies": "not_stated"}])
    return run


def pac_proxy_slot(value):
    return pac_file(["apple.com"], proxy=value)


def plist_slot(key):
    def run(value):
        proxy = {"web_proxy": {"host": "proxy.example.com", "port": 3128}, "bypass_domains": ["apple.com"]}
        if key == "host":
            proxy["web_proxy"]["host"] = value
        else:
            proxy["bypass_domains"] = ["apple.com", value]
        profile, _warnings = build_profile({"identifier": "com.example.proxy", "proxy": proxy})
        return render(profile)
    return run


def request_slot(via_proxy):
    """parse_config then the request head, as the engine builds it; the host is parsed back before it is used."""
    def run(value):
        params = {"targets": [{"host": value, "port": 8080, "http": {"enabled": True}}], "proxy": "direct"}
        if via_proxy:
            params = {"targets": [{"host": "swscan.apple.com", "port": 80}], "proxy": "http://%s:3128" % value,
                      "proxy_username": "u", "proxy_password": "p"}
        specs, config = parse_config(params)
        target = specs[0]["target"]
        proxy = config["proxy"]
        for host in [target["host"]] + ([proxy["host"]] if proxy else []):
            assert STRICT_NAME.match(host) or STRICT_ADDRESS.match(host), "%r reached a request head" % host
        head = netprobe.request_head("GET", target["host"], target["port"], "/", proxy)
        return head + (proxy["url"] if proxy else "")
    return run


# (entry point, slot, field the error must name, seeds, error classes)
ENTRY_POINTS = [
    ("nftables", "destinations", "destinations", ["17.0.0.0/8", "2620:149::/32", "17.253.144.10"]),
    ("nftables", "resolved_destinations", "resolved_destinations", ["17.253.144.10", "2001:db8::10"]),
    ("nftables", "nameservers", "nameservers", ["10.0.0.53", "2001:db8::53"]),
    ("nftables", "rules", "ports", ["443", "5223-5224"]),
    ("pf", "destinations", "destinations", ["17.0.0.0/8", "2620:149::/32"]),
    ("pf", "resolved_destinations", "resolved_destinations", ["17.253.144.10", "2001:db8::10"]),
    ("iptables", "destinations", "destinations", ["17.0.0.0/8", "2620:149::/32"]),
    ("iptables", "resolved_destinations", "resolved_destinations", ["17.253.144.10", "2001:db8::10"]),
    ("iptables", "nameservers", "nameservers", ["10.0.0.53"]),
    ("pac_file", "selection", "bypass host", ["10.0.0.0/8", "fd00::/8", "169.254/16", "swscan.apple.com", "*.apple.com"]),
    ("pac_file", "proxy", "proxy", ["proxy.example.com:3128", "[2001:db8::1]:3128", "10.0.0.8:3128"]),
    ("squid_acl", "selection", "bypass host", ["10.0.0.0/8", "fd00::/8", "swscan.apple.com", "gg*.apple.com"]),
    ("macos_bypass_list", "selection", "bypass host", ["10.0.0.0/8", "fd00::1", "*.apple.com"]),
    ("plist", "host", "web_proxy.host", ["proxy.example.com", "10.0.0.8", "2001:db8::8"]),
    ("plist", "bypass_domains", "bypass_domains", ["10.0.0.0/8", "fd00::/8", "*.apple.com"]),
    ("http_request", "host", "targets[0].host", ["swscan.apple.com", "10.0.0.1", "2001:db8::1", "[2001:db8::1]"]),
    ("http_request", "proxy", "proxy", ["proxy.example.com", "10.0.0.8", "[2001:db8::8]"]),
]


def entry(name, slot):
    if name in ("nftables", "pf", "iptables"):
        return firewall_slot(slot, name)
    if name == "pac_file":
        return bypass_slot(lambda s: pac_file(s, proxy="proxy.example.com:3128")) if slot == "selection" else pac_proxy_slot
    if name == "squid_acl":
        return bypass_slot(squid_acl)
    if name == "macos_bypass_list":
        return bypass_slot(lambda s: repr(macos_bypass_list(s)))
    if name == "plist":
        return plist_slot(slot)
    return request_slot(slot == "proxy")


REFUSALS = (AnsibleFilterError, FirewallInputError, ProbeInputError, ProfileError)


def test_hostile_values_never_change_a_rendered_output(instrumented):
    rng = random.Random(SEED)
    counts = dict((family, Counter()) for family in FAMILIES)
    failures = []
    for name, slot, field, seeds in ENTRY_POINTS:
        run = entry(name, slot)
        for seed in seeds:
            clean = run(seed)
            for family, fragments in FAMILIES.items():
                for value in mutations(rng, seed, fragments, MUTATIONS_PER_SEED):
                    tally = counts[family]
                    tally["tried"] += 1
                    try:
                        output = run(value)
                    except REFUSALS as exc:
                        message = str(exc)
                        tally["refused"] += 1
                        if field not in message or any(ch in message for ch in "\n\r\x00"):
                            failures.append("%s/%s %r: the error does not name %r or shows the value raw: %r"
                                            % (name, slot, value, field, message))
                        continue
                    if output == clean:
                        tally["accepted, output unchanged"] += 1
                    else:
                        tally["changed"] += 1
                        failures.append("%s/%s: %r was accepted and changed the output" % (name, slot, value))
    print("\nhostile address values, seed %d: %s" % (SEED, instrumented))
    for family, tally in counts.items():
        print("  %-12s tried %4d  refused %4d  accepted unchanged %3d  changed %d" % (
            family, tally["tried"], tally["refused"], tally["accepted, output unchanged"], tally["changed"]))
    assert not failures, "\n".join(failures[:20])
    assert all(tally["tried"] == tally["refused"] + tally["accepted, output unchanged"] for tally in counts.values())
    assert instrumented["renderer inputs checked"] > 0


@pytest.mark.parametrize("name, slot, seed, variant", [
    ("nftables", "destinations", "2001:db8::/32", "2001:DB8:0000::/32"),
    ("nftables", "destinations", "10.0.0.0/8", "10.1.2.3/8"),
    ("pf", "resolved_destinations", "2001:db8::10", "2001:0db8:0:0::10"),
    ("pac_file", "selection", "169.254.0.0/16", "169.254/16"),
    ("http_request", "host", "2001:db8::1", "[2001:DB8::1]"),
    ("plist", "host", "2001:db8::8", "2001:DB8:0::8"),
])
def test_equivalent_spellings_render_the_canonical_value(instrumented, name, slot, seed, variant):
    """Parse back: a value that the grammar accepts in another spelling renders exactly as its canonical form."""
    run = entry(name, slot)
    assert run(variant) == run(seed)
