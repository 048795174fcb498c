"""The complaints list: opened from a command, a low survey score, a message that reads
as a complaint (suspected until a head confirms) or a manager; owned, deadlined,
resolved with the customer told, escalated once when overdue."""

from __future__ import annotations

from typing import Any

from domain.buttons import ComplaintButton, complaint_button
from storage.models import Complaint, Lead
from storage.uow import UnitOfWork
from texts import language_of
from usecases import cards
from usecases.assignment import Verdict
from usecases.complaint_escalation import escalate_overdue as escalate_overdue  # here too
from usecases.context import AppContext
from usecases.labels import complaint_source_label
from usecases.queries import COMPLAINT_OPEN as OPEN
from usecases.queries import complaint_dict as complaint_dict  # read from here too
from usecases.queries import list_complaints as list_complaints  # read from here too
from usecases.staffing import ROLE_HEAD, tell_heads, tell_staff
from usecases.webhooks import complaint_opened


def complaint_buttons(
    ctx: AppContext, language: str, complaint: Complaint, managers: list[tuple[int, str]]
) -> list[list[dict[str, str]]]:
    rows = []
    if complaint.suspected:
        rows.append(
            [
                {
                    "text": str(ctx.texts.get("btn_confirm", language)),
                    "callback_data": complaint_button(ComplaintButton.CONFIRM, complaint.id),
                },
                {
                    "text": str(ctx.texts.get("btn_reject", language)),
                    "callback_data": complaint_button(ComplaintButton.REJECT, complaint.id),
                },
            ]
        )
    rows.append(
        [
            {
                "text": str(ctx.texts.get("btn_take", language)),
                "callback_data": complaint_button(ComplaintButton.TAKE, complaint.id),
            }
        ]
    )
    rows.extend(
        [
            {
                "text": str(ctx.texts.get("btn_assign_to", language, name=name)),
                "callback_data": complaint_button(
                    ComplaintButton.ASSIGN_TO, complaint.id, str(manager_id)
                ),
            }
        ]
        for manager_id, name in managers[:6]
    )
    return rows


async def open_complaint(
    ctx: AppContext,
    uow: UnitOfWork,
    *,
    contact_id: int,
    lead_id: int | None,
    manager_id: int | None,
    source: str,
    text: str,
    suspected: bool = False,
    actor: str = "customer",
) -> Complaint:
    now = ctx.clock.now()
    complaint = await uow.complaints.add(
        now,
        contact_id=contact_id,
        lead_id=lead_id,
        manager_id=manager_id,
        text=text,
        source=source,
        suspected=suspected,
        status="new",
        deadline_at=now + ctx.config.complaints.deadline,
    )
    uow.complaints.record(
        complaint.id, "opened", actor, now, {"source": source, "suspected": suspected}
    )
    if lead_id is not None:
        uow.events.add(
            lead_id,
            "complaint_opened",
            now,
            actor=actor,
            data={"complaint_id": complaint.id, "source": source},
        )
    contact = await uow.contacts.get(contact_id)
    managers = [(m.id, m.name) for m in await uow.managers.all() if m.active]
    who = contact.display_name if contact and contact.display_name else f"#{contact_id}"

    def build(language: str) -> dict[str, Any]:
        key = "complaint_suspected" if suspected else "complaint_new"
        body = ctx.texts.get(
            key,
            language,
            complaint_id=complaint.id,
            customer=who,
            source=complaint_source_label(ctx.texts, language, source),
            text=text[:800],
        )
        return cards.payload(body, complaint_buttons(ctx, language, complaint, managers))

    await tell_heads(ctx, uow, build, purpose="complaint", dedupe_key=f"complaint:{complaint.id}")
    if not suspected:  # a suspected one is told when the head confirms it
        await complaint_opened(ctx, uow, complaint)
    return complaint


