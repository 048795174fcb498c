from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Lead, LeadEvent


class LeadRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, lead_id: int) -> Lead | None:
        return await self._session.get(Lead, lead_id)

    async def open_for_contact(self, contact_id: int) -> Lead | None:
        statement = select(Lead).where(Lead.contact_id == contact_id, Lead.is_open.is_(True))
        return (await self._session.scalars(statement.limit(1))).first()

    async def add(self, now: datetime, **fields: Any) -> Lead:
        lead = Lead(created_at=now, stage_entered_at=now, **fields)
        self._session.add(lead)
        await self._session.flush()
        return lead

    async def search(
        self,
        *,
        status: str | None = None,
        channel: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Lead], int]:
        conditions = []
        if status is not None:
            conditions.append(Lead.status == status)
        if channel is not None:
            conditions.append(Lead.channel == channel)
        if since is not None:
            conditions.append(Lead.created_at >= since)
        total = await self._session.scalar(select(func.count(Lead.id)).where(*conditions))
        statement = (
            select(Lead).where(*conditions).order_by(Lead.id.desc()).limit(limit).offset(offset)
        )
        return list(await self._session.scalars(statement)), int(total or 0)


class EventRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(
        self,
        lead_id: int,
        type: str,
        at: datetime,
        *,
        actor: str = "system",
        manager_id: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        self._session.add(
            LeadEvent(
                lead_id=lead_id,
                type=type,
                actor=actor,
                manager_id=manager_id,
                at=at,
                data=data or {},
            )
        )

    async def for_lead(self, lead_id: int) -> list[LeadEvent]:
        statement = select(LeadEvent).where(LeadEvent.lead_id == lead_id)
        return list(await self._session.scalars(statement.order_by(LeadEvent.at, LeadEvent.id)))
