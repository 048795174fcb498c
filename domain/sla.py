"""When a lead's timers fire: first-response reminder and breach, time allowed per stage.

Everything is computed from timestamps, so a restart loses nothing and a tick that runs
twice finds the same answer (the caller records what fired, once per lead and kind).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

STAGE_REMINDER_SHARE = 0.8


@dataclass(frozen=True)
class SlaPolicy:
    first_response: timedelta
    first_response_reminder: timedelta
    stage_limits: dict[str, timedelta] = field(default_factory=dict)


@dataclass(frozen=True)
class LeadClock:
    created_at: datetime
    status: str
    stage_entered_at: datetime
    first_response_at: datetime | None
    is_open: bool = True


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
        breach = lead.created_at + policy.first_response
        remind = lead.created_at + policy.first_response_reminder
        if remind < breach:
            timers.append(
                Timer("first_response_reminder", "first_response_reminder", remind, False)
            )
        timers.append(Timer("first_response_breach", "first_response_breach", breach, True))
    limit = policy.stage_limits.get(lead.status)
    if limit is not None:
        # Re-entering a stage starts its clock again, hence the time in the key.
        stamp = int(lead.stage_entered_at.timestamp())
        timers.append(
            Timer(
                "stage_reminder",
                f"stage_reminder:{lead.status}:{stamp}",
                lead.stage_entered_at + limit * STAGE_REMINDER_SHARE,
                False,
            )
        )
        timers.append(
            Timer(
                "stage_breach",
                f"stage_breach:{lead.status}:{stamp}",
                lead.stage_entered_at + limit,
                True,
            )
        )
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
