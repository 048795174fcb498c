from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import FollowupStep, OutboxMessage, Survey
from storage.repos.step_batch import StepBatchRepo
from storage.sql import insert_ignoring_conflicts


class StepRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # The set-based dispatch's reads and writes (storage/repos/step_batch.py).
        self.batch = StepBatchRepo(session)

    async def schedule(self, **values: Any) -> bool:
        """Add a step; False if this trigger already scheduled it (a repeated event)."""
        values.setdefault("status", "pending")
        values.setdefault("attempts", 0)
        inserted = await insert_ignoring_conflicts(self._session, FollowupStep.__table__, values)
        return bool(inserted)

    async def lock_due(self, now: datetime, limit: int) -> list[FollowupStep]:
        """Due steps, locked for this transaction; other workers skip them, not wait."""
        statement = (
            select(FollowupStep)
            .where(FollowupStep.status == "pending", FollowupStep.due_at <= now)
            .order_by(FollowupStep.due_at, FollowupStep.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(await self._session.scalars(statement))

    async def cancel(self, lead_id: int, sequences: list[str], note: str, now: datetime) -> int:
        if not sequences:
            return 0
        statement = (
            update(FollowupStep)
            .where(
                FollowupStep.lead_id == lead_id,
                FollowupStep.status == "pending",
                FollowupStep.sequence.in_(sequences),
            )
            .values(status="cancelled", note=note, done_at=now)
        )
        return (await self._session.execute(statement)).rowcount

    async def failed_attempt(
        self, step_id: int, attempts: int, note: str, retry_at: datetime | None, now: datetime
    ) -> None:
        """A failed try: due again at `retry_at`, or (None) kept failed with the error."""
        values: dict[str, Any] = {"attempts": attempts, "note": note}
        if retry_at is None:
            values.update(status="failed", done_at=now)
        else:
            values["due_at"] = retry_at
        await self._session.execute(
            update(FollowupStep).where(FollowupStep.id == step_id).values(**values)
        )

    async def marketing_sent_since(self, contact_id: int, since: datetime) -> int:
        statement = select(func.count(OutboxMessage.id)).where(
            OutboxMessage.contact_id == contact_id,
            OutboxMessage.purpose == "marketing",
            OutboxMessage.created_at >= since,
        )
        return int(await self._session.scalar(statement) or 0)


class SurveyRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, survey_id: int) -> Survey | None:
        return await self._session.get(Survey, survey_id)

    async def for_lead(self, lead_id: int) -> Survey | None:
        statement = select(Survey).where(Survey.lead_id == lead_id)
        return (await self._session.scalars(statement)).first()

    async def add(self, now: datetime, **fields: Any) -> Survey:
        survey = Survey(created_at=now, **fields)
        self._session.add(survey)
        await self._session.flush()
        return survey
