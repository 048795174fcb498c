"""Report numbers from lead histories: plain functions over plain data, so that chat, the
dashboard and the API show the very same figures.

What is counted, and when (docs/dashboard.md says the same for heads of sales):

- A period is [start, end) in the company time zone (today, yesterday, this week from
  Monday, this calendar month, or given dates).
- Leads by channel and source, and the funnel, follow the leads *created* in the period
  (a cohort) up to now: how far they got.
- Everything else counts what *happened* in the period: first answers given, offers
  decided, stages left, SLA deadlines judged, deals closed, surveys answered.
- A lead is "held" by the manager it is offered or assigned to; it is credited to the
  holder of the moment (breaches to whoever held it when the deadline passed, a close to
  whoever held it when it closed), so a reassigned lead counts for each in turn.
- First response for the team is the customer's wait, from the lead's creation to the
  first answer (a reply, or the move to "contacted", as the SLA counts it). Per manager
  it runs from the moment the lead became his to his answer, so a lead that bounced
  between managers does not count against the one who finally answered.
- A lead reopened after a close (a `reopened` event, or a stage change out of a closed
  stage) counts as closed in a period only if it was still closed at the period's end.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

OPEN_STAGES = ("new", "contacted", "qualified", "proposal")
FUNNEL_STAGES = (*OPEN_STAGES, "won")
CLOSED_STAGES = ("won", "lost", "disqualified")
PERIOD_NAMES = ("today", "yesterday", "week", "month")
# Complaint statuses that need nobody's work any more.
COMPLAINT_DONE = frozenset({"resolved", "rejected", "closed"})


# ---------------------------------------------------------------- input


@dataclass(frozen=True)
class EventFact:
    """One entry of a lead's history, as stored in lead_events."""

    type: str
    at: datetime
    manager_id: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LeadFacts:
    id: int
    channel: str
    source: str | None
    created_at: datetime
    events: Sequence[EventFact] = ()
    # When the first-response clock started: the team's next working moment after creation.
    sla_start: datetime | None = None


@dataclass(frozen=True)
class SurveyFacts:
    lead_id: int
    manager_id: int | None
    score: int | None
    answered_at: datetime | None


@dataclass(frozen=True)
class ComplaintFacts:
    id: int
    status: str
    created_at: datetime
    deadline_at: datetime
    resolved_at: datetime | None = None
    owner_id: int | None = None
    manager_id: int | None = None

    def done(self, at: datetime) -> bool:
        if self.resolved_at is not None:
            return self.resolved_at <= at
        return self.status in COMPLAINT_DONE


@dataclass(frozen=True)
class SlaTargets:
    first_response: timedelta
    stage_limits: Mapping[str, timedelta] = field(default_factory=dict)


# ---------------------------------------------------------------- periods


class PeriodError(ValueError):
    """A period that cannot be reported on; the message says what is expected."""


@dataclass(frozen=True)
class Period:
    name: str  # today, yesterday, week, month, dates
    first_day: date  # local, inclusive
    last_day: date  # local, inclusive
    start: datetime  # UTC
    end: datetime  # UTC, exclusive

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end