async def open_from_message(
    ctx: AppContext, uow: UnitOfWork, lead: Lead, contact_id: int, text: str, *, new_lead: bool
) -> None:
    """A message that reads as a complaint (suspected until a head confirms). When it
    opened a new lead, the complaint is about his previous manager, who is not offered it."""
    about = lead.manager_id
    if new_lead:
        about = await uow.leads.previous_manager(contact_id, lead.id)
        if about is not None:
            now = ctx.clock.now()
            uow.offers.add(lead.id, about, now, None)
            await uow.flush()
            await uow.offers.close_pending(lead.id, "excluded", now, "complaint about him")
    await open_complaint(
        ctx,
        uow,
        contact_id=contact_id,
        lead_id=lead.id,
        manager_id=about,
        source="message",
        text=text,
        suspected=True,
    )


async def open_from_customer(
    ctx: AppContext,
    channel: str,
    external_id: str,
    text: str,
    *,
    suspected: bool = False,
    chat_id: str | None = None,
    display_name: str | None = None,
    language: str | None = None,
) -> int | None:
    """The customer's /complaint (or a message that reads as one, suspected). It is about
    his open lead or, failing that, his last one and its manager; it opens no sales lead.
    A customer the bot has not met yet is recorded (with `chat_id`) without a lead."""
    async with ctx.db.uow() as uow:
        now = ctx.clock.now()
        identity = await uow.identities.get(channel, external_id)
        if identity is None and chat_id is None:
            return None
        if identity is None:
            contact = await uow.contacts.add(now, display_name=display_name, language=language)
            identity = await uow.identities.add(
                now,
                contact_id=contact.id,
                channel=channel,
                external_id=external_id,
                chat_id=chat_id,
                display_name=display_name,
                language=language,
                last_inbound_at=now,
            )
        else:
            identity.last_inbound_at = now
            identity.blocked_at = None
        lead = await uow.leads.latest_for_contact(identity.contact_id)
        complaint = await open_complaint(
            ctx,
            uow,
            contact_id=identity.contact_id,
            lead_id=lead.id if lead else None,
            manager_id=lead.manager_id if lead else None,
            source="message" if suspected else "command",
            text=text,
            suspected=suspected,
        )
        if not suspected:
            reader = language_of(identity.language)
            await uow.outbox.add(
                channel=channel,
                chat_id=identity.chat_id,
                purpose="notice",
                payload=cards.payload(
                    ctx.texts.get("complaint_received", reader, complaint_id=complaint.id)
                ),
                now=now,
                contact_id=identity.contact_id,
                dedupe_key=f"complaint-received:{complaint.id}",
            )
        await uow.commit()
        complaint_id = complaint.id
    ctx.wake("outbox")
    return complaint_id


async def open_from_manager(ctx: AppContext, lead_id: int, telegram_id: int, text: str) -> Verdict:
    async with ctx.db.uow() as uow:
        manager = await uow.managers.by_telegram_id(telegram_id)
        lead = await uow.leads.get(lead_id)
        if manager is None or lead is None:
            return Verdict.STALE
        if manager.role != ROLE_HEAD and manager.id not in (lead.manager_id,):
            return Verdict.NOT_YOURS
        await open_complaint(
            ctx,
            uow,
            contact_id=lead.contact_id,
            lead_id=lead.id,
            manager_id=lead.manager_id,
            source="manager",
            text=text,
            actor=f"manager:{manager.id}",
        )
        await uow.commit()
    ctx.wake("outbox")
    return Verdict.DONE


async def _staff(uow: UnitOfWork, telegram_id: int | None, manager_id: int | None) -> Any:
    if manager_id is not None:
        return await uow.managers.get(manager_id)
    if telegram_id is not None:
        return await uow.managers.by_telegram_id(telegram_id)
    return None


