"""Amounts in the reader's language: the one money formatter behind the bot's texts, the
reports (chat, digest, dashboard) and the lead page, so that "150 000 ₽" reads the same
wherever it is shown; and the polite words for an amount that cannot be taken."""

from __future__ import annotations

from decimal import Decimal

from domain import money
from domain.money import AmountError, AmountProblem
from texts import Safe, Texts


def format_money(texts: Texts, language: str, minor: int | None, currency: str) -> Safe:
    """`150 000 ₽` in Russian, `150,000 ₽` in English; "—" when there is no amount."""
    if minor is None:
        return Safe("—")
    number = money.digits(
        minor,
        currency,
        group=texts.get("money_group", language),
        point=texts.get("money_point", language),
    )
    return texts.get("money", language, number=number, sign=money.sign(currency))


def format_major(texts: Texts, language: str, value: float | None, currency: str) -> Safe:
    """The same for an amount in major units, as the report's JSON carries it."""
    if value is None:
        return Safe("—")
    minor = Decimal(str(value)) * (Decimal(10) ** money.exponent(currency))
    return format_money(texts, language, int(minor.to_integral_value()), currency)


def amount_problem(texts: Texts, language: str, error: AmountError, currency: str) -> Safe:
    """Why an amount was not taken, in words a manager understands."""
    problem = error.problem
    if problem is AmountProblem.TOO_LARGE:
        largest = money.to_minor(money.MAX_AMOUNT, currency)
        return texts.get(
            "amount_too_large", language, max=format_money(texts, language, largest, currency)
        )
    if problem is AmountProblem.TOO_PRECISE:
        places = money.exponent(currency)
        if places == 0:
            return texts.get("amount_whole_only", language)
        return texts.get(
            "amount_too_precise", language, places=texts.plural("decimal_places", language, places)
        )
    if problem is AmountProblem.OTHER_CURRENCY:
        return texts.get("amount_other_currency", language, currency=money.sign(currency))
    return texts.get(f"amount_{problem.value}", language)
