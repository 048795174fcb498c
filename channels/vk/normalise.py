"""VK Callback API events → the inbound shape; no I/O here.

`message_new` comes in two shapes: since API 5.103 the message is `object.message` (with
`client_info` beside it); before, `object` is the message itself. Both are read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.inbound import Attachment, InboundEdit, InboundMessage, Sender

CHANNEL = "vk"
# peer_id of a group chat is 2e9 + the chat's number; a user's peer_id is his id.
CHAT_PEER_BASE = 2_000_000_000
# VK's lang_id in client_info.
_LANGUAGES = {0: "ru", 1: "uk", 2: "be", 3: "en", 4: "es", 6: "de", 12: "fr"}


class Skip(Exception):
    """Not a customer enquiry (our own message, a service message, a chat); logged."""


class BadEvent(ValueError):
    """Not a Callback API event; answered 400."""


@dataclass(frozen=True)
class VkEvent:
    type: str
    group_id: int | None
    event_id: str | None
    secret: str | None
    object: dict[str, Any]


def parse_event(data: Any) -> VkEvent:
    if not isinstance(data, dict):
        raise BadEvent("expected a JSON object")
    kind = data.get("type")
    if not isinstance(kind, str) or not kind:
        raise BadEvent("type: expected the event type")
    group_id = data.get("group_id")
    if group_id is not None and (not isinstance(group_id, int) or isinstance(group_id, bool)):
        raise BadEvent("group_id: expected a number")
    body = data.get("object")
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise BadEvent("object: expected a JSON object")
    event_id = data.get("event_id")
    secret = data.get("secret")
    return VkEvent(
        type=kind,
        group_id=group_id,
        event_id=str(event_id) if event_id is not None else None,
        secret=secret if isinstance(secret, str) else None,
        object=body,
    )


def message_of(event: VkEvent) -> dict[str, Any]:
    inner = event.object.get("message")
    return inner if isinstance(inner, dict) else event.object


def client_language(event: VkEvent) -> str | None:
    info = event.object.get("client_info")
    if isinstance(info, dict) and isinstance(info.get("lang_id"), int):
        return _LANGUAGES.get(info["lang_id"])
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None


def message_key(message: dict[str, Any], event: VkEvent) -> str:
    """Unique within the community: the message's number in its conversation (chat
    messages of a community bot carry id 0), else its id, else the event."""
    peer = _int(message.get("peer_id"))
    number = _int(message.get("conversation_message_id"))
    if peer is not None and number:
        return f"{peer}_{number}"
    message_id = _int(message.get("id"))
    if message_id:
        return f"m{message_id}"
    if event.event_id:
        return f"e{event.event_id}"
    canonical = json.dumps(message, sort_keys=True, ensure_ascii=False, default=str)
    return "h" + hashlib.sha256(canonical.encode()).hexdigest()[:40]


def _biggest(sizes: Any) -> dict[str, Any]:
    best: dict[str, Any] = {}
    if isinstance(sizes, list):
        for size in sizes:
            if not isinstance(size, dict):
                continue
            area = (_int(size.get("width")) or 0) * (_int(size.get("height")) or 0)
            best_area = (_int(best.get("width")) or 0) * (_int(best.get("height")) or 0)
            if not best or area > best_area:
                best = size
    return best


def _media_id(kind: str, item: dict[str, Any]) -> str | None:
    owner, number = item.get("owner_id"), item.get("id")
    return f"{kind}{owner}_{number}" if owner is not None and number is not None else None


def _attachment(raw: Any) -> Attachment | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        return None
    kind = raw["type"]
    item = raw.get(kind)
    item = item if isinstance(item, dict) else {}
    if kind == "photo":
        best = _biggest(item.get("sizes"))
        extra = {"url": best.get("url"), "width": best.get("width"), "height": best.get("height")}
        return Attachment("photo", _media_id("photo", item), extra=_present(extra))
    if kind == "doc":
        return Attachment(
            "document",
            _media_id("doc", item),
            file_name=item.get("title"),
            size=_int(item.get("size")),
            extra=_present({"url": item.get("url"), "ext": item.get("ext")}),
        )
    if kind == "audio_message":
        extra = {"duration": item.get("duration"), "url": item.get("link_ogg")}
        return Attachment("voice", _media_id("audio_message", item), extra=_present(extra))
    if kind == "sticker":
        return Attachment("sticker", extra=_present({"sticker_id": item.get("sticker_id")}))
    if kind == "video":
        return Attachment(
            "video", _media_id("video", item), extra=_present({"title": item.get("title")})
        )
    if kind == "audio":
        extra = {"artist": item.get("artist"), "title": item.get("title")}
        return Attachment("audio", _media_id("audio", item), extra=_present(extra))
    if kind == "link":
        return Attachment(
            "link", extra=_present({"url": item.get("url"), "title": item.get("title")})
        )
    if kind == "poll":
        return Attachment("poll", extra=_present({"question": item.get("question")}))
    if kind == "wall":
        text = str(item.get("text") or "")[:500]
        return Attachment("wall", _media_id("wall", item) or None, extra=_present({"text": text}))
    return Attachment(kind, _media_id(kind, item))


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value not in (None, "")}


def _attachments(message: dict[str, Any]) -> list[Attachment]:
    found = [
        attachment
        for attachment in map(_attachment, message.get("attachments") or [])
        if attachment is not None
    ]
    geo = message.get("geo")
    if isinstance(geo, dict) and isinstance(geo.get("coordinates"), dict):
        coordinates = geo["coordinates"]
        found.append(
            Attachment(
                "location",
                extra=_present(
                    {
                        "latitude": coordinates.get("latitude"),
                        "longitude": coordinates.get("longitude"),
                    }
                ),
            )
        )
    for forwarded in message.get("fwd_messages") or []:
        if isinstance(forwarded, dict):
            inner = [a.kind for a in _attachments(forwarded)]
            extra = {
                "from_id": forwarded.get("from_id"),
                "text": str(forwarded.get("text") or "")[:1000],
                "attachments": inner or None,
            }
            found.append(Attachment("forwarded", extra=_present(extra)))
    return found


def _sent_at(message: dict[str, Any]) -> datetime | None:
    date = _int(message.get("date"))
    return datetime.fromtimestamp(date, UTC) if date and date > 0 else None


def inbound_from_event(
    event: VkEvent, *, allow_chats: bool = False, name: str | None = None
) -> InboundMessage:
    message = message_of(event)
    if _int(message.get("out")) == 1:
        raise Skip("our own outgoing message")
    sender_id = _int(message.get("from_id")) or _int(message.get("user_id"))
    if sender_id is None or sender_id <= 0:
        raise Skip("not from a user (another community or no sender)")
    peer_id = _int(message.get("peer_id")) or sender_id
    if peer_id >= CHAT_PEER_BASE and not allow_chats:
        raise Skip(f"group chat {peer_id}: chats are off (VK_ALLOW_CHATS)")
    text = str(message.get("text") or message.get("body") or "").strip()
    attachments = _attachments(message)
    if not text and not attachments:
        if isinstance(message.get("action"), dict):
            raise Skip(f"service message {message['action'].get('type')}")
        raise Skip("empty message")
    extra: dict[str, Any] = {}
    if peer_id >= CHAT_PEER_BASE:
        extra["group_chat"] = str(peer_id)
    ref = message.get("ref")
    return InboundMessage(
        channel=CHANNEL,
        sender=Sender(
            external_id=str(sender_id),
            chat_id=str(peer_id),
            display_name=name,
            language=client_language(event),
        ),
        external_message_id=message_key(message, event),
        text=text,
        attachments=tuple(attachments),
        sent_at=_sent_at(message),
        receipt_key=f"event:{event.event_id}" if event.event_id else None,
        # A link vk.me/club?ref=autumn says where the customer came from.
        source=str(ref)[:255] if isinstance(ref, str) and ref else None,
        extra=extra,
    )


def edit_from_event(event: VkEvent) -> InboundEdit:
    message = message_of(event)
    sender_id = _int(message.get("from_id"))
    if sender_id is None or sender_id <= 0 or _int(message.get("out")) == 1:
        raise Skip("edit of a message that is not a customer's")
    return InboundEdit(
        channel=CHANNEL,
        sender_external_id=str(sender_id),
        external_message_id=message_key(message, event),
        text=str(message.get("text") or "").strip(),
        receipt_key=f"event:{event.event_id}" if event.event_id else None,
        edited_at=datetime.fromtimestamp(t, UTC)
        if (t := _int(message.get("update_time"))) and t > 0
        else None,
    )


def user_of(event: VkEvent) -> int | None:
    """message_allow / message_deny: who allowed or refused messages from the community."""
    user_id = _int(event.object.get("user_id"))
    return user_id if user_id is not None and user_id > 0 else None
