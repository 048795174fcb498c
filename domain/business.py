"""Telegram Business: a company's or a manager's own Telegram account connected to the bot
as its business bot. What a connection is, how its changes read (connected, lost, back),
and the addresses that keep one account's chats apart from another's and from the bot's
own chats. Pure: the channel reads the updates, the use cases store and tell."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

# The channel name of every chat a customer has with a connected account.
CHANNEL = "telegram_business"


@dataclass(frozen=True)
class Connection:
    """One business connection as Telegram last described it."""

    id: str
    # The business account: its Telegram user id, name and username.
    owner_id: int
    owner_name: str
    owner_username: str | None
    # The bot's private chat with that user (Telegram's user_chat_id).
    user_chat_id: int
    enabled: bool
    # The bot may answer customers on the account's behalf.
    can_reply: bool

    @property
    def usable(self) -> bool:
        """Managers' replies through the bot reach this account's customers."""
        return self.enabled and self.can_reply

    @property
    def label(self) -> str:
        """How staff recognise the account: its name and @username (else its id)."""
        if self.owner_username:
            return f"{self.owner_name} (@{self.owner_username})"
        return f"{self.owner_name} (id {self.owner_id})"


class Change(StrEnum):
    CONNECTED = "connected"  # first seen, switched on
    LOST = "lost"  # it was usable and is not now (disabled, revoked, no right to reply)
    BACK = "back"  # usable again after it was lost
    NONE = "none"  # nothing a person needs to hear (a redelivery, another right changed)


def change(before: Connection | None, after: Connection) -> Change:
    """What the new state of an account's connection means, against what was stored
    (`before`: this connection, or the account's previous one; None: never seen)."""
    if before is None:
        return Change.CONNECTED if after.enabled else Change.NONE
    if before.usable and not after.usable:
        return Change.LOST
    if not before.usable and after.usable:
        return Change.BACK
    return Change.NONE


def can_reply_of(rights: dict[str, Any] | None, legacy_can_reply: bool | None) -> bool:
    """Bot API 9 gives `rights`, where a right left out is not granted; older servers the
    flat `can_reply`. A connection that gives neither is taken as able to answer."""
    if rights is not None:
        return bool(rights.get("can_reply"))
    if legacy_can_reply is not None:
        return bool(legacy_can_reply)
    return True


def chat_address(owner_id: int, chat_id: int) -> str:
    """A customer's chat with one account: the chat id alone is the customer's user id,
    the same in every account and in the bot's own chat, so the account is part of it."""
    return f"{owner_id}:{chat_id}"


def parse_address(address: str) -> tuple[int, int] | None:
    """(account, chat) of a chat address; None when it is not one."""
    owner, _, chat = address.partition(":")
    try:
        return int(owner), int(chat)
    except ValueError:
        return None


def message_key(owner_id: int, chat_id: int, message_id: int) -> str:
    """A message id is unique only within one account's chat."""
    return f"{owner_id}:{chat_id}:{message_id}"


@dataclass(frozen=True)
class OwnerMessage:
    """What the account's owner wrote to a customer himself, in the Telegram app."""

    owner_id: int
    customer_external_id: str
    external_message_id: str
    text: str
    attachments: tuple[dict[str, Any], ...] = ()
    sent_at: datetime | None = None
    receipt_key: str | None = None
    # Sent by Telegram on his behalf (a greeting or away message, a scheduled one): it is
    # kept in the conversation but is no answer of his.
    automatic: bool = False
