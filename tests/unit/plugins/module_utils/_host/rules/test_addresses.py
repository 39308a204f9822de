# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The address rule itself (``_catalog/addresses.py``): what each parser accepts, refuses, and how it says so."""

from __future__ import annotations

import ipaddress

import pytest

from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules import addresses
from ansible_collections.macfleet.apple_network.plugins.module_utils._host.rules.addresses import AddressError

ZONED = ["fe80::1%en0", "2001:db8::1%x\naccept", "2001:db8::1%0", "::1%", "2001:db8::1%x y", "[fe80::1%en0]"]
SPACED = [" 10.0.0.1", "10.0.0.1 ", "10.0.0.1\n", "10.0.0.1\x00", "2001:db8::1\t", "\u200b10.0.0.1", "10.0.0.1\u00a0"]
NOT_ADDRESSES = ["", "10.0.0", "10.0.0.256", "010.0.0.1", "::g", "1.2.3.4/32", "example.com", "\uff11.2.3.4", True, 17, None,
                 b"10.0.0.1"]


@pytest.mark.parametrize("value", ZONED)
def test_a_zone_id_is_refused_by_every_parser_with_the_field_and_the_value(value):
    for parse in (addresses.parse_ip_address, addresses.parse_ip_network, addresses.parse_host):
        with pytest.raises(AddressError) as exc:
            parse(value, "the_option", brackets=True) if parse is not addresses.parse_ip_network else parse(value, "the_option")
        message = str(exc.value)
        assert message.startswith("the_option: %r " % value), message
        assert "zone ID" in message or "not an IP address" in message


def test_the_zone_message_shows_the_zone_with_its_newline():
    with pytest.raises(AddressError) as exc:
        addresses.parse_ip_network("2001:db8::1%x\naccept", "resolved_destinations")
    assert str(exc.value) == ("resolved_destinations: '2001:db8::1%x\\naccept' is not an IP address or network: it has an "
                              "IPv6 zone ID ('%x\\naccept'); zone IDs are not accepted, write the address without '%zone'")


@pytest.mark.parametrize("value", SPACED + NOT_ADDRESSES)
def test_white_space_control_characters_and_non_addresses_are_refused(value):
    with pytest.raises(AddressError, match=r"^f: .* is not an IP address"):
        addresses.parse_ip_address(value, "f")


@pytest.mark.parametrize("value", SPACED + ["10.0.0.0/8 ", "10.0.0.0/٨", "10.0.0.0/33", "10.0.0.0/8/8", "fd00::/x", ""])
def test_bad_networks_are_refused(value):
    with pytest.raises(AddressError, match=r"^n: .* is not an IP address or network"):
        addresses.parse_ip_network(value, "n")


def test_networks_and_addresses_are_normalised():
    assert addresses.parse_ip_network("10.1.2.3/8", "n") == ipaddress.ip_network("10.0.0.0/8")
    assert str(addresses.parse_ip_network("2001:DB8::1", "n")) == "2001:db8::1/128"
    assert addresses.parse_ip_address("2001:DB8:0::1", "a") == ipaddress.ip_address("2001:db8::1")
    assert addresses.parse_ip_address("[2001:db8::1]", "a", brackets=True) == ipaddress.ip_address("2001:db8::1")
    with pytest.raises(AddressError, match="not an IP address or network: .*host bits"):
        addresses.parse_ip_network("10.1.2.3/8", "n", strict=True)


@pytest.mark.parametrize("value, expected", [
    ("swscan.apple.com", ("swscan.apple.com", False)), ("SWSCAN.Apple.com.", ("swscan.apple.com", False)),
    ("10.0.0.1", ("10.0.0.1", True)), ("2001:DB8::1", ("2001:db8::1", True)), ("[2001:db8::1]", ("2001:db8::1", True)),
    ("3com.com", ("3com.com", False)),
])
def test_hosts(value, expected):
    assert addresses.parse_host(value, "host", brackets=True) == expected


@pytest.mark.parametrize("value", ["[10.0.0.1]", "a b.example", "a\n.example", "evil\".example", "host:443", "*.apple.com",
                                   "[2001:db8::1]", "\u0430pple.com", "apple.com\r\nX-Injected: 1"])
def test_bad_hosts(value):
    with pytest.raises(AddressError) as exc:
        addresses.parse_host(value, "host")
    assert repr(value) in str(exc.value) and str(exc.value).startswith("host")


@pytest.mark.parametrize("value, expected", [(1, 1), (65535, 65535), ("443", 443), ("00443", 443)])
def test_ports(value, expected):
    assert addresses.parse_port(value, "port") == expected


@pytest.mark.parametrize("value, message", [
    (0, "port 0 is out of range 1-65535"), (65536, "port 65536 is out of range 1-65535"), ("99999", "out of range"),
    (True, "True is not a port number"), (" 443", "' 443' is not a port number"), ("443\n", "is not a port number"),
    ("\u0664\u0664\u0663", "is not a port number"), ("4e2", "is not a port number"), (443.0, "is not a port number"),
    (None, "None is not a port number"), ("", "is not a port number"), ("-1", "is not a port number"),
])
def test_bad_ports(value, message):
    with pytest.raises(AddressError, match="^port: .*" + message):
        addresses.parse_port(value, "port")


def test_the_caller_chooses_the_error_class():
    class Mine(ValueError):
        pass

    with pytest.raises(Mine):
        addresses.parse_port(0, "p", Mine)
    with pytest.raises(Mine):
        addresses.parse_host("fe80::1%en0", "h", Mine)


def test_os_output_readers_drop_the_zone_explicitly():
    assert addresses.without_zone("fe80::1%en0") == "fe80::1"
    assert addresses.without_zone("10.0.0.1") == "10.0.0.1"
    assert addresses.format_authority("2001:db8::1", 443) == "[2001:db8::1]:443"
    assert addresses.format_authority("swscan.apple.com", 80) == "swscan.apple.com:80"
    assert addresses.is_ip_address("10.0.0.1") and not addresses.is_ip_address("fe80::1%en0")
