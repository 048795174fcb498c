"""The one shape every channel turns its payloads into before capture."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Attachment:
    kind: str  # photo, document, voice, audio, video, sticker, location, contact, ...
    file_id: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    size: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = {
            "kind": self.kind,
            "file_id": self.file_id,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "size": self.size,
        }
        data.update(self.extra)
        return {key: value for key, value in data.items() if value is not None}


@dataclass(frozen=True)
class Sender:
    """Who wrote, as the channel knows him; hints help match one person across channels."""

    external_id: str
    chat_id: str
    display_name: str | None = None
    username: str | None = None
    language: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class InboundMessage:
    channel: str
    sender: Sender
    external_message_id: str
    text: str = ""
    attachments: tuple[Attachment, ...] = ()
    sent_at: datetime | None = None
    # A platform's delivery id (Telegram update_id): a redelivery repeats it.
    receipt_key: str | None = None
    # Where the customer came from (a deep-link payload, a form name, UTM source).
    source: str | None = None
    is_start: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    # False when the customer is already filing a complaint by command.
    detect_complaint: bool = True
    # False for list or bulk mail: captured, but never answered automatically.
    acknowledge: bool = True
    # Telegram Business: the Telegram id of the account the customer wrote to. A new lead
    # is that staff member's at once, and what the customer writes is not relayed to him
    # (he reads it in his own chat).
    owner_telegram_id: int | None = None


@dataclass(frozen=True)
class InboundEdit:
    channel: str
    sender_external_id: str
    external_message_id: str
    text: str
    receipt_key: str | None = None
    edited_at: datetime | None = None
