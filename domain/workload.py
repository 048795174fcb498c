"""The workload norm: how many minutes a lead of each class takes, how much of that work
came in against the minutes the team is on shift, how many managers that needs, how long
the queue keeps a new customer waiting, and which staff actions fell outside a shift.
Pure; usecases/workload.py reads the rows and usecases/workload_alarm.py tells the head."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from domain.hours import WorkingHours

# What a manager does on a lead himself that counts as work for the overtime check: one
# event each (a reply split into several messages is still one "replied").
STAFF_ACTIONS = (
    "accepted",
    "replied",
    "stage_changed",
    "closed",
    "comment",
    "next_step_set",
    "next_step_changed",
    "next_step_done",
    "amount_set",
)
# An alarm episode ends once the expected wait is back under this share of the SLA, so a
# queue hovering around the limit does not ring again with every lead that comes and goes.
CALM_SHARE = Decimal("0.75")


@dataclass(frozen=True)
class Norm:
    """Minutes of work per lead class; `default` for a class the table does not name
    (the default class's minutes, or None when that is not named either)."""

    minutes: Mapping[str, int]
    default: int | None = None

    def minutes_for(self, lead_class: str | None) -> int:
        if lead_class is not None and lead_class in self.minutes:
            return self.minutes[lead_class]
        if self.default is not None:
            return self.default
        # Validation keeps this from happening with a checked config: the smallest norm
        # keeps the figures honest rather than leaving a lead out.
        return min(self.minutes.values(), default=0)

    def work(self, lead_classes: Iterable[str | None]) -> int:
        return sum(self.minutes_for(name) for name in lead_classes)


def shift_minutes(hours: WorkingHours, start: datetime, end: datetime) -> float:
    """Minutes of `hours`' shifts inside [start, end), overnight shifts and time-zone
    changes included (each shift is laid on its own local day); shifts that overlap (a
    night shift running into the next day's) count their common minutes once."""
    if end <= start:
        return 0.0
    zone = hours.zone
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    pieces: list[tuple[datetime, datetime]] = []
    while day <= last:
        for shift in hours.days.get(day.weekday(), ()):
            begins = datetime.combine(day, shift.start, tzinfo=zone)
            ends_on = day + timedelta(days=1) if shift.overnight() else day
            ends = datetime.combine(ends_on, shift.end, tzinfo=zone)
            # Compared in UTC: aware datetimes of one zone compare by wall time.
            piece = (max(begins, start).astimezone(UTC), min(ends, end).astimezone(UTC))
            if piece[0] < piece[1]:
                pieces.append(piece)
        day += timedelta(days=1)
    total = timedelta(0)
    reached: datetime | None = None
    for begins, ends in sorted(pieces):
        if reached is not None and begins < reached:
            begins = reached
        if ends > begins:
            total += ends - begins
        reached = ends if reached is None else max(reached, ends)
    return total.total_seconds() / 60


def tenths(value: float) -> Decimal:
    """A count of managers as people say it: one decimal, half up (3.125 → 3.1)."""
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Load:
    """Work (minutes by the norm) against shift minutes, for the team or one manager.
    `staffed`: how many managers those shift minutes belong to."""

    work: int
    capacity: float
    staffed: int = 1

    @property
    def percent(self) -> int | None:
        """Work as a share of the shifts, whole per cent; None with no shift at all."""
        if self.capacity <= 0:
            return None
        return int(
            (Decimal(self.work) * 100 / Decimal(str(self.capacity))).quantize(
                Decimal(1), rounding=ROUND_HALF_UP
            )
        )

    @property
    def needed(self) -> Decimal | None:
        """Managers on an average shift of these that the work needs (3.1)."""
        if self.capacity <= 0 or self.staffed <= 0:
            return None
        return tenths(self.work * self.staffed / self.capacity)

    @property
    def more(self) -> Decimal | None:
        """Managers missing (1.1); zero or less when the team has enough."""
        needed = self.needed
        if needed is None:
            return None
        return needed - self.staffed


@dataclass(frozen=True)
class StaffAction:
    manager_id: int
    at: datetime
    type: str


def overtime(actions: Iterable[StaffAction], hours: Mapping[int, WorkingHours]) -> dict[int, int]:
    """Actions per manager done outside his own shift (each action counts once); managers
    with none are left out, and so is anyone whose hours are not given (a head)."""
    counted: dict[int, int] = {}
    for action in actions:
        own = hours.get(action.manager_id)
        if own is None or action.type not in STAFF_ACTIONS or own.is_open(action.at):
            continue
        counted[action.manager_id] = counted.get(action.manager_id, 0) + 1
    return counted


def expected_wait(waiting_minutes: int, on_shift: int) -> timedelta | None:
    """How long the queue keeps a new customer waiting: the waiting leads' minutes shared
    by the managers on shift now; None when nobody is (the queue waits for the morning)."""
    if on_shift <= 0:
        return None
    return timedelta(minutes=waiting_minutes / on_shift)


class AlarmStep(StrEnum):
    START = "start"  # the wait went over the SLA: a new episode, the head is told once
    END = "end"  # the wait is well back within it: the episode is over
    KEEP = "keep"  # nothing changes


def alarm_step(wait: timedelta | None, sla: timedelta, episode_open: bool) -> AlarmStep:
    """What one tick does with the alarm. Nobody on shift changes nothing: the night is
    neither a new episode nor the end of one."""
    if wait is None:
        return AlarmStep.KEEP
    if not episode_open:
        return AlarmStep.START if wait > sla else AlarmStep.KEEP
    calm = sla.total_seconds() * float(CALM_SHARE)
    return AlarmStep.END if wait.total_seconds() <= calm else AlarmStep.KEEP
