"""Outgoing webhooks: an event is queued in the outbox (channel "webhook"), in the same
transaction as the change it tells about, once per receiver that takes it; the outbox
sends it, retries with backoff while the receiver is down, and keeps it as failed with
the reason when it never can (channels/webhooks)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from domain import webhooks as events
from domain.money import amount_fields
from storage.models import Complaint, Lead
from storage.uow import UnitOfWork
from usecases.context import AppContext

CHANNEL = "webhook"
PURPOSE = "webhook"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


async def lead_body(uow: UnitOfWork, lead: Lead) -> dict[str, Any]:
    """The lead as a receiver needs it: who the customer is, who holds the lead."""
    contact = await uow.contacts.get(lead.contact_id)
    manager = await uow.managers.get(lead.manager_id) if lead.manager_id else None
    return {
        "id": lead.id,
        "status": lead.status,
        "is_open": lead.is_open,
        "class": lead.lead_class,
        "channel": lead.channel,
        "source": lead.source,
        "contact": {
            "id": lead.contact_id,
            "name": contact.display_name if contact else None,
            "phone": contact.phone if contact else None,
            "email": contact.email if contact else None,
        },
        "manager": {"id": manager.id, "name": manager.name} if manager else None,
        "created_at": _iso(lead.created_at),
        "assigned_at": _iso(lead.assigned_at),
        "closed_at": _iso(lead.closed_at),
        "loss_reason": lead.loss_reason,
        # The deal's amount in major units and its currency (null when none was given).
        **amount_fields(lead.amount_minor, lead.currency),
    }


async def _announce(
    ctx: AppContext, uow: UnitOfWork, event: str, subject: str, data: dict[str, Any]
) -> None:
    now = ctx.clock.now()
    for hook in ctx.config.webhooks:
        if event not in hook.events:
            continue
        # The same change told twice (a use case retried) is still one delivery.
        key = hashlib.sha256(f"{hook.url}|{event}|{subject}".encode()).hexdigest()[:32]
        body = {"id": key, "event": event, "occurred_at": now.isoformat(), "data": data}
        await uow.outbox.add(
            channel=CHANNEL,
            chat_id=hook.url,
            purpose=PURPOSE,
            payload={"url": hook.url, "event": event, "body": body},
            now=now,
            dedupe_key=f"webhook:{key}",
        )


async def lead_event(ctx: AppContext, uow: UnitOfWork, event: str, lead: Lead) -> None:
    """lead.created, lead.assigned, lead.won, lead.lost for this lead, as it is now."""
    if not ctx.config.webhooks:
        return
    await uow.flush()
    if event == events.LEAD_ASSIGNED:
        subject = f"{lead.id}:{lead.manager_id}:{_iso(lead.assigned_at)}"
    elif event in (events.LEAD_WON, events.LEAD_LOST):
        subject = f"{lead.id}:{_iso(lead.closed_at)}"
    else:
        subject = str(lead.id)
    await _announce(ctx, uow, event, subject, {"lead": await lead_body(uow, lead)})


async def complaint_opened(ctx: AppContext, uow: UnitOfWork, complaint: Complaint) -> None:
    if not ctx.config.webhooks:
        return
    contact = await uow.contacts.get(complaint.contact_id)
    data = {
        "complaint": {
            "id": complaint.id,
            "lead_id": complaint.lead_id,
            "status": complaint.status,
            "source": complaint.source,
            "suspected": complaint.suspected,
            "text": complaint.text,
            "contact": {
                "id": complaint.contact_id,
                "name": contact.display_name if contact else None,
                "phone": contact.phone if contact else None,
                "email": contact.email if contact else None,
            },
            "created_at": _iso(complaint.created_at),
            "deadline_at": _iso(complaint.deadline_at),
        }
    }
    await _announce(ctx, uow, events.COMPLAINT_OPENED, str(complaint.id), data)
