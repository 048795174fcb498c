"""Deal amounts: read from what a person types, checked, kept in minor units.

An amount is stored as a whole number of the currency's minor units (kopecks, cents):
exact on SQLite and PostgreSQL alike (SQLite has no exact decimal type; a NUMERIC column
there is a float), summed exactly by SQL and by Python, and free of float noise in JSON.
Decimal is used only on the way in, to read what was typed without rounding it.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from enum import StrEnum

# ISO 4217 minor units of the currencies a company may keep its books in.
EXPONENTS: dict[str, int] = {
    "RUB": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CHF": 2,
    "CNY": 2,
    "KZT": 2,
    "BYN": 2,
    "UAH": 2,
    "UZS": 2,
    "KGS": 2,
    "AMD": 2,
    "AZN": 2,
    "GEL": 2,
    "TRY": 2,
    "AED": 2,
    "INR": 2,
    "JPY": 0,
    "KRW": 0,
}
# How Russian text writes the currency after the number; others are written by their code.
SIGNS: dict[str, str] = {
    "RUB": "₽",
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "CNY": "¥",
    "JPY": "¥",
    "KZT": "₸",
    "UAH": "₴",
    "TRY": "₺",
    "GEL": "₾",
    "KRW": "₩",
    "INR": "₹",
}
# A trillion: more than any deal a sales team closes, far less than 2**53 minor units,
# so that an amount survives a trip through a JSON number unchanged.
MAX_AMOUNT = Decimal(10) ** 12


class AmountProblem(StrEnum):
    NOT_A_NUMBER = "not_a_number"
    OTHER_CURRENCY = "other_currency"
    NEGATIVE = "negative"
    ZERO = "zero"
    TOO_LARGE = "too_large"
    TOO_PRECISE = "too_precise"


class AmountError(ValueError):
    def __init__(self, problem: AmountProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def exponent(currency: str) -> int:
    return EXPONENTS.get(currency, 2)


def sign(currency: str) -> str:
    return SIGNS.get(currency, currency)


_SPACES = " \u00a0\u202f\u2009'’_"
_SCALE = (
    (Decimal(10) ** 9, r"млрд\w*|миллиард\w*|billions?|bn|b"),
    (Decimal(10) ** 6, r"млн\w*|миллион\w*|millions?|mln|m|м|лям\w*"),
    (Decimal(10) ** 3, r"тыс\w*|тысяч\w*|thousands?|k|к|т"),
)
# The words and signs people write a currency with, and the currency each names.
_CURRENCY_WORDS = (
    ("RUB", r"₽|руб\w*|р|rub|rur"),
    ("USD", r"\$|usd|долл\w*|dollars?"),
    ("EUR", r"€|eur|евро"),
    ("GBP", r"£|gbp"),
    ("KZT", r"₸|kzt|тенге"),
    ("UAH", r"₴|uah|грн"),
)
_CURRENCY = "|".join(
    [words for _, words in _CURRENCY_WORDS]
    + [code.lower() for code in EXPONENTS if code not in dict(_CURRENCY_WORDS)]
)
_AMOUNT = re.compile(
    rf"(?:(?P<before>{_CURRENCY})\.?\s*)?"
    rf"(?P<n>\d[\d{_SPACES}.,]*)"
    rf"\s*(?P<s>{'|'.join(words for _, words in _SCALE)})?\.?"
    rf"\s*(?:(?P<after>{_CURRENCY})\.?)?",
    re.IGNORECASE,
)
_MINUS = ("-", "−", "–", "—")


def _scale(word: str | None) -> Decimal:
    if not word:
        return Decimal(1)
    for factor, words in _SCALE:
        if re.fullmatch(words, word, re.IGNORECASE):
            return factor
    return Decimal(1)


def _groups_of_three(groups: list[str]) -> bool:
    return bool(groups[0]) and len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])


def _number(raw: str, scaled: bool) -> Decimal:
    """`150 000`, `150000,50`, `1.500.000`, `1,500.50`, `1 500,5`: digits grouped by
    spaces, dots or commas, and at most one decimal separator."""
    raw = raw.rstrip(_SPACES + ".,")
    spaced = re.split(f"[{_SPACES}]+", raw)
    if len(spaced) > 1:
        # Spaces group thousands: the groups after the first have three digits each,
        # and only the last may carry a decimal part.
        tail = re.split("[.,]", spaced[-1], maxsplit=1)
        if not _groups_of_three([*spaced[:-1], tail[0]]) or re.search("[.,]", "".join(spaced[:-1])):
            raise AmountError(AmountProblem.NOT_A_NUMBER)
        raw = "".join(spaced[:-1]) + tail[0] + ("." + tail[1] if len(tail) > 1 else "")
        grouped_by_spaces = True
    else:
        grouped_by_spaces = False
    separators = [char for char in raw if char in ".,"]
    if len(set(separators)) == 2:
        # Both kinds: the last one is the decimal point, the other groups thousands.
        point = separators[-1]
        group = "," if point == "." else "."
        whole, _, fraction = raw.rpartition(point)
        if group in fraction or not _groups_of_three(whole.split(group)):
            raise AmountError(AmountProblem.NOT_A_NUMBER)
        raw = whole.replace(group, "") + "." + fraction
    elif len(separators) > 1:
        if not _groups_of_three(re.split("[.,]", raw)):
            raise AmountError(AmountProblem.NOT_A_NUMBER)
        raw = re.sub("[.,]", "", raw)
    elif separators:
        whole, _, fraction = raw.partition(separators[0])
        # `150.000` and `1,500` group thousands; `1,5`, `150000,50` and `1.5 млн` are
        # decimals (a scale word or space grouping leaves no doubt).
        thousands = (
            not scaled
            and not grouped_by_spaces
            and len(fraction) == 3
            and 1 <= len(whole) <= 3
            and whole != "0"
        )
        raw = whole + fraction if thousands else whole + "." + fraction
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise AmountError(AmountProblem.NOT_A_NUMBER) from None


def _named_currency(word: str | None) -> str | None:
    if not word:
        return None
    for code, words in _CURRENCY_WORDS:
        if re.fullmatch(words, word, re.IGNORECASE):
            return code
    return word.upper()


def parse_amount(text: str, currency: str) -> Decimal:
    """What a manager types for a deal: `150 000`, `150000,50`, `1,5 млн`, `300к`,
    `150 000 ₽`, `$2.5k`. AmountError says what is wrong, e.g. dollars typed where the
    company counts in roubles (nothing is converted)."""
    text = text.strip()
    if text.startswith(_MINUS) or (text[:1] in SIGNS.values() and text[1:2] in _MINUS):
        raise AmountError(AmountProblem.NEGATIVE)
    match = _AMOUNT.fullmatch(text)
    if match is None or (match.group("before") and match.group("after")):
        raise AmountError(AmountProblem.NOT_A_NUMBER)
    named = _named_currency(match.group("before") or match.group("after"))
    if named is not None and named != currency:
        raise AmountError(AmountProblem.OTHER_CURRENCY)
    scale = _scale(match.group("s"))
    value = _number(match.group("n"), scaled=match.group("s") is not None) * scale
    return check_amount(value)


def check_amount(value: Decimal) -> Decimal:
    """More than zero and at most a trillion (NaN and infinities are no numbers)."""
    if not value.is_finite():
        raise AmountError(AmountProblem.NOT_A_NUMBER)
    if value < 0:
        raise AmountError(AmountProblem.NEGATIVE)
    if value == 0:
        raise AmountError(AmountProblem.ZERO)
    if value > MAX_AMOUNT:
        raise AmountError(AmountProblem.TOO_LARGE)
    return value


def to_minor(value: Decimal, currency: str) -> int:
    """Whole minor units; more decimals than the currency has is TOO_PRECISE (never
    rounded away behind the manager's back)."""
    scaled = check_amount(value) * (Decimal(10) ** exponent(currency))
    if scaled != scaled.to_integral_value():
        raise AmountError(AmountProblem.TOO_PRECISE)
    return int(scaled)


def to_major(minor: int, currency: str) -> int | float:
    """For JSON: a whole number when there are no minor units, else the nearest float
    (exact to the minor unit for every amount up to MAX_AMOUNT)."""
    units = 10 ** exponent(currency)
    return minor // units if minor % units == 0 else minor / units


def amount_fields(minor: int | None, currency: str | None) -> dict[str, int | float | str | None]:
    """What the API and the webhooks say of a deal: `amount` in major units (a JSON
    number) and its `currency`; both null when there is none."""
    if minor is None or currency is None:
        return {"amount": None, "currency": None}
    return {"amount": to_major(minor, currency), "currency": currency}


def digits(minor: int, currency: str, *, group: str, point: str) -> str:
    """`150 000`, `150 000,50`: thousands grouped, minor units only when there are any."""
    units = 10 ** exponent(currency)
    whole, rest = divmod(abs(minor), units)
    text = f"{whole:,}".replace(",", group)
    if rest:
        text += point + str(rest).rjust(exponent(currency), "0")
    return ("-" if minor < 0 else "") + text


def average(total: int, count: int) -> int | None:
    """Rounded half up to the minor unit; None for nothing to average."""
    if count <= 0:
        return None
    return (2 * total + count) // (2 * count)
