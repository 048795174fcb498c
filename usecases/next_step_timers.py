"""The rows that chase next steps, kept in step with the lead inside the caller's unit of
work: a manager now holds the lead (the gap's clock starts unless a step is open), a step
is set (its time and its grace), the lead closed (everything pending cancelled), the
customer wrote (the holder is asked for a step if none is set)."""

from __future__ import annotations

from domain.next_steps import GAP_TIMERS, STEP_TIMERS, StepStatus, TimerKind
from storage.models import Lead
from storage.step_models import NextStep
from storage.uow import UnitOfWork
from usecases import step_cards
from usecases.context import AppContext
from usecases.staffing import tell_staff

EVERY_TIMER = (*GAP_TIMERS, *STEP_TIMERS)


async def customer_name(uow: UnitOfWork, lead: Lead) -> str:
    contact = await uow.contacts.get(lead.contact_id)
    if contact is None:
        return "—"
    return contact.display_name or contact.username or f"#{contact.id}"


async def start_gap(ctx: AppContext, uow: UnitOfWork, lead: Lead) -> None:
    """From now the lead has no next step: remind its holder after `remind_after`, ping
    the head after `head_after` (unless a step is set before)."""
    settings = ctx.config.next_steps
    now = ctx.clock.now()
    key = f"gap:{int(now.timestamp() * 1000)}"
    pending = await uow.step_timers.pending_for_lead(lead.id)
    if any(timer.trigger_key == key for timer in pending):
        return  # started at this very moment already
    await uow.step_timers.cancel(lead.id, GAP_TIMERS, "the gap started again", now)
    for kind, after in (
        (TimerKind.REMIND, settings.remind_after),
        (TimerKind.HEAD, settings.head_after),
    ):
        await uow.step_timers.schedule(
            lead_id=lead.id, kind=kind.value, trigger_key=key, due_at=now + after, created_at=now
        )


async def lead_held(ctx: AppContext, uow: UnitOfWork, lead: Lead) -> None:
    """A manager holds the lead now (accepted, assigned in rotation, reassigned)."""
    if not ctx.config.next_steps.enabled or lead.manager_id is None:
        return
    if await uow.next_steps.open_for_lead(lead.id) is None:
        await start_gap(ctx, uow, lead)


async def plan_step(ctx: AppContext, uow: UnitOfWork, step: NextStep) -> None:
    """The step's own timers replace whatever was pending on the lead: its holder is
    reminded at its time, the head pinged when it is not done within the grace."""
    now = ctx.clock.now()
    await uow.step_timers.cancel(step.lead_id, EVERY_TIMER, "a step was set", now)
    grace = ctx.config.next_steps.overdue_grace
    for kind, at in ((TimerKind.DUE, step.due_at), (TimerKind.OVERDUE, step.due_at + grace)):
        await uow.step_timers.schedule(
            lead_id=step.lead_id,
            step_id=step.id,
            kind=kind.value,
            trigger_key=f"step:{step.id}",
            due_at=at,
            created_at=now,
        )


async def lead_closed(ctx: AppContext, uow: UnitOfWork, lead: Lead) -> None:
    """Won, lost, disqualified or merged away: its step and every pending row end."""
    now = ctx.clock.now()
    await uow.next_steps.close_open(lead.id, StepStatus.CANCELLED.value, now)
    await uow.step_timers.cancel(lead.id, EVERY_TIMER, "lead closed", now)


async def customer_replied(ctx: AppContext, uow: UnitOfWork, lead: Lead) -> None:
    """The customer wrote on a held lead without a next step: its holder is asked for
    one, once until the next step is set (and done)."""
    if not ctx.config.next_steps.enabled or lead.manager_id is None:
        return
    if await uow.next_steps.open_for_lead(lead.id) is not None:
        return
    manager = await uow.managers.get(lead.manager_id)
    if manager is None:
        return
    payload = step_cards.asking(
        ctx.texts,
        manager.language,
        "step_ask_after_reply",
        lead.id,
        customer=await customer_name(uow, lead),
    )
    await tell_staff(
        ctx,
        uow,
        manager,
        payload,
        purpose="reminder",
        lead_id=lead.id,
        dedupe_key=f"step-ask:{lead.id}:{await uow.next_steps.latest_id(lead.id)}",
    )
