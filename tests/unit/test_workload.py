"""The workload norm as plain rules: shift minutes in a period, the load and the managers
it needs (the issue's 60 leads × 25 min against two 8-hour shifts: 156 %, 3.1 needed, 1.1
more), overtime, the queue's expected wait and the alarm's episodes; their texts; the
`workload:` section of the config."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.business import ConfigError, parse_config
from domain.hours import Shift, WorkingHours
from domain.workload import (
    AlarmStep,
    Load,
    Norm,
    StaffAction,
    alarm_step,
    expected_wait,
    overtime,
    shift_minutes,
)
from texts import Texts
from texts.catalogue import plural_form
from usecases.workload import ManagerLoad, Workload
from usecases.workload_text import decimal_text, workload_lines

MONDAY = datetime(2026, 1, 5, tzinfo=UTC)
NINE_TO_FIVE = WorkingHours("UTC", {day: (Shift(time(9), time(17)),) for day in range(5)})
NBSP = "\u00a0"


def test_the_issues_numbers() -> None:
    norm = Norm({"standard": 25}, 25)
    capacity = 2 * shift_minutes(NINE_TO_FIVE, MONDAY, MONDAY + timedelta(days=1))
    load = Load(norm.work(["standard"] * 60), capacity, staffed=2)
    assert (load.work, load.capacity) == (1500, 960)
    assert load.percent == 156
    assert load.needed == Decimal("3.1") and load.more == Decimal("1.1")
    # 10 leads: 26 %, the team has enough.
    few = Load(norm.work(["standard"] * 10), capacity, staffed=2)
    assert few.percent == 26 and few.more is not None and few.more < 0


def test_the_team_line_in_russian_and_english() -> None:
    per_manager = Load(750, 480)
    workload = Workload(
        Load(1500, 960, staffed=2),
        (ManagerLoad(1, "Иван", per_manager, 1), ManagerLoad(2, "Мария", per_manager, 0)),
    )
    ru = workload_lines(Texts(), "ru", workload)
    assert ru[0] == (
        f"⚖️ Нагрузка 156{NBSP}%, нужно ещё 1,1 менеджера "
        "(работы на 25 ч, в сменах 16 ч: нужно 3,1 менеджера)"
    )
    assert ru[1:] == [
        "<b>Нагрузка по менеджерам:</b>",
        f"Иван: 156{NBSP}% (работы на 750 мин, смена 8 ч), вне смены 1 действие",
        f"Мария: 156{NBSP}% (работы на 750 мин, смена 8 ч)",
    ]
    en = workload_lines(Texts(), "en", workload)
    assert en[0] == (
        "⚖️ Load 156%, 1.1 more managers needed (work for 25 h, shifts of 16 h: 3.1 managers needed)"
    )
    assert workload_lines(Texts(), "ru", workload, manager_id=1) == [
        f"⚖️ Ваша нагрузка: 156{NBSP}% (работы на 750 мин, смена 8 ч), вне смены 1 действие"
    ]


@pytest.mark.parametrize(
    ("work", "expected"),
    [
        (480 * 3, "нужно ещё 1 менеджер"),  # 3.0 needed, two on shift
        (480 * 4, "нужно ещё 2 менеджера"),
        (480 * 7, "нужно ещё 5 менеджеров"),
        (480 * 2 + 240, "нужно ещё 0,5 менеджера"),
        (480 * 2, "менеджеров хватает"),
    ],
)
def test_plural_forms_of_managers_missing(work: int, expected: str) -> None:
    workload = Workload(Load(work, 960, staffed=2), ())
    assert expected in workload_lines(Texts(), "ru", workload)[0]


def test_fractions_take_the_few_form_in_russian() -> None:
    assert plural_form("ru", Decimal("1.1")) == "few"
    assert plural_form("ru", Decimal("21")) == "one"
    assert plural_form("en", Decimal("1.5")) == "many"
    assert decimal_text(Texts(), "ru", Decimal("3.0")) == "3"
    assert decimal_text(Texts(), "en", Decimal("3.1")) == "3.1"


def test_no_shifts_in_the_period() -> None:
    workload = Workload(Load(50, 0, staffed=0), ())
    assert workload_lines(Texts(), "ru", workload) == [
        "⚖️ Нагрузка: работы на 50 мин, а смен в эти дни нет"
    ]
    assert workload_lines(Texts(), "ru", Workload(Load(0, 0, staffed=0), ())) == []


def test_overnight_shifts_and_time_zones() -> None:
    night = WorkingHours("UTC", {0: (Shift(time(22), time(6)),)})
    # Monday 22:00 to Tuesday 06:00: two hours on Monday, six on Tuesday.
    assert shift_minutes(night, MONDAY, MONDAY + timedelta(days=1)) == 120
    assert shift_minutes(night, MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)) == 360
    moscow = WorkingHours("Europe/Moscow", {0: (Shift(time(9), time(18)),)})
    # 09:00–18:00 in Moscow is 06:00–15:00 UTC: half of it before noon UTC.
    assert shift_minutes(moscow, MONDAY, MONDAY + timedelta(hours=12)) == 360


def test_overtime_counts_each_action_once_outside_the_shift() -> None:
    at_22 = MONDAY + timedelta(hours=22)
    at_10 = MONDAY + timedelta(hours=10)
    actions = [
        StaffAction(1, at_22, "replied"),
        StaffAction(1, at_10, "replied"),
        StaffAction(2, at_22, "stage_changed"),
        StaffAction(1, at_22, "message_edited"),  # not an action of the norm
        StaffAction(9, at_22, "replied"),  # a head: no hours given
    ]
    assert overtime(actions, {1: NINE_TO_FIVE, 2: NINE_TO_FIVE}) == {1: 1, 2: 1}


def test_expected_wait_and_the_alarm_episode() -> None:
    sla = timedelta(hours=3)
    wait = expected_wait(60 * 25, 2)
    assert wait == timedelta(minutes=750)
    assert alarm_step(wait, sla, episode_open=False) is AlarmStep.START
    assert alarm_step(wait, sla, episode_open=True) is AlarmStep.KEEP
    calm = expected_wait(10 * 25, 2)
    assert calm == timedelta(minutes=125)
    assert alarm_step(calm, sla, episode_open=False) is AlarmStep.KEEP
    assert alarm_step(calm, sla, episode_open=True) is AlarmStep.END
    # Just under the SLA but not well under it: the episode goes on.
    assert alarm_step(timedelta(minutes=170), sla, episode_open=True) is AlarmStep.KEEP
    # Nobody on shift: no wait to judge, nothing changes.
    assert expected_wait(1500, 0) is None
    assert alarm_step(None, sla, episode_open=True) is AlarmStep.KEEP
    assert alarm_step(None, sla, episode_open=False) is AlarmStep.KEEP


moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
)
shifts = st.builds(
    Shift,
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
)
weeks = st.dictionaries(st.integers(0, 6), st.lists(shifts, max_size=1).map(tuple))
zones = st.sampled_from(["UTC", "Europe/Moscow", "Asia/Yekaterinburg", "America/New_York"])


@given(zones, weeks, moments, st.integers(0, 3 * 24 * 60), st.integers(0, 3 * 24 * 60))
def test_shift_minutes_add_up_and_fit_the_window(
    zone: str, week: dict[int, tuple[Shift, ...]], start: datetime, first: int, second: int
) -> None:
    hours = WorkingHours(zone, week)
    middle = start + timedelta(minutes=first)
    end = middle + timedelta(minutes=second)
    whole = shift_minutes(hours, start, end)
    assert 0 <= whole <= first + second + 1e-6
    parts = shift_minutes(hours, start, middle) + shift_minutes(hours, middle, end)
    assert abs(whole - parts) < 1e-6


@given(zones, weeks, moments)
def test_a_moment_is_on_shift_when_its_minute_counts(
    zone: str, week: dict[int, tuple[Shift, ...]], at: datetime
) -> None:
    hours = WorkingHours(zone, week)
    at = at.replace(second=0, microsecond=0)
    assert (shift_minutes(hours, at, at + timedelta(minutes=1)) == 1) == hours.is_open(at)


@given(st.integers(0, 100_000), st.integers(1, 50), st.integers(1, 24 * 60))
def test_load_and_managers_needed_agree(work: int, staffed: int, shift: int) -> None:
    load = Load(work, staffed * shift, staffed)
    assert load.percent is not None and load.needed is not None and load.more is not None
    exact = Decimal(work) / Decimal(shift)
    assert abs(load.needed - exact) <= Decimal("0.05")
    assert load.more == load.needed - staffed
    assert abs(Decimal(load.percent) - exact * 100 / staffed) <= Decimal("0.5")
    assert (load.percent > 100) <= (load.more > 0) or load.more == 0


@given(st.integers(0, 1000), st.integers(0, 1000), st.integers(1, 20), st.integers(1, 600))
def test_more_waiting_never_shortens_the_wait(
    fewer: int, extra: int, on_shift: int, minutes: int
) -> None:
    short = expected_wait(fewer * minutes, on_shift)
    long = expected_wait((fewer + extra) * minutes, on_shift)
    assert short is not None and long is not None and short <= long


def test_the_config_section() -> None:
    classes = [{"name": "vip", "when": {"words": ["vip"]}}, {"name": "standard"}]
    config = parse_config(
        {"lead_classes": classes, "workload": {"minutes_per_lead": {"standard": 25, "vip": 40}}}
    )
    norm = config.workload_norm()
    assert (norm.minutes_for("vip"), norm.minutes_for("standard")) == (40, 25)
    # A class removed from the config since: the default class's minutes.
    assert norm.minutes_for("gone") == 25 and config.workload.alarm is True
    assert not parse_config({}).workload.enabled
    # The default class alone is enough: the others take its minutes.
    only = parse_config(
        {"lead_classes": classes, "workload": {"minutes_per_lead": {"standard": 20}}}
    )
    assert only.workload_norm().minutes_for("vip") == 20
    for bad, message in (
        ({"minutes_per_lead": {"gold": 25}}, "unknown lead class"),
        ({"minutes_per_lead": {"standard": 0}}, "from 1 to 1440"),
        ({"minutes_per_lead": {"vip": 40}}, "no minutes for class 'standard'"),
        ({"minutes_per_lead": {"standard": "много"}}, "minutes_per_lead.standard"),
        ({"alarm": "maybe"}, "workload.alarm"),
        ({"minute_per_lead": {}}, "unknown key"),
    ):
        with pytest.raises(ConfigError, match=message):
            parse_config({"lead_classes": classes, "workload": bad})
