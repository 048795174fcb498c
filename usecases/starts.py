"""A bare /start (with or without a deep-link payload) is not a question: it greets and
remembers where the customer came from; the first real message opens the lead."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.inbound import InboundMessage
from storage.uow import UnitOfWork
from texts import language_of
from usecases.context import AppContext
from usecases.replies import phone_keyboard, when_to_expect

if TYPE_CHECKING:
    from storage.models import ChannelIdentity, Contact, Lead, Message


async def record_start(
    ctx: AppContext,
    uow: UnitOfWork,
    inbound: InboundMessage,
    contact: Contact,
    identity: ChannelIdentity,
    lead: Lead | None,
    now: datetime,
) -> Message:
    """Store the /start on the contact (no lead), and greet him unless a lead is open."""
    message = await uow.messages.add(
        now,
        lead_id=None,
        contact_id=contact.id,
        channel=inbound.channel,
        direction="in",
        external_id=inbound.external_message_id,
        text=inbound.text,
        attachments=[],
        delivery_status="received",
        sent_at=inbound.sent_at,
    )
    if lead is not None:
        # Already talking: the manager has the lead; only the new source is worth noting.
        if inbound.source:
            uow.events.add(
                lead.id, "source_seen", now, actor="customer", data={"source": inbound.source}
            )
        return message
    contact.started_at = now
    if inbound.source:
        contact.start_source = inbound.source
    if identity.blocked_at is None and inbound.acknowledge:
        language = language_of(identity.language or contact.language)
        name = contact.display_name or identity.display_name or ""
        text = ctx.texts.get(
            "welcome",
            language,
            name=name,
            company=ctx.config.company.name,
            when=when_to_expect(ctx, now, language),
        )
        payload: dict[str, Any] = {"text": text, "parse_mode": "HTML", "auto_submitted": True}
        if not contact.phone and inbound.channel == "telegram":
            payload["keyboard"] = phone_keyboard(ctx.texts, language)
        await uow.outbox.add(
            channel=inbound.channel,
            chat_id=identity.chat_id,
            purpose="ack",
            payload=payload,
            now=now,
            contact_id=contact.id,
            dedupe_key=f"welcome:{message.id}",
        )
    return message


def take_start_source(contact: Contact) -> str | None:
    """The deep-link source waiting on the contact, handed to the lead it opens."""
    source = contact.start_source
    contact.started_at = None
    contact.start_source = None
    return source
