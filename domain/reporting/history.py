"""One lead's history replayed from its events: who held it when, the stages it went
through, its first answer, the offers decided and its closes. Every figure of a report
reads these replays, so they all agree on who held a lead at any moment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from domain.reporting.facts import EventFact, LeadFacts
from domain.reporting.periods import Period

OPEN_STAGES = ("new", "contacted", "qualified", "proposal")
FUNNEL_STAGES = (*OPEN_STAGES, "won")
CLOSED_STAGES = ("won", "lost", "disqualified")


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
    # A reply nobody received is no response (usecases/fates.py records the failure).
    undelivered = {
        event.data.get("message_id") for event in lead.events if event.type == "reply_failed"
    }
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
            if data.get("message_id") is None or data.get("message_id") not in undelivered:
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
