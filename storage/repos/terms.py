from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.terms_models import TermRequest

PENDING = "pending"
ANSWERED = ("approved", "declined")


class TermRequestRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, request_id: int) -> TermRequest | None:
        return await self._session.get(TermRequest, request_id)

    async def add(self, **values: Any) -> TermRequest:
        request = TermRequest(**values)
        self._session.add(request)
        await self._session.flush()
        return request

    async def pending_of_kind(self, lead_id: int, kind: str) -> TermRequest | None:
        statement = select(TermRequest).where(
            TermRequest.lead_id == lead_id, TermRequest.kind == kind, TermRequest.status == PENDING
        )
        return (await self._session.scalars(statement.limit(1))).first()

    async def answer(self, request_id: int, status: str, head_id: int, now: datetime) -> bool:
        """Pending → approved or declined, in one conditional UPDATE: of two heads pressing
        at once (or one pressing twice) only the first changes it."""
        statement = (
            update(TermRequest)
            .where(TermRequest.id == request_id, TermRequest.status == PENDING)
            .values(status=status, decided_by_id=head_id, decided_at=now)
        )
        return bool((await self._session.execute(statement)).rowcount)

    async def granted_for_lead(self, lead_id: int) -> list[TermRequest]:
        statement = select(TermRequest).where(
            TermRequest.lead_id == lead_id, TermRequest.status == "approved"
        )
        return list(await self._session.scalars(statement.order_by(TermRequest.id)))

    async def answered_between(self, start: datetime, end: datetime) -> list[TermRequest]:
        """Requests approved or declined in [start, end), in the order answered."""
        statement = select(TermRequest).where(
            TermRequest.status.in_(ANSWERED),
            TermRequest.decided_at >= start,
            TermRequest.decided_at < end,
        )
        return list(
            await self._session.scalars(statement.order_by(TermRequest.decided_at, TermRequest.id))
        )
