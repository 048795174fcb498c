from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.classify import ClassRule, amounts_in, classify
from domain.reasons import is_real_reason
from domain.sla import LeadClock, SlaPolicy, due_timers, planned_timers

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
POLICY = SlaPolicy(
    first_response=timedelta(minutes=30),
    first_response_reminder=timedelta(minutes=20),
    stage_limits={"contacted": timedelta(days=1)},
)


def lead(**changes: object) -> LeadClock:
    values: dict[str, object] = dict(
        created_at=T0, status="new", stage_entered_at=T0, first_response_at=None, is_open=True
    )
    values.update(changes)
    return LeadClock(**values)  # type: ignore[arg-type]


def test_first_response_reminder_then_breach_each_once() -> None:
    due, later = due_timers(lead(), POLICY, T0 + timedelta(minutes=19), set())
    assert due == [] and later == T0 + timedelta(minutes=20)
    due, later = due_timers(lead(), POLICY, T0 + timedelta(minutes=21), set())
    assert [t.kind for t in due] == ["first_response_reminder"]
    assert later == T0 + timedelta(minutes=30)
    due, later = due_timers(lead(), POLICY, T0 + timedelta(minutes=31), {"first_response_reminder"})
    assert [t.kind for t in due] == ["first_response_breach"] and due[0].escalate
    assert later is None
    fired = {"first_response_reminder", "first_response_breach"}
    assert due_timers(lead(), POLICY, T0 + timedelta(hours=5), fired) == ([], None)


def test_a_late_tick_skips_the_reminder_and_escalates() -> None:
    due, _ = due_timers(lead(), POLICY, T0 + timedelta(hours=2), set())
    assert [t.kind for t in due] == ["first_response_breach"]


def test_answered_or_closed_lead_has_no_first_response_timers() -> None:
    assert planned_timers(lead(first_response_at=T0), POLICY) == []
    assert planned_timers(lead(is_open=False), POLICY) == []


def test_stage_limit_reminds_at_80_percent_and_breaches_at_limit() -> None:
    entered = T0 + timedelta(hours=1)
    clock = lead(status="contacted", stage_entered_at=entered, first_response_at=entered)
    plan = planned_timers(clock, POLICY)
    assert [(t.kind, t.at - entered) for t in plan] == [
        ("stage_reminder", timedelta(hours=19, minutes=12)),
        ("stage_breach", timedelta(days=1)),
    ]
    # Re-entering the stage later is a new clock with new keys.
    again = lead(
        status="contacted", stage_entered_at=entered + timedelta(days=3), first_response_at=entered
    )
    assert {t.key for t in plan}.isdisjoint({t.key for t in planned_timers(again, POLICY)})


RULES = [
    ClassRule("big", min_level="senior", priority=10, words=("опт", "тендер"), min_amount=500_000),
    ClassRule("ads", min_level="middle", priority=5, sources=("ad_b2b",), fields={"type": "b2b"}),
    ClassRule("standard"),
]


@pytest.mark.parametrize(
    ("text", "source", "fields", "expected"),
    [
        ("Нужно окно", None, {}, "standard"),
        ("Закупка ОПТом для тендера", None, {}, "big"),
        ("Бюджет 1,5 млн", None, {}, "big"),
        ("Бюджет 300 000", None, {}, "standard"),
        ("hello", "ad_b2b", {}, "ads"),
        ("hello", None, {"type": "B2B"}, "ads"),
        ("тендер", "ad_b2b", {}, "big"),
        ("hi", None, {"amount": "600000"}, "big"),
    ],
)
def test_classification(text: str, source: str | None, fields: dict, expected: str) -> None:
    assert classify(RULES, text, source, fields).name == expected


def test_no_default_rule_falls_back_to_standard_junior() -> None:
    result = classify([RULES[0]], "ничего")
    assert (result.name, result.min_level) == ("standard", "junior")


def test_amounts() -> None:
    assert amounts_in("от 500 000 до 1,2 млн и 300k") == [500000.0, 1200000.0, 300000.0]


@pytest.mark.parametrize(
    ("reason", "comment", "real"),
    [
        ("price", None, True),
        ("other", "клиент выбрал конкурента дешевле", True),
        ("other", "-", False),
        ("other", "нет", False),
        (None, "", False),
        ("", "  ...  ", False),
        ("other", "abc", False),
    ],
)
def test_real_reasons(reason: str | None, comment: str | None, real: bool) -> None:
    assert is_real_reason(reason, comment) is real
