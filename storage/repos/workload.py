"""What the workload norm reads and keeps: the leads that came in and who holds them, the
leads waiting for a first answer, the staff's own actions in a period, and the alarm
episodes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Lead, LeadEvent
from storage.workload_models import WorkloadAlarm

STAFF_ACTOR = "manager:"


class WorkloadRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def incoming(self, start: datetime, end: datetime) -> list[tuple[str | None, int | None]]:
        """(class, holder) of every lead created in [start, end)."""
        statement = select(Lead.lead_class, Lead.manager_id).where(
            Lead.created_at >= start, Lead.created_at < end
        )
        return [(row[0], row[1]) for row in await self._session.execute(statement)]

    async def waiting_classes(self) -> list[str | None]:
        """The class of every open lead nobody has answered yet."""
        statement = select(Lead.lead_class).where(
            Lead.is_open.is_(True), Lead.first_response_at.is_(None)
        )
        return list(await self._session.scalars(statement))

    async def staff_actions(
        self, start: datetime, end: datetime, types: tuple[str, ...]
    ) -> list[tuple[str, datetime, str]]:
        """(actor, at, type) of the staff's own events of `types` in [start, end)."""
        statement = (
            select(LeadEvent.actor, LeadEvent.at, LeadEvent.type)
            .where(LeadEvent.at >= start, LeadEvent.at < end)
            .where(LeadEvent.type.in_(types), LeadEvent.actor.startswith(STAFF_ACTOR))
            .order_by(LeadEvent.at, LeadEvent.id)
        )
        return [(row[0], row[1], row[2]) for row in await self._session.execute(statement)]

    async def open_alarm(self) -> WorkloadAlarm | None:
        statement = select(WorkloadAlarm).where(WorkloadAlarm.ended_at.is_(None))
        return await self._session.scalar(statement.limit(1))

    async def start_alarm(
        self, now: datetime, *, waiting: int, on_shift: int, wait_minutes: int
    ) -> WorkloadAlarm | None:
        """A new episode; None when another process opened one first."""
        alarm = WorkloadAlarm(
            slot=1,
            started_at=now,
            waiting=waiting,
            on_shift=on_shift,
            wait_minutes=wait_minutes,
        )
        try:
            async with self._session.begin_nested():
                self._session.add(alarm)
        except IntegrityError:
            return None
        return alarm

    async def end_alarm(self, alarm_id: int, now: datetime) -> None:
        await self._session.execute(
            update(WorkloadAlarm)
            .where(WorkloadAlarm.id == alarm_id, WorkloadAlarm.ended_at.is_(None))
            .values(ended_at=now)
        )
