"""A customer's words and files on their way to the lead's holder in Telegram.

Text goes as a relay (split when longer than one message); a Telegram customer's photo,
document, voice, video or sticker follows it as a copy of his own message (Bot API
copyMessage), queued in the outbox like every other send."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from domain import business
from domain.buttons import LeadButton, lead_button
from domain.inbound import InboundMessage
from domain.text_split import split_text
from storage.models import Contact, Lead, Manager, Message
from storage.uow import UnitOfWork
from texts import Safe
from usecases.context import AppContext
from usecases.conversation import COPYABLE, STAFF_TEXT_LIMIT, message_body

# Room left in a relay for its header ("💬 Lead #N · name:") and the HTML around it.
_HEADER_ROOM = 300


def copy_payload(message: Message) -> dict[str, Any] | None:
    """How to copy this Telegram message to a staff chat; None when there is nothing to copy.
    A Telegram Business chat is not the bot's, so its files go by their file id instead."""
    if message.channel == business.CHANNEL:
        return _by_file_id(message)
    if message.channel != "telegram" or not message.external_id:
        return None
    if not any(a.get("kind") in COPYABLE for a in message.attachments or []):
        return None
    chat_id, _, message_id = message.external_id.rpartition(":")
    if not chat_id or not message_id.isdigit():
        return None
    return {"copy_from_chat_id": chat_id, "copy_message_id": int(message_id)}


def _by_file_id(message: Message) -> dict[str, Any] | None:
    for attachment in message.attachments or []:
        if attachment.get("kind") in COPYABLE and attachment.get("file_id"):
            return {"media_kind": attachment["kind"], "file_id": attachment["file_id"]}
    return None


async def queue_copies(
    ctx: AppContext, uow: UnitOfWork, manager: Manager, lead_id: int, messages: Sequence[Message]
) -> None:
    for message in messages:
        payload = copy_payload(message)
        if payload is not None:
            await uow.outbox.add(
                channel="telegram",
                chat_id=str(manager.telegram_id),
                purpose="relay_media",
                payload=payload,
                now=ctx.clock.now(),
                lead_id=lead_id,
            )


async def relay_to_manager(
    ctx: AppContext,
    uow: UnitOfWork,
    lead: Lead,
    contact: Contact,
    inbound: InboundMessage,
    message: Message,
    *,
    unless: int | None = None,
) -> None:
    """Later customer messages on an assigned lead reach its manager, marked with the lead;
    not when he is `unless` (a Telegram id: the account the customer wrote to, where he
    reads it already)."""
    manager = await uow.managers.get(lead.manager_id or 0)
    if manager is None or (unless is not None and manager.telegram_id == unless):
        return
    language = manager.language
    customer = contact.display_name or f"#{contact.id}"
    pieces = split_text(inbound.text, STAFF_TEXT_LIMIT - _HEADER_ROOM) if inbound.text else [""]
    buttons = [
        [
            {
                "text": str(ctx.texts.get("btn_reply", language)),
                "callback_data": lead_button(LeadButton.REPLY, lead.id),
            }
        ]
    ]
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        if last:
            attachments = [attachment.as_dict() for attachment in inbound.attachments]
            body, _ = message_body(ctx.texts, language, piece, attachments, inbound.channel)
        else:
            body = Safe(html.escape(piece, quote=False))
        text = ctx.texts.get(
            "customer_says", language, lead_id=lead.id, customer=customer, text=body
        )
        payload: dict[str, Any] = {"text": text, "parse_mode": "HTML"}
        if last:
            payload["buttons"] = buttons
        await uow.outbox.add(
            channel="telegram",
            chat_id=str(manager.telegram_id),
            purpose="relay",
            payload=payload,
            now=ctx.clock.now(),
            lead_id=lead.id,
        )
    await queue_copies(ctx, uow, manager, lead.id, [message])
