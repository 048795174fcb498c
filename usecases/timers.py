"""The SLA watch: reminders to managers, then pings to the head, each once per lead."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain import escalation as escalations
from domain.escalation import Escalation
from domain.sla import due_timers
from storage.models import Lead
from storage.uow import UnitOfWork
from texts import Safe
from usecases import cards, pings
from usecases.assignment import _eligible_names, lead_clock
from usecases.context import AppContext
from usecases.escalations import claim, tell
from usecases.outage import is_outage
from usecases.replies import format_span
from usecases.retry_policy import lead_work_failed
from usecases.staffing import candidates, class_of, tell_staff


async def check_timers(ctx: AppContext, limit: int = 200) -> int:
    """Fire what is due; returns how many reminders and pings were queued."""
    fired_count = 0
    async with ctx.db.uow() as uow:
        now = ctx.clock.now()
        policy = ctx.config.sla_policy()
        for lead in await uow.leads.timers_due(now, limit):
            lead_id = lead.id
            try:
                async with uow.savepoint():
                    fired_count += await _fire_due(ctx, uow, lead, policy, now)
            except Exception as exc:
                if is_outage(exc):
                    raise
                # One broken lead must not hold back the others' timers, nor run again
                # at every tick.
                await lead_work_failed(uow, lead_id, "timer", exc, now)
        await uow.commit()
    if fired_count:
        ctx.wake("outbox")
    return fired_count


async def _fire_due(
    ctx: AppContext, uow: UnitOfWork, lead: Lead, policy: Any, now: datetime
) -> int:
    fired_count = 0
    fired = await uow.alerts.keys(lead.id)
    due, later = due_timers(lead_clock(ctx, lead), policy, now, fired)
    for timer in due:
        if timer.escalate:
            escalation = escalations.sla_timer(lead.id, timer.key, timer.kind)
            if await _escalate(ctx, uow, lead, escalation):
                fired_count += 1
            continue
        if not await uow.alerts.add(lead.id, timer.key, timer.kind, now):
            continue
        fired_count += 1
        await _remind(ctx, uow, lead, timer.kind)
    lead.next_timer_at = later
    lead.timer_failures = 0
    return fired_count


def _since(lead: Lead, kind: str) -> tuple[bool, datetime]:
    stage_kind = kind.startswith("stage")
    return stage_kind, lead.stage_entered_at if stage_kind else lead.created_at


async def _remind(ctx: AppContext, uow: UnitOfWork, lead: Lead, kind: str) -> None:
    now = ctx.clock.now()
    manager = await uow.managers.get(lead.manager_id or lead.offered_manager_id or 0)
    stage_kind, since = _since(lead, kind)
    uow.events.add(lead.id, "reminded", now, data={"timer": kind})
    if manager is None:
        return
    language = manager.language
    key = "remind_stage" if stage_kind else "remind_first_response"
    text = ctx.texts.get(
        key,
        language,
        lead_id=lead.id,
        age=format_span(ctx.texts, now - since, language),
        stage=cards.stage_name(ctx.texts, language, lead.status),
    )
    buttons = (
        cards.work_buttons(
            ctx.texts,
            language,
            lead.id,
            lead.status,
            steps=ctx.config.next_steps.enabled,
            terms=bool(ctx.config.special_terms.rules()),
        )
        if lead.manager_id
        else None
    )
    await tell_staff(
        ctx, uow, manager, cards.payload(text, buttons), purpose="reminder", lead_id=lead.id
    )


async def _escalate(ctx: AppContext, uow: UnitOfWork, lead: Lead, escalation: Escalation) -> bool:
    if not await claim(ctx, uow, escalation):
        return False
    now = ctx.clock.now()
    manager = await uow.managers.get(lead.manager_id or lead.offered_manager_id or 0)
    stage_kind, since = _since(lead, escalation.kind)
    pool = await candidates(uow, now, ctx.config.work_calendar())
    names = await _eligible_names(uow, pool, class_of(ctx, lead).min_level)
    facts = await pings.lead_facts(uow, lead)

    def build(language: str) -> dict[str, object]:
        age = format_span(ctx.texts, now - since, language)
        who = manager.name if manager else ctx.texts.get("nobody", language)
        if stage_kind:
            text: Safe = ctx.texts.get(
                "head_stage",
                language,
                lead_id=lead.id,
                age=age,
                manager=who,
                stage=cards.stage_name(ctx.texts, language, lead.status),
                about=pings.about(ctx.texts, language, facts),
            )
        else:
            sla = format_span(ctx.texts, ctx.config.sla.first_response, language)
            text = ctx.texts.get(
                "head_first_response",
                language,
                lead_id=lead.id,
                age=age,
                sla=sla,
                manager=who,
                about=pings.about(ctx.texts, language, facts),
            )
        return cards.payload(text, cards.head_buttons(ctx.texts, language, lead.id, names))

    await tell(ctx, uow, escalation, build)
    return True
