"""Which plural form a count takes: Russian has three (1 шаг, 2 шага, 5 шагов; 11–14 take
the third, 21 the first again), English two. The catalogue keeps one text per form under
`<key>_one`, `<key>_few`, `<key>_many` (English repeats its plural in `_few`).

A fraction takes the form Russian gives it after a decimal (1,1 менеджера, 0,5 часа: the
`_few` text) and English its plural (1.1 managers)."""

from __future__ import annotations

from decimal import Decimal

FORMS = ("one", "few", "many")


def plural_form(language: str, count: int | float | Decimal) -> str:
    if count != int(count):
        return "many" if language == "en" else "few"
    n = abs(int(count))
    if language == "en":
        return "one" if n == 1 else "many"
    if n % 10 == 1 and n % 100 != 11:
        return "one"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "few"
    return "many"
