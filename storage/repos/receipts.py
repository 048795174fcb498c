from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChannelReceipt
from storage.sql import insert_ignoring_conflicts


class ReceiptRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, channel: str, key: str, now: datetime) -> bool:
        """Record a delivery id; False when it was already there (a redelivery)."""
        inserted = await insert_ignoring_conflicts(
            self._session,
            ChannelReceipt.__table__,
            {"channel": channel, "key": key, "received_at": now},
        )
        return bool(inserted)

    async def prune(self, before: datetime) -> int:
        statement = delete(ChannelReceipt).where(ChannelReceipt.received_at < before)
        return (await self._session.execute(statement)).rowcount
