"""Avito Messenger webhook events (v3) → the inbound shape; no I/O here.

An event is `{"id", "version", "timestamp", "payload": {"type": "message", "value": {...}}}`
where the value is the message: its `id`, `chat_id`, `user_id` (the account it was
delivered to: ours), `author_id`, `created` (seconds), `type` (text, image, voice, link,
item, location, call, system, deleted, …), `chat_type` (u2i: about a listing, u2u:
between users), `item_id` and `content`. Avito sends our own messages too (the author is
our account): they are no enquiry. Each chat is its own conversation (one listing, one
buyer), so the chat id is both the customer's id and his address here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from domain.inbound import Attachment, InboundMessage, Sender

CHANNEL = "avito"
SOURCE_LENGTH = 255
_SIZE = re.compile(r"^(\d+)x(\d+)$")
# Message types that carry nothing a customer wrote.
_NOT_WRITTEN = frozenset({"system", "deleted", "call", "appCall"})


class Skip(Exception):
    """Not a customer's enquiry (our own message, a system notice, a call); logged."""


class BadEvent(ValueError):
    """Not an Avito webhook event at all; the webhook answers 400."""


@dataclass(frozen=True)
class Listing:
    """The listing a chat is about (GET /messenger/v2/…/chats/{chat_id}: context.value)."""

    item_id: int | None
    title: str
    url: str

    def as_source(self) -> str:
        """Title and link for the lead's source, the link kept whole when it must be cut."""
        if not self.url:
            return self.title[:SOURCE_LENGTH]
        room = SOURCE_LENGTH - len(self.url) - 3
        if room < 8:
            return self.url[:SOURCE_LENGTH]
        title = self.title if len(self.title) <= room else self.title[: room - 1] + "…"
        return f"{title} — {self.url}" if title else self.url


@dataclass(frozen=True)
class ChatInfo:
    listing: Listing | None = None
    buyer_name: str | None = None


@dataclass(frozen=True)
class AvitoMessage:
    id: str
    chat_id: str
    account_id: int | None  # the account the message was delivered to
    author_id: int | None
    kind: str
    chat_type: str | None
    item_id: int | None
    created: datetime | None
    content: dict[str, Any] = field(default_factory=dict)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 20:
        return int(value.strip())
    return None


def _text(value: Any, limit: int = 4096) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _at(seconds: Any) -> datetime | None:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def check_event(raw: Any) -> dict[str, Any]:
    """The envelope every event has, or BadEvent."""
    if not isinstance(raw, dict):
        raise BadEvent("expected a JSON object")
    payload = raw.get("payload")
    if not isinstance(payload, dict):
        raise BadEvent("payload: expected the event's payload object")
    if not isinstance(payload.get("type"), str) or not payload["type"]:
        raise BadEvent("payload.type: expected the event's type")
    if "value" in payload and not isinstance(payload["value"], dict | None):
        raise BadEvent("payload.value: expected an object")
    return raw


def is_probe(raw: Any) -> bool:
    """Avito checks a new subscription by posting `{}`; it wants a 200 and nothing more."""
    return isinstance(raw, dict) and not raw


def event_key(event: dict[str, Any]) -> str:
    """The same for every delivery of one event: the message id, else the event id."""
    payload = _dict(event.get("payload"))
    value = _dict(payload.get("value"))
    message_id = value.get("id")
    if payload.get("type") == "message" and isinstance(message_id, str) and message_id:
        return f"m:{message_id}"[:255]
    event_id = event.get("id")
    if isinstance(event_id, str) and event_id:
        return f"e:{event_id}"[:255]
    return f"{payload.get('type')}:{event.get('timestamp')}:{value.get('chat_id')}"[:255]


def message_of(event: dict[str, Any]) -> AvitoMessage:
    """The message an event carries, or Skip."""
    payload = _dict(event.get("payload"))
    if payload.get("type") != "message":
        raise Skip(f"a {payload.get('type')!s:.40} event")
    value = _dict(payload.get("value"))
    message_id, chat_id = value.get("id"), value.get("chat_id")
    if not isinstance(message_id, str) or not message_id.strip():
        raise Skip("a message without an id")
    if not isinstance(chat_id, str | int) or isinstance(chat_id, bool) or not str(chat_id):
        raise Skip("a message without a chat")
    kind = value.get("type")
    return AvitoMessage(
        id=message_id.strip()[:255],
        chat_id=str(chat_id)[:255],
        account_id=_int(value.get("user_id")),
        author_id=_int(value.get("author_id")),
        kind=kind if isinstance(kind, str) else "",
        chat_type=value.get("chat_type") if isinstance(value.get("chat_type"), str) else None,
        item_id=_int(value.get("item_id")),
        created=_at(value.get("created")) or _at(event.get("timestamp")),
        content=_dict(value.get("content")),
    )


