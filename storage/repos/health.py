"""The channels' health rows: created on first sight, a probe claimed by moving its time
on, signals from the polling loops and the outbox, and the watchdog's verdict."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.health_models import ChannelHealth
from storage.models import Message
from storage.sql import insert_ignoring_conflicts

_TEXT = 500


class ChannelHealthRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def ensure(self, channel: str, now: datetime) -> None:
        await insert_ignoring_conflicts(
            self._session,
            ChannelHealth.__table__,
            {
                "channel": channel,
                "next_probe_at": now,
                "watched_since": now,
                "detail": "",
                "repaired": "",
                "alerted": False,
                "outages": 0,
            },
        )

    async def get(self, channel: str) -> ChannelHealth | None:
        return await self._session.get(ChannelHealth, channel, populate_existing=True)

    async def all(self) -> list[ChannelHealth]:
        statement = select(ChannelHealth).order_by(ChannelHealth.channel)
        return list(await self._session.scalars(statement))

    async def claim_probe(self, channel: str, now: datetime, next_at: datetime) -> bool:
        """True for the one process that moved the due probe on; the others skip it."""
        statement = (
            update(ChannelHealth)
            .where(ChannelHealth.channel == channel, ChannelHealth.next_probe_at <= now)
            .values(next_probe_at=next_at)
        )
        result: Any = await self._session.execute(statement)
        return bool(result.rowcount)

    async def note(self, channel: str, kind: str, now: datetime, error: str | None) -> None:
        """A polling round or a send (`kind` "poll" or "send") went well (None) or failed."""
        values: dict[str, Any] = (
            {f"{kind}_ok_at": now, f"{kind}_error": None}
            if error is None
            else {f"{kind}_error": error[:_TEXT], f"{kind}_error_at": now}
        )
        await self._session.execute(
            update(ChannelHealth).where(ChannelHealth.channel == channel).values(**values)
        )

    async def save(self, channel: str, **fields: Any) -> None:
        if "detail" in fields:
            fields["detail"] = (fields["detail"] or "")[:_TEXT]
        await self._session.execute(
            update(ChannelHealth).where(ChannelHealth.channel == channel).values(**fields)
        )

    async def last_inbound(self) -> dict[str, datetime]:
        """When each channel last brought a customer's message."""
        statement = (
            select(Message.channel, func.max(Message.created_at))
            .where(Message.direction == "in")
            .group_by(Message.channel)
        )
        return {channel: at for channel, at in await self._session.execute(statement) if at}
