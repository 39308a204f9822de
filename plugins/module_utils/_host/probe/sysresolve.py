# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The DNS step through the system resolver (``getaddrinfo``), with the standard library only.

On macOS this is the path Apple's own services take: it honours ``/etc/resolver/*``, VPN split DNS
and DNS settings from profiles, which ``/etc/resolv.conf`` does not show. The verdict comes from the
``EAI_*`` code and from how long the call took:

* ``EAI_NONAME``: the name does not exist (``nxdomain``). macOS also says this for a name without
  addresses, so there the two cases share the verdict.
* ``EAI_NODATA`` (glibc): the name exists but has no address (``no_answer``).
* ``EAI_AGAIN`` / ``EAI_FAIL`` returned quickly: the name servers answered with an error
  (``servfail``); glibc says ``EAI_AGAIN`` for SERVFAIL and REFUSED.
* ``EAI_AGAIN`` after more than :data:`SLOW_AGAIN` seconds: the resolver gave up waiting (``dns_timeout``);
  a server that answers with an error does so in milliseconds, the resolver's own timeout is seconds.
* no return within the step's time: ``dns_timeout``. ``getaddrinfo`` has no timeout of its own, so it
  runs in a daemon thread that is abandoned when the step's time is up.
"""

from __future__ import annotations

import socket
import threading
import time

SOURCE = "system resolver (getaddrinfo)"
SLOW_AGAIN = 1.0


def _eai_names():
    names = {}
    for name in dir(socket):
        if name.startswith("EAI_"):
            names.setdefault(getattr(socket, name), name)
    return names


_EAI_NAMES = _eai_names()
_NONAME = getattr(socket, "EAI_NONAME", None)
_NODATA = getattr(socket, "EAI_NODATA", None)
_AGAIN = getattr(socket, "EAI_AGAIN", None)


def eai_name(code):
    """``EAI_NONAME`` for -2 on Linux (8 on macOS), or the number as text."""
    return _EAI_NAMES.get(code, "EAI_%s" % code)


def _lookup(host):
    answers = socket.getaddrinfo(host, None, 0, socket.SOCK_STREAM, 0, socket.AI_CANONNAME)
    addresses, canonical = [], None
    for family, _type, _proto, canonname, sockaddr in answers:
        if canonname and canonical is None:
            canonical = canonname.rstrip(".")
        if family in (socket.AF_INET, socket.AF_INET6):
            address = sockaddr[0].split("%", 1)[0]
            if address not in addresses:
                addresses.append(address)
    return addresses, canonical


def classify(code):
    """The verdict for a ``getaddrinfo`` error code."""
    if code == _NONAME:
        return "nxdomain"
    if _NODATA is not None and code == _NODATA:
        return "no_answer"
    return "servfail"


def resolve(host, budget):
    """Resolve ``host`` with the system resolver within ``budget`` seconds.

    Returns ``(verdict_or_None, info)``; ``info`` has source, addresses, canonical_name, eai and error.
    """
    info = {"source": SOURCE, "addresses": [], "canonical_name": None, "eai": None, "error": None,
            "cname_chain": [], "rcode": None}
    box = {}
    done = threading.Event()

    def work():
        try:
            box["answer"] = _lookup(host)
        except socket.gaierror as exc:
            box["error"] = exc
        except (OSError, UnicodeError) as exc:
            box["other"] = exc
        finally:
            done.set()

    started = time.monotonic()
    thread = threading.Thread(target=work, name="getaddrinfo-%s" % host, daemon=True)
    thread.start()
    if not done.wait(max(budget, 0.0)):
        info["error"] = "the system resolver gave no answer within %.1f s" % budget
        return "dns_timeout", info
    info["elapsed_ms"] = round((time.monotonic() - started) * 1000.0, 1)
    if "answer" in box:
        info["addresses"], info["canonical_name"] = box["answer"]
        if not info["addresses"]:
            return "no_answer", info
        return None, info
    if "other" in box:
        info["error"] = "%s: %s" % (type(box["other"]).__name__, box["other"])
        return "servfail", info
    exc = box["error"]
    info["eai"] = eai_name(exc.errno)
    info["error"] = exc.strerror or str(exc)
    if exc.errno == _AGAIN and info["elapsed_ms"] >= SLOW_AGAIN * 1000.0:
        info["error"] = "the system resolver gave up after %.1f s: %s" % (info["elapsed_ms"] / 1000.0, info["error"])
        return "dns_timeout", info
    return classify(exc.errno), info


def describe_failure(verdict, host, info, budget):
    """One sentence for a DNS verdict of the system resolver."""
    code = " (%s: %s)" % (info["eai"], info["error"]) if info.get("eai") else ""
    if verdict == "nxdomain":
        return "%s does not resolve: the system resolver says the name is unknown%s" % (host, code)
    if verdict == "no_answer":
        return "%s exists but has no A or AAAA record%s" % (host, code)
    if verdict == "dns_timeout":
        if info.get("eai"):
            return "no DNS answer for %s: %s" % (host, info["error"])
        return "no DNS answer for %s from the system resolver within %.1f s" % (host, budget)
    return "the name servers failed to resolve %s%s" % (host, code or (" (%s)" % info.get("error")))
