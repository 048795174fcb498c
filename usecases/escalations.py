"""Telling the heads, once: the one use case behind SLA timers running out, leads nobody
takes, the queue starting, losses without a reason and overdue complaints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.escalation import Escalation, hears_escalations
from storage.uow import UnitOfWork
from usecases.context import AppContext
from usecases.pings import in_burst
from usecases.staffing import tell_staff

Build = Callable[[str], dict[str, Any]]


async def claim(ctx: AppContext, uow: UnitOfWork, escalation: Escalation) -> bool:
    """Record the escalation (the lead's alert row and "escalated" event). False when
    this lead and reason escalated before: then nothing is to be told."""
    now = ctx.clock.now()
    if escalation.once_per_lead and escalation.lead_id is not None:
        if not await uow.alerts.add(escalation.lead_id, escalation.key, escalation.kind, now):
            return False
    if escalation.event is not None and escalation.lead_id is not None:
        uow.events.add(escalation.lead_id, "escalated", now, data=escalation.event)
    return True


async def _unheld(uow: UnitOfWork, lead_id: int) -> bool:
    lead = await uow.leads.get(lead_id)
    return lead is not None and lead.is_open and lead.manager_id is None


async def tell(ctx: AppContext, uow: UnitOfWork, escalation: Escalation, build: Build) -> int:
    """Queue `build(language)` to every head who hears escalations; how many were told.
    During a burst the escalation of a lead nobody holds is held for one summary ping
    (usecases/pings.py) instead: then nobody is told now. A lead with a manager (an SLA
    breach) is told on its own: the summary lists leads to hand out, and would drop it."""
    if (
        escalation.once_per_lead
        and escalation.lead_id is not None
        and await _unheld(uow, escalation.lead_id)
        and await in_burst(ctx, uow, ctx.clock.now())
    ):
        await uow.alerts.hold(escalation.lead_id, escalation.key)
        return 0
    told = 0
    for head in await uow.managers.heads():
        if hears_escalations(head):
            await tell_staff(
                ctx,
                uow,
                head,
                build(head.language),
                purpose="escalation",
                lead_id=escalation.lead_id,
                dedupe_key=escalation.dedupe_key,
            )
            told += 1
    return told


async def escalate(ctx: AppContext, uow: UnitOfWork, escalation: Escalation, build: Build) -> bool:
    """Claim and tell in one step, for callers whose message costs nothing to prepare."""
    if not await claim(ctx, uow, escalation):
        return False
    await tell(ctx, uow, escalation, build)
    return True
