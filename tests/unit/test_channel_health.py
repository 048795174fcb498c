"""The watchdog's rule: one alert per outage after `fail_after`, only in working hours
when so configured, one "recovered" after an alert and none after a short blip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from config.business import parse_week
from domain.channel_health import (
    HEALTHY,
    Found,
    Problem,
    Rules,
    Say,
    State,
    silence,
    step,
    worst,
)
from domain.hours import WorkingHours

MONDAY_10 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
RULES = Rules(fail_after=timedelta(minutes=5))
TOKEN = Found(Problem.TOKEN, "401 Unauthorized")


def _run(looks: list[tuple[timedelta, Found]], rules: Rules = RULES) -> list[Say]:
    state, said = State(), []
    for offset, found in looks:
        state, say = step(state, found, MONDAY_10 + offset, rules)
        said.append(say)
    return said


def test_an_outage_is_told_once_after_fail_after_and_its_end_once() -> None:
    minute = timedelta(minutes=1)
    said = _run([(minute * i, TOKEN) for i in range(12)] + [(12 * minute, HEALTHY)] * 3)
    assert said.count(Say.ALERT) == 1
    assert said.index(Say.ALERT) == 5  # five minutes after the first failing look
    assert said.count(Say.RECOVERED) == 1


def test_a_blip_shorter_than_fail_after_says_nothing() -> None:
    said = _run(
        [(timedelta(0), TOKEN), (timedelta(minutes=2), TOKEN), (timedelta(minutes=3), HEALTHY)]
    )
    assert said == [Say.NOTHING] * 3


def test_a_problem_changing_kind_is_the_same_outage() -> None:
    unreachable = Found(Problem.UNREACHABLE, "timeout")
    said = _run(
        [(timedelta(0), TOKEN), (timedelta(minutes=5), TOKEN), (timedelta(minutes=6), unreachable)]
    )
    assert said == [Say.NOTHING, Say.ALERT, Say.NOTHING]


def test_outside_working_hours_the_alert_waits_for_the_morning() -> None:
    hours = WorkingHours("UTC", parse_week({"mon-fri": "09:00-18:00"}))
    rules = Rules(fail_after=timedelta(minutes=5), hours=hours)
    evening = MONDAY_10.replace(hour=20)
    state, said = State(), []
    night = evening + timedelta(hours=12)  # Tuesday 08:00, still closed
    for moment in (evening, evening + timedelta(hours=1), night, night + timedelta(hours=1)):
        state, say = step(state, TOKEN, moment, rules)
        said.append(say)
    assert said == [Say.NOTHING, Say.NOTHING, Say.NOTHING, Say.ALERT]
    assert state.outages == 1


def test_each_outage_has_its_own_number() -> None:
    state = State()
    for start in (timedelta(0), timedelta(hours=1)):
        state, _ = step(state, TOKEN, MONDAY_10 + start, RULES)
        state, say = step(state, TOKEN, MONDAY_10 + start + timedelta(minutes=5), RULES)
        assert say is Say.ALERT
        state, say = step(state, HEALTHY, MONDAY_10 + start + timedelta(minutes=6), RULES)
        assert say is Say.RECOVERED
    assert state.outages == 2


def test_worst_takes_the_first_problem_and_keeps_repairs() -> None:
    assert worst(HEALTHY, TOKEN, Found(Problem.SENDS, "x")) == TOKEN
    assert worst(Found(repaired="webhook set again"), HEALTHY).repaired == "webhook set again"


def test_silence_counts_from_the_last_message_or_the_start_of_watching() -> None:
    limit = timedelta(days=1)
    assert silence(None, MONDAY_10, MONDAY_10 + timedelta(hours=23), limit).ok
    assert not silence(None, MONDAY_10, MONDAY_10 + timedelta(hours=25), limit).ok
    recent = MONDAY_10 + timedelta(hours=20)
    assert silence(recent, MONDAY_10, MONDAY_10 + timedelta(hours=25), limit).ok
    assert silence(None, MONDAY_10, MONDAY_10 + timedelta(days=9), None).ok
