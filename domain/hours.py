"""Working hours: is a person or the team on shift now, when are they back, and how much
working time lies between two moments (the SLA counts only that).

The weekly schedule holds except on the production calendar's dates (domain/calendar.py):
a public holiday has no shifts, and a transferred working day is worked like the person's
first working weekday (the decree moves a Monday's work to that Saturday).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.calendar import WorkCalendar

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# How far ahead to look for the next shift: beyond a year of days off there is none.
HORIZON_DAYS = 400


@dataclass(frozen=True)
class Shift:
    start: time
    end: time  # end <= start means the shift runs past midnight

    def overnight(self) -> bool:
        return self.end <= self.start


@dataclass(frozen=True)
class WorkingHours:
    """Shifts per weekday (0 = Monday) in one time zone; a missing day is a day off."""

    timezone: str = "UTC"
    days: dict[int, tuple[Shift, ...]] = field(default_factory=dict)
    calendar: WorkCalendar = field(default_factory=WorkCalendar)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def shifts_on(self, day: date) -> tuple[Shift, ...]:
        """The shifts that start on this local date."""
        if self.calendar.is_holiday(day):
            return ()
        usual = self.days.get(day.weekday(), ())
        if not usual and self.calendar.is_transferred_working_day(day):
            return next((self.days[d] for d in range(7) if self.days.get(d)), ())
        return usual

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.zone)
        clock = local.time()
        for shift in self.shifts_on(local.date()):
            if shift.overnight():
                if clock >= shift.start:
                    return True
            elif shift.start <= clock < shift.end:
                return True
        for shift in self.shifts_on(local.date() - timedelta(days=1)):
            if shift.overnight() and clock < shift.end:
                return True
        return False

    def open_spans(self, since: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The stretches of working time (UTC, in order, not overlapping) that end after
        `since`, the first one cut to start at `since`."""
        since = since.astimezone(UTC)
        first = since.astimezone(self.zone).date() - timedelta(days=1)
        cursor = since
        for offset in range(HORIZON_DAYS):
            day = first + timedelta(days=offset)
            for shift in sorted(self.shifts_on(day), key=lambda s: s.start):
                end_day = day + timedelta(days=1) if shift.overnight() else day
                begin = datetime.combine(day, shift.start, tzinfo=self.zone).astimezone(UTC)
                end = datetime.combine(end_day, shift.end, tzinfo=self.zone).astimezone(UTC)
                begin = max(begin, cursor)
                if end > begin:
                    yield begin, end
                    cursor = end

    def next_open(self, at: datetime) -> datetime | None:
        """The first moment at or after `at` when a shift is running; None if never."""
        if self.is_open(at):
            return at
        for begin, _ in self.open_spans(at):
            return begin.astimezone(at.tzinfo)
        return None

    def add_working_time(self, start: datetime, span: timedelta) -> datetime | None:
        """The moment when `span` of working time has passed since `start`."""
        left = span
        for begin, end in self.open_spans(start):
            if end - begin >= left:
                return (begin + left).astimezone(start.tzinfo)
            left -= end - begin
        return None

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        total = timedelta(0)
        for begin, finish in self.open_spans(start):
            if begin >= end:
                break
            total += min(finish, end) - begin
        return total

    def add_working_days(self, start: datetime, days: int) -> datetime | None:
        """The same local time `days` working days after the first working moment at or
        after `start` (a day of shifts counts, whatever their length), or the next
        working moment after it when that time falls outside the shifts."""
        opened = self.next_open(start)
        if opened is None:
            return None
        local = opened.astimezone(self.zone)
        day, counted = local.date(), 0
        for _ in range(HORIZON_DAYS):
            if counted == days:
                moment = datetime.combine(day, local.time(), tzinfo=self.zone)
                return self.next_open(moment.astimezone(start.tzinfo))
            day += timedelta(days=1)
            if self.shifts_on(day):
                counted += 1
        return None

    def add(self, start: datetime, span: timedelta) -> datetime | None:
        """A duration on this schedule: whole days count working days («3d» in a stage is
        three working days), anything else counts working time («30m» of open shifts)."""
        if span > timedelta(0) and span % timedelta(days=1) == timedelta(0):
            return self.add_working_days(start, span.days)
        return self.add_working_time(start, span)

    @classmethod
    def always(cls) -> WorkingHours:
        full = (Shift(time(0, 0), time(0, 0)),)
        return cls("UTC", {day: full for day in range(7)})


def parse_shift(text: str) -> Shift:
    """`09:00-18:00` → Shift; raises ValueError with a readable reason."""
    try:
        start_text, end_text = (part.strip() for part in text.split("-"))
        start = time.fromisoformat(start_text)
        end = time.fromisoformat(end_text)
    except ValueError:
        raise ValueError(f"expected a shift like 09:00-18:00, got {text!r}") from None
    if start.tzinfo is not None or end.tzinfo is not None:
        raise ValueError(f"a shift is in the person's time zone, write it without one: {text!r}")
    return Shift(start, end)


def week_to_json(days: dict[int, tuple[Shift, ...]]) -> dict[str, list[str]]:
    return {
        WEEKDAYS[day]: [f"{s.start:%H:%M}-{s.end:%H:%M}" for s in shifts]
        for day, shifts in sorted(days.items())
    }


def week_from_json(data: dict[str, list[str]]) -> dict[int, tuple[Shift, ...]]:
    return {
        WEEKDAYS.index(day): tuple(parse_shift(text) for text in shifts)
        for day, shifts in data.items()
    }