def period_between(first: date, last: date, zone: ZoneInfo, name: str = "dates") -> Period:
    if last < first:
        raise PeriodError("the last day comes before the first")
    if (last - first).days > 366:
        raise PeriodError("a period is at most 366 days long")
    start = datetime.combine(first, time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    return Period(name, first, last, start, end)


def period_named(name: str, now: datetime, zone: ZoneInfo) -> Period:
    """today, yesterday, week (Monday to Sunday) or month, around `now` in `zone`."""
    today = now.astimezone(zone).date()
    if name == "today":
        return period_between(today, today, zone, name)
    if name == "yesterday":
        day = today - timedelta(days=1)
        return period_between(day, day, zone, name)
    if name == "week":
        monday = today - timedelta(days=today.weekday())
        return period_between(monday, monday + timedelta(days=6), zone, name)
    if name == "month":
        first = today.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return period_between(first, following - timedelta(days=1), zone, name)
    raise PeriodError(f"unknown period {name!r}, expected one of {', '.join(PERIOD_NAMES)}")


def parse_period(
    name: str | None, first: str | None, last: str | None, now: datetime, zone: ZoneInfo
) -> Period:
    """A named period, or dates given as YYYY-MM-DD (`last` defaults to `first`)."""
    if first:
        try:
            start_day = date.fromisoformat(first)
            end_day = date.fromisoformat(last) if last else start_day
        except ValueError:
            raise PeriodError("dates: expected YYYY-MM-DD") from None
        return period_between(start_day, end_day, zone)
    return period_named(name or "today", now, zone)


# ---------------------------------------------------------------- one lead's history


@dataclass(frozen=True)
class Holding:
    """A stretch of time a lead was offered or assigned to one manager."""

    manager_id: int
    start: datetime
    end: datetime | None


@dataclass(frozen=True)
class StageVisit:
    stage: str
    entered: datetime
    left: datetime | None


@dataclass(frozen=True)
class Close:
    at: datetime
    outcome: str
    reason: str
    manager_id: int | None


@dataclass(frozen=True)
class OfferDecision:
    manager_id: int
    offered_at: datetime | None
    decided_at: datetime
    outcome: str  # accepted, declined, expired


@dataclass(frozen=True)
class History:
    """A lead's history replayed: who held it when, its stages, answers, offers, closes."""

    lead: LeadFacts
    holdings: tuple[Holding, ...]
    visits: tuple[StageVisit, ...]
    first_response_at: datetime | None
    first_responder: int | None
    offers: tuple[tuple[int, datetime], ...]  # (manager, offered at)
    decisions: tuple[OfferDecision, ...]
    closes: tuple[Close, ...]

    def holder_at(self, moment: datetime) -> int | None:
        holder = None
        for holding in self.holdings:
            if holding.start <= moment and (holding.end is None or moment < holding.end):
                holder = holding.manager_id
        return holder

    def holding_of(self, manager_id: int | None, moment: datetime) -> Holding | None:
        for holding in reversed(self.holdings):
            if (
                holding.manager_id == manager_id
                and holding.start <= moment
                and (holding.end is None or moment <= holding.end)
            ):
                return holding
        return None

    @property
    def owner(self) -> int | None:
        """Whoever holds the lead at the end of its history (None: nobody)."""
        last = self.holdings[-1] if self.holdings else None
        return last.manager_id if last is not None and last.end is None else None

    def stage_at(self, moment: datetime) -> str:
        stage = "new"
        for visit in self.visits:
            if visit.entered <= moment:
                stage = visit.stage
        return stage

    def furthest_stage(self) -> int:
        """Index in FUNNEL_STAGES of the furthest stage reached (a win passes them all)."""
        reached = [FUNNEL_STAGES.index(v.stage) for v in self.visits if v.stage in FUNNEL_STAGES]
        return max(reached, default=0)

    def close_in(self, period: Period, now: datetime) -> Close | None:
        """The close that decided the lead in the period, if it was still closed at its end."""
        moment = min(period.end - timedelta(microseconds=1), now)
        if self.stage_at(moment) not in CLOSED_STAGES:
            return None
        closes = [close for close in self.closes if close.at <= moment]
        if not closes or not period.contains(closes[-1].at):
            return None
        return closes[-1]


def _reason(data: Mapping[str, Any]) -> str:
    # The same rule as the lead's loss_reason: "other" stands for the words typed.
    reason = data.get("reason")
    comment = data.get("comment")
    if reason in (None, "", "other"):
        return str(comment or reason or "").strip()
    return str(reason)


def _target(event: EventFact) -> int | None:
    data = event.data
    if event.type == "reassigned":
        return _int(data.get("to"))
    if event.type in ("assigned", "offered"):
        return _int(data.get("manager_id")) or event.manager_id
    return event.manager_id


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def replay(lead: LeadFacts) -> History:
    holdings: list[Holding] = []
    visits: list[StageVisit] = [StageVisit("new", lead.created_at, None)]
    first_response: tuple[datetime, int | None] | None = None
    offers: list[tuple[int, datetime]] = []
    pending: dict[int, datetime] = {}
    decisions: list[OfferDecision] = []
    closes: list[Close] = []
    last_open = "new"

    def hold(manager_id: int | None, at: datetime) -> None:
        release(at)
        if manager_id is not None:
            holdings.append(Holding(manager_id, at, None))

    def release(at: datetime, only: int | None = None) -> None:
        if holdings and holdings[-1].end is None:
            if only is None or holdings[-1].manager_id == only:
                holdings[-1] = replace(holdings[-1], end=at)

    def enter(stage: str, at: datetime) -> None:
        nonlocal last_open
        if visits[-1].stage == stage:
            return
        visits[-1] = replace(visits[-1], left=at)
        visits.append(StageVisit(stage, at, None))
        if stage in OPEN_STAGES:
            last_open = stage

    def answered(at: datetime, manager_id: int | None) -> None:
        nonlocal first_response
        if first_response is None:
            first_response = (at, manager_id)

    ordered = sorted(enumerate(lead.events), key=lambda item: (item[1].at, item[0]))
    for _, event in ordered:
        at, kind, data = event.at, event.type, event.data
        if kind == "offered":
            manager_id = _target(event)
            if manager_id is not None:
                hold(manager_id, at)
                offers.append((manager_id, at))
                pending[manager_id] = at
        elif kind == "accepted":
            manager_id = event.manager_id
            if manager_id is not None:
                current = holdings[-1] if holdings else None
                if current is None or current.end is not None or current.manager_id != manager_id:
                    hold(manager_id, at)
                decisions.append(
                    OfferDecision(manager_id, pending.pop(manager_id, None), at, "accepted")
                )
        elif kind in ("declined", "offer_expired"):
            manager_id = event.manager_id
            if manager_id is not None:
                release(at, only=manager_id)
                outcome = "declined" if kind == "declined" else "expired"
                decisions.append(
                    OfferDecision(manager_id, pending.pop(manager_id, None), at, outcome)
                )
        elif kind in ("assigned", "reassigned"):
            pending.clear()
            hold(_target(event), at)
        elif kind == "replied":
            answered(at, event.manager_id)
        elif kind == "stage_changed":
            stage = str(data.get("to") or "")
            if stage == "contacted":
                answered(at, event.manager_id)
            if stage in OPEN_STAGES or stage in CLOSED_STAGES:
                enter(stage, at)
        elif kind == "closed":
            outcome = str(data.get("outcome") or "lost")
            holder = holdings[-1].manager_id if holdings and holdings[-1].end is None else None
            closes.append(Close(at, outcome, _reason(data), holder or event.manager_id))
            enter(outcome, at)
        elif kind == "reopened":
            stage = str(data.get("to") or data.get("stage") or last_open)
            enter(stage if stage in OPEN_STAGES else last_open, at)

    return History(
        lead=lead,
        holdings=tuple(holdings),
        visits=tuple(visits),
        first_response_at=first_response[0] if first_response else None,
        first_responder=first_response[1] if first_response else None,
        offers=tuple(offers),
        decisions=tuple(decisions),
        closes=tuple(closes),
    )


# ---------------------------------------------------------------- output


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

    def name(self, manager_id: int | None) -> str:
        if manager_id is None:
            return "—"
        return self.names.get(manager_id, f"#{manager_id}")


# ---------------------------------------------------------------- the computation


@dataclass(frozen=True)
class _Item:
    """One measured fact, with the manager it is credited to."""

    manager_id: int | None
    value: Any


def _group(items: Iterable[_Item]) -> dict[int | None, list[Any]]:
    groups: dict[int | None, list[Any]] = defaultdict(list)
    for item in items:
        groups[item.manager_id].append(item.value)
    return groups


def _ranked(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda pair: (-pair[1], pair[0])))


