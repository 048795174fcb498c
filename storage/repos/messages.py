from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Message


class MessageRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def by_external_id(self, channel: str, external_id: str) -> Message | None:
        statement = select(Message).where(
            Message.channel == channel, Message.external_id == external_id
        )
        return (await self._session.scalars(statement)).first()

    async def add(self, now: datetime, **fields: Any) -> Message:
        message = Message(created_at=now, **fields)
        self._session.add(message)
        await self._session.flush()
        return message

    async def for_lead(self, lead_id: int) -> list[Message]:
        statement = select(Message).where(Message.lead_id == lead_id)
        return list(await self._session.scalars(statement.order_by(Message.id)))

    async def set_delivery(
        self,
        message_id: int,
        status: str,
        *,
        external_id: str | None,
        at: datetime | None,
        error: str | None = None,
    ) -> None:
        """`error`: why it failed or waits (None clears it, as on delivery)."""
        values: dict[str, Any] = {"delivery_status": status, "delivery_error": error}
        if external_id is not None:
            values["external_id"] = external_id
        if at is not None:
            values["sent_at"] = at
        await self._session.execute(
            update(Message).where(Message.id == message_id).values(**values)
        )

    async def first_inbound(self, lead_id: int) -> Message | None:
        statement = (
            select(Message)
            .where(Message.lead_id == lead_id, Message.direction == "in")
            .order_by(Message.id)
            .limit(1)
        )
        return (await self._session.scalars(statement)).first()

    async def recent(self, lead_id: int, limit: int) -> tuple[list[Message], int]:
        """The latest `limit` messages of the lead, oldest first, and how many it has."""
        statement = select(Message).where(Message.lead_id == lead_id).order_by(Message.id.desc())
        latest = list(await self._session.scalars(statement.limit(limit)))
        total = await self._session.scalar(
            select(func.count(Message.id)).where(Message.lead_id == lead_id)
        )
        return latest[::-1], int(total or 0)

    async def last_of_leads(self, lead_ids: list[int]) -> dict[int, Message]:
        """Each lead's latest message (a board card shows it), in one query."""
        if not lead_ids:
            return {}
        latest = (
            select(func.max(Message.id).label("id"))
            .where(Message.lead_id.in_(lead_ids))
            .group_by(Message.lead_id)
            .subquery()
        )
        statement = select(Message).join(latest, Message.id == latest.c.id)
        return {message.lead_id or 0: message for message in await self._session.scalars(statement)}
