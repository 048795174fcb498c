"""Set-based follow-up dispatch: a batch of due steps claimed, what they need read in a
few IN-list queries, and what they produced written in multi-row statements.

The rows read here are Core rows (attribute access by column name, the same column types
as the ORM's), not ORM objects: the batch only reads them, and building thousands of
tracked objects a second would cost more than the queries themselves.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ChannelIdentity,
    Contact,
    FollowupStep,
    Lead,
    LeadEvent,
    Manager,
    OutboxMessage,
)
from storage.repos.outbox import PENDING

# Ids per IN list: far below the bind-parameter limits of asyncpg and SQLite (32,766).
CHUNK = 5_000
_STEP = FollowupStep.__table__
_CLAIMED = (
    "id",
    "sequence",
    "step",
    "lead_id",
    "contact_id",
    "due_at",
    "status",
    "attempts",
    "created_at",
    "done_at",
    "note",
)


@dataclass
class DueStep:
    """A claimed step outside the ORM session: changing it writes nothing by itself, the
    batch writes what changed in bulk (StepBatchRepo.update_steps)."""

    id: int
    sequence: str
    step: int
    lead_id: int
    contact_id: int
    due_at: datetime
    status: str
    attempts: int
    created_at: datetime
    done_at: datetime | None
    note: str | None

    def outcome(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "due_at": self.due_at,
            "done_at": self.done_at,
            "note": self.note,
        }


class StepBatchRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim_due(self, now: datetime, limit: int) -> list[DueStep]:
        """Due steps, oldest first, locked for this transaction; other workers skip them."""
        columns = [_STEP.c[name] for name in _CLAIMED]
        statement = (
            select(*columns)
            .where(_STEP.c.status == "pending", _STEP.c.due_at <= now)
            .order_by(_STEP.c.due_at, _STEP.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        result = await self._session.execute(statement)
        return [DueStep(*row) for row in result]

    async def locked(self, ids: list[int]) -> list[FollowupStep]:
        """The ORM rows of steps this transaction claimed, in the order of `ids`."""
        statement = select(FollowupStep).where(FollowupStep.id.in_(ids))
        rows = {row.id: row for row in await self._session.scalars(statement)}
        return [rows[step_id] for step_id in ids if step_id in rows]

    async def leads(self, ids: set[int]) -> dict[int, Row[Any]]:
        return await self._by_id(Lead.__table__, ids)

    async def contacts(self, ids: set[int]) -> dict[int, Row[Any]]:
        return await self._by_id(Contact.__table__, ids)

    async def managers(self, ids: set[int]) -> dict[int, Row[Any]]:
        return await self._by_id(Manager.__table__, ids)

    async def identities(self, contact_ids: set[int]) -> dict[int, list[Row[Any]]]:
        """Each contact's identities in id order (as IdentityRepo.for_contact gives them)."""
        found: dict[int, list[Row[Any]]] = defaultdict(list)
        if not contact_ids:
            return found
        table = ChannelIdentity.__table__
        statement = select(table).where(table.c.contact_id.in_(contact_ids)).order_by(table.c.id)
        for row in await self._session.execute(statement):
            found[row.contact_id].append(row)
        return found

    async def marketing_times(
        self, contact_ids: set[int], since: datetime
    ) -> dict[int, list[datetime]]:
        """When marketing messages were queued to these contacts since `since`."""
        found: dict[int, list[datetime]] = defaultdict(list)
        if not contact_ids:
            return found
        statement = select(OutboxMessage.contact_id, OutboxMessage.created_at).where(
            OutboxMessage.contact_id.in_(contact_ids),
            OutboxMessage.purpose == "marketing",
            OutboxMessage.created_at >= since,
        )
        for contact_id, created_at in await self._session.execute(statement):
            found[contact_id].append(created_at)
        return found

    async def queue(self, messages: list[dict[str, Any]]) -> None:
        """Outbox rows as OutboxRepo.add queues them; a `dedupe_key` queued before is
        skipped, as there (ON CONFLICT DO NOTHING). With RETURNING, SQLAlchemy sends the
        rows as multi-row INSERTs of up to 1,000 ("insertmanyvalues") from one statement
        compiled once; a `.values([...])` list would be compiled anew for every batch."""
        rows = [
            {
                "channel": m["channel"],
                "chat_id": m["chat_id"],
                "purpose": m["purpose"],
                "payload": m["payload"],
                "contact_id": m.get("contact_id"),
                "lead_id": m.get("lead_id"),
                "message_id": m.get("message_id"),
                "dedupe_key": m.get("dedupe_key"),
                "notify_manager_id": m.get("notify_manager_id"),
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": m.get("due") or m["now"],
                "created_at": m["now"],
            }
            for m in messages
        ]
        module = postgresql if self._dialect == "postgresql" else sqlite
        table = OutboxMessage.__table__
        statement = module.insert(table).on_conflict_do_nothing().returning(table.c.id)
        await self._session.execute(statement, rows)

    async def add_events(self, events: list[dict[str, Any]]) -> None:
        """Lead events as EventRepo.add makes them, in multi-row INSERTs."""
        rows = [
            {
                "lead_id": e["lead_id"],
                "type": e["type"],
                "actor": e.get("actor", "system"),
                "manager_id": e.get("manager_id"),
                "at": e["at"],
                "data": e.get("data") or {},
            }
            for e in events
        ]
        table = LeadEvent.__table__
        await self._session.execute(insert(table).returning(table.c.id), rows)

    async def update_steps(self, changes: list[tuple[dict[str, Any], list[int]]]) -> None:
        """One UPDATE per outcome: the same new values for every step id listed with them."""
        for values, ids in changes:
            for start in range(0, len(ids), CHUNK):
                statement = (
                    update(_STEP).where(_STEP.c.id.in_(ids[start : start + CHUNK])).values(values)
                )
                await self._session.execute(statement)

    @property
    def _dialect(self) -> str:
        bind = self._session.bind
        return bind.dialect.name if bind is not None else "sqlite"

    async def _by_id(self, table: Any, ids: set[int]) -> dict[int, Row[Any]]:
        ids = {i for i in ids if i}
        if not ids:
            return {}
        statement = select(table).where(table.c.id.in_(ids))
        return {row.id: row for row in await self._session.execute(statement)}
