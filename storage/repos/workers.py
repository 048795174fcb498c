from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboundUpdate, OutboxMessage, Worker


def _unlocked(model: Any, condition: Any) -> Any:
    """Ids of the rows matching `condition` that no other transaction has locked: two
    processes touching the same claims skip each other instead of deadlocking."""
    return select(model.id).where(condition).with_for_update(skip_locked=True).scalar_subquery()


class WorkerRepo:
    """Processes that hold claims, their heartbeats, and the claims they hold."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def register(
        self,
        worker_id: str,
        *,
        host: str,
        pid: int,
        pid_started: str | None,
        role: str,
        now: datetime,
    ) -> None:
        self._session.add(
            Worker(
                id=worker_id,
                host=host,
                pid=pid,
                pid_started=pid_started,
                role=role,
                started_at=now,
                beat_at=now,
            )
        )
        await self._session.flush()

    async def beat(self, worker_id: str, now: datetime) -> bool:
        """False when the row is gone: another process took this one for dead."""
        statement = update(Worker).where(Worker.id == worker_id).values(beat_at=now)
        return bool((await self._session.execute(statement)).rowcount)

    async def others(self, worker_id: str) -> list[Worker]:
        statement = select(Worker).where(Worker.id != worker_id)
        return list(await self._session.scalars(statement))

    async def count(self) -> int:
        return int(await self._session.scalar(select(func.count(Worker.id))) or 0)

    async def forget(self, worker_ids: list[str]) -> None:
        if worker_ids:
            await self._session.execute(delete(Worker).where(Worker.id.in_(worker_ids)))

    async def renew(
        self, worker_id: str, now: datetime, inbox_lease: timedelta, outbox_lease: timedelta
    ) -> None:
        """Long work keeps its claims: each beat moves on the leases of the holder's rows
        that would run out within half a lease. Rows locked by the holder's own work in
        hand are skipped (that work is finishing them), so a beat never deadlocks."""
        for model, status, lease in (
            (InboundUpdate, "processing", inbox_lease),
            (OutboxMessage, "sending", outbox_lease),
        ):
            held = (
                (model.claimed_by == worker_id)
                & (model.status == status)
                & (model.lease_until < now + lease / 2)
            )
            await self._session.execute(
                update(model)
                .where(model.id.in_(_unlocked(model, held)))
                .values(lease_until=now + lease)
                .execution_options(synchronize_session=False)
            )

    async def give_back(self, worker_ids: list[str], now: datetime) -> tuple[int, int, int]:
        """Claims of these holders return to the queue; (inbound, outbound, maybe sent).

        An outbound row whose platform call had started may have reached the recipient:
        it is sent again (a message is never lost) and marked `maybe_sent`.
        """
        if not worker_ids:
            return 0, 0, 0
        inbound = await self._session.execute(
            update(InboundUpdate)
            .where(
                InboundUpdate.id.in_(
                    _unlocked(
                        InboundUpdate,
                        InboundUpdate.claimed_by.in_(worker_ids)
                        & (InboundUpdate.status == "processing"),
                    )
                )
            )
            .values(status="pending", lease_until=None)
            .execution_options(synchronize_session=False)
        )
        held = OutboxMessage.claimed_by.in_(worker_ids) & (OutboxMessage.status == "sending")
        doubtful = await self._session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(
                    _unlocked(OutboxMessage, held & OutboxMessage.attempted_at.is_not(None))
                )
            )
            .values(status="pending", lease_until=None, next_attempt_at=now, maybe_sent=True)
            .execution_options(synchronize_session=False)
        )
        untouched = await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(_unlocked(OutboxMessage, held)))
            .values(status="pending", lease_until=None, next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
        return (
            inbound.rowcount,
            doubtful.rowcount + untouched.rowcount,
            doubtful.rowcount,
        )
