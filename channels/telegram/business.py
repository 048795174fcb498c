"""Telegram Business on the Telegram channel: business updates read into the shapes the
use cases take, and the sender that answers an account's customers on its behalf
(`business_connection_id`). Business updates arrive at the same bot, by polling or by
webhook, once an account connects it; no setting of their own."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from enum import StrEnum
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BusinessConnection, BusinessMessagesDeleted, Message

from channels.telegram.normalise import (
    Skip,
    attachments_of,
    edit_time_of,
    sent_at_of,
    text_of,
)
from channels.telegram.sender import TelegramSender
from domain import business
from domain.business import Connection, OwnerMessage, chat_address, message_key
from domain.contacts import normalise_phone
from domain.inbound import InboundEdit, InboundMessage, Sender
from usecases import business as business_cases
from usecases.context import AppContext
from usecases.ports import SendResult, SendStatus

log = logging.getLogger(__name__)
CHANNEL = business.CHANNEL
# The update kinds a business bot is sent; asked for explicitly in allowed_updates.
UPDATE_TYPES = (
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
)


def connection_of(event: BusinessConnection) -> tuple[Connection, dict[str, Any] | None]:
    """The connection as the use cases keep it, and its rights as Telegram gave them."""
    rights = event.rights.model_dump(exclude_none=True) if event.rights is not None else None
    user = event.user
    connection = Connection(
        id=event.id,
        owner_id=user.id,
        owner_name=user.full_name,
        owner_username=user.username,
        user_chat_id=event.user_chat_id,
        enabled=event.is_enabled,
        can_reply=business.can_reply_of(rights, event.can_reply),
    )
    return connection, rights


async def ensure_connection(
    ctx: AppContext, bot: Bot, connection_id: str | None
) -> Connection | None:
    """The stored connection; one never seen (the bot was connected before it asked for
    business updates) is fetched from Telegram once and stored. None: Telegram does not
    know it either (logged; the update is skipped)."""
    if not connection_id:
        return None
    known = await business_cases.known_connection(ctx, connection_id)
    if known is not None:
        return known
    try:
        event = await bot.get_business_connection(connection_id)
    except TelegramBadRequest as exc:
        log.warning("business connection %s unknown to Telegram: %s", connection_id, exc)
        return None
    connection, rights = connection_of(event)
    await business_cases.record_connection(ctx, connection, rights)
    return connection


class Role(StrEnum):
    CUSTOMER = "customer"  # the customer wrote to the account
    OWNER = "owner"  # the account's owner wrote, in the Telegram app
    ECHO = "echo"  # the bot's own send on the account's behalf, told back to it


def role_of(message: Message, connection: Connection) -> Role:
    if message.sender_business_bot is not None:
        return Role.ECHO
    user = message.from_user
    if user is not None and user.id == connection.owner_id:
        return Role.OWNER
    return Role.CUSTOMER


def _key(message: Message, connection: Connection) -> str:
    return message_key(connection.owner_id, message.chat.id, message.message_id)


def inbound_from_business(
    message: Message, update_id: int | None, connection: Connection, *, region: str = "RU"
) -> InboundMessage:
    """A customer's message to the account: captured like any, on the account's channel."""
    user = message.from_user
    if message.chat.type != "private":
        raise Skip(f"business {message.chat.type} chat {message.chat.id}")
    if user is None or user.is_bot:
        raise Skip("no human sender")
    attachments = attachments_of(message)
    text = text_of(message, attachments)
    if not text and not attachments:
        raise Skip("empty or service message")
    phone = None
    if message.contact and message.contact.user_id in (None, user.id):
        phone = normalise_phone(message.contact.phone_number, region)
    address = chat_address(connection.owner_id, message.chat.id)
    return InboundMessage(
        channel=CHANNEL,
        sender=Sender(
            external_id=chat_address(connection.owner_id, user.id),
            chat_id=address,
            display_name=user.full_name,
            username=user.username,
            language=user.language_code,
            phone=phone,
        ),
        external_message_id=_key(message, connection),
        text=text,
        attachments=tuple(attachments),
        sent_at=sent_at_of(message),
        receipt_key=str(update_id) if update_id is not None else None,
        source=f"@{connection.owner_username}" if connection.owner_username else CHANNEL,
        extra={"business_account": connection.label},
        # The account has its own greeting and away messages (Telegram Business settings):
        # a second automatic answer from a person's account would only repeat them.
        acknowledge=False,
        owner_telegram_id=connection.owner_id,
    )


def owner_message_of(
    message: Message, update_id: int | None, connection: Connection
) -> OwnerMessage:
    attachments = attachments_of(message)
    return OwnerMessage(
        owner_id=connection.owner_id,
        customer_external_id=chat_address(connection.owner_id, message.chat.id),
        external_message_id=_key(message, connection),
        text=text_of(message, attachments),
        attachments=tuple(attachment.as_dict() for attachment in attachments),
        sent_at=sent_at_of(message),
        receipt_key=str(update_id) if update_id is not None else None,
        automatic=bool(message.is_from_offline),
    )


def edit_of(message: Message, update_id: int | None, connection: Connection) -> InboundEdit:
    """An edit by either side: the stored message (the customer's or the owner's) changes,
    its old text stays in the lead's history."""
    user = message.from_user
    attachments = attachments_of(message)
    return InboundEdit(
        channel=CHANNEL,
        sender_external_id=chat_address(connection.owner_id, user.id if user else 0),
        external_message_id=_key(message, connection),
        text=text_of(message, attachments),
        receipt_key=str(update_id) if update_id is not None else None,
        edited_at=edit_time_of(message.edit_date),
    )


def deleted_keys(event: BusinessMessagesDeleted, connection: Connection) -> list[str]:
    return [
        message_key(connection.owner_id, event.chat.id, message_id)
        for message_id in event.message_ids
    ]


Route = Callable[[int], Awaitable[str | None]]


class BusinessSender(TelegramSender):
    """Answers an account's customers on the account's behalf. The chat address names
    the account; its current connection is looked up at each send, so a reconnection
    with a new id needs nothing done."""

    name = CHANNEL

    def __init__(
        self,
        bot: Bot,
        route: Route,
        per_chat_interval: float | None = None,
        request_timeout: float = 15,
    ) -> None:
        super().__init__(bot, per_chat_interval, request_timeout)
        self._route = route

    async def send(
        self, chat_id: str, payload: dict[str, Any], *, row_id: int | None = None
    ) -> SendResult:
        parsed = business.parse_address(chat_id)
        if parsed is None:
            return SendResult(SendStatus.FAILED, error=f"not a business chat address: {chat_id}")
        owner_id, chat = parsed
        if payload.get("copy_from_chat_id"):
            # copyMessage takes no business_connection_id: it would land in the bot's chat.
            return SendResult(
                SendStatus.FAILED, error="a copy cannot be sent on a business account's behalf"
            )
        connection_id = await self._route(owner_id)
        if connection_id is None:
            return SendResult(
                SendStatus.FAILED,
                error=f"no business connection with account {owner_id}: it never connected the bot",
            )
        result = await self._send(chat, payload, {"business_connection_id": connection_id})
        if result.status is SendStatus.SENT and result.external_id:
            # Stored as the account's chat knows it, the key its messages are read by.
            result = replace(result, external_id=f"{owner_id}:{result.external_id}")
        return result