async def assign_complaint(
    ctx: AppContext,
    complaint_id: int,
    owner_manager_id: int | None,
    actor_manager_id: int | None,
    *,
    actor_telegram_id: int | None = None,
) -> Verdict:
    """A head gives a complaint an owner (or takes it: owner None means the actor)."""
    async with ctx.db.uow() as uow:
        now = ctx.clock.now()
        actor = await _staff(uow, actor_telegram_id, actor_manager_id)
        complaint = await uow.complaints.get_for_update(complaint_id)
        if complaint is None or complaint.status not in OPEN:
            return Verdict.STALE
        if actor is not None and actor.role != ROLE_HEAD:
            return Verdict.NOT_YOURS
        owner = actor if owner_manager_id is None else await uow.managers.get(owner_manager_id)
        if owner is None:
            return Verdict.STALE
        complaint.owner_id = owner.id
        complaint.status = "in_progress"
        complaint.updated_at = now
        uow.complaints.record(
            complaint.id, "assigned", _actor_name(actor), now, {"owner_id": owner.id}
        )
        await tell_staff(
            ctx,
            uow,
            owner,
            cards.payload(
                ctx.texts.get(
                    "complaint_yours",
                    owner.language,
                    complaint_id=complaint.id,
                    text=complaint.text[:800],
                ),
                [
                    [
                        {
                            "text": str(ctx.texts.get("btn_resolve", owner.language)),
                            "callback_data": complaint_button(
                                ComplaintButton.RESOLVE, complaint.id
                            ),
                        }
                    ]
                ],
            ),
            purpose="complaint",
        )
        await uow.commit()
    ctx.wake("outbox")
    return Verdict.DONE


def _actor_name(actor: Any) -> str:
    return f"manager:{actor.id}" if actor is not None else "dashboard"


async def confirm_suspected(
    ctx: AppContext, complaint_id: int, telegram_id: int, confirmed: bool
) -> Verdict:
    async with ctx.db.uow() as uow:
        now = ctx.clock.now()
        head = await uow.managers.by_telegram_id(telegram_id)
        complaint = await uow.complaints.get_for_update(complaint_id)
        if head is None or head.role != ROLE_HEAD:
            return Verdict.NOT_YOURS
        if complaint is None or not complaint.suspected or complaint.status not in OPEN:
            return Verdict.STALE
        complaint.suspected = False
        complaint.updated_at = now
        if not confirmed:
            complaint.status = "rejected"
            complaint.resolved_at = now
        uow.complaints.record(
            complaint.id, "confirmed" if confirmed else "rejected", f"manager:{head.id}", now
        )
        if confirmed:
            await complaint_opened(ctx, uow, complaint)
        await uow.commit()
    return Verdict.DONE


async def resolve_complaint(
    ctx: AppContext,
    complaint_id: int,
    actor_manager_id: int | None,
    resolution: str,
    *,
    actor_telegram_id: int | None = None,
) -> Verdict:
    """The owner (or a head) resolves with a text, and the customer is told."""
    resolution = resolution.strip()
    if not resolution:
        return Verdict.STALE
    async with ctx.db.uow() as uow:
        now = ctx.clock.now()
        actor = await _staff(uow, actor_telegram_id, actor_manager_id)
        complaint = await uow.complaints.get_for_update(complaint_id)
        if complaint is None or complaint.status not in OPEN:
            return Verdict.STALE
        if actor is not None and actor.role != ROLE_HEAD and complaint.owner_id != actor.id:
            return Verdict.NOT_YOURS
        complaint.status = "resolved"
        complaint.resolution = resolution
        complaint.resolved_at = complaint.updated_at = now
        complaint.suspected = False
        uow.complaints.record(
            complaint.id, "resolved", _actor_name(actor), now, {"resolution": resolution}
        )
        lead = await uow.leads.get(complaint.lead_id or 0)
        identity = await uow.identities.reply_address(
            complaint.contact_id, lead.channel if lead else None
        )
        if identity is not None:
            language = language_of(identity.language)
            await uow.outbox.add(
                channel=identity.channel,
                chat_id=identity.chat_id,
                purpose="notice",
                payload=cards.payload(
                    ctx.texts.get(
                        "complaint_resolved",
                        language,
                        complaint_id=complaint.id,
                        resolution=resolution,
                    )
                ),
                now=now,
                contact_id=complaint.contact_id,
                dedupe_key=f"complaint-resolved:{complaint.id}",
            )
        await uow.commit()
    ctx.wake("outbox")
    return Verdict.DONE
