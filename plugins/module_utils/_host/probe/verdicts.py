# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Verdicts of an endpoint probe, their status and category, and the run summary.

:data:`VERDICT_CATEGORY` is the one table of verdict -> readiness category; the probe and the
readiness report both read it. :data:`CATEGORY_STATUS` turns a category into a result's status.
"""

from __future__ import annotations

# A bug in the probe (an exception that is not a network error): no answer from the network at all.
PROBE_ERROR = "probe_error"

# Verdict -> category: dns (name resolution), blocked (network path), intercepted, ok, skipped or error.
VERDICT_CATEGORY = {
    "ok": "ok",
    "nxdomain": "dns",
    "servfail": "dns",
    "no_answer": "dns",
    "dns_timeout": "dns",
    "sinkhole": "dns",
    "refused": "blocked",
    "timeout": "blocked",
    "tls_error": "blocked",
    "untrusted": "blocked",
    "pin_mismatch": "blocked",
    "http_unexpected_status": "blocked",
    "proxy_denied": "blocked",
    "proxy_error": "blocked",
    "ntp_no_reply": "blocked",
    "ntp_invalid": "blocked",
    "intercepted": "intercepted",
    "skipped": "skipped",
    PROBE_ERROR: "error",
}
# Category -> status of the result: dns and blocked targets failed.
CATEGORY_STATUS = {
    "ok": "ok",
    "intercepted": "intercepted",
    "blocked": "failed",
    "dns": "failed",
    "skipped": "skipped",
    "error": "error",
}

VERDICTS = tuple(VERDICT_CATEGORY)
DNS_VERDICTS = tuple(v for v, category in VERDICT_CATEGORY.items() if category == "dns")
BLOCKED_VERDICTS = tuple(v for v, category in VERDICT_CATEGORY.items() if category == "blocked")
STATUSES = ("ok", "failed", "intercepted", "skipped", "error")
CATEGORIES = ("ok", "intercepted", "blocked", "dns", "skipped", "error")


def category_of(verdict):
    """The readiness category: ok, intercepted, dns (name resolution), blocked (network path), skipped or error."""
    if verdict not in VERDICTS:
        raise ValueError("unknown verdict %r" % (verdict,))
    return VERDICT_CATEGORY[verdict]


def status_of(verdict):
    """``ok``, ``intercepted``, ``skipped``, ``error`` (probe error) or ``failed`` for a verdict."""
    return CATEGORY_STATUS[category_of(verdict)]


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
