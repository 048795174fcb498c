"""Read models for the JSON API and the dashboard: plain dicts, ready for JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.money import amount_fields
from storage.models import Complaint
from usecases.context import AppContext

COMPLAINT_OPEN = ("new", "in_progress")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _lead_summary(lead: Any) -> dict[str, Any]:
    return {
        "id": lead.id,
        "contact_id": lead.contact_id,
        "status": lead.status,
        "is_open": lead.is_open,
        "class": lead.lead_class,
        "channel": lead.channel,
        "source": lead.source,
        "manager_id": lead.manager_id,
        "created_at": _iso(lead.created_at),
        "assigned_at": _iso(lead.assigned_at),
        "accepted_at": _iso(lead.accepted_at),
        "first_response_at": _iso(lead.first_response_at),
        "stage_entered_at": _iso(lead.stage_entered_at),
        "closed_at": _iso(lead.closed_at),
        "loss_reason": lead.loss_reason,
        **amount_fields(lead.amount_minor, lead.currency),
        "extra": lead.extra or {},
    }


def _step(step: Any, now: datetime) -> dict[str, Any] | None:
    """The lead's open next step (None: none)."""
    if step is None:
        return None
    return {
        "id": step.id,
        "kind": step.kind,
        "due_at": _iso(step.due_at),
        "note": step.note,
        "overdue": step.due_at <= now,
        "set_by": step.set_by,
        "created_at": _iso(step.created_at),
    }


async def list_leads(
    ctx: AppContext,
    *,
    status: str | None,
    channel: str | None,
    since: datetime | None,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    async with ctx.db.uow() as uow:
        leads, total = await uow.leads.search(
            status=status, channel=channel, since=since, limit=limit, offset=offset
        )
        contacts = await uow.contacts.by_ids(sorted({lead.contact_id for lead in leads}))
        managers = await uow.reports.managers_by_id()
    next_offset = offset + len(leads) if offset + len(leads) < total else None
    items = []
    for lead in leads:
        contact = contacts.get(lead.contact_id)
        manager = managers.get(lead.manager_id or 0)
        items.append(
            {
                **_lead_summary(lead),
                "contact_name": contact.display_name if contact else None,
                "contact_phone": contact.phone if contact else None,
                "contact_email": contact.email if contact else None,
                "manager_name": manager.name if manager else None,
            }
        )
    return {
        "items": items,
        "total": total,
        "limit": limit,
        "offset": offset,
        "next_offset": next_offset,
    }


def message_dict(message: Any) -> dict[str, Any]:
    return {
        "id": message.id,
        "direction": message.direction,
        "channel": message.channel,
        "external_id": message.external_id,
        "text": message.text,
        "attachments": message.attachments,
        "delivery_status": message.delivery_status,
        # Why it failed or waits: blocked, too_long, not_started, unavailable, …
        "delivery_error": message.delivery_error,
        "created_at": _iso(message.created_at),
        "edited_at": _iso(message.edited_at),
    }


async def lead_details(ctx: AppContext, lead_id: int) -> dict[str, Any] | None:
    async with ctx.db.uow() as uow:
        lead = await uow.leads.get(lead_id)
        if lead is None:
            return None
        contact = await uow.contacts.get(lead.contact_id)
        identities = await uow.identities.for_contact(lead.contact_id)
        messages = await uow.messages.for_lead(lead_id)
        events = await uow.events.for_lead(lead_id)
        step = await uow.next_steps.open_for_lead(lead_id)
        answers = await uow.checklists.for_lead(lead_id)
    assert contact is not None
    return {
        **_lead_summary(lead),
        "next_step": _step(step, ctx.clock.now()),
        # The stage checklists' answers by question key (config `stages:`).
        "checklist": [
            {"key": key, "answer": row.answer, "answered_at": _iso(row.answered_at)}
            for key, row in sorted(answers.items())
        ],
        "contact": {
            "id": contact.id,
            "name": contact.display_name,
            "username": contact.username,
            "language": contact.language,
            "phone": contact.phone,
            "email": contact.email,
            "identities": [
                {
                    "channel": identity.channel,
                    "external_id": identity.external_id,
                    "blocked": identity.blocked_at is not None,
                }
                for identity in identities
            ],
        },
        "messages": [message_dict(message) for message in messages],
        "events": [
            {
                "type": event.type,
                "actor": event.actor,
                "at": _iso(event.at),
                "data": event.data,
            }
            for event in events
        ],
    }


async def database_answers(ctx: AppContext) -> bool:
    async with ctx.db.uow() as uow:
        return await uow.ping()


async def manager_exists(ctx: AppContext, manager_id: int) -> bool:
    async with ctx.db.uow() as uow:
        return await uow.managers.get(manager_id) is not None


def complaint_dict(complaint: Complaint, now: datetime) -> dict[str, Any]:
    return {
        "id": complaint.id,
        "contact_id": complaint.contact_id,
        "lead_id": complaint.lead_id,
        "manager_id": complaint.manager_id,
        "owner_id": complaint.owner_id,
        "text": complaint.text,
        "source": complaint.source,
        "suspected": complaint.suspected,
        "status": complaint.status,
        "overdue": complaint.status in COMPLAINT_OPEN and complaint.deadline_at <= now,
        "deadline_at": complaint.deadline_at.isoformat(),
        "resolution": complaint.resolution,
        "created_at": complaint.created_at.isoformat(),
        "updated_at": complaint.updated_at.isoformat(),
        "resolved_at": complaint.resolved_at.isoformat() if complaint.resolved_at else None,
    }


async def list_complaints(
    ctx: AppContext, open_only: bool = False, owner_telegram_id: int | None = None
) -> list[dict[str, Any]]:
    async with ctx.db.uow() as uow:
        owner_id = None
        if owner_telegram_id is not None:
            owner = await uow.managers.by_telegram_id(owner_telegram_id)
            owner_id = owner.id if owner else -1
        complaints = await uow.complaints.search(open_only=open_only, owner_id=owner_id)
        result = []
        for complaint in complaints:
            item = complaint_dict(complaint, ctx.clock.now())
            item["history"] = [
                {"type": e.type, "actor": e.actor, "at": e.at.isoformat(), "data": e.data}
                for e in await uow.complaints.history(complaint.id)
            ]
            result.append(item)
    return result
