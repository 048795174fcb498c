"""A customer's inbound message as a channel would hand it to the capture use case."""

from __future__ import annotations

from domain.inbound import Attachment, InboundMessage, Sender


def inbound(
    user: int = 1,
    message: int = 1,
    text: str = "Здравствуйте, нужна цена",
    *,
    receipt: str | None = None,
    name: str = "Анна",
    language: str | None = "ru",
    phone: str | None = None,
    channel: str = "telegram",
    source: str | None = None,
    is_start: bool = False,
    attachments: tuple[Attachment, ...] = (),
) -> InboundMessage:
    return InboundMessage(
        channel=channel,
        sender=Sender(
            external_id=str(user),
            chat_id=str(user),
            display_name=name,
            username=f"user{user}",
            language=language,
            phone=phone,
        ),
        external_message_id=f"{user}:{message}",
        text=text,
        receipt_key=receipt,
        source=source,
        is_start=is_start,
        attachments=attachments,
    )
