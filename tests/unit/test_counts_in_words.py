"""Counts read right in both languages at 1, 2, 5, 11 and 21: the spans of time every
text shows («5 мин», «21 дн»), every counted catalogue entry, and the check the full day
through the bot runs on what it sent (tests/support/language.py)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.support.language import plural_mistakes
from texts import Texts
from texts.loader import load
from usecases.spans import format_span

COUNTS = (1, 2, 5, 11, 21)
RUSSIAN_FORM = {1: "one", 2: "few", 5: "many", 11: "many", 21: "one"}


@pytest.mark.parametrize("count", COUNTS)
@pytest.mark.parametrize(
    ("unit", "russian", "english"),
    [
        (timedelta(minutes=1), "{n} мин", "{n} min"),
        (timedelta(hours=1), "{n} ч", "{n} h"),
        (timedelta(days=1), "{n} дн", "{n} d"),
    ],
)
def test_spans_of_time_read_right_at_every_count(
    count: int, unit: timedelta, russian: str, english: str
) -> None:
    # Russian writes the units short, the same for every count; so does English.
    texts = Texts()
    assert format_span(texts, unit * count, "ru") == russian.format(n=count)
    assert format_span(texts, unit * count, "en") == english.format(n=count)


@pytest.mark.parametrize("key", sorted(load("ru").plurals))
def test_every_counted_text_takes_its_form(key: str) -> None:
    texts = Texts()
    for count in COUNTS:
        russian = texts.plural(key, "ru", count)
        assert russian == texts.get(f"{key}_{RUSSIAN_FORM[count]}", "ru", count=count)
        english = texts.plural(key, "en", count)
        assert english == texts.get(f"{key}_{'one' if count == 1 else 'many'}", "en", count=count)
        assert not plural_mistakes("ru", russian), (key, russian)
        assert not plural_mistakes("en", english), (key, english)


def test_no_text_counts_without_a_plural_entry() -> None:
    """A count right before a Russian word outside a plural entry would read wrong for
    some numbers; only the short units (and words that do not change) may follow one."""
    catalogue = load("ru")
    invariant = {"мин", "ч", "дн", "с", "без", "из"}
    wrong = {}
    for key, text in catalogue.bot.items():
        if re.sub(r"_(one|few|many)$", "", key) in catalogue.plurals:
            continue
        for word in re.findall(r"\{(?:count|n)\}\s+([а-яё]+)", text, re.IGNORECASE):
            if word not in invariant:
                wrong[key] = text
    assert not wrong


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("ru", "Выручка: 100 ₽ (21 сделок)"),
        ("ru", "5 сделка"),
        ("ru", "11 сделки"),
        ("en", "2 deal"),
    ],
)
def test_the_check_finds_a_wrong_form(language: str, text: str) -> None:
    assert plural_mistakes(language, text)


def test_the_check_lets_right_forms_through() -> None:
    assert not plural_mistakes("ru", "1 сделка, 2 сделки, 5 сделок, 11 сделок, 21 сделка")
    assert not plural_mistakes("en", "1 deal, 2 deals, 21 deals")
