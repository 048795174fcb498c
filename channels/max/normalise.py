"""MAX Bot API updates → the inbound shape; no I/O here.

An update is `{"update_type": ..., "timestamp": <ms>, ...}` (max-messenger/api-schema,
`Update` and its inheritors). Only dialogs with a person are enquiries: a bot's own
messages, group chats and channels are skipped. The customer's user id is also his chat
id here: MAX sends to a dialog by `user_id`, and `bot_started` / `bot_stopped` name him
the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.buttons import SEPARATOR, SURVEY
from domain.contacts import normalise_phone
from domain.inbound import Attachment, InboundEdit, InboundMessage, Sender

CHANNEL = "max"
# What the service asks MAX for, in both modes.
UPDATE_TYPES = (
    "message_created",
    "message_edited",
    "message_callback",
    "bot_started",
    "bot_stopped",
)
_TEL = re.compile(r"^TEL[^:]*:(.+)$", re.IGNORECASE | re.MULTILINE)


class Skip(Exception):
    """Not a customer's enquiry (a bot, a group chat, an empty message); logged."""


class BadUpdate(ValueError):
    """Not a MAX update at all; the webhook answers 400."""


@dataclass(frozen=True)
class Blocked:
    """bot_stopped: the customer stopped the bot, so nothing more may be sent to him."""

    chat_id: str


@dataclass(frozen=True)
class ButtonPress:
    """message_callback: a customer pressed one of our inline buttons."""

    callback_id: str
    user_id: str
    data: str


def check_update(raw: Any) -> dict[str, Any]:
    """The envelope every update has, or BadUpdate."""
    if not isinstance(raw, dict):
        raise BadUpdate("expected a JSON object")
    if not isinstance(raw.get("update_type"), str) or not raw["update_type"]:
        raise BadUpdate("update_type: expected the update's type")
    if not _is_int(raw.get("timestamp")):
        raise BadUpdate("timestamp: expected milliseconds since 1970")
    return raw


def update_key(update: dict[str, Any]) -> str:
    """The same for every delivery of one update: a message's mid (its edits add their
    time), a button press's callback id, else the type, time and person."""
    kind = str(update["update_type"])
    message = _dict(update.get("message"))
    mid = _dict(message.get("body")).get("mid")
    if kind == "message_created" and isinstance(mid, str) and mid:
        return f"m:{mid}"[:255]
    if kind == "message_callback":
        callback_id = _dict(update.get("callback")).get("callback_id")
        if isinstance(callback_id, str) and callback_id:
            return f"c:{callback_id}"[:255]
    if kind == "message_edited" and isinstance(mid, str) and mid:
        return f"e:{mid}:{update['timestamp']}"[:255]
    who = update.get("chat_id") or _dict(update.get("user")).get("user_id") or ""
    return f"{kind}:{update['timestamp']}:{who}"[:255]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _at(milliseconds: Any) -> datetime | None:
    if not _is_int(milliseconds) or milliseconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(milliseconds / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _language(locale: Any) -> str | None:
    """`ru-RU` (IETF BCP 47, as MAX gives it) → `ru`."""
    if isinstance(locale, str) and locale.strip():
        return locale.strip().replace("_", "-").split("-")[0].lower()[:8] or None
    return None


def _name(user: dict[str, Any]) -> str | None:
    parts = (user.get("first_name"), user.get("last_name"))
    name = " ".join(str(part).strip() for part in parts if isinstance(part, str) and part.strip())
    if not name and isinstance(user.get("name"), str):
        name = user["name"].strip()
    return name or None


def _person(user: Any) -> dict[str, Any]:
    """The user object of a person, or Skip."""
    if not isinstance(user, dict) or not _is_int(user.get("user_id")):
        raise Skip("no user")
    if user.get("is_bot") is True:
        raise Skip("a bot wrote")
    return user


def _sender(user: dict[str, Any], locale: Any, phone: str | None = None) -> Sender:
    user_id = str(user["user_id"])
    username = user.get("username")
    return Sender(
        external_id=user_id,
        chat_id=user_id,
        display_name=_name(user),
        username=username if isinstance(username, str) and username else None,
        language=_language(locale),
        phone=phone,
    )


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value not in (None, "")}


