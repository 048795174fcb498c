"""Report periods: [start, end) in the company time zone, named (today, yesterday, this
week from Monday, this calendar month) or given as dates. The local days are turned into
UTC bounds once, here, so that everything else compares moments in UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PERIOD_NAMES = ("today", "yesterday", "week", "month")


class PeriodError(ValueError):
    """A period that cannot be reported on; the message says what is expected."""


@dataclass(frozen=True)
class Period:
    name: str  # today, yesterday, week, month, dates
    first_day: date  # local, inclusive
    last_day: date  # local, inclusive
    start: datetime  # UTC
    end: datetime  # UTC, exclusive

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end


def period_between(first: date, last: date, zone: ZoneInfo, name: str = "dates") -> Period:
    if last < first:
        raise PeriodError("the last day comes before the first")
    if (last - first).days > 366:
        raise PeriodError("a period is at most 366 days long")
    start = datetime.combine(first, time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    return Period(name, first, last, start, end)


def period_named(name: str, now: datetime, zone: ZoneInfo) -> Period:
    """today, yesterday, week (Monday to Sunday) or month, around `now` in `zone`."""
    today = now.astimezone(zone).date()
    if name == "today":
        return period_between(today, today, zone, name)
    if name == "yesterday":
        day = today - timedelta(days=1)
        return period_between(day, day, zone, name)
    if name == "week":
        monday = today - timedelta(days=today.weekday())
        return period_between(monday, monday + timedelta(days=6), zone, name)
    if name == "month":
        first = today.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return period_between(first, following - timedelta(days=1), zone, name)
    raise PeriodError(f"unknown period {name!r}, expected one of {', '.join(PERIOD_NAMES)}")


def parse_period(
    name: str | None, first: str | None, last: str | None, now: datetime, zone: ZoneInfo
) -> Period:
    """A named period, or dates given as YYYY-MM-DD (`last` defaults to `first`)."""
    if first:
        try:
            start_day = date.fromisoformat(first)
            end_day = date.fromisoformat(last) if last else start_day
        except ValueError:
            raise PeriodError("dates: expected YYYY-MM-DD") from None
        return period_between(start_day, end_day, zone)
    return period_named(name or "today", now, zone)
