"""Next steps: what a manager agreed to do next on a lead (a call, a message, a meeting, an
offer) and when. Pure: the kinds, the one-tap presets, the timers a step or its absence
starts, and the time a preset means in the team's time zone."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class StepKind(StrEnum):
    CALL = "call"
    MESSAGE = "message"
    MEETING = "meeting"
    OFFER = "offer"  # send a commercial offer


class StepStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    REPLACED = "replaced"  # a newer step took its place
    CANCELLED = "cancelled"  # the lead closed


class Preset(StrEnum):
    """The one-tap times on the card; values are written into buttons already sent."""

    IN_TWO_HOURS = "2h"
    TOMORROW_MORNING = "t10"
    IN_THREE_DAYS = "3d"


class TimerKind(StrEnum):
    """Timed work of next steps, each a row with a due time (values are stored)."""

    REMIND = "remind"  # no next step: the holder is reminded
    HEAD = "head"  # still no next step: the head is pinged once
    DUE = "due"  # the step's time has come: the holder is reminded
    OVERDUE = "overdue"  # not done within the grace: the head is pinged once


# Timers that watch a lead without a step, and those that watch one step.
GAP_TIMERS = (TimerKind.REMIND, TimerKind.HEAD)
STEP_TIMERS = (TimerKind.DUE, TimerKind.OVERDUE)
MORNING = time(10, 0)
NOTE_LENGTH = 500


def preset_time(preset: Preset, now: datetime, zone: ZoneInfo) -> datetime:
    """When a preset falls: «через 2 часа» and «через 3 дня» from now, «завтра 10:00» at
    10:00 on the team's next calendar day (in its time zone), to the minute."""
    if preset is Preset.IN_TWO_HOURS:
        moment = now + timedelta(hours=2)
    elif preset is Preset.IN_THREE_DAYS:
        moment = now + timedelta(days=3)
    else:
        tomorrow = now.astimezone(zone).date() + timedelta(days=1)
        moment = datetime.combine(tomorrow, MORNING, tzinfo=zone)
    return moment.astimezone(now.tzinfo).replace(second=0, microsecond=0)


def is_overdue(due_at: datetime, grace: timedelta, now: datetime) -> bool:
    """Past its time by more than the grace: the head hears of it."""
    return due_at + grace <= now


def day_of(moment: datetime, now: datetime, zone: ZoneInfo) -> int:
    """Days from today to the moment's day, in the team's calendar (0: today)."""
    return (moment.astimezone(zone).date() - now.astimezone(zone).date()).days


def clean_note(text: str | None) -> str | None:
    note = " ".join((text or "").split())[:NOTE_LENGTH]
    return note or None
