from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboundUpdate, Worker
from storage.sql import insert_ignoring_conflicts


@lru_cache(maxsize=4)
def inbound_insert(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING for the inbox, built once per dialect."""
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(InboundUpdate.__table__).on_conflict_do_nothing()


class InboxRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(
        self, channels: list[str], now: datetime, limit: int, lease: timedelta, holder: str
    ) -> list[tuple[int, str, str, int]]:
        """Oldest due pending payloads, taken for processing; (id, channel, payload,
        attempts including this one). A payload waiting out its backoff is not due."""
        due = (
            select(InboundUpdate.id)
            .where(
                InboundUpdate.status == "pending",
                InboundUpdate.channel.in_(channels),
                or_(InboundUpdate.next_attempt_at.is_(None), InboundUpdate.next_attempt_at <= now),
            )
            .order_by(InboundUpdate.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(InboundUpdate)
            .where(InboundUpdate.id.in_(due.scalar_subquery()))
            .values(
                status="processing",
                lease_until=now + lease,
                claimed_by=holder,
                attempts=InboundUpdate.attempts + 1,
            )
            .returning(
                InboundUpdate.id,
                InboundUpdate.channel,
                InboundUpdate.payload,
                InboundUpdate.attempts,
            )
        )
        rows = (await self._session.execute(statement)).all()
        return sorted((row[0], row[1], row[2], row[3]) for row in rows)

    async def release_expired(self, now: datetime) -> int:
        """Payloads whose lease ran out go back to the queue, unless their holder is
        still registered: a live holder's heartbeat renews its leases and a silent one's
        claims are taken back through the heartbeats (usecases/claims.py), which no clock
        skew between hosts can fool; a lease judged by this process's clock could be. So
        this is the backstop for claims whose holder is unknown."""
        condition = (
            (InboundUpdate.status == "processing")
            & (InboundUpdate.lease_until < now)
            & or_(
                InboundUpdate.claimed_by.is_(None),
                InboundUpdate.claimed_by.not_in(select(Worker.id)),
            )
        )
        statement = update(InboundUpdate).where(condition).values(status="pending")
        return (await self._session.execute(statement)).rowcount

    async def finish(self, ids: list[int], now: datetime) -> None:
        if ids:
            await self._session.execute(
                update(InboundUpdate)
                .where(InboundUpdate.id.in_(ids))
                .values(status="done", processed_at=now, lease_until=None)
            )

    async def set_status(self, row_id: int, status: str, error: str | None = None) -> None:
        await self._session.execute(
            update(InboundUpdate)
            .where(InboundUpdate.id == row_id)
            .values(status=status, error=error, lease_until=None)
        )

    async def add_tried(
        self,
        channel: str,
        key: str,
        payload: str,
        now: datetime,
        *,
        error: str,
        next_attempt_at: datetime | None,
    ) -> bool:
        """A payload already tried once where it arrived: pending until `next_attempt_at`,
        or failed when that is None. False when the channel's key is stored already."""
        inserted = await insert_ignoring_conflicts(
            self._session,
            InboundUpdate.__table__,
            {
                "channel": channel,
                "key": key,
                "payload": payload,
                "status": "pending" if next_attempt_at is not None else "failed",
                "attempts": 1,
                "received_at": now,
                "processed_at": None if next_attempt_at is not None else now,
                "next_attempt_at": next_attempt_at,
                "error": error,
            },
        )
        return bool(inserted)

    async def fail(self, row_id: int, error: str, now: datetime) -> None:
        """Kept as failed (a dead letter): not retried until someone asks (requeue)."""
        await self._session.execute(
            update(InboundUpdate)
            .where(InboundUpdate.id == row_id)
            .values(
                status="failed",
                error=error,
                lease_until=None,
                processed_at=now,
                next_attempt_at=None,
            )
        )

    async def failed(self, limit: int) -> list[InboundUpdate]:
        """The failed payloads, newest first."""
        statement = (
            select(InboundUpdate)
            .where(InboundUpdate.status == "failed")
            .order_by(InboundUpdate.id.desc())
            .limit(limit)
        )
        return list(await self._session.scalars(statement))

    async def requeue_failed(self, ids: list[int] | None) -> list[int]:
        """Failed payloads (these ids, or all with None) back to the queue with a fresh
        count of attempts; the ids that were failed and are now pending."""
        condition = InboundUpdate.status == "failed"
        if ids is not None:
            condition = condition & InboundUpdate.id.in_(ids)
        statement = (
            update(InboundUpdate)
            .where(condition)
            .values(status="pending", attempts=0, next_attempt_at=None, processed_at=None)
            .returning(InboundUpdate.id)
        )
        return sorted(row[0] for row in await self._session.execute(statement))

    async def retry_later(self, row_id: int, at: datetime, error: str) -> None:
        """Back to the queue, not due before `at`; the error is kept meanwhile."""
        await self._session.execute(
            update(InboundUpdate)
            .where(InboundUpdate.id == row_id)
            .values(status="pending", error=error, lease_until=None, next_attempt_at=at)
        )

    async def prune_done(self, before: datetime) -> int:
        statement = delete(InboundUpdate).where(
            InboundUpdate.status == "done", InboundUpdate.processed_at < before
        )
        return (await self._session.execute(statement)).rowcount

    async def pending_count(self) -> int:
        from sqlalchemy import func

        statement = select(func.count(InboundUpdate.id)).where(
            InboundUpdate.status.in_(("pending", "processing"))
        )
        return int(await self._session.scalar(statement) or 0)
