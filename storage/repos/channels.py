"""Repositories of the non-Telegram channels: mailbox positions, mail threads, delivery
statuses reported by a platform, and merging one contact into another."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.channel_models import MailboxState, MailThread
from storage.models import (
    ChannelIdentity,
    Complaint,
    FollowupStep,
    Lead,
    Message,
    OutboxMessage,
    Survey,
)
from storage.sql import insert_ignoring_conflicts


@dataclass(frozen=True)
class MailboxPosition:
    uidvalidity: int
    last_uid: int


class MailboxRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, mailbox: str) -> MailboxPosition | None:
        row = await self._session.get(MailboxState, mailbox)
        return MailboxPosition(row.uidvalidity, row.last_uid) if row is not None else None

    async def advance(self, mailbox: str, uidvalidity: int, uid: int, now: datetime) -> None:
        """Move forward only: two pollers of one mailbox never move it back."""
        inserted = await insert_ignoring_conflicts(
            self._session,
            MailboxState.__table__,
            {"mailbox": mailbox, "uidvalidity": uidvalidity, "last_uid": uid, "updated_at": now},
        )
        if inserted:
            return
        await self._session.execute(
            update(MailboxState)
            .where(
                MailboxState.mailbox == mailbox,
                or_(MailboxState.uidvalidity != uidvalidity, MailboxState.last_uid < uid),
            )
            .values(uidvalidity=uidvalidity, last_uid=uid, updated_at=now)
        )


class MailThreadRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, address: str) -> MailThread | None:
        return await self._session.get(MailThread, address)

    async def remember(
        self, address: str, *, subject: str, message_id: str | None, references: str, now: datetime
    ) -> None:
        values = {
            "address": address,
            "subject": subject,
            "last_message_id": message_id,
            "reference_ids": references,
            "updated_at": now,
        }
        if await insert_ignoring_conflicts(self._session, MailThread.__table__, values):
            return
        del values["address"]
        await self._session.execute(
            update(MailThread).where(MailThread.address == address).values(**values)
        )


class DeliveryRepo:
    """Outbox rows found by the id the platform gave the sent message."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def find(
        self, channels: Sequence[str], external_ids: Sequence[str]
    ) -> OutboxMessage | None:
        if not external_ids:
            return None
        statement = (
            select(OutboxMessage)
            .where(
                OutboxMessage.channel.in_(list(channels)),
                OutboxMessage.external_id.in_(list(external_ids)),
            )
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
        return (await self._session.scalars(statement)).first()

    async def set_status(self, row_id: int, status: str, error: str | None = None) -> None:
        values: dict[str, object] = {"delivery_status": status}
        if error:
            values["last_error"] = error
        await self._session.execute(
            update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values)
        )

    async def set_message_status(self, message_id: int, status: str) -> None:
        await self._session.execute(
            update(Message).where(Message.id == message_id).values(delivery_status=status)
        )

    async def message_contact(
        self, channels: Sequence[str], external_ids: Sequence[str]
    ) -> int | None:
        """The contact a stored message (in or out) with one of these ids belongs to."""
        if not external_ids:
            return None
        statement = (
            select(Message.contact_id)
            .where(Message.channel.in_(list(channels)), Message.external_id.in_(list(external_ids)))
            .order_by(Message.id.desc())
            .limit(1)
        )
        return await self._session.scalar(statement)


class MergeRepo:
    """Moves everything of one contact (or one lead's messages) onto another."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def move_contact(self, source_id: int, target_id: int) -> None:
        for model in (ChannelIdentity, Lead, Message, Complaint, Survey, FollowupStep):
            await self._session.execute(
                update(model)
                .where(model.contact_id == source_id)
                .values(contact_id=target_id)
                .execution_options(synchronize_session=False)
            )
        await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.contact_id == source_id)
            .values(contact_id=target_id)
            .execution_options(synchronize_session=False)
        )

    async def move_lead_messages(self, source_lead_id: int, target_lead_id: int) -> int:
        result = await self._session.execute(
            update(Message)
            .where(Message.lead_id == source_lead_id)
            .values(lead_id=target_lead_id)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)
