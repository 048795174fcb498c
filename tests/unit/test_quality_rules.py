"""The pure rules of quality sampling: when the weekly sample falls due, which
conversations it takes, the grades' figures, and its buttons' wire format."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.callbacks import QualityGrade
from config.business import ConfigError, parse_config
from domain.buttons import NO_COMMENT, grade_button
from domain.quality import (
    Conversation,
    GradeFigures,
    SendAt,
    grade_figures,
    next_due,
    parse_send_at,
    pick_sample,
    quality_rows,
    valid_grade,
    week_key,
    window,
)

MOSCOW = ZoneInfo("Europe/Moscow")


def test_send_at_reads_a_weekday_and_a_time() -> None:
    assert parse_send_at("mon 10:00") == SendAt(0, time(10, 0))
    assert parse_send_at("  Friday 9:30 ") == SendAt(4, time(9, 30))
    for bad in ("funday 10:00", "mon", "mon 25:00", "mon ten", "10:00 mon"):
        with pytest.raises(ValueError, match="weekday and a time"):
            parse_send_at(bad)


def test_the_config_section_names_what_is_wrong() -> None:
    config = parse_config({"quality": {"enabled": True, "send_at": "fri 17:30"}})
    assert config.quality.send_at == SendAt(4, time(17, 30))
    assert config.quality.per_manager == 3
    assert parse_config({}).quality.enabled is False
    with pytest.raises(ConfigError, match=r"quality\.per_manager"):
        parse_config({"quality": {"per_manager": 0}})
    with pytest.raises(ConfigError, match=r"quality\.send_at: expected a weekday"):
        parse_config({"quality": {"send_at": "someday"}})


def test_the_next_due_moment_is_the_next_weekday_and_time_in_the_zone() -> None:
    monday_10 = SendAt(0, time(10, 0))
    # Tuesday 6 January 2026, 12:00 Moscow → Monday 12 January, 10:00 Moscow (07:00 UTC).
    tuesday = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
    assert next_due(tuesday, monday_10, MOSCOW) == datetime(2026, 1, 12, 7, 0, tzinfo=UTC)
    # Monday 09:59 Moscow: the same day; exactly 10:00: a week later.
    assert next_due(datetime(2026, 1, 12, 6, 59, tzinfo=UTC), monday_10, MOSCOW) == datetime(
        2026, 1, 12, 7, 0, tzinfo=UTC
    )
    assert next_due(datetime(2026, 1, 12, 7, 0, tzinfo=UTC), monday_10, MOSCOW) == datetime(
        2026, 1, 19, 7, 0, tzinfo=UTC
    )
    # Sunday 23:30 UTC is already Monday 02:30 in Moscow.
    assert next_due(datetime(2026, 1, 11, 23, 30, tzinfo=UTC), monday_10, MOSCOW) == datetime(
        2026, 1, 12, 7, 0, tzinfo=UTC
    )


def test_the_week_key_and_the_window() -> None:
    due = datetime(2026, 1, 12, 7, 0, tzinfo=UTC)
    assert week_key(due, MOSCOW) == "2026-W03"
    assert week_key(datetime(2026, 12, 31, 22, 0, tzinfo=UTC), MOSCOW) == "2026-W53"
    start, end = window(due)
    assert (start, end) == (datetime(2026, 1, 5, 7, 0, tzinfo=UTC), due)


def test_the_sample_takes_n_per_manager_reproducibly() -> None:
    pool = [Conversation(lead, 1) for lead in range(1, 11)] + [
        Conversation(20, 2),
        Conversation(21, 2),
    ]
    first = pick_sample(pool, 3, random.Random(42))
    assert pick_sample(list(reversed(pool)), 3, random.Random(42)) == first
    assert [c.manager_id for c in first] == [1, 1, 1, 2, 2]
    assert {c.lead_id for c in first if c.manager_id == 2} == {20, 21}
    # Another seed, another sample (of the same size): the choice is random.
    others = {tuple(pick_sample(pool, 3, random.Random(seed))) for seed in range(20)}
    assert len(others) > 1
    assert pick_sample([], 3, random.Random(1)) == []


def test_grades_and_rows() -> None:
    assert [valid_grade(g) for g in (0, 1, 5, 6)] == [False, True, True, False]
    figures = grade_figures([(1, 5), (1, 4), (2, 2)])
    assert figures == {1: GradeFigures(2, 4.5), 2: GradeFigures(1, 2.0)}
    rows = quality_rows(figures, {1: (3, 4.67), 3: (1, 5.0), 4: (0, None)}, {1: "Юлия", 2: "Борис"})
    assert [(r.name, r.grades, r.grade, r.answers, r.score) for r in rows] == [
        ("#3", 0, None, 1, 5.0),
        ("Борис", 1, 2.0, 0, None),
        ("Юлия", 2, 4.5, 3, 4.67),
    ]
    assert quality_rows({}, {1: (3, 4.0)}, {}) == []


@pytest.mark.parametrize("grade", [NO_COMMENT, 1, 5])
def test_grade_buttons_round_trip(grade: int) -> None:
    data = grade_button(2_147_483_647, grade)
    parsed = QualityGrade.unpack(data)
    assert (parsed.sample_id, parsed.grade) == (2_147_483_647, grade)
    assert parsed.pack() == data
