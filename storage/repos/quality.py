from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.pipeline import CLOSED_STATUSES
from storage.models import Lead
from storage.quality_models import QualityRound, QualitySample
from storage.sql import insert_ignoring_conflicts, lock_due_pending

PENDING = "pending"


class QualityRepo:
    """The weekly samples and their grades."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # ------------------------------------------------------------ rounds (timed work)

    async def plan_round(self, week: str, due_at: datetime, now: datetime) -> bool:
        """The week's sample, due at `due_at`; False when the week has one already."""
        values = {
            "week": week,
            "due_at": due_at,
            "status": PENDING,
            "attempts": 0,
            "sampled": 0,
            "created_at": now,
        }
        return bool(await insert_ignoring_conflicts(self._session, QualityRound.__table__, values))

    async def has_pending_round(self) -> bool:
        statement = select(QualityRound.id).where(QualityRound.status == PENDING).limit(1)
        return (await self._session.scalar(statement)) is not None

    async def lock_due_rounds(self, now: datetime, limit: int) -> list[QualityRound]:
        """Due samples, locked for this transaction; other workers skip them, not wait."""
        return await lock_due_pending(self._session, QualityRound, now, limit, PENDING)

    async def round_failed(
        self, round_id: int, attempts: int, note: str, retry_at: datetime | None, now: datetime
    ) -> None:
        values: dict[str, Any] = {"attempts": attempts, "note": note}
        if retry_at is None:
            values.update(status="failed", done_at=now)
        else:
            values["due_at"] = retry_at
        await self._session.execute(
            update(QualityRound).where(QualityRound.id == round_id).values(**values)
        )

    # ------------------------------------------------------------ samples

    async def closed_conversations(self, start: datetime, end: datetime) -> list[tuple[int, int]]:
        """(lead id, manager id) of leads a manager held that closed in [start, end)."""
        statement = select(Lead.id, Lead.manager_id).where(
            Lead.status.in_([status.value for status in CLOSED_STATUSES]),
            Lead.manager_id.is_not(None),
            Lead.closed_at >= start,
            Lead.closed_at < end,
        )
        rows = await self._session.execute(statement)
        return [(int(lead), int(manager)) for lead, manager in rows]

    async def add_sample(
        self, round_id: int, lead_id: int, manager_id: int, now: datetime
    ) -> int | None:
        values = {
            "round_id": round_id,
            "lead_id": lead_id,
            "manager_id": manager_id,
            "created_at": now,
        }
        return await insert_ignoring_conflicts(
            self._session, QualitySample.__table__, values, returning=QualitySample.id
        )

    async def sample(self, sample_id: int) -> QualitySample | None:
        return await self._session.get(QualitySample, sample_id)

    async def grade(self, sample_id: int, grade: int, by: str, now: datetime) -> bool:
        """The first grade stands: False when the sample is graded already (or unknown),
        also when two presses race."""
        statement = (
            update(QualitySample)
            .where(QualitySample.id == sample_id, QualitySample.grade.is_(None))
            .values(grade=grade, graded_by=by, graded_at=now)
        )
        return (await self._session.execute(statement)).rowcount == 1

    async def set_comment(self, sample_id: int, by: str, comment: str) -> bool:
        """Only whoever graded the sample writes its comment."""
        statement = (
            update(QualitySample)
            .where(QualitySample.id == sample_id, QualitySample.graded_by == by)
            .values(comment=comment)
        )
        return (await self._session.execute(statement)).rowcount == 1

    async def ungraded(self, limit: int) -> list[QualitySample]:
        statement = (
            select(QualitySample)
            .where(QualitySample.grade.is_(None))
            .order_by(QualitySample.round_id.desc(), QualitySample.id)
            .limit(limit)
        )
        return list(await self._session.scalars(statement))

    async def grades_between(
        self, start: datetime, end: datetime, manager_id: int | None = None
    ) -> list[tuple[int, int]]:
        """(manager id, grade) of the grades given in [start, end)."""
        statement = select(QualitySample.manager_id, QualitySample.grade).where(
            QualitySample.grade.is_not(None),
            QualitySample.graded_at >= start,
            QualitySample.graded_at < end,
        )
        if manager_id is not None:
            statement = statement.where(QualitySample.manager_id == manager_id)
        return [(int(m), int(g)) for m, g in await self._session.execute(statement)]
