"""Working hours: is a person or the team on shift now, and when are they back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


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

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.zone)
        today = local.weekday()
        clock = local.time()
        for shift in self.days.get(today, ()):
            if shift.overnight():
                if clock >= shift.start:
                    return True
            elif shift.start <= clock < shift.end:
                return True
        for shift in self.days.get((today - 1) % 7, ()):
            if shift.overnight() and clock < shift.end:
                return True
        return False

    def next_open(self, at: datetime) -> datetime | None:
        """The first moment at or after `at` when a shift is running; None if never."""
        if self.is_open(at):
            return at
        local = at.astimezone(self.zone)
        for offset in range(0, 8):
            day = local.date() + timedelta(days=offset)
            starts = sorted(shift.start for shift in self.days.get(day.weekday(), ()))
            for start in starts:
                moment = datetime.combine(day, start, tzinfo=self.zone)
                if moment >= local:
                    return moment.astimezone(at.tzinfo)
        return None

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
