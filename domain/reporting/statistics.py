"""The figures of one report section, each computed from the facts already credited to
that scope (the team, or one manager): duration statistics, the funnel, offers, SLA
compliance, outcomes, surveys and complaints. Which facts belong to a scope is decided
in `report`; here a figure only adds them up."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from domain.money import average
from domain.reporting.facts import ComplaintFacts
from domain.reporting.history import FUNNEL_STAGES, OPEN_STAGES, Close, History, OfferDecision
from domain.reporting.periods import Period


@dataclass(frozen=True)
class Stats:
    """Durations in seconds; None where there is nothing to measure."""

    count: int = 0
    median: float | None = None
    p90: float | None = None
    mean: float | None = None


def quantile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between the closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def stats(values: Iterable[float]) -> Stats:
    items = list(values)
    if not items:
        return Stats()
    median, p90 = quantile(items, 0.5), quantile(items, 0.9)
    assert median is not None and p90 is not None
    # Tenths of a second: exact enough for people, and free of float noise in JSON.
    return Stats(len(items), round(median, 1), round(p90, 1), round(sum(items) / len(items), 1))


@dataclass(frozen=True)
class StageStep:
    stage: str
    reached: int
    # Share of the previous stage's leads that got here (None for the first stage or 0/0).
    conversion: float | None


@dataclass(frozen=True)
class Funnel:
    leads: int = 0
    steps: tuple[StageStep, ...] = ()
    open: int = 0
    won: int = 0
    lost: int = 0
    disqualified: int = 0

    @property
    def win_rate(self) -> float | None:
        return self.won / self.leads if self.leads else None


@dataclass(frozen=True)
class Offers:
    offered: int = 0
    accepted: int = 0
    declined: int = 0
    expired: int = 0
    accept_time: Stats = field(default_factory=Stats)


@dataclass(frozen=True)
class Compliance:
    met: int = 0
    breached: int = 0

    @property
    def rate(self) -> float | None:
        judged = self.met + self.breached
        return self.met / judged if judged else None


@dataclass(frozen=True)
class Breach:
    lead_id: int
    kind: str  # first_response, or the stage whose time ran out
    due_at: datetime
    manager_id: int | None


@dataclass(frozen=True)
class Sla:
    first_response: Compliance = field(default_factory=Compliance)
    stages: Compliance = field(default_factory=Compliance)
    breaches: tuple[Breach, ...] = ()

    @property
    def overall(self) -> Compliance:
        return Compliance(
            self.first_response.met + self.stages.met,
            self.first_response.breached + self.stages.breached,
        )


@dataclass(frozen=True)
class Outcomes:
    won: int = 0
    lost: int = 0
    disqualified: int = 0
    # Loss and disqualification reasons, most frequent first ("" where none was given).
    reasons: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Revenue:
    """The deals won in the period, in minor units of the report's currency. A win
    without an amount counts in `without_amount`, not in the total nor the average."""

    total: int = 0
    deals: int = 0
    without_amount: int = 0
    # Revenue per source (the channel where there is none), largest first.
    by_source: tuple[tuple[str, int], ...] = ()

    @property
    def average(self) -> int | None:
        return average(self.total, self.deals)


@dataclass(frozen=True)
class Surveys:
    answered: int = 0
    average: float | None = None


@dataclass(frozen=True)
class Complaints:
    new: int = 0
    open: int = 0
    overdue: int = 0
    resolved: int = 0
    overdue_ids: tuple[int, ...] = ()


def ranked(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    """Most frequent first, ties by name, so that every list reads the same wherever shown."""
    return tuple(sorted(counter.items(), key=lambda pair: (-pair[1], pair[0])))


def funnel_of(histories: Sequence[History]) -> Funnel:
    """How far the cohort's leads got (a win passes every stage), and where they are now."""
    furthest = [history.furthest_stage() for history in histories]
    steps = []
    previous = 0
    for index, stage in enumerate(FUNNEL_STAGES):
        reached = sum(1 for value in furthest if value >= index)
        conversion = reached / previous if previous else None
        steps.append(StageStep(stage, reached, conversion))
        previous = reached
    now_stages = Counter(history.visits[-1].stage for history in histories)
    return Funnel(
        leads=len(histories),
        steps=tuple(steps),
        open=sum(now_stages[stage] for stage in OPEN_STAGES),
        won=now_stages["won"],
        lost=now_stages["lost"],
        disqualified=now_stages["disqualified"],
    )


def offers_of(decisions: Sequence[OfferDecision], offered: int) -> Offers:
    """Offers decided, and how long the accepted ones waited for their answer."""
    kinds = Counter(decision.outcome for decision in decisions)
    waits = [
        (decision.decided_at - decision.offered_at).total_seconds()
        for decision in decisions
        if decision.outcome == "accepted" and decision.offered_at is not None
    ]
    return Offers(offered, kinds["accepted"], kinds["declined"], kinds["expired"], stats(waits))


def outcomes_of(closes: Sequence[Close]) -> Outcomes:
    kinds = Counter(close.outcome for close in closes)
    reasons = Counter(close.reason for close in closes if close.outcome != "won")
    return Outcomes(kinds["won"], kinds["lost"], kinds["disqualified"], ranked(reasons))


def revenue_of(wins: Sequence[tuple[str, int | None]]) -> Revenue:
    """Wins as (source, amount or None)."""
    priced = [(source, amount) for source, amount in wins if amount is not None]
    sources: Counter[str] = Counter()
    for source, amount in priced:
        sources[source] += amount
    return Revenue(
        total=sum(amount for _, amount in priced),
        deals=len(priced),
        without_amount=len(wins) - len(priced),
        by_source=ranked(sources),
    )


def complaints_of(items: Sequence[ComplaintFacts], period: Period, now: datetime) -> Complaints:
    """New and resolved in the period; open and overdue as of now."""
    open_now = [item for item in items if not item.done(now)]
    overdue = sorted(item.id for item in open_now if item.deadline_at <= now)
    return Complaints(
        new=sum(1 for item in items if period.contains(item.created_at)),
        open=len(open_now),
        overdue=len(overdue),
        resolved=sum(
            1
            for item in items
            if period.contains(item.resolved_at) and item.status not in ("rejected",)
        ),
        overdue_ids=tuple(overdue),
    )


def sla_of(verdicts: Sequence[tuple[str, bool, Breach | None]]) -> Sla:
    """Verdicts as (kind, met, Breach | None); breaches in the order their deadlines passed."""
    first = Counter(met for kind, met, _ in verdicts if kind == "first_response")
    stages = Counter(met for kind, met, _ in verdicts if kind != "first_response")
    breaches = sorted(
        (breach for _, _, breach in verdicts if breach is not None),
        key=lambda breach: (breach.due_at, breach.lead_id),
    )
    return Sla(
        Compliance(first[True], first[False]),
        Compliance(stages[True], stages[False]),
        tuple(breaches),
    )


def surveys_of(scores: Sequence[float]) -> Surveys:
    if not scores:
        return Surveys()
    return Surveys(len(scores), round(sum(scores) / len(scores), 2))
