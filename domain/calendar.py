"""The production calendar: the dates on which the weekly schedule does not hold.

A public holiday is a day off even when it falls on a working weekday; a transferred
working day (in Russia, a Saturday the government's decree makes a working day in
exchange for a day off next to a holiday) is worked even though the week has it off.
Everything else follows the weekly schedule. Pure data: config/calendar.py fills it from
the `holidays` library and the YAML's own additions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()
    # What the calendar is, for /team and logs: a country code, or None when switched off.
    country: str | None = None

    def is_holiday(self, day: date) -> bool:
        return day in self.holidays

    def is_transferred_working_day(self, day: date) -> bool:
        return day in self.working_days

    @classmethod
    def none(cls) -> WorkCalendar:
        return cls()

    @classmethod
    def build(
        cls,
        country: str | None,
        holidays: Iterable[date] = (),
        working_days: Iterable[date] = (),
        *,
        extra_holidays: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
    ) -> WorkCalendar:
        """The country's days with the company's own on top: a company's extra working day
        wins over a public holiday, a company's extra day off over a working Saturday."""
        own_off, own_on = frozenset(extra_holidays), frozenset(extra_working_days)
        clash = own_off & own_on
        if clash:
            raise ValueError(f"{min(clash)} is listed both as a holiday and as a working day")
        return cls(
            holidays=(frozenset(holidays) - own_on) | own_off,
            working_days=(frozenset(working_days) - own_off) | own_on,
            country=country,
        )
