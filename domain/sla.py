"""When a lead's timers fire: first-response reminder and breach, time allowed per stage.

Everything is computed from timestamps, so a restart loses nothing and a tick that runs
twice finds the same answer (the caller records what fired, once per lead and kind).

With the company's working hours given, the clocks run only in working time on the
production calendar (domain/hours.py): a lead written at 17:55 before the New Year
holidays with a one-hour SLA falls due on the first working morning after them. A stage
named in `pause_in_stages` stops its clock while the lead waits for the customer's reply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.hours import WorkingHours

STAGE_REMINDER_SHARE = 0.8


@dataclass(frozen=True)
class SlaPolicy:
    first_response: timedelta
    first_response_reminder: timedelta
    stage_limits: dict[str, timedelta] = field(default_factory=dict)
    # None: the clocks run day and night (wall-clock time).
    hours: WorkingHours | None = None
    pause_in_stages: frozenset[str] = frozenset()

    def later(self, start: datetime, span: timedelta) -> datetime:
        if self.hours is None:
            return start + span
        # A schedule with no working time at all: the wall clock rather than never.
        return self.hours.add(start, span) or start + span

    def after_working_time(self, start: datetime, span: timedelta) -> datetime:
        if self.hours is None:
            return start + span
        return self.hours.add_working_time(start, span) or start + span

    def share(self, start: datetime, end: datetime, share: float) -> datetime:
        """The moment `share` of the way from start to end, counted in working time."""
        if self.hours is None:
            return start + (end - start) * share
        span = self.hours.working_time_between(start, end) * share
        return self.hours.add_working_time(start, span) or start + (end - start) * share

    def working_time(self, start: datetime, end: datetime) -> timedelta:
        if self.hours is None:
            return max(end - start, timedelta(0))
        return self.hours.working_time_between(start, end)


@dataclass(frozen=True)
class LeadClock:
    created_at: datetime
    status: str
    stage_entered_at: datetime
    first_response_at: datetime | None
    is_open: bool = True
    # Since when the lead waits for the customer's reply in a pausing stage (None: not).
    paused_since: datetime | None = None
    # Working time the stage's clock stood still in earlier waits in this stage.
    paused_for: timedelta = timedelta(0)


def is_breach(kind: str) -> bool:
    """A missed deadline (first response, a stage), by a fired timer's kind: still news to
    the head after someone took the lead, unlike "nobody takes it", which taking answers."""
    return kind.endswith("_breach")


@dataclass(frozen=True)
class Timer:
    kind: str  # first_response_reminder, first_response_breach, stage_reminder, stage_breach
    key: str  # unique per lead: the same timer never fires twice
    at: datetime
    escalate: bool  # a breach goes to the head; a reminder to the manager


def planned_timers(lead: LeadClock, policy: SlaPolicy) -> list[Timer]:
    if not lead.is_open:
        return []
    timers: list[Timer] = []
    if lead.first_response_at is None:
        breach = policy.later(lead.created_at, policy.first_response)
        remind = policy.later(lead.created_at, policy.first_response_reminder)
        if remind < breach:
            timers.append(
                Timer("first_response_reminder", "first_response_reminder", remind, False)
            )
        timers.append(Timer("first_response_breach", "first_response_breach", breach, True))
    limit = policy.stage_limits.get(lead.status)
    paused = lead.status in policy.pause_in_stages and lead.paused_since is not None
    if limit is not None and not paused:
        # Re-entering a stage starts its clock again, hence the time in the key.
        stamp = int(lead.stage_entered_at.timestamp())
        start = lead.stage_entered_at
        if lead.status in policy.pause_in_stages and lead.paused_for > timedelta(0):
            # The waits so far push the clock's start on by as much working time.
            start = policy.after_working_time(start, lead.paused_for)
        breach = policy.later(start, limit)
        timers.append(
            Timer(
                "stage_reminder",
                f"stage_reminder:{lead.status}:{stamp}",
                policy.share(start, breach, STAGE_REMINDER_SHARE),
                False,
            )
        )
        timers.append(Timer("stage_breach", f"stage_breach:{lead.status}:{stamp}", breach, True))
    return sorted(timers, key=lambda timer: timer.at)


def due_timers(
    lead: LeadClock, policy: SlaPolicy, now: datetime, fired: set[str]
) -> tuple[list[Timer], datetime | None]:
    """Timers to fire now (not fired before) and when the next one is due."""
    plan = [timer for timer in planned_timers(lead, policy) if timer.key not in fired]
    due = [timer for timer in plan if timer.at <= now]
    # A reminder that comes after its own breach is pointless.
    breached = {timer.kind.replace("_breach", "") for timer in due if timer.escalate}
    due = [t for t in due if t.escalate or t.kind.replace("_reminder", "") not in breached]
    later = [timer.at for timer in plan if timer.at > now]
    return due, min(later) if later else None