def is_ours(message: AvitoMessage, own_id: int | None) -> bool:
    """Written by our account (a reply or acknowledgement Avito echoes back)."""
    author = message.author_id
    return author is not None and author in {message.account_id, own_id} - {None}


def chat_info(raw: Any, own_id: int | None) -> ChatInfo:
    """GET /messenger/v2/accounts/{user_id}/chats/{chat_id} → the listing and the buyer."""
    chat = _dict(raw)
    context = _dict(chat.get("context"))
    listing = None
    if context.get("type") == "item":
        item = _dict(context.get("value"))
        title, url = _text(item.get("title"), 200), _text(item.get("url"), 200)
        if not url.startswith(("https://", "http://")):
            url = ""
        if title or url:
            listing = Listing(_int(item.get("id")), title, url)
    buyer = None
    for user in chat.get("users") if isinstance(chat.get("users"), list) else []:
        user = _dict(user)
        if _int(user.get("id")) not in (None, own_id) and _text(user.get("name")):
            buyer = _text(user.get("name"), 128)
            break
    return ChatInfo(listing, buyer)


def _largest(sizes: dict[str, Any]) -> str | None:
    best, area = None, -1
    for size, url in sizes.items():
        match = _SIZE.match(str(size))
        if match and isinstance(url, str) and url.startswith(("https://", "http://")):
            if int(match.group(1)) * int(match.group(2)) > area:
                best, area = url, int(match.group(1)) * int(match.group(2))
    return best


def _content(message: AvitoMessage) -> tuple[str, list[Attachment]]:
    content, kind = message.content, message.kind
    text = _text(content.get("text"))
    if kind == "image":
        url = _largest(_dict(_dict(content.get("image")).get("sizes")))
        return text, [Attachment("photo", extra={"url": url} if url else {})]
    if kind == "voice":
        voice_id = _dict(content.get("voice")).get("voice_id")
        return text, [Attachment("voice", str(voice_id)[:255] if voice_id else None)]
    if kind in ("link", "item"):
        block = _dict(content.get(kind))
        url = _text(block.get("url") or block.get("item_url"), 2048)
        words = _text(block.get("text") or block.get("title"), 1024)
        return " ".join(part for part in (text or words, url) if part), []
    if kind == "location":
        place = _dict(content.get("location"))
        latitude, longitude = place.get("lat"), place.get("lon")
        if all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in (latitude, longitude)
        ):
            return text, [
                Attachment("location", extra={"latitude": latitude, "longitude": longitude})
            ]
        return text, []
    if kind in ("file", "video"):
        block = _dict(content.get(kind))
        url = _text(block.get("url"), 2048)
        return text, [
            Attachment(
                "document" if kind == "file" else "video",
                file_name=_text(block.get("name"), 255) or None,
                extra={"url": url} if url.startswith(("https://", "http://")) else {},
            )
        ]
    return text, []


def inbound_from_message(message: AvitoMessage, info: ChatInfo | None) -> InboundMessage:
    """A buyer's message → the inbound shape; Skip for what no customer wrote."""
    if message.kind in _NOT_WRITTEN:
        raise Skip(f"a {message.kind} message")
    if not message.author_id:
        raise Skip("a message without an author (Avito's own notice)")
    text, attachments = _content(message)
    if not text and not attachments:
        raise Skip("an empty message")
    listing = info.listing if info else None
    extra: dict[str, Any] = {"avito_chat_type": message.chat_type, "avito_item_id": message.item_id}
    if listing is not None:
        extra.update(listing_title=listing.title, listing_url=listing.url)
    return InboundMessage(
        channel=CHANNEL,
        sender=Sender(
            external_id=message.chat_id,
            chat_id=message.chat_id,
            display_name=info.buyer_name if info else None,
        ),
        external_message_id=message.id,
        text=text,
        attachments=tuple(attachments),
        sent_at=message.created,
        source=listing.as_source() if listing is not None else None,
        extra={key: value for key, value in extra.items() if value not in (None, "")},
    )
