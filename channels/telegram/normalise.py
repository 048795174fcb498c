"""Telegram updates → the inbound shape; no I/O here."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from aiogram.types import Message

from domain.contacts import normalise_phone
from domain.inbound import Attachment, InboundEdit, InboundMessage, Sender

CHANNEL = "telegram"
_DEEP_LINK = re.compile(r"^/start(?:@\w+)?(?:\s+([A-Za-z0-9_-]{1,64}))?\s*$")


class Skip(Exception):
    """The update is not a customer enquiry; the reason goes to the log."""


def message_key(message: Message) -> str:
    # message_id is unique only within a chat.
    return f"{message.chat.id}:{message.message_id}"


def sent_at_of(message: Message) -> datetime | None:
    date = message.date
    return date if isinstance(date, datetime) and date.timestamp() > 0 else None


def attachments_of(message: Message) -> list[Attachment]:
    found: list[Attachment] = []
    if message.photo:
        best = max(message.photo, key=lambda size: size.width * size.height)
        found.append(
            Attachment(
                "photo",
                best.file_id,
                size=best.file_size,
                extra={"width": best.width, "height": best.height},
            )
        )
    for kind in ("document", "audio", "video", "animation"):
        item = getattr(message, kind, None)
        if item is not None:
            found.append(
                Attachment(
                    kind,
                    item.file_id,
                    file_name=getattr(item, "file_name", None),
                    mime_type=getattr(item, "mime_type", None),
                    size=item.file_size,
                )
            )
    if message.voice:
        voice = message.voice
        found.append(
            Attachment(
                "voice",
                voice.file_id,
                mime_type=voice.mime_type,
                size=voice.file_size,
                extra={"duration": voice.duration},
            )
        )
    if message.video_note:
        found.append(Attachment("video_note", message.video_note.file_id))
    if message.sticker:
        found.append(
            Attachment("sticker", message.sticker.file_id, extra={"emoji": message.sticker.emoji})
        )
    if message.contact:
        contact = message.contact
        found.append(
            Attachment(
                "contact",
                extra={
                    "phone": contact.phone_number,
                    "first_name": contact.first_name,
                    "last_name": contact.last_name,
                    "user_id": contact.user_id,
                },
            )
        )
    if message.location:
        found.append(
            Attachment(
                "location",
                extra={
                    "latitude": message.location.latitude,
                    "longitude": message.location.longitude,
                },
            )
        )
    if message.poll:
        found.append(Attachment("poll", extra={"question": message.poll.question}))
    return found


def text_of(message: Message, attachments: list[Attachment]) -> str:
    # A shared contact or place is kept as its attachment, shown to staff in words.
    return message.text or message.caption or ""


def is_private(message: Message) -> bool:
    return message.chat.type == "private"


def inbound_from_message(
    message: Message, update_id: int | None, *, allow_groups: bool, region: str = "RU"
) -> InboundMessage:
    if not is_private(message) and not allow_groups:
        raise Skip(f"{message.chat.type} chat {message.chat.id}: groups are off")
    user = message.from_user
    if user is None or user.is_bot:
        raise Skip("no human sender")
    attachments = attachments_of(message)
    text = text_of(message, attachments)
    if not text and not attachments:
        if message.content_type in {"text", "unknown"}:
            raise Skip("empty message")
        # Service messages in private chats (pinned, etc.) are not enquiries.
        kind = getattr(message.content_type, "value", message.content_type)
        raise Skip(f"service message {kind}")

    phone = None
    if message.contact and message.contact.user_id in (None, user.id):
        # Only the button shares the sender's own number (user_id == sender);
        # a forwarded card without user_id is also most often the customer's own.
        phone = normalise_phone(message.contact.phone_number, region)

    source = None
    is_start = False
    command = (message.text or "").split(maxsplit=1)[0] if message.text else ""
    if command == "/start" or command.startswith("/start@"):
        match = _DEEP_LINK.match(message.text or "")
        is_start = True
        source = match.group(1) if match and match.group(1) else None

    sender = Sender(
        external_id=str(user.id),
        chat_id=str(message.chat.id),
        display_name=user.full_name,
        username=user.username,
        language=user.language_code,
        phone=phone,
    )
    extra: dict[str, Any] = {}
    if not is_private(message):
        extra["group_chat"] = message.chat.title or str(message.chat.id)
    return InboundMessage(
        channel=CHANNEL,
        sender=sender,
        external_message_id=message_key(message),
        text=text,
        attachments=tuple(attachments),
        sent_at=sent_at_of(message),
        receipt_key=str(update_id) if update_id is not None else None,
        source=source,
        is_start=is_start,
        extra=extra,
    )


def edit_from_message(message: Message, update_id: int | None) -> InboundEdit:
    user = message.from_user
    if user is None:
        raise Skip("edit without sender")
    attachments = attachments_of(message)
    return InboundEdit(
        channel=CHANNEL,
        sender_external_id=str(user.id),
        external_message_id=message_key(message),
        text=text_of(message, attachments),
        receipt_key=str(update_id) if update_id is not None else None,
        edited_at=edit_time_of(message.edit_date),
    )


def edit_time_of(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, int) and value > 0:
        return datetime.fromtimestamp(value, UTC)
    return None


def repair_raw_update(raw: dict[str, Any]) -> dict[str, Any]:
    """Fill fields some senders omit (seen in real payloads) so that validation passes.

    A chat without `type` is private when its id is positive; a callback without
    `chat_instance` gets an empty one.
    """
    for kind in (
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_message",
        "edited_business_message",
    ):
        message = raw.get(kind)
        if isinstance(message, dict):
            _repair_message(message)
    callback = raw.get("callback_query")
    if isinstance(callback, dict):
        callback.setdefault("chat_instance", "")
        if isinstance(callback.get("from"), dict):
            callback["from"].setdefault("is_bot", False)
        if isinstance(callback.get("message"), dict):
            _repair_message(callback["message"])
    return raw


def _repair_message(message: dict[str, Any]) -> None:
    chat = message.get("chat")
    if isinstance(chat, dict) and "type" not in chat:
        chat["type"] = "private" if isinstance(chat.get("id"), int) and chat["id"] > 0 else "group"
    for nested in ("reply_to_message", "pinned_message"):
        if isinstance(message.get(nested), dict):
            _repair_message(message[nested])
    for user_key in ("from", "forward_from"):
        user = message.get(user_key)
        if isinstance(user, dict) and "first_name" in user:
            user.setdefault("is_bot", False)
    for kind in ("document", "voice", "audio", "video", "video_note", "animation", "sticker"):
        item = message.get(kind)
        if isinstance(item, dict) and "file_id" in item:
            item.setdefault("file_unique_id", item["file_id"])
    for size in message.get("photo") or []:
        if isinstance(size, dict) and "file_id" in size:
            size.setdefault("file_unique_id", size["file_id"])
    forward = message.get("forward_from")
    if isinstance(forward, dict) and "first_name" not in forward:
        # A channel given where a user belongs; keep it as forward_from_chat instead.
        message.setdefault("forward_from_chat", {**forward, "type": forward.get("type", "channel")})
        del message["forward_from"]
