"""Reports: load a period's histories, compute the numbers (domain.metrics), and hand them
out as JSON, as a short chat text with a chart, and as the heads' daily digest."""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.texts import Safe, Texts
from domain.metrics import (
    ComplaintFacts,
    EventFact,
    LeadFacts,
    Period,
    PeriodError,
    Report,
    Section,
    SlaTargets,
    Stats,
    SurveyFacts,
    build_report,
    manager_order,
    parse_period,
    period_between,
    report_json,
)
from storage.uow import UnitOfWork
from usecases import cards
from usecases.charts import chart_png
from usecases.context import AppContext
from usecases.replies import format_span
from usecases.staffing import ROLE_HEAD

log = logging.getLogger(__name__)

__all__ = ["PeriodError", "StaffReport", "load_report", "period_of", "report_as_json"]

DIGEST_BREACHES_SHOWN = 10


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
    hours = ctx.config.company.hours()
    facts = [
        LeadFacts(
            id=lead.id,
            channel=lead.channel,
            source=lead.source,
            created_at=lead.created_at,
            events=events.get(lead.id, []),
            # As the SLA timers count: from the team's next working moment.
            sla_start=hours.next_open(lead.created_at) or lead.created_at,
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
    names = {m.id: m.name for m in await uow.managers.all()}
    return {"leads": facts, "surveys": surveys, "complaints": complaints, "names": names}


async def load_report(ctx: AppContext, period: Period, *, manager_id: int | None = None) -> Report:
    async with ctx.db.uow() as uow:
        data = await _load(ctx, uow, period)
    return build_report(
        period,
        ctx.clock.now(),
        data["leads"],
        targets=_targets(ctx),
        surveys=data["surveys"],
        complaints=data["complaints"],
        names=data["names"],
        manager_id=manager_id,
    )


async def report_as_json(
    ctx: AppContext, period: Period, *, manager_id: int | None = None
) -> dict[str, Any]:
    report = await load_report(ctx, period, manager_id=manager_id)
    return report_json(report, ctx.config.company.timezone)


# ---------------------------------------------------------------- texts


def _span(texts: Texts, seconds: float | None, language: str) -> str:
    if seconds is None:
        return "—"
    return format_span(texts, timedelta(seconds=seconds), language)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _pairs(pairs: tuple[tuple[str, int], ...], limit: int = 6) -> str:
    return ", ".join(f"{name or '—'} {count}" for name, count in pairs[:limit])


def period_words(texts: Texts, language: str, period: Period) -> tuple[Safe, str]:
    """('this week', '05.01–11.01.2026') for titles."""
    name = texts.get(f"period_{period.name}", language)
    if period.first_day == period.last_day:
        return name, f"{period.first_day:%d.%m.%Y}"
    return name, f"{period.first_day:%d.%m}–{period.last_day:%d.%m.%Y}"


def _stats_line(texts: Texts, language: str, stats: Stats) -> Safe:
    return texts.get(
        "report_first_response",
        language,
        median=_span(texts, stats.median, language),
        p90=_span(texts, stats.p90, language),
        count=stats.count,
    )


def section_lines(texts: Texts, language: str, team: Section) -> list[str]:
    """The numbers of one section, a line each, as /report and the digest show them."""
    channels = f" ({_pairs(team.by_channel)})" if team.by_channel else ""
    steps = " → ".join(
        f"{texts.get(f'stage_{step.stage}', language)} {step.reached}"
        + (f" ({step.conversion:.0%})" if step.conversion is not None else "")
        for step in team.funnel.steps
    )
    sla = team.sla.overall
    lines: list[str] = [texts.get("report_leads", language, total=team.leads, channels=channels)]
    if team.by_source:
        lines.append(texts.get("report_sources", language, sources=_pairs(team.by_source)))
    lines.append(texts.get("report_funnel", language, steps=steps))
    outcomes = team.outcomes
    lines.append(
        texts.get(
            "report_outcomes",
            language,
            won=outcomes.won,
            lost=outcomes.lost,
            disqualified=outcomes.disqualified,
        )
    )
    if outcomes.reasons:
        lines.append(texts.get("report_reasons", language, reasons=_pairs(outcomes.reasons)))
    lines.append(_stats_line(texts, language, team.first_response))
    if team.offers.offered or team.offers.accepted:
        lines.append(
            texts.get(
                "report_accept",
                language,
                median=_span(texts, team.offers.accept_time.median, language),
                offered=team.offers.offered,
                declined=team.offers.declined,
                expired=team.offers.expired,
            )
        )
    if team.time_in_stage:
        stages = ", ".join(
            f"{texts.get(f'stage_{stage}', language)} {_span(texts, stats.median, language)}"
            for stage, stats in team.time_in_stage
        )
        lines.append(texts.get("report_stage_time", language, stages=stages))
    lines.append(
        texts.get(
            "report_sla",
            language,
            rate=_percent(sla.rate),
            met=sla.met,
            judged=sla.met + sla.breached,
            breached=sla.breached,
        )
    )
    if team.surveys.answered and team.surveys.average is not None:
        lines.append(
            texts.get(
                "report_surveys",
                language,
                average=f"{team.surveys.average:.1f}",
                count=team.surveys.answered,
            )
        )
    complaints = team.complaints
    lines.append(
        texts.get(
            "report_complaints",
            language,
            new=complaints.new,
            open=complaints.open,
            overdue=complaints.overdue,
            resolved=complaints.resolved,
        )
    )
    return lines


def report_text(texts: Texts, language: str, report: Report) -> Safe:
    """The short chat version: the team's (or the manager's own) numbers, then a line each."""
    name, dates = period_words(texts, language, report.period)
    title = "report_title_own" if report.scope_manager_id is not None else "report_title_team"
    lines = [texts.get(title, language, period=name, dates=dates), ""]
    lines += section_lines(texts, language, report.team)
    if report.scope_manager_id is None:
        rows = [m for m in manager_order(report) if m is not None]
        if rows:
            lines += ["", texts.get("report_managers", language)]
        for manager in rows:
            section = report.managers[manager]
            lines.append(
                texts.get(
                    "report_manager_line",
                    language,
                    name=report.name(manager),
                    leads=section.leads,
                    won=section.outcomes.won,
                    median=_span(texts, section.first_response.median, language),
                    sla=_percent(section.sla.overall.rate),
                    score="—"
                    if section.surveys.average is None
                    else f"{section.surveys.average:.1f}",
                )
            )
    return Safe("\n".join(lines))


# ---------------------------------------------------------------- /report in Telegram


@dataclass(frozen=True)
class StaffReport:
    text: Safe
    png: bytes
    caption: Safe
    language: str


def parse_report_args(args: str | None) -> tuple[str | None, str | None, str | None]:
    """`today`, `week`, `month`, `yesterday`, or one or two dates."""
    words = (args or "").split()
    if not words:
        return "today", None, None
    if len(words) > 2:
        raise PeriodError("too many words")
    if words[0][:1].isdigit():
        return None, words[0], words[1] if len(words) > 1 else None
    if len(words) > 1:
        raise PeriodError("too many words")
    return words[0].lower(), None, None


async def staff_report(ctx: AppContext, telegram_id: int, args: str | None) -> StaffReport | None:
    """A head gets the team's numbers, a manager his own; None for someone not on the team.

    PeriodError when the arguments name no period.
    """
    async with ctx.db.uow() as uow:
        member = await uow.managers.by_telegram_id(telegram_id)
    if member is None or not member.active:
        return None
    period = period_of(ctx, *parse_report_args(args))
    manager_id = None if member.role == ROLE_HEAD else member.id
    report = await load_report(ctx, period, manager_id=manager_id)
    language = member.language
    png = await asyncio.to_thread(chart_png, report, ctx.texts, language)
    name, dates = period_words(ctx.texts, language, period)
    caption = ctx.texts.get("report_chart_caption", language, period=name, dates=dates)
    return StaffReport(report_text(ctx.texts, language, report), png, caption, language)


def photo_payload(png: bytes, caption: str) -> dict[str, Any]:
    """An outbox payload for a picture made here (not a URL or a Telegram file id)."""
    return {
        "photo_png_b64": base64.b64encode(png).decode("ascii"),
        "text": caption,
        "parse_mode": "HTML",
    }


async def send_report(ctx: AppContext, telegram_id: int, args: str | None) -> bool:
    """Queue the report text and its chart to the asker; False if he is not on the team."""
    try:
        report = await staff_report(ctx, telegram_id, args)
    except PeriodError:
        async with ctx.db.uow() as uow:
            member = await uow.managers.by_telegram_id(telegram_id)
        language = member.language if member else "ru"
        await _queue(ctx, telegram_id, [cards.payload(ctx.texts.get("report_usage", language))])
        return True
    if report is None:
        return False
    await _queue(
        ctx, telegram_id, [cards.payload(report.text), photo_payload(report.png, report.caption)]
    )
    return True


async def _queue(ctx: AppContext, telegram_id: int, payloads: list[dict[str, Any]]) -> None:
    async with ctx.db.uow() as uow:
        now = ctx.clock.now()
        for payload in payloads:
            await uow.outbox.add(
                channel="telegram",
                chat_id=str(telegram_id),
                purpose="report",
                payload=payload,
                now=now,
            )
        await uow.commit()
    ctx.wake("outbox")


# ---------------------------------------------------------------- the daily digest


def digest_key(day: Any, head_id: int) -> str:
    return f"digest:{day.isoformat()}:{head_id}"


def digest_text(texts: Texts, language: str, report: Report) -> Safe:
    team = report.team
    lines: list[str] = [
        texts.get("digest_title", language, date=f"{report.period.first_day:%d.%m.%Y}"),
        "",
    ]
    # The same numbers as /report for that day, without the per-manager lines.
    lines += section_lines(texts, language, team)
    lines.append("")
    breaches = team.sla.breaches
    if breaches:
        lines.append(texts.get("digest_breaches", language, count=len(breaches)))
        for breach in breaches[:DIGEST_BREACHES_SHOWN]:
            kind = (
                texts.get("sla_first_response", language)
                if breach.kind == "first_response"
                else texts.get(f"stage_{breach.kind}", language)
            )
            manager = (
                report.name(breach.manager_id)
                if breach.manager_id is not None
                else texts.get("report_nobody", language)
            )
            lines.append(
                texts.get(
                    "digest_breach_line",
                    language,
                    lead_id=breach.lead_id,
                    kind=kind,
                    manager=manager,
                )
            )
        if len(breaches) > DIGEST_BREACHES_SHOWN:
            lines.append(
                texts.get("digest_more", language, count=len(breaches) - DIGEST_BREACHES_SHOWN)
            )
    else:
        lines.append(texts.get("digest_no_breaches", language))
    complaints = team.complaints
    ids = ""
    if complaints.overdue_ids:
        ids = ": " + ", ".join(f"#{number}" for number in complaints.overdue_ids[:10])
    lines.append(
        texts.get(
            "digest_complaints",
            language,
            open=complaints.open,
            overdue=complaints.overdue,
            ids=ids,
        )
    )
    return Safe("\n".join(lines))


async def send_digests(ctx: AppContext) -> int:
    """Queue yesterday's digest to every head whose digest time has come today in his own
    time zone. The outbox's unique dedupe key makes it once per head and day, however many
    processes run this, and a process that starts late the same day still sends it."""
    digest_time = ctx.config.reports.digest_time
    if digest_time is None:
        return 0
    now = ctx.clock.now()
    async with ctx.db.uow() as uow:
        heads = await uow.managers.heads()
        due = []
        for head in heads:
            try:
                local = now.astimezone(ZoneInfo(head.timezone))
            except (ValueError, KeyError):
                local = now.astimezone(company_zone(ctx))
            if local.time() < digest_time:
                continue
            key = digest_key(local.date(), head.id)
            if not await uow.reports.outbox_key_taken(key):
                due.append((head, local.date(), key))
    queued = 0
    reports: dict[Any, Report] = {}
    for head, today, key in due:
        day = today - timedelta(days=1)
        if day not in reports:
            period = period_between(day, day, company_zone(ctx), "yesterday")
            reports[day] = await load_report(ctx, period)
        text = digest_text(ctx.texts, head.language, reports[day])
        async with ctx.db.uow() as uow:
            inserted = await uow.outbox.add(
                channel="telegram",
                chat_id=str(head.telegram_id),
                purpose="digest",
                payload=cards.payload(text),
                now=ctx.clock.now(),
                dedupe_key=key,
            )
            await uow.commit()
        if inserted is not None:
            queued += 1
            log.info("digest for %s queued to head %s", day, head.id)
    if queued:
        ctx.wake("outbox")
    return queued


# ---------------------------------------------------------------- CSV

CSV_COLUMNS = (
    "scope",
    "manager_id",
    "name",
    "leads",
    "won",
    "lost",
    "disqualified",
    "first_response_count",
    "first_response_median_seconds",
    "first_response_p90_seconds",
    "offers",
    "accepted",
    "declined",
    "expired",
    "accept_median_seconds",
    "sla_met",
    "sla_breached",
    "sla_rate",
    "survey_answers",
    "survey_average",
    "complaints_open",
    "complaints_overdue",
    "complaints_resolved",
)


def _csv_row(scope: str, manager_id: int | None, name: str, section: Section) -> list[Any]:
    sla = section.sla.overall
    return [
        scope,
        "" if manager_id is None else manager_id,
        name,
        section.leads,
        section.outcomes.won,
        section.outcomes.lost,
        section.outcomes.disqualified,
        section.first_response.count,
        section.first_response.median,
        section.first_response.p90,
        section.offers.offered,
        section.offers.accepted,
        section.offers.declined,
        section.offers.expired,
        section.offers.accept_time.median,
        sla.met,
        sla.breached,
        None if sla.rate is None else round(sla.rate, 4),
        section.surveys.answered,
        section.surveys.average,
        section.complaints.open,
        section.complaints.overdue,
        section.complaints.resolved,
    ]


def report_csv(report: Report) -> str:
    """One row for the team (or the manager himself), one per manager: spreadsheet-ready."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    scope = "manager" if report.scope_manager_id is not None else "team"
    writer.writerow([_cell(value) for value in _csv_row(scope, None, "", report.team)])
    if report.scope_manager_id is None:
        for manager in manager_order(report):
            name = report.name(manager) if manager is not None else ""
            row = _csv_row("manager", manager, name, report.managers[manager])
            writer.writerow([_cell(value) for value in row])
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    # A cell starting with = + - @ is run as a formula by spreadsheets: keep it text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value
