"""The production calendar, pure: holidays and transferred working days in the shifts, the
SLA's working-time arithmetic, quiet holidays, the YAML section and its mistakes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.business import ConfigError, parse_config
from domain.calendar import WorkCalendar
from domain.followups import QuietHours
from domain.hours import Shift, WorkingHours
from domain.sla import LeadClock, SlaPolicy, planned_timers

MSK = ZoneInfo("Europe/Moscow")
OFFICE = {day: (Shift(time(9), time(18)),) for day in range(5)}


def ru_hours(**calendar: object) -> WorkingHours:
    config = parse_config(
        {
            "company": {"timezone": "Europe/Moscow", "working_hours": {"mon-fri": "09:00-18:00"}},
            "calendar": {"country": "ru", **calendar},
        }
    )
    return config.hours()


def msk(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=MSK)


@pytest.mark.parametrize(
    ("written", "due"),
    [
        # 31 Dec 2025 and 1-11 Jan 2026 are days off (9 Jan by the decree's transfer).
        (msk(2025, 12, 30, 17, 55), msk(2026, 1, 12, 9, 55)),
        # 31 Dec 2026 and 1-10 Jan 2027.
        (msk(2026, 12, 30, 17, 55), msk(2027, 1, 11, 9, 55)),
    ],
)
def test_one_hour_sla_before_new_year_falls_due_in_january(
    written: datetime, due: datetime
) -> None:
    policy = SlaPolicy(timedelta(hours=1), timedelta(minutes=50), hours=ru_hours())
    clock = LeadClock(written, "new", written, None)
    breach = next(t for t in planned_timers(clock, policy) if t.kind == "first_response_breach")
    assert breach.at == due


def test_transferred_saturday_works_and_its_monday_rests() -> None:
    hours = ru_hours()
    assert hours.is_open(msk(2025, 11, 1, 10, 0))  # Saturday made a working day
    assert not hours.is_open(msk(2025, 11, 8, 10, 0))  # an ordinary Saturday
    assert not hours.is_open(msk(2025, 11, 3, 10, 0))  # the day off given for it
    assert not hours.is_open(msk(2025, 11, 4, 10, 0))  # Unity Day
    assert hours.next_open(msk(2025, 11, 1, 18, 30)) == msk(2025, 11, 5, 9, 0)
    assert hours.is_open(msk(2027, 2, 20, 12, 0))  # 2027's working Saturday


def test_the_yaml_adds_days_and_country_none_turns_it_off() -> None:
    own = ru_hours(extra_holidays=["2026-01-13"], extra_working_days=["2026-01-09"])
    assert own.is_open(msk(2026, 1, 9, 10, 0))  # a public day off the company works
    assert not own.is_open(msk(2026, 1, 13, 10, 0))  # the company's own day off
    plain = parse_config({"calendar": {"country": "none"}}).hours()
    assert plain.calendar.country is None
    assert plain.is_open(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))  # 12:00 in Moscow


def test_the_default_is_russia(monkeypatch: pytest.MonkeyPatch) -> None:
    from config import calendar

    monkeypatch.setattr(calendar, "DEFAULT_COUNTRY", "ru")
    assert parse_config({}).work_calendar().is_holiday(date(2026, 5, 1))


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"country": "atlantis"}, "calendar.country: unknown country 'atlantis'"),
        (
            {
                "country": "ru",
                "extra_holidays": ["2026-03-02"],
                "extra_working_days": ["2026-03-02"],
            },
            "2026-03-02 is listed both",
        ),
        ({"extra_holidays": ["31.12.2026"]}, "calendar.extra_holidays[0]"),
    ],
)
def test_calendar_mistakes_are_named(section: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_config({"calendar": section})


def test_pausing_stage_stops_and_shifts_its_clock() -> None:
    hours = WorkingHours("Europe/Moscow", OFFICE)
    policy = SlaPolicy(
        timedelta(minutes=30),
        timedelta(minutes=20),
        {"proposal": timedelta(hours=2)},
        hours=hours,
        pause_in_stages=frozenset({"proposal"}),
    )
    entered = msk(2026, 1, 14, 10, 0)
    base = LeadClock(entered, "proposal", entered, entered)
    assert [t.at for t in planned_timers(base, policy) if t.kind == "stage_breach"] == [
        msk(2026, 1, 14, 12, 0)
    ]
    waiting = LeadClock(entered, "proposal", entered, entered, paused_since=entered)
    assert planned_timers(waiting, policy) == []
    waited = LeadClock(entered, "proposal", entered, entered, paused_for=timedelta(hours=7))
    # Seven working hours waited: 17:00, then the two hours run into the next morning.
    assert [t.at for t in planned_timers(waited, policy) if t.kind == "stage_breach"] == [
        msk(2026, 1, 15, 10, 0)
    ]


def test_stage_limit_in_days_counts_working_days() -> None:
    policy = SlaPolicy(
        timedelta(minutes=30), timedelta(minutes=20), {"qualified": timedelta(days=1)}, ru_hours()
    )
    friday = msk(2026, 3, 6, 15, 0)  # Monday 9 March is the day off for 8 March
    clock = LeadClock(friday, "qualified", friday, friday)
    breach = next(t for t in planned_timers(clock, policy) if t.kind == "stage_breach")
    assert breach.at == msk(2026, 3, 10, 15, 0)


def test_quiet_holidays_wait_for_the_next_ordinary_morning() -> None:
    quiet = QuietHours(time(21), time(9), frozenset({date(2026, 5, 1)}))
    zone = "Europe/Moscow"
    assert quiet.next_allowed(msk(2026, 5, 1, 12, 0), zone) == msk(2026, 5, 2, 9, 0)
    assert quiet.next_allowed(msk(2026, 4, 30, 22, 0), zone) == msk(2026, 5, 2, 9, 0)
    plain = QuietHours(time(21), time(9))
    at = msk(2026, 5, 1, 12, 0)
    assert plain.next_allowed(at, zone) == at


def test_quiet_on_holidays_is_off_unless_asked() -> None:
    holidays = frozenset({date(2026, 5, 1)})
    assert parse_config({}).followups.quiet(holidays).days_off == frozenset()
    asked = parse_config({"followups": {"quiet_on_holidays": True}})
    assert asked.followups.quiet(holidays).days_off == holidays


_HOURS = WorkingHours(
    "Europe/Moscow",
    {**OFFICE, 5: (Shift(time(22), time(2)),)},  # a Saturday night shift over midnight
    WorkCalendar(frozenset({date(2026, 1, 7), date(2026, 1, 8)}), frozenset({date(2026, 1, 11)})),
)
_STARTS = st.datetimes(
    min_value=datetime(2025, 12, 1), max_value=datetime(2026, 2, 1), timezones=st.just(UTC)
)
_SPANS = st.integers(min_value=0, max_value=60 * 60).map(lambda m: timedelta(minutes=m))


@given(_STARTS, _SPANS, _SPANS)
def test_working_time_adds_up(start: datetime, first: timedelta, second: timedelta) -> None:
    middle = _HOURS.add_working_time(start, first)
    assert middle is not None
    assert _HOURS.add_working_time(middle, second) == _HOURS.add_working_time(start, first + second)
    assert _HOURS.working_time_between(start, middle) == first
    if first > timedelta(0):
        # The clock only runs on shift: the moment it reaches lies in working time.
        assert _HOURS.is_open(middle - timedelta(microseconds=1))


@given(_STARTS)
def test_next_open_is_open_and_nothing_before_it(start: datetime) -> None:
    opened = _HOURS.next_open(start)
    assert opened is not None and _HOURS.is_open(opened)
    assert _HOURS.working_time_between(start, opened) == timedelta(0)
