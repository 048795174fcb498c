from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChannelIdentity, Contact


def reply_address_among(identities: Sequence[Any], channel: str | None) -> Any:
    """Of one contact's identities in id order: the first on `channel`, else the first."""
    preferred = [i for i in identities if i.channel == channel]
    return (preferred or identities or [None])[0]


class ContactRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, contact_id: int) -> Contact | None:
        return await self._session.get(Contact, contact_id)

    async def by_ids(self, contact_ids: list[int]) -> dict[int, Contact]:
        if not contact_ids:
            return {}
        statement = select(Contact).where(Contact.id.in_(contact_ids))
        return {contact.id: contact for contact in await self._session.scalars(statement)}

    async def add(self, now: datetime, **fields: Any) -> Contact:
        contact = Contact(created_at=now, updated_at=now, **fields)
        self._session.add(contact)
        await self._session.flush()
        return contact

    async def find_by_phone(self, phone: str) -> Contact | None:
        return await self._first(select(Contact).where(Contact.phone == phone))

    async def find_by_email(self, email: str) -> Contact | None:
        return await self._first(select(Contact).where(Contact.email == email))

    async def _first(self, statement: Any) -> Contact | None:
        statement = statement.where(Contact.merged_into_id.is_(None)).order_by(Contact.id).limit(1)
        return (await self._session.scalars(statement)).first()


class IdentityRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, channel: str, external_id: str) -> ChannelIdentity | None:
        statement = select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id
        )
        return (await self._session.scalars(statement)).first()

    async def with_contact(
        self, channel: str, external_id: str
    ) -> tuple[ChannelIdentity, Contact] | None:
        """The identity and its contact in one statement (capture's every update)."""
        statement = (
            select(ChannelIdentity, Contact)
            .join(Contact, Contact.id == ChannelIdentity.contact_id)
            .where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
        )
        row = (await self._session.execute(statement.limit(1))).first()
        return (row[0], row[1]) if row is not None else None

    async def by_chat(self, channel: str, chat_id: str) -> ChannelIdentity | None:
        statement = select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.chat_id == chat_id
        )
        return (await self._session.scalars(statement.limit(1))).first()

    async def reply_address(self, contact_id: int, channel: str | None) -> ChannelIdentity | None:
        """Where to answer a customer: the channel his lead came from, else any he has."""
        return reply_address_among(await self.for_contact(contact_id), channel)

    async def for_contact(self, contact_id: int) -> list[ChannelIdentity]:
        statement = select(ChannelIdentity).where(ChannelIdentity.contact_id == contact_id)
        return list(await self._session.scalars(statement.order_by(ChannelIdentity.id)))

    async def add(self, now: datetime, **fields: Any) -> ChannelIdentity:
        identity = ChannelIdentity(created_at=now, **fields)
        self._session.add(identity)
        await self._session.flush()
        return identity

    async def set_blocked(self, channel: str, chat_id: str, at: datetime | None) -> int:
        statement = (
            update(ChannelIdentity)
            .where(ChannelIdentity.channel == channel, ChannelIdentity.chat_id == chat_id)
            .values(blocked_at=at)
        )
        result = await self._session.execute(statement)
        return result.rowcount

    async def blocked_chats(self, chats: set[tuple[str, str]]) -> set[tuple[str, str]]:
        if not chats:
            return set()
        statement = select(ChannelIdentity.channel, ChannelIdentity.chat_id).where(
            ChannelIdentity.blocked_at.is_not(None),
            ChannelIdentity.chat_id.in_({chat for _, chat in chats}),
        )
        rows = await self._session.execute(statement)
        return {(channel, chat) for channel, chat in rows if (channel, chat) in chats}
