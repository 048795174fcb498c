"""`sla.pause_in_stages`: a stage's clock stands still while the lead waits for the
customer's reply, so a customer thinking over an offer does not make his manager late.

The manager's message starts the wait, the customer's ends it (its working time is kept
on the lead and pushes the stage's timers on), a stage change starts a fresh clock —
still waiting when the manager wrote last. The caller refreshes the lead's timer after.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.models import Lead
from storage.uow import UnitOfWork
from usecases.context import AppContext


def _pauses(ctx: AppContext, lead: Lead) -> bool:
    return lead.status in ctx.config.sla.pause_in_stages


def manager_wrote(ctx: AppContext, lead: Lead, now: datetime) -> None:
    if _pauses(ctx, lead) and lead.sla_paused_since is None:
        lead.sla_paused_since = now


def customer_wrote(ctx: AppContext, lead: Lead, now: datetime) -> bool:
    """Ends the wait; True when there was one (the lead's timer needs a refresh)."""
    if lead.sla_paused_since is None:
        return False
    waited = ctx.config.sla_policy().working_time(lead.sla_paused_since, now)
    lead.sla_paused_seconds = (lead.sla_paused_seconds or 0) + int(waited.total_seconds())
    lead.sla_paused_since = None
    return True


async def stage_entered(ctx: AppContext, uow: UnitOfWork, lead: Lead, now: datetime) -> None:
    lead.sla_paused_seconds = 0
    lead.sla_paused_since = None
    if _pauses(ctx, lead):
        latest, _ = await uow.messages.recent(lead.id, 1)
        if latest and latest[-1].direction == "out":
            lead.sla_paused_since = now


def paused_for(lead: Lead) -> timedelta:
    return timedelta(seconds=lead.sla_paused_seconds or 0)
