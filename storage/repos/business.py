"""The Telegram Business connections: read one, the account's latest, and save a new state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.business_models import BusinessConnection
from storage.sql import insert_ignoring_conflicts


class BusinessConnectionRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, connection_id: str) -> BusinessConnection | None:
        return await self._session.get(BusinessConnection, connection_id)

    async def latest_for_owner(self, owner_user_id: int) -> BusinessConnection | None:
        """The account's connection updated last (an account has one business bot at a
        time; a reconnection may come with a new id)."""
        statement = (
            select(BusinessConnection)
            .where(BusinessConnection.owner_user_id == owner_user_id)
            .order_by(BusinessConnection.updated_at.desc(), BusinessConnection.id)
            .limit(1)
        )
        return (await self._session.scalars(statement)).first()

    async def save(self, connection_id: str, now: datetime, **fields: Any) -> BusinessConnection:
        """Insert or update; two processes seeing a new connection at once do not clash."""
        await insert_ignoring_conflicts(
            self._session,
            BusinessConnection.__table__,
            {"id": connection_id, "updated_at": now, "rights": {}, **fields},
        )
        row = await self.get(connection_id)
        assert row is not None
        for name, value in fields.items():
            setattr(row, name, value)
        row.updated_at = now
        await self._session.flush()
        return row
