"""domain.durations: the `45s`/`30m`/`2h`/`3d` spelling used by the YAML config."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.durations import format_duration, parse_duration, span_units


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45s", timedelta(seconds=45)),
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("3d", timedelta(days=3)),
        ("1.5h", timedelta(minutes=90)),
        ("0.5d", timedelta(hours=12)),
        ("0s", timedelta(0)),
        ("90m", timedelta(hours=1, minutes=30)),
        (" 30m ", timedelta(minutes=30)),
        ("30 m", timedelta(minutes=30)),
        ("1.5s", timedelta(seconds=1, milliseconds=500)),
    ],
)
def test_parse_duration_strings(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (0, timedelta(0)),
        (45, timedelta(seconds=45)),
        (3600, timedelta(hours=1)),
        (1.5, timedelta(seconds=1, milliseconds=500)),
    ],
)
def test_parse_duration_bare_numbers_are_seconds(number: float, expected: timedelta) -> None:
    assert parse_duration(number) == expected


def test_parse_duration_passes_a_timedelta_through() -> None:
    delta = timedelta(minutes=7)
    assert parse_duration(delta) is delta


@pytest.mark.parametrize(
    "value",
    ["", "   ", "10x", "-5m", "5", "m", "h2", "2 hours", "1,5h", "5mm", "30M", None, [], {}],
)
def test_parse_duration_rejects_junk_with_an_example_in_the_message(value: object) -> None:
    with pytest.raises(ValueError) as caught:
        parse_duration(value)
    message = str(caught.value)
    assert message == f"expected a duration such as 45s, 30m, 2h or 3d, got {value!r}"


@pytest.mark.parametrize("value", [True, False])
def test_parse_duration_rejects_booleans(value: bool) -> None:
    # bool is an int subclass; `first_response: yes` must not become 1 second.
    with pytest.raises(ValueError, match=r"^expected a duration such as 45s, 30m, 2h or 3d$"):
        parse_duration(value)


@pytest.mark.parametrize("value", [-1, -0.5, -3600])
def test_parse_duration_rejects_negative_numbers(value: float) -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        parse_duration(value)


@pytest.mark.parametrize("value", ["99999999999d", float("inf")])
def test_parse_duration_out_of_range_is_a_value_error(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=45), "45s"),
        (timedelta(seconds=60), "1m"),
        (timedelta(seconds=61), "61s"),
        (timedelta(minutes=30), "30m"),
        (timedelta(minutes=90), "90m"),
        (timedelta(hours=2), "2h"),
        (timedelta(hours=36), "36h"),
        (timedelta(days=1), "1d"),
        (timedelta(days=3), "3d"),
        (timedelta(days=14), "14d"),
    ],
)
def test_format_duration_shortest_spelling(delta: timedelta, text: str) -> None:
    assert format_duration(delta) == text
    assert parse_duration(text) == delta


@given(st.integers(min_value=0, max_value=10**9))
def test_format_then_parse_round_trips_whole_seconds(seconds: int) -> None:
    delta = timedelta(seconds=seconds)
    text = format_duration(delta)
    assert parse_duration(text) == delta
    assert text[-1] in "smhd"


@given(st.sampled_from(["s", "m", "h", "d"]), st.integers(min_value=1, max_value=10_000))
def test_parse_then_format_never_grows(unit: str, amount: int) -> None:
    text = f"{amount}{unit}"
    again = format_duration(parse_duration(text))
    assert parse_duration(again) == parse_duration(text)
    assert len(again) <= len(text)


def test_format_duration_keeps_fractional_seconds() -> None:
    delta = parse_duration("1.5s")
    assert parse_duration(format_duration(delta)) == delta


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=0), (0, "s")),
        (timedelta(seconds=20), (20, "s")),  # a 20 s timeout is not "1 min"
        (timedelta(seconds=59.4), (59, "s")),
        (timedelta(seconds=59.6), (1, "m")),
        (timedelta(seconds=90), (2, "m")),  # rounded half to even: 1.5 → 2
        (timedelta(minutes=30), (30, "m")),
        (timedelta(minutes=90), (90, "m")),
        (timedelta(minutes=60), (1, "h")),
        (timedelta(minutes=150), (150, "m")),
        (timedelta(hours=3), (3, "h")),
        (timedelta(days=2), (2, "d")),
        (timedelta(hours=36), (36, "h")),
    ],
)
def test_span_units_seconds_then_whole_minutes_in_the_largest_exact_unit(
    delta: timedelta, expected: tuple[int, str]
) -> None:
    assert span_units(delta) == expected


def test_one_span_formatter_for_chat_reports_and_dashboard() -> None:
    from texts import Texts
    from usecases.replies import format_span as chat_span
    from usecases.spans import format_seconds, format_span

    texts = Texts()
    assert chat_span is format_span
    assert format_span(texts, timedelta(minutes=30), "ru") == "30 мин"
    assert format_seconds(texts, 7200, "en") == "2 h"
    assert format_seconds(texts, None, "en") == "—"


def test_ages_under_a_minute_are_just_now() -> None:
    from texts import Texts
    from usecases.spans import format_age

    texts = Texts()
    assert format_age(texts, timedelta(seconds=3), "ru") == "только что"
    assert format_age(texts, timedelta(seconds=3), "en") == "just now"
    assert format_age(texts, timedelta(minutes=5), "ru") == "5 мин назад"
    assert format_age(texts, timedelta(hours=2), "en") == "2 h ago"
