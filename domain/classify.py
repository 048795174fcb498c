"""Lead classes from rules: words in the first message, the source, form fields, amount."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


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


# What looks like a number but is not money: phones, sizes, dates and times, references.
_NOT_MONEY = [
    re.compile(r"\+?\d[\d\s\-()]{8,}\d"),  # +7 916 123-45-67, 8 (916) 1234567, 89161234567
    re.compile(r"\d+(?:[.,]\d+)?\s*[xх×*]\s*\d+(?:[.,]\d+)?", re.IGNORECASE),  # 1200x1500
    re.compile(r"\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}:\d{2}\b"),
    re.compile(
        r"(?:№|#|\bno\.?|\bref\w*\.?|\border\w*|\binvoice\w*|\bзаказ\w*|\bномер\w*"
        r"|\bартикул\w*|\bсч[её]т\w*|\bid)\s*[:#№]?\s*\d[\d\-/]*",
        re.IGNORECASE,
    ),
]
_NUMBER = r"(?P<n>\d{1,3}(?:[ \u00a0\u202f.,]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d+)?)"
# "m"/"b" only glued to the number (5m, $2b): "5 m" is metres.
_SCALE = (
    r"(?P<s>тыс\w*\.?|т\.\s?р\.?|млн\w*\.?|миллион\w*|млрд\w*|million\w*|billion\w*|mln"
    r"|k\b|к\b|(?<=\d)m\b|(?<=\d)b\b)"
)
_CURRENCY = r"(?:руб\w*\.?|р\.|₽|rub\b|usd\b|eur\b|dollars?\b|долл\w*\.?|евро|\$|€)"
_AMOUNT_WORD = (
    r"(?:бюджет\w*|сумм\w*|стоимост\w*|цен\w*|budget\w*|price\w*|amount\w*|cost\w*)"
    r"\s*[:\-–—]?\s*(?:около|примерно|до|от|порядка|about|around|up to|~|≈)?\s*"
)
_MONEY = [
    re.compile(rf"{_NUMBER}\s?(?:{_SCALE}\s?)?{_CURRENCY}", re.IGNORECASE),
    re.compile(rf"{_NUMBER}\s?{_SCALE}", re.IGNORECASE),
    re.compile(rf"[$€₽]\s?{_NUMBER}(?:\s?{_SCALE})?", re.IGNORECASE),
    re.compile(rf"{_AMOUNT_WORD}{_NUMBER}(?:\s?{_SCALE})?", re.IGNORECASE),
]
# "от 500 000 до 1,2 млн": the first number of a range takes the unit of the second.
_RANGE = re.compile(
    rf"{_NUMBER}\s*(?:до|-|–|—|to)\s*(?P<m>\d[\d\s.,]*?)\s?(?:{_SCALE}\s?)?(?:{_CURRENCY})?(?!\w)",
    re.IGNORECASE,
)
_BARE = [re.compile(rf"{_NUMBER}(?:\s?{_SCALE})?", re.IGNORECASE)]
_SCALES = {"т": 1e3, "k": 1e3, "к": 1e3, "m": 1e6, "b": 1e9}


def _number(digits: str) -> float | None:
    digits = digits.replace("\u00a0", " ").replace("\u202f", " ")
    groups = re.split(r"[ .,]", digits)
    if len(groups) > 1 and all(len(group) == 3 for group in groups[1:]):
        return float("".join(groups))
    head, _, tail = digits.replace(" ", "").rpartition(",") if "," in digits else ("", "", "")
    if head:
        digits = f"{head.replace('.', '')}.{tail}"
    try:
        return float(digits.replace(" ", ""))
    except ValueError:
        return None


def _scale(word: str | None) -> float:
    if not word:
        return 1.0
    word = word.lower()
    if word.startswith(("млн", "миллион", "million", "mln")):
        return 1e6
    if word.startswith(("млрд", "billion")):
        return 1e9
    return _SCALES.get(word[0], 1.0)


def amounts_in(text: str, *, bare: bool = False) -> list[float]:
    """Money a customer writes: `500 000 руб`, `1,5 млн`, `$8k`, `бюджет 600000`.

    A number counts only with a currency, a scale word (тыс, млн, k) or after an amount
    word (бюджет, сумма, budget); never a phone number, a size like 1200x1500, a date or
    an order reference. `bare` (a form's amount field) takes a plain number too.
    """
    for pattern in _NOT_MONEY:
        text = pattern.sub(" ", text)
    found: dict[int, float] = {}
    for pattern in _BARE if bare else _MONEY:
        for match in pattern.finditer(text):
            value = _number(match.group("n"))
            if value is not None:
                found.setdefault(match.start("n"), value * _scale(match.group("s")))
    if not bare:
        for match in _RANGE.finditer(text):
            second = match.start("m")
            value = _number(match.group("n"))
            if second in found and value is not None and match.start("n") not in found:
                found[match.start("n")] = value * _scale(match.group("s"))
    return [found[position] for position in sorted(found)]


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
        values = amounts_in(str(amount), bare=True) if amount is not None else amounts_in(text)
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
