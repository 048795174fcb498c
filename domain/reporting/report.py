"""Report assembly: every figure of a period, for the team and per manager. Here each fact
is checked against the period and credited to a manager (the rules are in the package
docstring); `statistics` then turns each scope's facts into its figures."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.reporting.facts import ComplaintFacts, LeadFacts, SlaTargets, SurveyFacts
from domain.reporting.history import OPEN_STAGES, History, replay
from domain.reporting.periods import Period
from domain.reporting.statistics import (
    Breach,
    Complaints,
    Funnel,
    Offers,
    Outcomes,
    Revenue,
    Sla,
    Stats,
    Surveys,
    complaints_of,
    funnel_of,
    offers_of,
    outcomes_of,
    ranked,
    revenue_of,
    sla_of,
    stats,
    surveys_of,
)
from domain.special_terms import ManagerTerms


@dataclass(frozen=True)
class Section:
    """Every number for one scope: the team, or one manager."""

    leads: int = 0
    by_channel: tuple[tuple[str, int], ...] = ()
    by_source: tuple[tuple[str, int], ...] = ()
    funnel: Funnel = field(default_factory=Funnel)
    first_response: Stats = field(default_factory=Stats)
    offers: Offers = field(default_factory=Offers)
    time_in_stage: tuple[tuple[str, Stats], ...] = ()
    in_stage_now: tuple[tuple[str, int], ...] = ()
    sla: Sla = field(default_factory=Sla)
    outcomes: Outcomes = field(default_factory=Outcomes)
    revenue: Revenue = field(default_factory=Revenue)
    surveys: Surveys = field(default_factory=Surveys)
    complaints: Complaints = field(default_factory=Complaints)


@dataclass(frozen=True)
class Report:
    period: Period
    generated_at: datetime
    team: Section
    # Per manager id; None holds what nobody held (the queue, unassigned leads).
    managers: Mapping[int | None, Section]
    names: Mapping[int, str]
    scope_manager_id: int | None = None
    # Customers who pressed /start in the period and have not written a question yet.
    started_no_question: int = 0
    # The currency of every amount in the report (ISO 4217).
    currency: str = "RUB"
    # Special terms answered in the period, per manager who asked (domain/special_terms).
    special_terms: tuple[ManagerTerms, ...] = ()
    # Moves a stage gate refused in the period, per manager id who tried: (id, count),
    # most first (domain/gates.py; counted from the lead events).
    gate_skips: tuple[tuple[int, int], ...] = ()

    def name(self, manager_id: int | None) -> str:
        if manager_id is None:
            return "—"
        return self.names.get(manager_id, f"#{manager_id}")


@dataclass(frozen=True)
class _Item:
    """One measured fact, with the manager it is credited to."""

    manager_id: int | None
    value: Any


def _sla_items(history: History, targets: SlaTargets, period: Period, now: datetime) -> list[_Item]:
    """SLA verdicts judged in the period: value = (kind, met, Breach | None)."""
    items: list[_Item] = []
    lead = history.lead
    as_of = min(period.end, now)
    # First response: judged at the answer, or when the deadline passes unanswered.
    due = (lead.sla_start or lead.created_at) + targets.first_response
    answer = history.first_response_at
    first_close = history.closes[0].at if history.closes else None
    if answer is not None and answer <= due:
        if period.start <= answer < as_of:
            items.append(_Item(history.first_responder, ("first_response", True, None)))
    elif answer is None and first_close is not None and first_close <= due:
        pass  # closed before anyone had to answer: nothing to judge
    elif period.start <= due < as_of:
        holder = history.holder_at(due)
        breach = Breach(lead.id, "first_response", due, holder)
        items.append(_Item(holder, ("first_response", False, breach)))
    # Stages with a time limit: judged when the lead leaves, or when the limit runs out.
    for visit in history.visits:
        limit = targets.stage_limits.get(visit.stage)
        if limit is None:
            continue
        deadline = visit.entered + limit
        left = visit.left
        if left is not None and left <= deadline:
            if period.start <= left < as_of:
                items.append(_Item(history.holder_at(left), ("stage", True, None)))
        elif period.start <= deadline < as_of:
            holder = history.holder_at(deadline)
            breach = Breach(lead.id, visit.stage, deadline, holder)
            items.append(_Item(holder, ("stage", False, breach)))
    return items


def build_report(
    period: Period,
    now: datetime,
    leads: Iterable[LeadFacts],
    *,
    targets: SlaTargets,
    surveys: Iterable[SurveyFacts] = (),
    complaints: Iterable[ComplaintFacts] = (),
    names: Mapping[int, str] | None = None,
    manager_id: int | None = None,
    currency: str = "RUB",
) -> Report:
    """Every number of the period, for the team and per manager.

    With `manager_id` the report is that manager's own: the team section holds his
    numbers, and no other manager's appear.
    """
    histories = [replay(lead) for lead in leads]
    as_of = min(period.end, now)

    cohort = [_Item(h.owner, h) for h in histories if period.contains(h.lead.created_at)]

    responses: list[_Item] = []
    team_waits: list[float] = []
    for history in histories:
        answer = history.first_response_at
        if answer is None or not (period.start <= answer < as_of):
            continue
        team_waits.append((answer - history.lead.created_at).total_seconds())
        holding = history.holding_of(history.first_responder, answer)
        since = holding.start if holding is not None else history.lead.created_at
        responses.append(_Item(history.first_responder, (answer - since).total_seconds()))

    decisions = [
        _Item(d.manager_id, d)
        for h in histories
        for d in h.decisions
        if period.start <= d.decided_at < as_of
    ]
    offered = [
        _Item(manager, 1)
        for h in histories
        for manager, at in h.offers
        if period.start <= at < as_of
    ]

    stage_times: list[_Item] = []
    stuck: list[_Item] = []
    for history in histories:
        for visit in history.visits:
            if visit.stage not in OPEN_STAGES:
                continue
            if visit.left is not None and period.start <= visit.left < as_of:
                seconds = (visit.left - visit.entered).total_seconds()
                stage_times.append(_Item(history.holder_at(visit.left), (visit.stage, seconds)))
            if visit.left is None:
                stuck.append(_Item(history.owner, visit.stage))

    sla_items = [item for h in histories for item in _sla_items(h, targets, period, now)]

    closes = [
        _Item(close.manager_id, (close, h.lead))
        for h in histories
        if (close := h.close_in(period, now)) is not None
    ]

    answered = [
        _Item(s.manager_id, float(s.score))
        for s in surveys
        if s.score is not None and period.contains(s.answered_at)
    ]

    complaint_list = list(complaints)
    complaint_items = [_Item(c.owner_id or c.manager_id, c) for c in complaint_list]

    def section(select: Callable[[list[_Item]], list[Any]], team_wait: bool) -> Section:
        funnel_leads = select(cohort)
        sla_verdicts = select(sla_items)
        stage_groups: dict[str, list[float]] = defaultdict(list)
        for stage, seconds in select(stage_times):
            stage_groups[stage].append(seconds)
        return Section(
            leads=len(funnel_leads),
            by_channel=ranked(Counter(h.lead.channel for h in funnel_leads)),
            by_source=ranked(Counter(h.lead.source or h.lead.channel for h in funnel_leads)),
            funnel=funnel_of(funnel_leads),
            first_response=stats(team_waits if team_wait else select(responses)),
            offers=offers_of(select(decisions), len(select(offered))),
            time_in_stage=tuple(
                (stage, stats(stage_groups[stage])) for stage in OPEN_STAGES if stage_groups[stage]
            ),
            in_stage_now=tuple(
                (stage, count) for stage in OPEN_STAGES if (count := Counter(select(stuck))[stage])
            ),
            sla=sla_of(sla_verdicts),
            outcomes=outcomes_of([close for close, _ in select(closes)]),
            revenue=revenue_of(
                [
                    (lead.source or lead.channel, lead.amount)
                    for close, lead in select(closes)
                    if close.outcome == "won"
                ]
            ),
            surveys=surveys_of(select(answered)),
            complaints=complaints_of(select(complaint_items), period, now),
        )

    def everything(items: list[_Item]) -> list[Any]:
        return [item.value for item in items]

    def only(manager: int | None) -> Callable[[list[_Item]], list[Any]]:
        return lambda items: [item.value for item in items if item.manager_id == manager]

    involved: set[int | None] = set()
    for group in (cohort, responses, decisions, stage_times, sla_items, closes, answered):
        involved.update(item.manager_id for item in group)
    involved.update(item.manager_id for item in complaint_items)
    managers = {manager: section(only(manager), team_wait=False) for manager in involved}
    if manager_id is not None:
        mine = managers.get(manager_id) or section(only(manager_id), team_wait=False)
        return Report(
            period,
            now,
            mine,
            {manager_id: mine},
            dict(names or {}),
            scope_manager_id=manager_id,
            currency=currency,
        )
    team = section(everything, team_wait=True)
    return Report(period, now, team, managers, dict(names or {}), currency=currency)


def manager_order(report: Report) -> list[int | None]:
    """Managers by name, what nobody held last."""
    named = sorted((m for m in report.managers if m is not None), key=lambda m: report.name(m))
    return named + ([None] if None in report.managers else [])
