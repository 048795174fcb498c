"""/report in Telegram: a head gets the team's numbers, a manager his own, as a text and a
chart. Both go through the outbox like every other message, so a failed send is
retried and the command handler stays quick."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from typing import Any

from domain.reporting.periods import PeriodError
from texts import Safe
from usecases import cards
from usecases.charts import chart_png
from usecases.context import AppContext
from usecases.report_load import load_report, period_of
from usecases.report_quality import load_quality, quality_lines
from usecases.report_text import period_words, report_text
from usecases.staffing import ROLE_HEAD
from usecases.workload_text import workload_section


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
    text = report_text(ctx.texts, language, report)
    quality = quality_lines(ctx.texts, language, await load_quality(ctx, period, report))
    if quality:
        text = Safe("\n".join([text, *quality]))
    workload = await workload_section(ctx, language, period, manager_id=manager_id)
    return StaffReport(Safe(text + workload), png, caption, language)


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
