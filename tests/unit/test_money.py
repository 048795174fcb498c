"""Money: what a manager types read as an amount (or refused with the reason), kept in
minor units, written the Russian and the English way through the catalogue, counted
with the right plural form, and revenue credited in a report as closes are."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.lead_access import Access, amount_access
from domain.money import (
    MAX_AMOUNT,
    AmountError,
    AmountProblem,
    average,
    parse_amount,
    to_major,
    to_minor,
)
from domain.reporting.facts import EventFact, LeadFacts, SlaTargets
from domain.reporting.periods import period_between
from domain.reporting.report import build_report
from domain.reporting.serialise import report_json
from texts import Texts
from texts.catalogue import plural_form
from usecases.money_text import amount_problem, format_major, format_money

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("typed", "minor"),
    [
        ("150 000", 15_000_000),
        ("150000", 15_000_000),
        ("150000,50", 15_000_050),
        ("150 000,5", 15_000_050),
        (f"150{NBSP}000,50{NBSP}₽", 15_000_050),
        ("150\u202f000", 15_000_000),
        ("1.5 млн", 150_000_000),
        ("1,5 млн", 150_000_000),
        ("1,25 млн руб.", 125_000_000),
        ("300к", 30_000_000),
        ("300 тыс.", 30_000_000),
        ("2 млрд", 200_000_000_000),
        ("1.500.000", 150_000_000),
        ("1,500,000.50", 150_000_050),
        ("1.500.000,50", 150_000_050),
        ("150,000", 15_000_000),
        ("150.000", 15_000_000),
        ("12,5", 1_250),
        ("0,5", 50),
        ("₽150000", 15_000_000),
        ("150 000 рублей", 15_000_000),
        ("150000р", 15_000_000),
        ("  99 900 RUB ", 9_990_000),
    ],
)
def test_typed_amounts(typed: str, minor: int) -> None:
    assert to_minor(parse_amount(typed, "RUB"), "RUB") == minor


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", AmountProblem.NOT_A_NUMBER),
        ("много", AmountProblem.NOT_A_NUMBER),
        ("150 abc", AmountProblem.NOT_A_NUMBER),
        ("5 1000", AmountProblem.NOT_A_NUMBER),
        ("1,2,3", AmountProblem.NOT_A_NUMBER),
        ("1e5", AmountProblem.NOT_A_NUMBER),
        ("NaN", AmountProblem.NOT_A_NUMBER),
        ("₽150 руб", AmountProblem.NOT_A_NUMBER),
        ("-5000", AmountProblem.NEGATIVE),
        ("−5000", AmountProblem.NEGATIVE),
        ("₽-5000", AmountProblem.NEGATIVE),
        ("0", AmountProblem.ZERO),
        ("0,00", AmountProblem.ZERO),
        ("10 000 000 000 000", AmountProblem.TOO_LARGE),
        ("2 трлн", AmountProblem.NOT_A_NUMBER),
        ("150 000 $", AmountProblem.OTHER_CURRENCY),
        ("€100", AmountProblem.OTHER_CURRENCY),
    ],
)
def test_what_is_no_amount(typed: str, problem: AmountProblem) -> None:
    with pytest.raises(AmountError) as caught:
        parse_amount(typed, "RUB")
    assert caught.value.problem is problem


def test_minor_units_are_exact_or_refused() -> None:
    assert to_minor(Decimal("150000.50"), "RUB") == 15_000_050
    assert to_minor(MAX_AMOUNT, "RUB") == 10**14
    with pytest.raises(AmountError) as caught:
        to_minor(Decimal("150000.555"), "RUB")
    assert caught.value.problem is AmountProblem.TOO_PRECISE
    assert to_minor(Decimal(1500), "JPY") == 1500
    with pytest.raises(AmountError):
        to_minor(Decimal("1500.5"), "JPY")
    assert parse_amount("$2.5k", "USD") == Decimal("2500.0")
    assert (to_major(15_000_050, "RUB"), to_major(15_000_000, "RUB")) == (150000.5, 150000)
    assert (average(10, 3), average(5, 2), average(0, 0)) == (3, 3, None)


@given(st.text(max_size=40))
def test_any_text_is_an_amount_in_bounds_or_a_reason(text: str) -> None:
    try:
        value = parse_amount(text, "RUB")
    except AmountError as error:
        assert error.problem in set(AmountProblem)
        return
    assert 0 < value <= MAX_AMOUNT


@given(st.integers(min_value=1, max_value=10**14))
def test_what_is_written_reads_back_as_the_same_amount(minor: int) -> None:
    texts = Texts()
    for language in ("ru", "en"):
        shown = format_money(texts, language, minor, "RUB")
        assert to_minor(parse_amount(shown, "RUB"), "RUB") == minor
    assert format_major(texts, "ru", to_major(minor, "RUB"), "RUB") == format_money(
        texts, "ru", minor, "RUB"
    )


def test_amounts_are_written_the_russian_and_the_english_way() -> None:
    texts = Texts()
    assert format_money(texts, "ru", 15_000_000, "RUB") == f"150{NBSP}000{NBSP}₽"
    assert format_money(texts, "ru", 15_000_050, "RUB") == f"150{NBSP}000,50{NBSP}₽"
    assert format_money(texts, "en", 15_000_050, "RUB") == f"150,000.50{NBSP}₽"
    assert format_money(texts, "ru", 99, "USD") == f"0,99{NBSP}$"
    assert format_money(texts, "en", 1_000_000, "CHF") == f"10,000{NBSP}CHF"
    assert format_money(texts, "ru", None, "RUB") == "—"


@pytest.mark.parametrize(
    ("count", "russian"),
    [
        (0, "0 сделок"),
        (1, "1 сделка"),
        (2, "2 сделки"),
        (4, "4 сделки"),
        (5, "5 сделок"),
        (11, "11 сделок"),
        (12, "12 сделок"),
        (14, "14 сделок"),
        (21, "21 сделка"),
        (22, "22 сделки"),
        (25, "25 сделок"),
        (101, "101 сделка"),
        (111, "111 сделок"),
        (112, "112 сделок"),
    ],
)
def test_counted_texts_take_the_right_form(count: int, russian: str) -> None:
    texts = Texts()
    assert texts.plural("deals", "ru", count) == russian
    english = "1 deal" if count == 1 else f"{count} deals"
    assert texts.plural("deals", "en", count) == english
    assert plural_form("en", count) in ("one", "many")


def test_a_refused_amount_is_told_politely_in_both_languages() -> None:
    texts = Texts()
    too_precise = AmountError(AmountProblem.TOO_PRECISE)
    assert "не больше 2 знаков" in amount_problem(texts, "ru", too_precise, "RUB")
    assert "at most 2 decimal places" in amount_problem(texts, "en", too_precise, "RUB")
    assert "целым числом" in amount_problem(texts, "ru", too_precise, "JPY")
    large = amount_problem(texts, "ru", AmountError(AmountProblem.TOO_LARGE), "RUB")
    assert f"1{NBSP}000{NBSP}000{NBSP}000{NBSP}000{NBSP}₽" in large
    other = amount_problem(texts, "ru", AmountError(AmountProblem.OTHER_CURRENCY), "RUB")
    assert "в ₽" in other


class Person:
    def __init__(self, person_id: int, role: str = "manager", active: bool = True) -> None:
        self.id, self.role, self.active = person_id, role, active


class Deal:
    def __init__(self, status: str, manager_id: int | None = 1) -> None:
        self.status, self.manager_id, self.offered_manager_id = status, manager_id, None
        self.is_open = status not in ("won", "lost", "disqualified")


@pytest.mark.parametrize(
    ("person", "deal", "access"),
    [
        (Person(1), Deal("proposal"), Access.DONE),
        (Person(2), Deal("proposal"), Access.NOT_YOURS),
        (Person(1), Deal("won"), Access.DONE),
        (Person(2), Deal("won"), Access.NOT_YOURS),
        (Person(9, "head"), Deal("won"), Access.DONE),
        (Person(1, active=False), Deal("won"), Access.NOT_YOURS),
        (Person(1), Deal("lost"), Access.STALE),
        (Person(9, "head"), Deal("disqualified"), Access.STALE),
        (None, Deal("won"), Access.NOT_YOURS),
    ],
)
def test_who_may_set_an_amount(person: Person | None, deal: Deal, access: Access) -> None:
    assert amount_access(person, deal) is access  # type: ignore[arg-type]


def _won(lead_id: int, manager: int, source: str | None, amount: int | None) -> LeadFacts:
    start = datetime(2026, 1, 5, 10, tzinfo=UTC)
    events = [
        EventFact("offered", start, None, {"manager_id": manager}),
        EventFact("accepted", start + timedelta(minutes=1), manager),
        EventFact("closed", start + timedelta(hours=1), manager, {"outcome": "won"}),
    ]
    return LeadFacts(lead_id, "telegram", source, start, events, amount=amount)


def test_revenue_is_credited_like_the_close() -> None:
    leads = [
        _won(1, 1, "ad", 15_000_000),
        _won(2, 1, None, 5_000_050),
        _won(3, 2, "ad", 10_000_000),
        _won(4, 2, "ad", None),
        # Won the day before: not in this day's revenue.
        LeadFacts(
            5,
            "telegram",
            "ad",
            datetime(2026, 1, 4, 10, tzinfo=UTC),
            [EventFact("closed", datetime(2026, 1, 4, 11, tzinfo=UTC), 1, {"outcome": "won"})],
            amount=99_900,
        ),
    ]
    period = period_between(date(2026, 1, 5), date(2026, 1, 5), ZoneInfo("UTC"))
    now = datetime(2026, 1, 5, 20, tzinfo=UTC)
    report = build_report(
        period, now, leads, targets=SlaTargets(timedelta(minutes=30)), currency="RUB"
    )
    team = report.team.revenue
    assert (team.total, team.deals, team.without_amount) == (30_000_050, 3, 1)
    assert team.average == 10_000_017  # 100 000,1666… rounded to the kopeck
    assert team.by_source == (("ad", 25_000_000), ("telegram", 5_000_050))
    assert report.managers[1].revenue.total == 20_000_050
    assert (report.managers[2].revenue.deals, report.managers[2].revenue.without_amount) == (1, 1)
    data = report_json(report, "UTC")
    assert data["team"]["revenue"] == {
        "currency": "RUB",
        "total": 300000.5,
        "deals": 3,
        "without_amount": 1,
        "average": 100000.17,
        "by_source": {"ad": 250000, "telegram": 50000.5},
    }
    mine = build_report(period, now, leads, targets=SlaTargets(timedelta(minutes=30)), manager_id=2)
    assert mine.team.revenue.total == 10_000_000 and mine.team.revenue.average == 10_000_000
