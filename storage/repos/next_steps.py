from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Lead
from storage.sql import insert_ignoring_conflicts, lock_due_pending
from storage.step_models import NextStep, NextStepTimer

OPEN = "open"
PENDING = "pending"


class NextStepRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, step_id: int) -> NextStep | None:
        return await self._session.get(NextStep, step_id)

    async def open_for_lead(self, lead_id: int) -> NextStep | None:
        statement = select(NextStep).where(NextStep.lead_id == lead_id, NextStep.status == OPEN)
        return (await self._session.scalars(statement.limit(1))).first()

    async def latest_id(self, lead_id: int) -> int:
        """The newest step of the lead in any state (0: none ever)."""
        statement = select(func.max(NextStep.id)).where(NextStep.lead_id == lead_id)
        return int(await self._session.scalar(statement) or 0)

    async def add(self, **values: Any) -> NextStep:
        step = NextStep(status=OPEN, **values)
        self._session.add(step)
        await self._session.flush()
        return step

    async def close_open(self, lead_id: int, status: str, now: datetime) -> int:
        """The lead's open step (if any) becomes done, replaced or cancelled."""
        statement = (
            update(NextStep)
            .where(NextStep.lead_id == lead_id, NextStep.status == OPEN)
            .values(status=status, closed_at=now)
        )
        return (await self._session.execute(statement)).rowcount

    async def open_for_leads(self, lead_ids: Sequence[int]) -> dict[int, NextStep]:
        if not lead_ids:
            return {}
        statement = select(NextStep).where(
            NextStep.lead_id.in_(list(lead_ids)), NextStep.status == OPEN
        )
        return {step.lead_id: step for step in await self._session.scalars(statement)}

    async def open_due_before(self, moment: datetime) -> list[NextStep]:
        """Open steps of open leads due before `moment`, earliest first."""
        statement = (
            select(NextStep)
            .join(Lead, Lead.id == NextStep.lead_id)
            .where(NextStep.status == OPEN, NextStep.due_at <= moment, Lead.is_open.is_(True))
            .order_by(NextStep.due_at, NextStep.id)
        )
        return list(await self._session.scalars(statement))


class StepTimerRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def schedule(self, **values: Any) -> bool:
        """Add a timer; False if this trigger already scheduled it (a repeated event)."""
        values.setdefault("status", PENDING)
        values.setdefault("attempts", 0)
        inserted = await insert_ignoring_conflicts(self._session, NextStepTimer.__table__, values)
        return bool(inserted)

    async def lock_due(self, now: datetime, limit: int) -> list[NextStepTimer]:
        """Due timers, locked for this transaction; other workers skip them, not wait."""
        return await lock_due_pending(self._session, NextStepTimer, now, limit, PENDING)

    async def cancel(self, lead_id: int, kinds: Sequence[str], note: str, now: datetime) -> int:
        statement = (
            update(NextStepTimer)
            .where(
                NextStepTimer.lead_id == lead_id,
                NextStepTimer.status == PENDING,
                NextStepTimer.kind.in_(list(kinds)),
            )
            .values(status="cancelled", note=note, done_at=now)
        )
        return (await self._session.execute(statement)).rowcount

    async def failed_attempt(
        self, timer_id: int, attempts: int, note: str, retry_at: datetime | None, now: datetime
    ) -> None:
        """A failed try: due again at `retry_at`, or (None) kept failed with the error."""
        values: dict[str, Any] = {"attempts": attempts, "note": note}
        if retry_at is None:
            values.update(status="failed", done_at=now)
        else:
            values["due_at"] = retry_at
        await self._session.execute(
            update(NextStepTimer).where(NextStepTimer.id == timer_id).values(**values)
        )

    async def pending_for_lead(self, lead_id: int) -> list[NextStepTimer]:
        statement = (
            select(NextStepTimer)
            .where(NextStepTimer.lead_id == lead_id, NextStepTimer.status == PENDING)
            .order_by(NextStepTimer.due_at)
        )
        return list(await self._session.scalars(statement))
