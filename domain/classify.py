"""Lead classes from rules: words in the first message, the source, form fields, amount."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_AMOUNT = re.compile(r"(\d[\d\s.,]*\d|\d)\s*(k|к|тыс|млн|m)?", re.IGNORECASE)


@dataclass(frozen=True)
class ClassRule:
    name: str
    min_level: str = "junior"
    priority: int = 0
    words: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    fields: Mapping[str, str] = field(default_factory=dict)
    min_amount: float | None = None

    @property
    def is_default(self) -> bool:
        return not (self.words or self.sources or self.fields or self.min_amount is not None)


@dataclass(frozen=True)
class Classification:
    name: str
    min_level: str
    priority: int


def amounts_in(text: str) -> list[float]:
    """Numbers a customer writes as money: `500 000`, `1,5 млн`, `300k`."""
    found = []
    for match in _AMOUNT.finditer(text):
        digits = re.sub(r"\s", "", match.group(1))
        digits = (
            digits.replace(",", ".") if digits.count(",") == 1 and "." not in digits else digits
        )
        digits = digits.replace(",", "")
        try:
            value = float(digits)
        except ValueError:
            continue
        unit = (match.group(2) or "").lower()
        value *= {"k": 1e3, "к": 1e3, "тыс": 1e3, "млн": 1e6, "m": 1e6}.get(unit, 1)
        found.append(value)
    return found


def _matches(rule: ClassRule, text: str, source: str | None, fields: Mapping[str, Any]) -> bool:
    lowered = text.lower()
    if rule.words and any(word.lower() in lowered for word in rule.words):
        return True
    if rule.sources and source and source in rule.sources:
        return True
    for key, expected in rule.fields.items():
        if str(fields.get(key, "")).strip().lower() == str(expected).lower():
            return True
    if rule.min_amount is not None:
        amount = fields.get("amount")
        values = amounts_in(str(amount)) if amount is not None else amounts_in(text)
        if any(value >= rule.min_amount for value in values):
            return True
    return False


def classify(
    rules: Sequence[ClassRule],
    text: str,
    source: str | None = None,
    fields: Mapping[str, Any] | None = None,
) -> Classification:
    """The matching class with the highest priority; the default class otherwise."""
    fields = fields or {}
    matching = [
        rule for rule in rules if not rule.is_default and _matches(rule, text, source, fields)
    ]
    if matching:
        best = max(matching, key=lambda rule: rule.priority)
        return Classification(best.name, best.min_level, best.priority)
    default = next((rule for rule in rules if rule.is_default), None)
    if default is None:
        return Classification("standard", "junior", 0)
    return Classification(default.name, default.min_level, default.priority)
