"""Special terms in words: «скидка 15 %», «рассрочка на 6 месяцев», «отсрочка платежа на
30 дней», and their limits «до 5 %», «до 3 месяцев». Every message about terms and the
reports word them here, so a term reads the same everywhere."""

from __future__ import annotations

from typing import Any

from domain.lead_access import ROLE_HEAD
from domain.special_terms import TermKind, TermRule
from texts import Safe, Texts

# The plural family each counted kind's value takes.
_COUNTED = {TermKind.INSTALMENTS: "term_months", TermKind.DEFERRED_PAYMENT: "term_days"}
_PLACEHOLDER = {TermKind.INSTALMENTS: "months", TermKind.DEFERRED_PAYMENT: "days"}


def number(value: float, language: str) -> str:
    """7 and 7,5 (7.5 in English): no trailing zeros, the language's decimal sign."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if language == "ru" else text


def term_text(texts: Texts, language: str, kind: TermKind, value: float) -> Safe:
    if kind is TermKind.DISCOUNT:
        return texts.get("term_discount", language, value=number(value, language))
    counted = texts.plural(_COUNTED[kind], language, int(value))
    return texts.get(f"term_{kind.value}", language, **{_PLACEHOLDER[kind]: counted})


def limit_text(texts: Texts, language: str, kind: TermKind, value: float) -> Safe:
    """«до 5 %», «до 3 месяцев», «до 14 дней»."""
    if kind is TermKind.DISCOUNT:
        return texts.get("term_upto_discount", language, value=number(value, language))
    family = _COUNTED[kind].replace("term_", "term_upto_")
    return texts.plural(family, language, int(value))


def max_text(texts: Texts, language: str, kind: TermKind, value: float) -> Safe:
    """«30 %», «12 месяцев», «60 дней»."""
    if kind is TermKind.DISCOUNT:
        return texts.get("term_max_discount", language, value=number(value, language))
    return texts.plural(_COUNTED[kind], language, int(value))


def rule_text(
    texts: Texts, language: str, kind: TermKind, rule: TermRule, role: str, level: str
) -> Safe:
    """The rule as the asker reads it under the question."""
    params: dict[str, Any] = {"max": max_text(texts, language, kind, rule.max)}
    if role == ROLE_HEAD:
        return texts.get("term_rule_head", language, **params)
    limit = rule.limit_for(role, level)
    if limit <= 0:
        return texts.get("term_rule_head_decides", language, **params)
    return texts.get(
        "term_rule", language, limit=limit_text(texts, language, kind, limit), **params
    )
