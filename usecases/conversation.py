"""How a lead's conversation reads for staff: each message with its attachments in words,
the last few in a card with a visible cut, the whole text on request (/lead N full)."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import tzinfo
from typing import Any, Protocol

from domain import business
from domain.contacts import format_phone
from domain.text_split import split_text
from texts import Safe, Texts

# The card shows this many of the latest messages, each cut to this many characters, so
# that header, buttons and five messages stay well inside Telegram's 4,096.
CARD_MESSAGES = 5
CARD_MESSAGE_CHARS = 600
STAFF_TEXT_LIMIT = 4096
# What Telegram can copy to a staff chat as it is (copyMessage); the rest is put in words.
COPYABLE = frozenset(
    {"photo", "document", "voice", "audio", "video", "video_note", "animation", "sticker"}
)
_DESCRIBED = COPYABLE | {"contact", "location", "poll"}
# Channels whose files reach staff in Telegram as they are (usecases/relay.py).
_STAFF_SEE_FILES = frozenset({"telegram", business.CHANNEL})


class StoredMessage(Protocol):
    direction: str
    text: str
    attachments: list[Any]
    channel: str


def map_link(latitude: object, longitude: object) -> str:
    return f"https://yandex.ru/maps/?pt={longitude},{latitude}&z=16&l=map"


def attachment_line(
    texts: Texts, language: str, attachment: Mapping[str, Any], channel: str, region: str = "RU"
) -> Safe | None:
    """One attachment in words, with a link where the platform gives one."""
    kind = str(attachment.get("kind", ""))
    if kind not in _DESCRIBED:
        return None
    if kind == "contact":
        name = " ".join(
            str(part)
            for part in (attachment.get("first_name"), attachment.get("last_name"))
            if part
        )
        phone = format_phone(str(attachment.get("phone") or ""), region)
        return texts.get("att_contact", language, name=name or "—", phone=phone or "—")
    if kind == "location":
        url = map_link(attachment.get("latitude"), attachment.get("longitude"))
        return texts.get("att_location", language, url=url)
    if kind == "poll":
        return texts.get("att_poll", language, question=attachment.get("question") or "")
    line = texts.get(
        f"att_{kind}",
        language,
        name=attachment.get("file_name") or "",
        emoji=attachment.get("emoji") or "",
    )
    if attachment.get("url"):
        return Safe(line + texts.get("att_link", language, url=attachment["url"]))
    if channel not in _STAFF_SEE_FILES:
        return Safe(line + texts.get("att_elsewhere", language, channel=channel))
    return line


def message_body(
    texts: Texts,
    language: str,
    text: str,
    attachments: Sequence[Mapping[str, Any]],
    channel: str,
    *,
    limit: int | None = None,
) -> tuple[Safe, bool]:
    """The message as staff read it (HTML), and whether its text had to be cut."""
    cut = limit is not None and len(text) > limit
    shown = text[:limit].rstrip() + "…" if cut and limit is not None else text
    parts: list[str] = [html.escape(shown, quote=False)] if shown else []
    for attachment in attachments:
        line = attachment_line(texts, language, attachment, channel)
        if line is not None:
            parts.append(line)
    if not parts and attachments:
        parts.append(texts.get("att_other", language))
    return Safe("\n".join(parts)), cut


def card_conversation(
    texts: Texts, language: str, lead_id: int, messages: Sequence[StoredMessage], total: int
) -> Safe:
    """The latest messages of the lead (`total` is how many it has in all)."""
    if not messages:
        return Safe("—")
    lines: list[str] = []
    hidden = total - len(messages)
    if hidden > 0:
        lines.append(texts.get("conv_earlier", language, count=hidden, lead_id=lead_id))
    for message in messages:
        body, cut = message_body(
            texts,
            language,
            message.text or "",
            message.attachments or [],
            message.channel,
            limit=CARD_MESSAGE_CHARS,
        )
        key = "conv_in" if message.direction == "in" else "conv_out"
        line = texts.get(key, language, text=body)
        if cut:
            line = Safe(line + texts.get("conv_cut", language, lead_id=lead_id))
        lines.append(line)
    return Safe("\n".join(lines))


def full_conversation(
    texts: Texts,
    language: str,
    lead_id: int,
    messages: Sequence[Any],
    zone: tzinfo,
    limit: int = STAFF_TEXT_LIMIT,
) -> list[str]:
    """Every message of the lead in full, as plain-text pieces that fit one message each."""
    lines = [texts.get("conv_full_header", language, lead_id=lead_id)]
    for message in messages:
        body, _ = message_body(
            texts, language, message.text or "", message.attachments or [], message.channel
        )
        key = "conv_full_in" if message.direction == "in" else "conv_full_out"
        lines.append(
            texts.get(
                key, language, at=f"{message.created_at.astimezone(zone):%d.%m %H:%M}", text=body
            )
        )
    # Sent without parse mode: what the customer typed arrives exactly as typed.
    return split_text(html.unescape("\n\n".join(lines)), limit)
