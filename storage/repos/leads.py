from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Lead, LeadEvent

# A lead's work that fails backs off on its own columns (usecases.retry_policy).
_FAILURES = {
    "timer": Lead.timer_failures,
    "offer": Lead.offer_failures,
    "distribution": Lead.distribution_failures,
}
_DUE = {
    "timer": Lead.next_timer_at,
    "offer": Lead.offer_expires_at,
    "distribution": Lead.next_distribution_at,
}


class LeadRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, lead_id: int) -> Lead | None:
        return await self._session.get(Lead, lead_id)

    async def open_for_contact(self, contact_id: int) -> Lead | None:
        statement = select(Lead).where(Lead.contact_id == contact_id, Lead.is_open.is_(True))
        return (await self._session.scalars(statement.limit(1))).first()

    async def latest_for_contact(self, contact_id: int) -> Lead | None:
        """His open lead, else the one closed last: what a complaint is about."""
        statement = (
            select(Lead)
            .where(Lead.contact_id == contact_id)
            .order_by(Lead.is_open.desc(), Lead.created_at.desc(), Lead.id.desc())
            .limit(1)
        )
        return (await self._session.scalars(statement)).first()

    async def add(self, now: datetime, **fields: Any) -> Lead:
        lead = Lead(created_at=now, stage_entered_at=now, **fields)
        self._session.add(lead)
        await self._session.flush()
        return lead

    async def get_for_update(self, lead_id: int) -> Lead | None:
        statement = select(Lead).where(Lead.id == lead_id).with_for_update()
        return (await self._session.scalars(statement)).first()

    async def waiting(
        self, now: datetime, limit: int = 100, *, unqueued_only: bool = False
    ) -> list[Lead]:
        """Open leads with nobody on them, highest class and oldest first; a lead whose
        last distribution failed only once its backoff is over."""
        conditions = [
            Lead.is_open.is_(True),
            Lead.manager_id.is_(None),
            Lead.offered_manager_id.is_(None),
            Lead.needs_head.is_(False),
            or_(Lead.next_distribution_at.is_(None), Lead.next_distribution_at <= now),
        ]
        if unqueued_only:
            conditions.append(Lead.queued_at.is_(None))
        statement = (
            select(Lead)
            .where(*conditions)
            .order_by(Lead.priority.desc(), Lead.created_at, Lead.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(await self._session.scalars(statement))

    async def count_queued(self) -> int:
        statement = select(func.count(Lead.id)).where(
            Lead.is_open.is_(True), Lead.queued_at.is_not(None)
        )
        return int(await self._session.scalar(statement) or 0)

    async def expired_offers(self, now: datetime, limit: int = 100) -> list[Lead]:
        statement = (
            select(Lead)
            .where(
                Lead.is_open.is_(True),
                Lead.offered_manager_id.is_not(None),
                Lead.offer_expires_at <= now,
            )
            .order_by(Lead.offer_expires_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(await self._session.scalars(statement))

    async def count_failure(self, lead_id: int, work: str) -> int:
        """One more failure in a row of this lead's work ("timer", "offer", "distribution")."""
        column = _FAILURES[work]
        statement = (
            update(Lead).where(Lead.id == lead_id).values({column: column + 1}).returning(column)
        )
        return int((await self._session.execute(statement)).scalar_one())

    async def postpone(self, lead_id: int, work: str, at: datetime | None) -> None:
        """This lead's work not due before `at`; None: never. A distribution given up
        leaves the lead to the head (needs_head), out of the waiting leads."""
        values: dict[Any, Any] = {_DUE[work]: at}
        if work == "distribution" and at is None:
            values[Lead.needs_head] = True
        await self._session.execute(update(Lead).where(Lead.id == lead_id).values(values))

    def distributed(self, lead: Lead) -> None:
        """Its distribution went through: earlier failures no longer count."""
        if lead.distribution_failures or lead.next_distribution_at is not None:
            lead.distribution_failures, lead.next_distribution_at = 0, None

    async def timers_due(self, now: datetime, limit: int = 200) -> list[Lead]:
        statement = (
            select(Lead)
            .where(Lead.is_open.is_(True), Lead.next_timer_at <= now)
            .order_by(Lead.next_timer_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(await self._session.scalars(statement))

    async def for_manager(self, manager_id: int, *, open_only: bool = True) -> list[Lead]:
        conditions = [Lead.manager_id == manager_id]
        if open_only:
            conditions.append(Lead.is_open.is_(True))
        statement = select(Lead).where(*conditions).order_by(Lead.created_at)
        return list(await self._session.scalars(statement))

    async def open_all(self, limit: int = 2000) -> list[Lead]:
        """The team's open leads, oldest first (a head's lists; a small team's worth)."""
        statement = select(Lead).where(Lead.is_open.is_(True)).order_by(Lead.created_at, Lead.id)
        return list(await self._session.scalars(statement.limit(limit)))

    async def held_or_offered(self, manager_id: int) -> list[Lead]:
        """Open leads he holds or has on offer, locked: what a handover moves."""
        statement = (
            select(Lead)
            .where(
                Lead.is_open.is_(True),
                (Lead.manager_id == manager_id) | (Lead.offered_manager_id == manager_id),
            )
            .order_by(Lead.priority.desc(), Lead.created_at, Lead.id)
            .with_for_update()
        )
        return list(await self._session.scalars(statement))

    async def previous_manager(self, contact_id: int, exclude_lead: int) -> int | None:
        statement = (
            select(Lead.manager_id)
            .where(
                Lead.contact_id == contact_id,
                Lead.id != exclude_lead,
                Lead.manager_id.is_not(None),
            )
            .order_by(Lead.created_at.desc())
            .limit(1)
        )
        return await self._session.scalar(statement)

    async def search(
        self,
        *,
        status: str | None = None,
        channel: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Lead], int]:
        conditions = []
        if status is not None:
            conditions.append(Lead.status == status)
        if channel is not None:
            conditions.append(Lead.channel == channel)
        if since is not None:
            conditions.append(Lead.created_at >= since)
        total = await self._session.scalar(select(func.count(Lead.id)).where(*conditions))
        statement = (
            select(Lead).where(*conditions).order_by(Lead.id.desc()).limit(limit).offset(offset)
        )
        return list(await self._session.scalars(statement)), int(total or 0)


class EventRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(
        self,
        lead_id: int,
        type: str,
        at: datetime,
        *,
        actor: str = "system",
        manager_id: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        self._session.add(
            LeadEvent(
                lead_id=lead_id,
                type=type,
                actor=actor,
                manager_id=manager_id,
                at=at,
                data=data or {},
            )
        )

    async def for_lead(self, lead_id: int) -> list[LeadEvent]:
        statement = select(LeadEvent).where(LeadEvent.lead_id == lead_id)
        return list(await self._session.scalars(statement.order_by(LeadEvent.at, LeadEvent.id)))
