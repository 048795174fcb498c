"""Which plural form a count takes: Russian has three (1 шаг, 2 шага, 5 шагов; 11–14 take
the third, 21 the first again), English two. The catalogue keeps one text per form under
`<key>_one`, `<key>_few`, `<key>_many` (English repeats its plural in `_few`)."""

from __future__ import annotations

FORMS = ("one", "few", "many")


def plural_form(language: str, count: int) -> str:
    n = abs(int(count))
    if language == "en":
        return "one" if n == 1 else "many"
    if n % 10 == 1 and n % 100 != 11:
        return "one"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "few"
    return "many"
