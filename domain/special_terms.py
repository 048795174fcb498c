"""Special terms a manager asks for on a lead — a discount in percent, instalments in
months, a deferred payment in days — and the head's rules for them, as plain rules.

Each kind has a rule: up to `auto_up_to` is granted at once (a manager's level may have a
limit of its own), above it a head decides, and nothing above `max` is given at all. A
head asking is within the rule up to `max`: he is the one who would decide. A request is
pending until a head approves or declines it; an answer to a request already answered
changes nothing, so a second press (or a second head) is harmless.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from domain.lead_access import ROLE_HEAD


class TermKind(StrEnum):
    """The value is stored and written into buttons: never rename a value."""

    DISCOUNT = "discount"  # percent
    INSTALMENTS = "instalments"  # months
    DEFERRED_PAYMENT = "deferred"  # days


# Discounts may be fractional (7,5 %); months and days are whole.
WHOLE_KINDS = frozenset({TermKind.INSTALMENTS, TermKind.DEFERRED_PAYMENT})
DECIMAL_PLACES = 2


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class Decision(StrEnum):
    """What the rule says about a requested value."""

    GRANTED = "granted"  # within the requester's limit: approved at once
    ASK_HEAD = "ask_head"  # above it: a head decides
    OVER_MAX = "over_max"  # above the most that is ever given: refused


@dataclass(frozen=True)
class TermRule:
    auto_up_to: float
    max: float
    # A manager level's own automatic limit (e.g. senior: 10), instead of auto_up_to.
    by_level: Mapping[str, float] = field(default_factory=dict)

    def limit_for(self, role: str, level: str) -> float:
        """Up to what a person gets this term without asking anyone."""
        if role == ROLE_HEAD:
            return self.max
        return self.by_level.get(level, self.auto_up_to)


def decide(rule: TermRule, role: str, level: str, value: float) -> Decision:
    if value > rule.max:
        return Decision.OVER_MAX
    if value <= rule.limit_for(role, level):
        return Decision.GRANTED
    return Decision.ASK_HEAD


class ValueProblem(StrEnum):
    UNREADABLE = "unreadable"
    NOT_POSITIVE = "not_positive"
    NOT_WHOLE = "not_whole"
    TOO_PRECISE = "too_precise"


class TermValueError(ValueError):
    def __init__(self, problem: ValueProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


# A number, then at most a unit word: «15», «15 %», «7,5%», «6 мес», «30 дней», «6 months».
_VALUE = re.compile(
    r"^\s*(?P<sign>[-−–])?\s*(?P<number>\d{1,6}(?:[.,]\d+)?)\s*"
    r"(?:%|проц\w*|percent\w*|мес\w*\.?|month\w*|дн\w*|день|day\w*)?\s*\.?\s*$",
    re.IGNORECASE,
)


def parse_value(kind: TermKind, text: str) -> float:
    """What a manager typed as the term's size; TermValueError says what is wrong."""
    match = _VALUE.match(text or "")
    if match is None:
        raise TermValueError(ValueProblem.UNREADABLE)
    number = match.group("number").replace(",", ".")
    whole, _, fraction = number.partition(".")
    fraction = fraction.rstrip("0")
    value = float(f"{whole}.{fraction}" if fraction else whole)
    if match.group("sign") or value <= 0:
        raise TermValueError(ValueProblem.NOT_POSITIVE)
    if kind in WHOLE_KINDS and fraction:
        raise TermValueError(ValueProblem.NOT_WHOLE)
    if len(fraction) > DECIMAL_PLACES:
        raise TermValueError(ValueProblem.TOO_PRECISE)
    return value


def answered(status: str, approve: bool) -> RequestStatus | None:
    """The status a head's answer gives a request; None when it was answered already."""
    if status != RequestStatus.PENDING:
        return None
    return RequestStatus.APPROVED if approve else RequestStatus.DECLINED


@dataclass(frozen=True)
class TermFact:
    """One answered request, as a report counts it."""

    manager_id: int | None
    kind: TermKind
    value: float
    status: RequestStatus


@dataclass(frozen=True)
class ManagerTerms:
    """A manager's answered requests in a period: the values granted of each kind (in
    the order asked) and how many were declined."""

    manager_id: int | None
    granted: tuple[tuple[TermKind, tuple[float, ...]], ...] = ()
    declined: int = 0


def terms_by_manager(facts: Iterable[TermFact]) -> tuple[ManagerTerms, ...]:
    """Per manager, in the order managers first appear; kinds in TermKind's order."""
    granted: dict[int | None, dict[TermKind, list[float]]] = {}
    declined: dict[int | None, int] = {}
    for fact in facts:
        granted.setdefault(fact.manager_id, {})
        declined.setdefault(fact.manager_id, 0)
        if fact.status == RequestStatus.APPROVED:
            granted[fact.manager_id].setdefault(fact.kind, []).append(fact.value)
        elif fact.status == RequestStatus.DECLINED:
            declined[fact.manager_id] += 1
    return tuple(
        ManagerTerms(
            manager_id,
            tuple((kind, tuple(kinds[kind])) for kind in TermKind if kind in kinds),
            declined[manager_id],
        )
        for manager_id, kinds in granted.items()
    )