def _funnel(histories: Sequence[History]) -> Funnel:
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


def _offers(decisions: Sequence[OfferDecision], offered: int) -> Offers:
    kinds = Counter(decision.outcome for decision in decisions)
    waits = [
        (decision.decided_at - decision.offered_at).total_seconds()
        for decision in decisions
        if decision.outcome == "accepted" and decision.offered_at is not None
    ]
    return Offers(offered, kinds["accepted"], kinds["declined"], kinds["expired"], stats(waits))


def _outcomes(closes: Sequence[Close]) -> Outcomes:
    kinds = Counter(close.outcome for close in closes)
    reasons = Counter(close.reason for close in closes if close.outcome != "won")
    return Outcomes(kinds["won"], kinds["lost"], kinds["disqualified"], _ranked(reasons))


def _complaints(items: Sequence[ComplaintFacts], period: Period, now: datetime) -> Complaints:
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


def _sla(verdicts: Sequence[tuple[str, bool, Breach | None]]) -> Sla:
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
        _Item(close.manager_id, close)
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
            by_channel=_ranked(Counter(h.lead.channel for h in funnel_leads)),
            by_source=_ranked(Counter(h.lead.source or h.lead.channel for h in funnel_leads)),
            funnel=_funnel(funnel_leads),
            first_response=stats(team_waits if team_wait else select(responses)),
            offers=_offers(select(decisions), len(select(offered))),
            time_in_stage=tuple(
                (stage, stats(stage_groups[stage])) for stage in OPEN_STAGES if stage_groups[stage]
            ),
            in_stage_now=tuple(
                (stage, count) for stage in OPEN_STAGES if (count := Counter(select(stuck))[stage])
            ),
            sla=_sla(sla_verdicts),
            outcomes=_outcomes(select(closes)),
            surveys=_surveys(select(answered)),
            complaints=_complaints(select(complaint_items), period, now),
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
            period, now, mine, {manager_id: mine}, dict(names or {}), scope_manager_id=manager_id
        )
    return Report(period, now, section(everything, team_wait=True), managers, dict(names or {}))


