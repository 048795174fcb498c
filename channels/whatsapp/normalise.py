"""WhatsApp Cloud API webhooks → inbound messages and delivery statuses; no I/O here.

One webhook may carry several entries, changes, messages and statuses. Message types the
service does not read (and payloads WhatsApp itself could not read) are stored as such,
so the manager sees that the customer wrote something.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from domain.contacts import normalise_phone
from domain.inbound import Attachment, InboundMessage, Sender

CHANNEL = "whatsapp"
_MEDIA = {"image": "photo", "video": "video", "audio": "audio", "document": "document"}
_MEDIA["sticker"] = "sticker"


class BadEvent(ValueError):
    """Not a WhatsApp Business webhook; answered 400."""


@dataclass(frozen=True)
class StatusUpdate:
    message_id: str
    status: str  # sent, delivered, read, failed
    recipient: str | None = None
    error: str | None = None


@dataclass
class Webhook:
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _error(errors: Any) -> str | None:
    for error in _dicts(errors):
        details = error.get("error_data") if isinstance(error.get("error_data"), dict) else {}
        parts = [
            str(error.get("code", "")),
            _text(error.get("title")) or _text(error.get("message")),
        ]
        detail = _text(details.get("details")) if details else ""
        return " ".join(part for part in parts if part) + (f" ({detail})" if detail else "")
    return None


def parse_webhook(data: Any, *, region: str = "RU") -> Webhook:
    if not isinstance(data, dict):
        raise BadEvent("expected a JSON object")
    if data.get("object") != "whatsapp_business_account":
        raise BadEvent("object: expected whatsapp_business_account")
    entries = data.get("entry")
    if not isinstance(entries, list):
        raise BadEvent("entry: expected a list")
    hook = Webhook()
    for entry in _dicts(entries):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if change.get("field") != "messages" or not isinstance(value, dict):
                hook.skipped.append(f"change {change.get('field')!r}")
                continue
            _read_value(value, hook, region)
    return hook


def _read_value(value: dict[str, Any], hook: Webhook, region: str) -> None:
    names = {
        str(contact.get("wa_id")): _text((contact.get("profile") or {}).get("name"))
        for contact in _dicts(value.get("contacts"))
        if isinstance(contact.get("profile") or {}, dict)
    }
    value_error = _error(value.get("errors"))
    for message in _dicts(value.get("messages")):
        try:
            hook.messages.append(_message(message, names, value_error, region))
        except _Skip as reason:
            hook.skipped.append(str(reason))
    for status in _dicts(value.get("statuses")):
        message_id, state = status.get("id"), status.get("status")
        if isinstance(message_id, str) and isinstance(state, str):
            hook.statuses.append(
                StatusUpdate(
                    message_id,
                    state,
                    str(status.get("recipient_id")) if status.get("recipient_id") else None,
                    _error(status.get("errors")),
                )
            )
        else:
            hook.skipped.append("status without id or status")


class _Skip(Exception):
    pass


def _message(
    message: dict[str, Any], names: dict[str, str], value_error: str | None, region: str
) -> InboundMessage:
    sender = message.get("from")
    message_id = message.get("id")
    if not isinstance(sender, str | int) or not str(sender).strip():
        raise _Skip("message without a sender")
    if not isinstance(message_id, str) or not message_id:
        raise _Skip("message without an id")
    sender = str(sender).strip()
    kind = _text(message.get("type")) or "unknown"
    # A reaction, like any type not read here, is kept as unsupported (not skipped).
    if kind in ("system", "ephemeral"):
        raise _Skip(f"{kind} message")
    text, attachments, extra = _content(kind, message, value_error)
    referral = message.get("referral")
    source = None
    if isinstance(referral, dict):
        source = _text(referral.get("source_type")) or "ad"
        extra["referral"] = {
            key: referral.get(key)
            for key in ("source_url", "source_id", "source_type", "headline")
            if referral.get(key)
        }
    timestamp = message.get("timestamp")
    sent_at = None
    if isinstance(timestamp, str | int) and str(timestamp).isdigit() and int(timestamp) > 0:
        sent_at = datetime.fromtimestamp(int(timestamp), UTC)
    return InboundMessage(
        channel=CHANNEL,
        sender=Sender(
            external_id=sender,
            chat_id=sender,
            display_name=names.get(sender) or None,
            phone=normalise_phone("+" + sender.lstrip("+"), region),
        ),
        external_message_id=message_id[:255],
        text=text,
        attachments=tuple(attachments),
        sent_at=sent_at,
        source=source,
        extra=extra,
    )


def _content(
    kind: str, message: dict[str, Any], value_error: str | None
) -> tuple[str, list[Attachment], dict[str, Any]]:
    body = message.get(kind) if isinstance(message.get(kind), dict) else {}
    extra: dict[str, Any] = {}
    if kind == "text" and body:
        return _text(body.get("body")), [], extra
    if kind == "button" and body:
        extra["button_payload"] = body.get("payload")
        return _text(body.get("text")), [], extra
    if kind == "interactive" and body:
        reply_kind = _text(body.get("type"))
        reply = body.get(reply_kind) if isinstance(body.get(reply_kind), dict) else None
        if reply is not None and reply_kind in ("button_reply", "list_reply"):
            extra["reply_id"] = reply.get("id")
            parts = [_text(reply.get("title")), _text(reply.get("description"))]
            return "\n".join(part for part in parts if part), [], extra
        if reply is not None and reply_kind == "nfm_reply":
            return _text(reply.get("body")) or _text(reply.get("response_json")), [], extra
    if kind in _MEDIA and body:
        attachment = Attachment(
            _MEDIA[kind] if not (kind == "audio" and body.get("voice")) else "voice",
            file_id=str(body.get("id")) if body.get("id") else None,
            file_name=body.get("filename") if isinstance(body.get("filename"), str) else None,
            mime_type=body.get("mime_type") if isinstance(body.get("mime_type"), str) else None,
            extra={"sha256": body["sha256"]} if body.get("sha256") else {},
        )
        return _text(body.get("caption")), [attachment], extra
    if kind == "location" and body:
        keys = ("latitude", "longitude", "name", "address")
        location = {key: body.get(key) for key in keys if body.get(key) is not None}
        words = " ".join(_text(body.get(key)) for key in ("name", "address")).strip()
        return words, [Attachment("location", extra=location)], extra
    if kind == "contacts":
        cards = []
        for card in _dicts(message.get("contacts")):
            name = card.get("name") if isinstance(card.get("name"), dict) else {}
            phones = [
                _text(phone.get("phone"))
                for phone in _dicts(card.get("phones"))
                if phone.get("phone")
            ]
            cards.append({"name": _text(name.get("formatted_name")), "phones": phones})
        if cards:
            text = "; ".join(
                f"{card['name']}: {', '.join(card['phones'])}".strip(": ") for card in cards
            )
            return text, [Attachment("contacts", extra={"contacts": cards})], extra
    if kind == "order" and body:
        items = json.dumps(body.get("product_items") or [], ensure_ascii=False)[:2000]
        return _text(body.get("text")), [Attachment("order", extra={"items": items})], extra
    # Unsupported, unknown, or a payload WhatsApp could not deliver: kept as what it is.
    error = _error(message.get("errors")) or value_error
    details = {"type": kind}
    if error:
        details["error"] = error
    return "", [Attachment("unsupported", extra=details)], extra
