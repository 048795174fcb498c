"""domain.hours: shifts, days off, overnight shifts and time zones."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from domain.hours import WEEKDAYS, Shift, WorkingHours, parse_shift

# 2026-01-05 is a Monday.
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
NINE_TO_SIX = (Shift(time(9), time(18)),)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


def office(zone: str) -> WorkingHours:
    return WorkingHours(zone, {day: NINE_TO_SIX for day in (MON, TUE, WED, THU, FRI)})


def test_weekdays_start_on_monday() -> None:
    assert WEEKDAYS == ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    assert utc(5, 12).weekday() == MON


# --- parse_shift -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("09:00-18:00", time(9), time(18)),
        (" 09:00 - 18:00 ", time(9), time(18)),
        ("22:00-06:00", time(22), time(6)),
        ("00:00-00:00", time(0), time(0)),
        ("09:30-13:15", time(9, 30), time(13, 15)),
    ],
)
def test_parse_shift(text: str, start: time, end: time) -> None:
    assert parse_shift(text) == Shift(start, end)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "09:00",
        "9-18",
        "09:00-",
        "-18:00",
        "09:00-18:00-20:00",
        "25:00-26:00",
        "nine-six",
        "09:00–18:00",
    ],
)
def test_parse_shift_rejects_with_an_example(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_shift(text)
    assert str(caught.value) == f"expected a shift like 09:00-18:00, got {text!r}"
    assert caught.value.__suppress_context__ is True


def test_parse_shift_rejects_times_with_an_offset() -> None:
    with pytest.raises(ValueError):
        parse_shift("09:00Z-18:00Z")


@pytest.mark.parametrize(
    ("shift", "overnight"),
    [
        (Shift(time(9), time(18)), False),
        (Shift(time(22), time(6)), True),
        (Shift(time(18), time(0)), True),
        (Shift(time(0), time(0)), True),  # a whole day
    ],
)
def test_shift_overnight(shift: Shift, overnight: bool) -> None:
    assert shift.overnight() is overnight


# --- is_open / next_open in DST-free zones ---------------------------------------------------


@pytest.mark.parametrize(
    ("at", "is_open", "next_open"),
    [
        # Europe/Moscow is UTC+3 all year.
        (utc(5, 6, 0), True, utc(5, 6, 0)),  # Mon 09:00 MSK, first minute
        (utc(5, 5, 59), False, utc(5, 6, 0)),  # Mon 08:59 MSK
        (utc(5, 14, 59), True, utc(5, 14, 59)),  # Mon 17:59 MSK
        (utc(5, 15, 0), False, utc(6, 6, 0)),  # Mon 18:00 MSK: end is exclusive
        (utc(9, 15, 0), False, utc(12, 6, 0)),  # Fri 18:00 MSK → next Monday
        (utc(10, 12, 0), False, utc(12, 6, 0)),  # Saturday
        (utc(11, 20, 59), False, utc(12, 6, 0)),  # Sun 23:59 MSK
        (utc(11, 21, 0), False, utc(12, 6, 0)),  # Sun 21:00 UTC is already Mon 00:00 MSK
        (utc(11, 23, 0), False, utc(12, 6, 0)),
    ],
)
def test_moscow_office(at: datetime, is_open: bool, next_open: datetime) -> None:
    hours = office("Europe/Moscow")
    assert hours.is_open(at) is is_open
    assert hours.next_open(at) == next_open


@pytest.mark.parametrize(
    ("at", "is_open", "next_open"),
    [
        # Asia/Yekaterinburg is UTC+5 all year; Mon-Fri 10-19 and Sat 10-14.
        (utc(5, 5, 0), True, utc(5, 5, 0)),  # Mon 10:00 YEKT
        (utc(5, 4, 59), False, utc(5, 5, 0)),
        (utc(5, 14, 0), False, utc(6, 5, 0)),  # Mon 19:00 YEKT
        (utc(10, 8, 59), True, utc(10, 8, 59)),  # Sat 13:59 YEKT
        (utc(10, 9, 0), False, utc(12, 5, 0)),  # Sat 14:00 YEKT → Monday
        (utc(9, 20, 0), False, utc(10, 5, 0)),  # Sat 01:00 YEKT → Sat 10:00
    ],
)
def test_yekaterinburg_manager(at: datetime, is_open: bool, next_open: datetime) -> None:
    days = {day: (Shift(time(10), time(19)),) for day in (MON, TUE, WED, THU, FRI)}
    days[SAT] = (Shift(time(10), time(14)),)
    hours = WorkingHours("Asia/Yekaterinburg", days)
    assert hours.is_open(at) is is_open
    assert hours.next_open(at) == next_open


def test_same_instant_differs_by_zone() -> None:
    at = utc(5, 5, 30)  # Mon 08:30 in Moscow, 10:30 in Yekaterinburg, 05:30 in UTC
    assert office("Europe/Moscow").is_open(at) is False
    assert office("Asia/Yekaterinburg").is_open(at) is True
    assert office("UTC").is_open(at) is False
    assert office("Europe/Moscow").next_open(at) == utc(5, 6, 0)
    assert office("UTC").next_open(at) == utc(5, 9, 0)


def test_next_open_keeps_the_callers_time_zone() -> None:
    yekaterinburg = ZoneInfo("Asia/Yekaterinburg")
    at = datetime(2026, 1, 10, 12, 0, tzinfo=yekaterinburg)  # Sat
    found = office("Europe/Moscow").next_open(at)
    assert found == datetime(2026, 1, 12, 11, 0, tzinfo=yekaterinburg)  # Mon 09:00 MSK
    assert found is not None and found.tzinfo is yekaterinburg
    assert found.hour == 11


def test_next_open_returns_the_same_moment_when_open() -> None:
    at = utc(7, 10)
    assert office("Europe/Moscow").next_open(at) is at


def test_next_open_at_the_exact_start_of_a_shift() -> None:
    assert office("UTC").next_open(utc(5, 9)) == utc(5, 9)


def test_next_open_in_a_dst_zone_uses_the_offset_of_that_day() -> None:
    hours = office("Europe/Berlin")
    # Winter: CET = UTC+1.
    assert hours.next_open(utc(3, 12)) == utc(5, 8)
    # Europe switches to CEST (UTC+2) on Sunday 2026-03-29.
    assert hours.next_open(datetime(2026, 3, 28, 12, tzinfo=UTC)) == datetime(
        2026, 3, 30, 7, tzinfo=UTC
    )


# --- overnight shifts, several shifts a day, days off ---------------------------------------


@pytest.mark.parametrize(
    ("at", "is_open", "next_open"),
    [
        (utc(9, 21, 59), False, utc(9, 22, 0)),  # Fri before the shift
        (utc(9, 22, 0), True, utc(9, 22, 0)),
        (utc(9, 23, 59), True, utc(9, 23, 59)),
        (utc(10, 0, 0), True, utc(10, 0, 0)),  # Sat after midnight: Friday's shift
        (utc(10, 5, 59), True, utc(10, 5, 59)),
        (utc(10, 6, 0), False, utc(16, 22, 0)),  # Sat 06:00: over, next Friday
        (utc(8, 3, 0), False, utc(9, 22, 0)),  # Thu night is not a shift
    ],
)
def test_overnight_friday_shift(at: datetime, is_open: bool, next_open: datetime) -> None:
    hours = WorkingHours("UTC", {FRI: (Shift(time(22), time(6)),)})
    assert hours.is_open(at) is is_open
    assert hours.next_open(at) == next_open


def test_overnight_shift_from_sunday_runs_into_monday() -> None:
    hours = WorkingHours("UTC", {SUN: (Shift(time(22), time(2)),)})
    assert hours.is_open(utc(11, 23)) is True  # Sun 23:00
    assert hours.is_open(utc(12, 1, 59)) is True  # Mon 01:59
    assert hours.is_open(utc(12, 2)) is False
    assert hours.is_open(utc(5, 1)) is True  # Mon 5th: the Sunday before (4th)
    assert hours.next_open(utc(12, 2)) == utc(18, 22)


def test_shift_ending_at_midnight() -> None:
    hours = WorkingHours("UTC", {MON: (Shift(time(18), time(0)),)})
    assert hours.is_open(utc(5, 17, 59)) is False
    assert hours.is_open(utc(5, 18)) is True
    assert hours.is_open(utc(5, 23, 59)) is True
    assert hours.is_open(utc(6, 0)) is False


def test_several_shifts_on_one_day() -> None:
    hours = WorkingHours("UTC", {SAT: (Shift(time(14), time(16)), Shift(time(10), time(13)))})
    assert hours.is_open(utc(10, 10)) is True
    assert hours.is_open(utc(10, 13)) is False
    assert hours.next_open(utc(10, 13, 30)) == utc(10, 14)
    assert hours.next_open(utc(10, 8)) == utc(10, 10)  # earliest start, whatever the order
    assert hours.next_open(utc(10, 16)) == utc(17, 10)


def test_a_day_off_listed_as_an_empty_tuple() -> None:
    hours = WorkingHours("UTC", {MON: (), TUE: NINE_TO_SIX})
    assert hours.is_open(utc(5, 10)) is False
    assert hours.next_open(utc(5, 10)) == utc(6, 9)


def test_later_same_weekday_is_found_a_week_ahead() -> None:
    hours = WorkingHours("UTC", {MON: (Shift(time(9), time(10)),)})
    assert hours.next_open(utc(5, 10)) == utc(12, 9)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Moscow", "Asia/Yekaterinburg"])
@pytest.mark.parametrize("days", [{}, {MON: ()}, {day: () for day in range(7)}])
def test_week_without_shifts_is_never_open(zone: str, days: dict) -> None:
    hours = WorkingHours(zone, days)
    for day in range(5, 12):
        assert hours.is_open(utc(day, 12)) is False
    assert hours.next_open(utc(5, 12)) is None


@pytest.mark.parametrize("at", [utc(5, 0), utc(7, 12, 34), utc(11, 23, 59)])
def test_always_open(at: datetime) -> None:
    hours = WorkingHours.always()
    assert hours.timezone == "UTC"
    assert hours.is_open(at) is True
    assert hours.next_open(at) == at


def test_default_working_hours_are_utc_and_closed() -> None:
    hours = WorkingHours()
    assert hours.timezone == "UTC"
    assert hours.zone == ZoneInfo("UTC")
    assert hours.next_open(utc(5, 12)) is None
