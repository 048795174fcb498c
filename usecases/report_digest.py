"""The heads' daily digest: yesterday's team numbers, the SLA breaches and the open
complaints, queued once per head and day when his digest time comes. followups/digest.py
is the scheduled job that calls send_digests."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.reporting.periods import period_between
from domain.reporting.report import Report
from texts import Safe, Texts
from usecases import cards
from usecases.context import AppContext
from usecases.report_gates import skip_lines
from usecases.report_load import company_zone, load_report
from usecases.report_money import revenue_by_manager_lines
from usecases.report_quality import load_quality, quality_lines
from usecases.report_terms import terms_lines
from usecases.report_text import section_lines
from usecases.workload_text import workload_section

log = logging.getLogger(__name__)

# Breaches listed one by one; the rest are only counted, so the digest stays short.
DIGEST_BREACHES_SHOWN = 10


def digest_key(day: Any, head_id: int) -> str:
    return f"digest:{day.isoformat()}:{head_id}"


def digest_text(texts: Texts, language: str, report: Report) -> Safe:
    team = report.team
    lines: list[str] = [
        texts.get("digest_title", language, date=f"{report.period.first_day:%d.%m.%Y}"),
        "",
    ]
    # The same numbers as /report for that day, with its revenue per manager but not
    # its other lines per manager.
    lines += section_lines(texts, language, team, report.currency)
    lines += revenue_by_manager_lines(texts, language, report)
    lines += terms_lines(texts, language, report)
    lines += skip_lines(texts, language, report)
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
    graded: dict[Any, list[Any]] = {}
    for head, today, key in due:
        day = today - timedelta(days=1)
        period = period_between(day, day, company_zone(ctx), "yesterday")
        if day not in reports:
            reports[day] = await load_report(ctx, period)
            graded[day] = await load_quality(ctx, period, reports[day])
        text = digest_text(ctx.texts, head.language, reports[day])
        quality = quality_lines(ctx.texts, head.language, graded[day])
        if quality:
            text = Safe("\n".join([text, *quality]))
        text = Safe(text + await workload_section(ctx, head.language, period))
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
