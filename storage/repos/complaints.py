from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Complaint, ComplaintEvent

OPEN = ("new", "in_progress")


class ComplaintRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_for_update(self, complaint_id: int) -> Complaint | None:
        statement = select(Complaint).where(Complaint.id == complaint_id).with_for_update()
        return (await self._session.scalars(statement)).first()

    async def add(self, now: datetime, **fields: Any) -> Complaint:
        complaint = Complaint(created_at=now, updated_at=now, **fields)
        self._session.add(complaint)
        await self._session.flush()
        return complaint

    def record(
        self,
        complaint_id: int,
        type: str,
        actor: str,
        at: datetime,
        data: dict[str, Any] | None = None,
    ) -> None:
        self._session.add(
            ComplaintEvent(
                complaint_id=complaint_id, type=type, actor=actor, at=at, data=data or {}
            )
        )

    async def search(
        self,
        *,
        open_only: bool = False,
        status: str | None = None,
        owner_id: int | None = None,
        limit: int = 500,
        offset: int = 0,
    ) -> list[Complaint]:
        statement = select(Complaint)
        if open_only:
            statement = statement.where(Complaint.status.in_(OPEN))
        if status is not None:
            statement = statement.where(Complaint.status == status)
        if owner_id is not None:
            statement = statement.where(Complaint.owner_id == owner_id)
        statement = statement.order_by(Complaint.id.desc()).limit(limit).offset(offset)
        return list(await self._session.scalars(statement))

    async def overdue(self, now: datetime) -> list[Complaint]:
        statement = (
            select(Complaint)
            .where(
                Complaint.status.in_(OPEN),
                Complaint.deadline_at <= now,
                Complaint.escalated_at.is_(None),
            )
            .with_for_update(skip_locked=True)
        )
        return list(await self._session.scalars(statement))

    async def history(self, complaint_id: int) -> list[ComplaintEvent]:
        statement = select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint_id)
        return list(await self._session.scalars(statement.order_by(ComplaintEvent.id)))
