"""The SLA watch: reminders to managers, then pings to the head, each once per lead."""

from __future__ import annotations

from domain.sla import due_timers
from storage.models import Lead
from storage.uow import UnitOfWork
from texts import Safe
from usecases import cards
from usecases.assignment import _eligible_names, lead_clock
from usecases.context import AppContext
from usecases.replies import format_span
from usecases.staffing import candidates, class_of, tell_heads, tell_staff


async def check_timers(ctx: AppContext, limit: int = 200) -> int:
    """Fire what is due; returns how many reminders and pings were queued."""
    fired_count = 0
    async with ctx.db.uow() as uow:
        now = ctx.clock.now()
        policy = ctx.config.sla_policy()
        for lead in await uow.leads.timers_due(now, limit):
            fired = await uow.alerts.keys(lead.id)
            due, later = due_timers(lead_clock(ctx, lead), policy, now, fired)
            for timer in due:
                if not await uow.alerts.add(lead.id, timer.key, timer.kind, now):
                    continue
                fired_count += 1
                await _fire(ctx, uow, lead, timer.kind, timer.escalate)
            lead.next_timer_at = later
        await uow.commit()
    if fired_count:
        ctx.wake("outbox")
    return fired_count


async def _fire(ctx: AppContext, uow: UnitOfWork, lead: Lead, kind: str, escalate: bool) -> None:
    now = ctx.clock.now()
    manager = await uow.managers.get(lead.manager_id or lead.offered_manager_id or 0)
    stage_kind = kind.startswith("stage")
    since = lead.stage_entered_at if stage_kind else lead.created_at
    uow.events.add(lead.id, "escalated" if escalate else "reminded", now, data={"timer": kind})
    if not escalate:
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
            cards.work_buttons(ctx.texts, language, lead.id, lead.status)
            if lead.manager_id
            else None
        )
        await tell_staff(
            ctx, uow, manager, cards.payload(text, buttons), purpose="reminder", lead_id=lead.id
        )
        return
    pool = await candidates(uow, now)
    names = await _eligible_names(uow, pool, class_of(ctx, lead).min_level)

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
            )
        else:
            sla = format_span(ctx.texts, ctx.config.sla.first_response, language)
            text = ctx.texts.get(
                "head_first_response", language, lead_id=lead.id, age=age, sla=sla, manager=who
            )
        return cards.payload(text, cards.head_buttons(ctx.texts, language, lead.id, names))

    await tell_heads(ctx, uow, build, purpose="escalation", lead_id=lead.id)