def _surveys(scores: Sequence[float]) -> Surveys:
    if not scores:
        return Surveys()
    return Surveys(len(scores), round(sum(scores) / len(scores), 2))


# ---------------------------------------------------------------- JSON


def _stats_json(value: Stats) -> dict[str, Any]:
    return {
        "count": value.count,
        "median_seconds": value.median,
        "p90_seconds": value.p90,
        "mean_seconds": value.mean,
    }


def _compliance_json(value: Compliance) -> dict[str, Any]:
    rate = value.rate
    return {
        "met": value.met,
        "breached": value.breached,
        "rate": None if rate is None else round(rate, 4),
    }


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def section_json(section: Section) -> dict[str, Any]:
    funnel = section.funnel
    return {
        "leads": section.leads,
        "by_channel": dict(section.by_channel),
        "by_source": dict(section.by_source),
        "funnel": {
            "leads": funnel.leads,
            "steps": [
                {"stage": s.stage, "reached": s.reached, "conversion": _ratio(s.conversion)}
                for s in funnel.steps
            ],
            "open": funnel.open,
            "won": funnel.won,
            "lost": funnel.lost,
            "disqualified": funnel.disqualified,
            "win_rate": _ratio(funnel.win_rate),
        },
        "first_response": _stats_json(section.first_response),
        "offers": {
            "offered": section.offers.offered,
            "accepted": section.offers.accepted,
            "declined": section.offers.declined,
            "expired": section.offers.expired,
            "accept_time": _stats_json(section.offers.accept_time),
        },
        "time_in_stage": {stage: _stats_json(value) for stage, value in section.time_in_stage},
        "in_stage_now": dict(section.in_stage_now),
        "sla": {
            "first_response": _compliance_json(section.sla.first_response),
            "stages": _compliance_json(section.sla.stages),
            "overall": _compliance_json(section.sla.overall),
            "breaches": [
                {
                    "lead_id": b.lead_id,
                    "kind": b.kind,
                    "due_at": b.due_at.isoformat(),
                    "manager_id": b.manager_id,
                }
                for b in section.sla.breaches
            ],
        },
        "outcomes": {
            "won": section.outcomes.won,
            "lost": section.outcomes.lost,
            "disqualified": section.outcomes.disqualified,
            "reasons": [{"reason": r, "count": n} for r, n in section.outcomes.reasons],
        },
        "surveys": {"answered": section.surveys.answered, "average": section.surveys.average},
        "complaints": {
            "new": section.complaints.new,
            "open": section.complaints.open,
            "overdue": section.complaints.overdue,
            "resolved": section.complaints.resolved,
            "overdue_ids": list(section.complaints.overdue_ids),
        },
    }


def manager_order(report: Report) -> list[int | None]:
    """Managers by name, what nobody held last."""
    named = sorted((m for m in report.managers if m is not None), key=lambda m: report.name(m))
    return named + ([None] if None in report.managers else [])


def report_json(report: Report, timezone: str) -> dict[str, Any]:
    period = report.period
    return {
        "period": {
            "name": period.name,
            "first_day": period.first_day.isoformat(),
            "last_day": period.last_day.isoformat(),
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "timezone": timezone,
        },
        "generated_at": report.generated_at.isoformat(),
        "manager_id": report.scope_manager_id,
        "team": section_json(report.team),
        "managers": [
            {
                "manager_id": manager,
                "name": report.name(manager) if manager is not None else None,
                **section_json(report.managers[manager]),
            }
            for manager in manager_order(report)
        ],
    }
