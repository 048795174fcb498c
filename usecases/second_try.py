"""A lost customer tried again: a new lead for him, never offered to who lost him (the
follow-up sequences' "handover" step)."""

from __future__ import annotations

from domain import webhooks as hooks
from storage.models import Lead
from storage.uow import UnitOfWork
from usecases.assignment import refresh_timer
from usecases.context import AppContext
from usecases.webhooks import lead_event


async def second_try(ctx: AppContext, uow: UnitOfWork, lost: Lead) -> Lead | None:
    """A lost lead gets a new lead for the same customer, never offered to who lost it."""
    if lost.is_open or await uow.leads.open_for_contact(lost.contact_id) is not None:
        return None
    now = ctx.clock.now()
    lead = await uow.leads.add(
        now,
        contact_id=lost.contact_id,
        status="new",
        is_open=True,
        lead_class=lost.lead_class,
        priority=lost.priority,
        channel=lost.channel,
        source="second_try",
        extra={"previous_lead": lost.id},
    )
    if lost.manager_id is not None:
        # Counted as already offered to him, so distribution passes him by.
        uow.offers.add(lead.id, lost.manager_id, now, None)
        await uow.flush()
        await uow.offers.close_pending(lead.id, "excluded", now, "lost this customer before")
    uow.events.add(
        lead.id, "lead_created", now, data={"source": "second_try", "previous_lead": lost.id}
    )
    uow.events.add(lost.id, "second_try", now, data={"new_lead": lead.id})
    await lead_event(ctx, uow, hooks.LEAD_CREATED, lead)
    await refresh_timer(ctx, uow, lead)
    return lead
