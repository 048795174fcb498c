"""A channel's health: what a probe of the platform found, and when an outage is worth
one word to the head (and one more when it is over).

A problem seen by a probe starts an outage. It is told to the heads once, when it has
lasted `fail_after` (and, if so configured, only while the company is open: a night's
outage is told in the morning if it still lasts). Its end is told once, and only when
its start was. A problem that changes its kind during an outage is the same outage."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from domain.hours import WorkingHours


class Problem(StrEnum):
    TOKEN = "token"  # the platform refuses the channel's token or keys
    LOGIN = "login"  # the mail server refuses the login or the password
    WEBHOOK_MISSING = "webhook_missing"  # our webhook or subscription is gone, not restored
    WEBHOOK_ELSEWHERE = "webhook_elsewhere"  # the platform sends our updates to another URL
    WEBHOOK_ERRORS = "webhook_errors"  # the platform cannot deliver to our webhook
    POLLING = "polling"  # fetching updates fails
    SENDS = "sends"  # outgoing messages are refused (401/403: credentials)
    UNREACHABLE = "unreachable"  # the platform does not answer (network, 5xx, timeout)
    SILENT = "silent"  # nothing has come in for abnormally long


class Say(StrEnum):
    NOTHING = "nothing"
    ALERT = "alert"
    RECOVERED = "recovered"


@dataclass(frozen=True)
class Found:
    """What one look at a channel found: a problem (None: healthy) with the platform's own
    words, and what the probe repaired by itself (a webhook registered again)."""

    problem: Problem | None = None
    detail: str = ""
    repaired: str = ""

    @property
    def ok(self) -> bool:
        return self.problem is None


HEALTHY = Found()


@dataclass(frozen=True)
class State:
    problem: Problem | None = None
    detail: str = ""
    failing_since: datetime | None = None
    # The heads were told about the current outage.
    alerted: bool = False
    # Outages told so far: the key of each alert and its "recovered", sent once each.
    outages: int = 0


@dataclass(frozen=True)
class Rules:
    fail_after: timedelta = timedelta(minutes=5)
    # Alerts wait for these hours (None: any time).
    hours: WorkingHours | None = None


def worst(*found: Found) -> Found:
    """The first problem among several looks (the probe, the polling loop, the sends)."""
    for item in found:
        if not item.ok:
            return item
    repaired = "; ".join(item.repaired for item in found if item.repaired)
    return Found(repaired=repaired)


def step(state: State, found: Found, now: datetime, rules: Rules) -> tuple[State, Say]:
    """The state after this look, and what to tell the heads."""
    if found.ok:
        cleared = State(outages=state.outages)
        return cleared, Say.RECOVERED if state.alerted else Say.NOTHING
    since = state.failing_since if state.problem is not None and state.failing_since else now
    failing = replace(state, problem=found.problem, detail=found.detail, failing_since=since)
    if state.alerted:
        return failing, Say.NOTHING
    lasted = now - since >= rules.fail_after
    open_now = rules.hours is None or rules.hours.is_open(now)
    if lasted and open_now:
        return replace(failing, alerted=True, outages=state.outages + 1), Say.ALERT
    return failing, Say.NOTHING


def silence(
    last_inbound: datetime | None, watched_since: datetime, now: datetime, limit: timedelta | None
) -> Found:
    """Nothing has come in on the channel for longer than `limit` (None: not watched)."""
    if limit is None:
        return HEALTHY
    last = max(last_inbound, watched_since) if last_inbound else watched_since
    if now - last <= limit:
        return HEALTHY
    hours = int((now - last).total_seconds() // 3600)
    return Found(Problem.SILENT, f"nothing received for {hours} h")
