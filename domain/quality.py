"""Quality sampling, the pure rules: when the weekly sample falls due, which closed
conversations it takes (N random ones per manager, reproducible for a given random
source), what a grade may be, and each manager's grade figures for a report."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.hours import WEEKDAYS

GRADES = (1, 2, 3, 4, 5)
# The sample covers the conversations closed in the week before it falls due.
WINDOW = timedelta(days=7)
COMMENT_LIMIT = 1000


@dataclass(frozen=True)
class SendAt:
    """A weekday (0 = Monday) and a time of day, in the company's time zone."""

    weekday: int
    at: time


def parse_send_at(value: str) -> SendAt:
    """`mon 10:00` (also `Mon 9:30`); ValueError says what is expected."""
    words = str(value).strip().lower().split()
    problem = f"expected a weekday and a time like 'mon 10:00', got {value!r}"
    if len(words) != 2 or words[0][:3] not in WEEKDAYS:
        raise ValueError(problem)
    hours, _, minutes = words[1].partition(":")
    try:
        return SendAt(WEEKDAYS.index(words[0][:3]), time(int(hours), int(minutes)))
    except ValueError:
        raise ValueError(problem) from None


def next_due(after: datetime, send_at: SendAt, zone: ZoneInfo) -> datetime:
    """The first scheduled moment strictly after `after`, in UTC terms (aware)."""
    local = after.astimezone(zone)
    days_ahead = (send_at.weekday - local.weekday()) % 7
    for extra in (0, 7, 14):
        day = local.date() + timedelta(days=days_ahead + extra)
        moment = datetime.combine(day, send_at.at, tzinfo=zone)
        if moment > after:
            return moment.astimezone(after.tzinfo)
    raise AssertionError("unreachable: a week ahead is always later")


def week_key(due: datetime, zone: ZoneInfo) -> str:
    """The ISO week the sample belongs to, e.g. `2026-W02`: at most one sample a week."""
    year, week, _ = due.astimezone(zone).isocalendar()
    return f"{year}-W{week:02d}"


def window(due: datetime) -> tuple[datetime, datetime]:
    """Closed in [start, end): the week before the sample falls due."""
    return due - WINDOW, due


@dataclass(frozen=True)
class Conversation:
    lead_id: int
    manager_id: int


def pick_sample(
    conversations: Iterable[Conversation], per_manager: int, rng: random.Random
) -> list[Conversation]:
    """Up to `per_manager` random conversations of each manager. The candidates are put
    in a fixed order first, so the same random source picks the same sample."""
    by_manager: dict[int, list[Conversation]] = {}
    for item in sorted(set(conversations), key=lambda c: (c.manager_id, c.lead_id)):
        by_manager.setdefault(item.manager_id, []).append(item)
    chosen: list[Conversation] = []
    for manager_id in sorted(by_manager):
        pool = by_manager[manager_id]
        picked = rng.sample(pool, min(per_manager, len(pool)))
        chosen.extend(sorted(picked, key=lambda c: c.lead_id))
    return chosen


def valid_grade(value: int) -> bool:
    return value in GRADES


@dataclass(frozen=True)
class GradeFigures:
    count: int
    average: float


def grade_figures(grades: Iterable[tuple[int, int]]) -> dict[int, GradeFigures]:
    """(manager id, grade) pairs → each manager's count and average (2 decimals)."""
    collected: dict[int, list[int]] = {}
    for manager_id, grade in grades:
        collected.setdefault(manager_id, []).append(grade)
    return {
        manager_id: GradeFigures(len(values), round(sum(values) / len(values), 2))
        for manager_id, values in collected.items()
    }


def per_manager_counts(sample: Sequence[Conversation]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for item in sample:
        counts[item.manager_id] = counts.get(item.manager_id, 0) + 1
    return counts


@dataclass(frozen=True)
class QualityRow:
    """One manager's line of the quality section: the head's grades beside the
    customers' survey scores."""

    manager_id: int
    name: str
    grades: int
    grade: float | None
    answers: int
    score: float | None


def quality_rows(
    grades: dict[int, GradeFigures],
    surveys: dict[int, tuple[int, float | None]],
    names: dict[int, str],
) -> list[QualityRow]:
    """Everyone graded or surveyed, by name; nothing when no grade was given at all (the
    survey scores alone are in the report's manager lines already)."""
    if not grades:
        return []
    rows = []
    for manager_id in set(grades) | {m for m, (count, _) in surveys.items() if count}:
        figures = grades.get(manager_id)
        answers, score = surveys.get(manager_id, (0, None))
        rows.append(
            QualityRow(
                manager_id,
                names.get(manager_id, f"#{manager_id}"),
                figures.count if figures else 0,
                figures.average if figures else None,
                answers,
                score,
            )
        )
    return sorted(rows, key=lambda row: (row.name, row.manager_id))