def _attachment(raw: Any) -> Attachment | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        return None
    kind = raw["type"]
    payload = _dict(raw.get("payload"))
    url = payload.get("url")
    if kind == "image":
        photo_id = payload.get("photo_id")
        return Attachment(
            "photo",
            str(photo_id) if photo_id is not None else payload.get("token"),
            extra=_present({"url": url}),
        )
    if kind == "file":
        size = raw.get("size")
        return Attachment(
            "document",
            payload.get("token"),
            file_name=raw.get("filename") if isinstance(raw.get("filename"), str) else None,
            size=size if _is_int(size) else None,
            extra=_present({"url": url}),
        )
    if kind in ("audio", "video"):
        extra = {"url": url, "transcription": raw.get("transcription")}
        if kind == "video":
            extra = {"url": url, "duration": raw.get("duration")}
        return Attachment(kind, payload.get("token"), extra=_present(extra))
    if kind == "sticker":
        return Attachment("sticker", payload.get("code"), extra=_present({"url": url}))
    if kind == "location":
        latitude, longitude = raw.get("latitude"), raw.get("longitude")
        if not all(isinstance(v, int | float) for v in (latitude, longitude)):
            return None
        return Attachment("location", extra={"latitude": latitude, "longitude": longitude})
    if kind == "contact":
        info = _dict(payload.get("max_info"))
        extra = {"name": _name(info), "user_id": info.get("user_id"), "phone": _vcf_phone(payload)}
        return Attachment("contact", extra=_present(extra))
    if kind == "share":
        return Attachment("link", extra=_present({"url": url, "title": raw.get("title")}))
    if kind == "inline_keyboard":
        return None  # our own buttons echoed back, not the customer's content
    return Attachment(kind)


def _vcf_phone(payload: dict[str, Any]) -> str | None:
    vcf = payload.get("vcf_info")
    match = _TEL.search(vcf) if isinstance(vcf, str) else None
    return match.group(1).strip() if match else None


def _shared_phone(attachments: list[Any], user_id: int, region: str) -> str | None:
    """A contact card of the sender himself (the request_contact button sends that)."""
    for raw in attachments:
        if not isinstance(raw, dict) or raw.get("type") != "contact":
            continue
        payload = _dict(raw.get("payload"))
        owner = _dict(payload.get("max_info")).get("user_id")
        if owner in (None, user_id):
            return normalise_phone(_vcf_phone(payload), region)
    return None


def _dialog_message(update: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    message = update.get("message")
    if not isinstance(message, dict):
        raise Skip("no message")
    chat_type = _dict(message.get("recipient")).get("chat_type")
    if chat_type not in (None, "dialog"):
        raise Skip(f"a message in a {chat_type}")
    return message, _person(message.get("sender"))


def inbound_from_update(update: dict[str, Any], *, region: str = "RU") -> InboundMessage:
    """message_created or bot_started → the inbound shape; Skip for what is no enquiry."""
    kind = update.get("update_type")
    if kind == "bot_started":
        user = _person(update.get("user"))
        payload = update.get("payload")
        source = payload.strip()[:255] if isinstance(payload, str) and payload.strip() else None
        return InboundMessage(
            channel=CHANNEL,
            sender=_sender(user, update.get("user_locale")),
            external_message_id=f"start:{user['user_id']}:{update.get('timestamp')}",
            text="/start" + (f" {source}" if source else ""),
            sent_at=_at(update.get("timestamp")),
            source=source,
            is_start=True,
        )
    if kind != "message_created":
        raise Skip(f"{kind} is not a message")
    message, user = _dialog_message(update)
    body = _dict(message.get("body"))
    mid = body.get("mid")
    if not isinstance(mid, str) or not mid:
        raise Skip("message without a mid")
    raw_attachments = body.get("attachments") if isinstance(body.get("attachments"), list) else []
    attachments = [a for a in map(_attachment, raw_attachments) if a is not None]
    text = body.get("text") if isinstance(body.get("text"), str) else ""
    text = text.strip()
    if not text and not attachments:
        raise Skip("empty message")
    phone = _shared_phone(raw_attachments, user["user_id"], region)
    return InboundMessage(
        channel=CHANNEL,
        sender=_sender(user, update.get("user_locale"), phone),
        external_message_id=mid[:255],
        text=text,
        attachments=tuple(attachments),
        sent_at=_at(message.get("timestamp")) or _at(update.get("timestamp")),
    )


def edit_from_update(update: dict[str, Any]) -> InboundEdit:
    message, user = _dialog_message(update)
    body = _dict(message.get("body"))
    mid = body.get("mid")
    if not isinstance(mid, str) or not mid:
        raise Skip("edit without a mid")
    text = body.get("text") if isinstance(body.get("text"), str) else ""
    return InboundEdit(
        channel=CHANNEL,
        sender_external_id=str(user["user_id"]),
        external_message_id=mid[:255],
        text=text.strip(),
        receipt_key=update_key(update),
        edited_at=_at(update.get("timestamp")),
    )


def blocked_from_update(update: dict[str, Any]) -> Blocked:
    return Blocked(str(_person(update.get("user"))["user_id"]))


def press_from_update(update: dict[str, Any]) -> ButtonPress:
    callback = _dict(update.get("callback"))
    callback_id = callback.get("callback_id")
    if not isinstance(callback_id, str) or not callback_id:
        raise Skip("button press without a callback_id")
    user = _person(callback.get("user"))
    data = callback.get("payload")
    return ButtonPress(callback_id, str(user["user_id"]), data if isinstance(data, str) else "")


def survey_score(data: str) -> tuple[int, int] | None:
    """The survey id and score of a rating button (domain/buttons.py), else None."""
    parts = data.split(SEPARATOR)
    if len(parts) == 3 and parts[0] == SURVEY and parts[1].isdigit() and parts[2].isdigit():
        return int(parts[1]), int(parts[2])
    return None
