"""Next steps' timed work, woken by the scheduler: due rows are locked for one transaction
(other workers skip them), checked against the lead as it is now, and their reminder or
head ping queued in the outbox in that same transaction: each fires once, whatever
crashes or runs twice. A row that no longer means anything (the lead closed, a step was
set or done since) is cancelled instead."""

from __future__ import annotations

import logging
from datetime import datetime

from domain.escalation import Escalation
from domain.next_steps import GAP_TIMERS, TimerKind
from storage.models import Lead, Manager
from storage.step_models import NextStep, NextStepTimer
from storage.uow import UnitOfWork
from texts import Safe
from usecases import cards, pings, step_cards
from usecases.context import AppContext
from usecases.escalations import escalate
from usecases.next_step_timers import customer_name
from usecases.next_steps import team_zone
from usecases.outage import is_outage
from usecases.replies import format_span
from usecases.retry_policy import TIMED_WORK, error_text
from usecases.staffing import tell_staff

log = logging.getLogger(__name__)
BATCH = 200


async def dispatch_due_steps(ctx: AppContext, limit: int = BATCH) -> int:
    """Handle one batch of due rows; returns how many were handled."""
    async with ctx.db.uow() as uow:
        now = ctx.clock.now()
        rows = await uow.step_timers.lock_due(now, limit)
        for row in rows:
            timer_id, attempts = row.id, row.attempts or 0
            try:
                async with uow.savepoint():
                    await _fire(ctx, uow, row, now)
            except Exception as exc:
                if is_outage(exc):
                    raise
                # One broken row must not hold back the others: it backs off, and after
                # the last attempt it is kept failed with its error.
                await _failed(uow, timer_id, attempts + 1, exc, now)
        await uow.commit()
    if rows:
        ctx.wake("outbox")
    return len(rows)


async def dispatch_all_due_steps(ctx: AppContext) -> None:
    while await dispatch_due_steps(ctx) > 0:
        pass


async def _failed(
    uow: UnitOfWork, timer_id: int, attempts: int, error: Exception, now: datetime
) -> None:
    at = TIMED_WORK.next_attempt(attempts, now)
    await uow.step_timers.failed_attempt(timer_id, attempts, error_text(error), at, now)
    if at is None:
        log.error(
            "next-step timer %s failed %s times; kept failed", timer_id, attempts, exc_info=error
        )
    else:
        log.warning(
            "next-step timer %s failed (%s); retry at %s",
            timer_id,
            error_text(error),
            at.isoformat(),
        )


def _finish(row: NextStepTimer, status: str, now: datetime, note: str | None = None) -> None:
    row.status = status
    row.done_at = now
    row.note = note


async def _fire(ctx: AppContext, uow: UnitOfWork, row: NextStepTimer, now: datetime) -> None:
    lead = await uow.leads.get(row.lead_id)
    if lead is None or not lead.is_open:
        _finish(row, "cancelled", now, "lead closed")
        return
    if not ctx.config.next_steps.enabled:
        _finish(row, "cancelled", now, "next steps are off")
        return
    holder = await uow.managers.get(lead.manager_id or 0)
    if holder is None:
        _finish(row, "cancelled", now, "nobody holds the lead")
        return
    step = await uow.next_steps.open_for_lead(lead.id)
    kind = TimerKind(row.kind)
    if kind in GAP_TIMERS and step is not None:
        _finish(row, "cancelled", now, "a step is set")
        return
    if kind not in GAP_TIMERS and (step is None or step.id != row.step_id):
        _finish(row, "cancelled", now, "the step is closed")
        return
    customer = await customer_name(uow, lead)
    if kind is TimerKind.REMIND:
        age = format_span(ctx.texts, now - row.created_at, holder.language)
        payload = step_cards.asking(
            ctx.texts,
            holder.language,
            "step_missing_remind",
            lead.id,
            customer=customer,
            age=age,
        )
        await _remind(ctx, uow, lead, holder, payload, row, "next_step_missing")
    elif kind is TimerKind.DUE:
        assert step is not None
        payload = step_cards.due_reminder(
            ctx.texts,
            holder.language,
            lead_id=lead.id,
            customer=customer,
            step=step,
            now=now,
            zone=team_zone(ctx),
        )
        await _remind(ctx, uow, lead, holder, payload, row, "next_step_due")
    else:
        await _ping_head(ctx, uow, lead, holder, step, row, now)
    _finish(row, "sent", now)


async def _remind(
    ctx: AppContext,
    uow: UnitOfWork,
    lead: Lead,
    holder: Manager,
    payload: dict[str, object],
    row: NextStepTimer,
    timer: str,
) -> None:
    uow.events.add(lead.id, "reminded", ctx.clock.now(), data={"timer": timer})
    await tell_staff(
        ctx,
        uow,
        holder,
        payload,
        purpose="reminder",
        lead_id=lead.id,
        dedupe_key=f"step-timer:{row.id}",
    )


async def _ping_head(
    ctx: AppContext,
    uow: UnitOfWork,
    lead: Lead,
    holder: Manager,
    step: NextStep | None,
    row: NextStepTimer,
    now: datetime,
) -> None:
    """Once per gap (missing) or per step (overdue): the lead's alert row keeps it so."""
    facts = await pings.lead_facts(uow, lead)
    reason = "next_step_missing" if step is None else "next_step_overdue"
    subject = f"gap{row.id}" if step is None else f"step{step.id}"
    escalation = Escalation(
        f"{reason}:{subject}", lead.id, lead.id, reason, event={"reason": reason}
    )

    def build(language: str) -> dict[str, object]:
        about = pings.about(ctx.texts, language, facts)
        text: Safe
        if step is None:
            text = ctx.texts.get(
                "head_step_missing",
                language,
                lead_id=lead.id,
                age=format_span(ctx.texts, now - row.created_at, language),
                manager=holder.name,
                about=about,
            )
        else:
            text = ctx.texts.get(
                "head_step_overdue",
                language,
                lead_id=lead.id,
                kind=step_cards.kind_name(ctx.texts, language, step.kind),
                when=step_cards.moment_text(ctx.texts, language, step.due_at, now, team_zone(ctx)),
                age=format_span(ctx.texts, now - step.due_at, language),
                manager=holder.name,
                about=about,
            )
        return cards.payload(text, cards.head_rows(ctx.texts, language, lead.id))

    await escalate(ctx, uow, escalation, build)
