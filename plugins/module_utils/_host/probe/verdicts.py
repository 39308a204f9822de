# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Verdicts of an endpoint probe, their status and category, and the run summary."""

from __future__ import annotations

DNS_VERDICTS = ("nxdomain", "servfail", "no_answer", "dns_timeout", "sinkhole")
BLOCKED_VERDICTS = (
    "refused", "timeout", "tls_error", "untrusted", "pin_mismatch", "http_unexpected_status",
    "proxy_denied", "proxy_error", "ntp_no_reply", "ntp_invalid",
)
# A bug in the probe (an exception that is not a network error): no answer from the network at all.
PROBE_ERROR = "probe_error"
VERDICTS = ("ok",) + DNS_VERDICTS + BLOCKED_VERDICTS + ("intercepted", "skipped", PROBE_ERROR)
STATUSES = ("ok", "failed", "intercepted", "skipped", "error")
CATEGORIES = ("ok", "intercepted", "blocked", "dns", "skipped", "error")


def status_of(verdict):
    """``ok``, ``intercepted``, ``skipped``, ``error`` (probe error) or ``failed`` for a verdict."""
    if verdict not in VERDICTS:
        raise ValueError("unknown verdict %r" % (verdict,))
    if verdict in ("ok", "intercepted", "skipped"):
        return verdict
    if verdict == PROBE_ERROR:
        return "error"
    return "failed"


def category_of(verdict):
    """The readiness category: ok, intercepted, dns (name resolution), blocked (network path), skipped or error."""
    if verdict in DNS_VERDICTS:
        return "dns"
    if verdict in BLOCKED_VERDICTS:
        return "blocked"
    if verdict in ("ok", "intercepted", "skipped"):
        return verdict
    if verdict == PROBE_ERROR:
        return "error"
    raise ValueError("unknown verdict %r" % (verdict,))


def summarize(results):
    summary = {"total": len(results)}
    summary.update((status, 0) for status in STATUSES)
    for result in results:
        summary[result["status"]] += 1
    return summary


def _label(target):
    host = target.get("host") or target.get("pattern") or "?"
    return "%s:%s/%s" % (host, target.get("port"), target.get("protocol"))


def failure_message(results, fail_on):
    """The task failure message for ``fail_on`` (``never``, ``any``, ``required``), or None."""
    if fail_on == "never":
        return None
    # A probe error fails the task like a failure: nothing was learnt about that target.
    bad = [r for r in results if r["status"] in ("failed", "intercepted", "error")]
    if fail_on == "required":
        bad = [r for r in bad if r["target"].get("required")]
    if not bad:
        return None
    which = "required target" if fail_on == "required" else "target"
    lines = ["%s: %s (%s)" % (_label(r["target"]), r["verdict"], r["message"]) for r in bad]
    return "%d %s%s of %d failed or intercepted: %s" % (
        len(bad), which, "" if len(bad) == 1 else "s", len(results), "; ".join(lines))
