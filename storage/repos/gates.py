"""Checklist answers of leads, and the refused skips of stage gates counted per manager."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.gate_models import ChecklistAnswer
from storage.models import LeadEvent

# The lead event of a move its gate refused (usecases/gates.py writes it).
GATE_REFUSED = "gate_refused"


class ChecklistRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def for_lead(self, lead_id: int) -> dict[str, ChecklistAnswer]:
        statement = select(ChecklistAnswer).where(ChecklistAnswer.lead_id == lead_id)
        return {row.question_key: row for row in await self._session.scalars(statement)}

    async def answer(
        self, lead_id: int, key: str, text: str, manager_id: int | None, now: datetime
    ) -> None:
        """The latest answer replaces an earlier one (the caller holds the lead's lock)."""
        statement = select(ChecklistAnswer).where(
            ChecklistAnswer.lead_id == lead_id, ChecklistAnswer.question_key == key
        )
        row = (await self._session.scalars(statement)).first()
        if row is None:
            row = ChecklistAnswer(lead_id=lead_id, question_key=key)
            self._session.add(row)
        row.answer, row.manager_id, row.answered_at = text, manager_id, now
        await self._session.flush()

    async def skips_by_manager(self, start: datetime, end: datetime) -> dict[int, int]:
        """Moves refused by a gate in [start, end), per manager who tried them."""
        statement = (
            select(LeadEvent.manager_id, func.count(LeadEvent.id))
            .where(LeadEvent.type == GATE_REFUSED, LeadEvent.at >= start, LeadEvent.at < end)
            .where(LeadEvent.manager_id.is_not(None))
            .group_by(LeadEvent.manager_id)
        )
        return {
            int(manager): int(count) for manager, count in await self._session.execute(statement)
        }
