"""Loading a report: the period in the company time zone, what storage holds about it
(lead histories, answered surveys, complaints, names), and the numbers worked out from
that by domain.reporting. Chat, the digest, the dashboard, the API and CSV all start
here, so they all show the same figures."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from domain.reporting.facts import ComplaintFacts, EventFact, LeadFacts, SlaTargets, SurveyFacts
from domain.reporting.periods import Period, PeriodError, parse_period
from domain.reporting.report import Report, build_report
from domain.reporting.serialise import report_json
from domain.special_terms import RequestStatus, TermFact, TermKind, terms_by_manager
from storage.uow import UnitOfWork
from usecases.context import AppContext

# PeriodError is what period_of raises; callers catch it from here.
__all__ = ["PeriodError", "company_zone", "load_report", "period_of", "report_as_json"]


def company_zone(ctx: AppContext) -> ZoneInfo:
    return ZoneInfo(ctx.config.company.timezone)


def period_of(
    ctx: AppContext, name: str | None, first: str | None = None, last: str | None = None
) -> Period:
    """A named period or dates, in the company time zone; PeriodError says what is wrong."""
    return parse_period(name, first, last, ctx.clock.now(), company_zone(ctx))


def _targets(ctx: AppContext) -> SlaTargets:
    return SlaTargets(ctx.config.sla.first_response, dict(ctx.config.sla.stage_limits))


async def _load(ctx: AppContext, uow: UnitOfWork, period: Period) -> dict[str, Any]:
    leads = await uow.reports.leads(period.start, period.end)
    events: dict[int, list[EventFact]] = {}
    for event in await uow.reports.events(period.start, period.end):
        events.setdefault(event.lead_id, []).append(
            EventFact(event.type, event.at, event.manager_id, event.data or {})
        )
    hours = ctx.config.hours()
    currency = ctx.config.company.currency
    facts = [
        LeadFacts(
            id=lead.id,
            channel=lead.channel,
            source=lead.source,
            created_at=lead.created_at,
            events=events.get(lead.id, []),
            # As the SLA timers count: from the team's next working moment.
            sla_start=hours.next_open(lead.created_at) or lead.created_at,
            # Amounts kept in another currency (before the config's changed) are not
            # summed with these: nothing is converted.
            amount=lead.amount_minor if lead.currency == currency else None,
        )
        for lead in leads
    ]
    surveys = [
        SurveyFacts(s.lead_id, s.manager_id, s.score, s.answered_at)
        for s in await uow.reports.surveys_answered(period.start, period.end)
    ]
    complaints = [
        ComplaintFacts(
            c.id, c.status, c.created_at, c.deadline_at, c.resolved_at, c.owner_id, c.manager_id
        )
        for c in await uow.reports.complaints(period.start)
    ]
    names = {m.id: m.name for m in await uow.managers.all(include_retired=True)}
    starts = await uow.reports.starts_without_question(period.start, period.end)
    terms = [
        TermFact(item.manager_id, TermKind(item.kind), item.value, RequestStatus(item.status))
        for item in await uow.terms.answered_between(period.start, period.end)
    ]
    skips = await uow.checklists.skips_by_manager(period.start, period.end)
    return {
        "terms": terms,
        "skips": tuple(sorted(skips.items(), key=lambda pair: (-pair[1], pair[0]))),
        "leads": facts,
        "surveys": surveys,
        "complaints": complaints,
        "names": names,
        "starts": starts,
    }


async def load_report(ctx: AppContext, period: Period, *, manager_id: int | None = None) -> Report:
    async with ctx.db.uow() as uow:
        data = await _load(ctx, uow, period)
    report = build_report(
        period,
        ctx.clock.now(),
        data["leads"],
        targets=_targets(ctx),
        surveys=data["surveys"],
        complaints=data["complaints"],
        names=data["names"],
        manager_id=manager_id,
        currency=ctx.config.company.currency,
    )
    terms = terms_by_manager(
        fact for fact in data["terms"] if manager_id is None or fact.manager_id == manager_id
    )
    report = replace(report, special_terms=terms)
    if manager_id is not None:
        own = tuple(pair for pair in data["skips"] if pair[0] == manager_id)
        return replace(report, gate_skips=own)
    return replace(report, started_no_question=data["starts"], gate_skips=data["skips"])


async def report_as_json(
    ctx: AppContext, period: Period, *, manager_id: int | None = None
) -> dict[str, Any]:
    report = await load_report(ctx, period, manager_id=manager_id)
    return report_json(report, ctx.config.company.timezone)
