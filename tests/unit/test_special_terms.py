"""domain/special_terms.py and the `special_terms:` config: the rule per level, what a
typed value reads as, an answer given once, the report's grouping; and the words."""

from __future__ import annotations

import pytest

from config.business import ConfigError, parse_config
from domain.special_terms import (
    Decision,
    RequestStatus,
    TermFact,
    TermKind,
    TermRule,
    TermValueError,
    ValueProblem,
    answered,
    decide,
    parse_value,
    terms_by_manager,
)
from texts import Texts
from usecases.terms_text import limit_text, term_text

RULE = TermRule(auto_up_to=5, max=30, by_level={"senior": 10})


@pytest.mark.parametrize(
    ("role", "level", "value", "decision"),
    [
        ("manager", "middle", 3, Decision.GRANTED),
        ("manager", "middle", 5, Decision.GRANTED),
        ("manager", "middle", 5.5, Decision.ASK_HEAD),
        ("manager", "senior", 10, Decision.GRANTED),
        ("manager", "senior", 15, Decision.ASK_HEAD),
        ("manager", "junior", 30, Decision.ASK_HEAD),
        ("manager", "senior", 30.5, Decision.OVER_MAX),
        ("head", "middle", 30, Decision.GRANTED),
        ("head", "middle", 31, Decision.OVER_MAX),
    ],
)
def test_the_rule_per_level(role: str, level: str, value: float, decision: Decision) -> None:
    assert decide(RULE, role, level, value) is decision


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        (TermKind.DISCOUNT, "15", 15),
        (TermKind.DISCOUNT, " 7,5 % ", 7.5),
        (TermKind.DISCOUNT, "7.50%", 7.5),
        (TermKind.DISCOUNT, "10 процентов", 10),
        (TermKind.INSTALMENTS, "6 мес.", 6),
        (TermKind.INSTALMENTS, "6 months", 6),
        (TermKind.DEFERRED_PAYMENT, "30 дней", 30),
        (TermKind.DEFERRED_PAYMENT, "1 день", 1),
    ],
)
def test_typed_values(kind: TermKind, text: str, value: float) -> None:
    assert parse_value(kind, text) == value


@pytest.mark.parametrize(
    ("kind", "text", "problem"),
    [
        (TermKind.DISCOUNT, "много", ValueProblem.UNREADABLE),
        (TermKind.DISCOUNT, "", ValueProblem.UNREADABLE),
        (TermKind.DISCOUNT, "5 или 6", ValueProblem.UNREADABLE),
        (TermKind.DISCOUNT, "-5", ValueProblem.NOT_POSITIVE),
        (TermKind.DISCOUNT, "0", ValueProblem.NOT_POSITIVE),
        (TermKind.DISCOUNT, "7,555", ValueProblem.TOO_PRECISE),
        (TermKind.INSTALMENTS, "2,5", ValueProblem.NOT_WHOLE),
        (TermKind.DEFERRED_PAYMENT, "1.5 дня", ValueProblem.NOT_WHOLE),
    ],
)
def test_values_that_are_refused(kind: TermKind, text: str, problem: ValueProblem) -> None:
    with pytest.raises(TermValueError) as caught:
        parse_value(kind, text)
    assert caught.value.problem is problem


def test_an_answer_is_given_once() -> None:
    assert answered("pending", approve=True) is RequestStatus.APPROVED
    assert answered("pending", approve=False) is RequestStatus.DECLINED
    for done in ("approved", "declined"):
        assert answered(done, approve=True) is None
        assert answered(done, approve=False) is None


def test_report_groups_per_manager_in_kind_order() -> None:
    facts = [
        TermFact(1, TermKind.INSTALMENTS, 6, RequestStatus.APPROVED),
        TermFact(1, TermKind.DISCOUNT, 3, RequestStatus.APPROVED),
        TermFact(2, TermKind.DISCOUNT, 20, RequestStatus.DECLINED),
        TermFact(1, TermKind.DISCOUNT, 15, RequestStatus.APPROVED),
        TermFact(1, TermKind.DEFERRED_PAYMENT, 30, RequestStatus.DECLINED),
    ]
    first, second = terms_by_manager(facts)
    assert first.manager_id == 1 and first.declined == 1
    assert first.granted == ((TermKind.DISCOUNT, (3, 15)), (TermKind.INSTALMENTS, (6,)))
    assert (second.manager_id, second.granted, second.declined) == (2, (), 1)


@pytest.mark.parametrize(
    ("language", "kind", "value", "term", "limit"),
    [
        ("ru", TermKind.DISCOUNT, 7.5, "скидка 7,5\u00a0%", "до 7,5\u00a0%"),
        ("ru", TermKind.INSTALMENTS, 1, "рассрочка на 1 месяц", "до 1 месяца"),
        ("ru", TermKind.INSTALMENTS, 3, "рассрочка на 3 месяца", "до 3 месяцев"),
        ("ru", TermKind.INSTALMENTS, 11, "рассрочка на 11 месяцев", "до 11 месяцев"),
        ("ru", TermKind.DEFERRED_PAYMENT, 21, "отсрочка платежа на 21 день", "до 21 дня"),
        ("ru", TermKind.DEFERRED_PAYMENT, 14, "отсрочка платежа на 14 дней", "до 14 дней"),
        ("en", TermKind.DISCOUNT, 7.5, "a 7.5\u00a0% discount", "up to 7.5\u00a0%"),
        ("en", TermKind.INSTALMENTS, 1, "instalments over 1 month", "up to 1 month"),
        ("en", TermKind.DEFERRED_PAYMENT, 30, "payment deferred by 30 days", "up to 30 days"),
    ],
)
def test_terms_in_words(language: str, kind: TermKind, value: float, term: str, limit: str) -> None:
    assert term_text(Texts(), language, kind, value) == term
    assert limit_text(Texts(), language, kind, value) == limit


def test_config_defaults_and_off() -> None:
    rules = parse_config({}).special_terms.rules()
    assert set(rules) == set(TermKind)
    assert rules[TermKind.DISCOUNT] == TermRule(5, 30, {})
    config = parse_config({"special_terms": {"instalments": False, "deferred_payment": "off"}})
    assert list(config.special_terms.rules()) == [TermKind.DISCOUNT]
    assert parse_config({"special_terms": {"enabled": False}}).special_terms.rules() == {}


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"discount": {"auto_up_to": 40, "max": 30}}, "auto_up_to 40 is above max 30"),
        ({"discount": {"auto_up_to": 5, "max": 30, "by_level": {"boss": 9}}}, "unknown level"),
        ({"discount": {"auto_up_to": 5, "max": 30, "by_level": {"senior": 50}}}, "not between"),
        ({"instalments": {"auto_up_to": 2.5, "max": 12}}, "whole months"),
        ({"discount": {"max": 30}}, "required key is missing"),
        ({"rebate": {"auto_up_to": 1, "max": 2}}, "unknown key"),
    ],
)
def test_config_errors_name_the_key(section: dict, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"special_terms": section})
    assert "special_terms" in str(caught.value) and message in str(caught.value)
