"""The weekly quality sample as durable timed work, woken by the scheduler: the next
week's row is planned ahead (its week is unique, so a restart or a second process plans
nothing twice); when it falls due it is locked for one transaction (other workers skip
it), N random closed conversations per manager are picked (ctx.rng, so tests can seed
it), stored, and their cards queued to every head in that same transaction: the sample
goes out once, whatever crashes or runs twice."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from domain.quality import (
    Conversation,
    next_due,
    per_manager_counts,
    pick_sample,
    week_key,
    window,
)
from storage.quality_models import QualityRound
from storage.uow import UnitOfWork
from usecases import quality_cards
from usecases.context import AppContext
from usecases.next_step_timers import customer_name
from usecases.outage import is_outage
from usecases.retry_policy import TIMED_WORK, error_text
from usecases.staffing import tell_staff

log = logging.getLogger(__name__)
BATCH = 10


def _zone(ctx: AppContext) -> ZoneInfo:
    return ZoneInfo(ctx.config.company.timezone)


async def plan_next_round(ctx: AppContext, uow: UnitOfWork, now: datetime) -> None:
    """Unless a sample is waiting already, the next one at the configured weekday/time."""
    if await uow.quality.has_pending_round():
        return
    due = next_due(now, ctx.config.quality.send_at, _zone(ctx))
    if await uow.quality.plan_round(week_key(due, _zone(ctx)), due, now):
        log.info("quality sample planned for %s", due.isoformat())


async def run_quality_rounds(ctx: AppContext) -> int:
    """One tick: send what is due, then plan the next week. How many samples went out."""
    if not ctx.config.quality.enabled:
        return 0
    sent = 0
    async with ctx.db.uow() as uow:
        now = ctx.clock.now()
        rows = await uow.quality.lock_due_rounds(now, BATCH)
        for row in rows:
            round_id, attempts = row.id, row.attempts or 0
            try:
                async with uow.savepoint():
                    await _send(ctx, uow, row, now)
                    sent += 1
            except Exception as exc:
                if is_outage(exc):
                    raise
                await _failed(uow, round_id, attempts + 1, exc, now)
        await plan_next_round(ctx, uow, now)
        await uow.commit()
    if sent:
        ctx.wake("outbox")
    return sent


async def _failed(
    uow: UnitOfWork, round_id: int, attempts: int, error: Exception, now: datetime
) -> None:
    at = TIMED_WORK.next_attempt(attempts, now)
    await uow.quality.round_failed(round_id, attempts, error_text(error), at, now)
    log.warning("quality sample %s failed (%s); retry at %s", round_id, error_text(error), at)


async def _send(ctx: AppContext, uow: UnitOfWork, row: QualityRound, now: datetime) -> None:
    start, end = window(row.due_at)
    conversations = [
        Conversation(lead_id, manager_id)
        for lead_id, manager_id in await uow.quality.closed_conversations(start, end)
    ]
    chosen = pick_sample(conversations, ctx.config.quality.per_manager, ctx.rng)
    samples: list[tuple[int, Conversation]] = []
    for item in chosen:
        sample_id = await uow.quality.add_sample(row.id, item.lead_id, item.manager_id, now)
        if sample_id is not None:
            samples.append((sample_id, item))
    row.status, row.done_at, row.sampled = "sent", now, len(samples)
    if not samples:
        log.info("quality sample %s: no conversation closed in the week", row.week)
        return
    names = {m.id: m.name for m in await uow.managers.all(include_retired=True)}
    counts = [(names.get(m, "—"), n) for m, n in per_manager_counts(chosen).items()]
    heads = await uow.managers.heads()
    link = quality_cards.dashboard_link(ctx.web.base_url)
    for head in heads:
        await tell_staff(
            ctx,
            uow,
            head,
            quality_cards.heading(ctx.texts, head.language, counts, link),
            purpose="quality",
            dedupe_key=f"quality:{row.id}",
        )
    for sample_id, item in samples:
        lead = await uow.leads.get(item.lead_id)
        manager = await uow.managers.get(item.manager_id)
        if lead is None or manager is None:
            continue
        messages, total = await uow.messages.recent(lead.id, quality_cards.LAST_MESSAGES)
        customer = await customer_name(uow, lead)
        for head in heads:
            card = quality_cards.sample_card(
                ctx.texts,
                head.language,
                sample_id=sample_id,
                lead=lead,
                customer=customer,
                manager=manager,
                messages=messages,
                total=total,
                names=names,
                zone=_zone(ctx),
                link=quality_cards.dashboard_link(ctx.web.base_url, sample_id),
            )
            await tell_staff(
                ctx,
                uow,
                head,
                card,
                purpose="quality",
                lead_id=lead.id,
                dedupe_key=f"quality-sample:{sample_id}",
            )
    log.info("quality sample %s: %s conversations to %s heads", row.week, len(samples), len(heads))
