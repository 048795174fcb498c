from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Invite, Lead, LeadAlert, LeadOffer, Manager
from storage.sql import insert_ignoring_conflicts


class ManagerRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, manager_id: int) -> Manager | None:
        return await self._session.get(Manager, manager_id)

    async def by_telegram_id(self, telegram_id: int) -> Manager | None:
        statement = select(Manager).where(Manager.telegram_id == telegram_id)
        return (await self._session.scalars(statement)).first()

    async def all(self, *, include_retired: bool = False) -> list[Manager]:
        """The team; people retired from the config only with `include_retired`."""
        statement = select(Manager).order_by(Manager.id)
        if not include_retired:
            statement = statement.where(Manager.retired_at.is_(None))
        return list(await self._session.scalars(statement))

    async def never_started(self) -> list[Manager]:
        """Active staff who have not pressed /start: the bot cannot write to them."""
        statement = select(Manager).where(
            Manager.active.is_(True), Manager.retired_at.is_(None), Manager.started_at.is_(None)
        )
        return list(await self._session.scalars(statement.order_by(Manager.id)))

    async def heads(self) -> list[Manager]:
        statement = select(Manager).where(Manager.role == "head", Manager.active.is_(True))
        return list(await self._session.scalars(statement.order_by(Manager.id)))

    async def add(self, now: datetime, **fields: Any) -> Manager:
        manager = Manager(created_at=now, updated_at=now, **fields)
        self._session.add(manager)
        await self._session.flush()
        return manager

    async def open_lead_counts(self) -> dict[int, int]:
        statement = (
            select(Lead.manager_id, func.count(Lead.id))
            .where(Lead.is_open.is_(True), Lead.manager_id.is_not(None))
            .group_by(Lead.manager_id)
        )
        counts = {row[0]: int(row[1]) for row in await self._session.execute(statement)}
        # A pending offer holds a seat too, or one manager could be offered ten at once.
        offers = (
            select(Lead.offered_manager_id, func.count(Lead.id))
            .where(Lead.is_open.is_(True), Lead.offered_manager_id.is_not(None))
            .group_by(Lead.offered_manager_id)
        )
        for manager_id, count in await self._session.execute(offers):
            counts[manager_id] = counts.get(manager_id, 0) + int(count)
        return counts


class OfferRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(
        self, lead_id: int, manager_id: int, now: datetime, expires_at: datetime | None
    ) -> None:
        self._session.add(
            LeadOffer(lead_id=lead_id, manager_id=manager_id, offered_at=now, expires_at=expires_at)
        )

    async def close_pending(
        self, lead_id: int, outcome: str, now: datetime, reason: str | None = None
    ) -> None:
        await self._session.execute(
            update(LeadOffer)
            .where(LeadOffer.lead_id == lead_id, LeadOffer.outcome == "pending")
            .values(outcome=outcome, decided_at=now, reason=reason)
        )

    async def set_decline_reason(self, lead_id: int, manager_id: int, reason: str) -> bool:
        """Attach the reason to his decline of this lead, typed after the decline took
        effect; False when he has no decline of it awaiting one."""
        latest = (
            select(func.max(LeadOffer.id))
            .where(
                LeadOffer.lead_id == lead_id,
                LeadOffer.manager_id == manager_id,
                LeadOffer.outcome == "declined",
                LeadOffer.reason.is_(None),
            )
            .scalar_subquery()
        )
        result = await self._session.execute(
            update(LeadOffer).where(LeadOffer.id == latest).values(reason=reason)
        )
        return bool(result.rowcount)

    async def history(self, lead_id: int) -> list[LeadOffer]:
        """Every offer of the lead, oldest first (who had it and how it ended)."""
        statement = select(LeadOffer).where(LeadOffer.lead_id == lead_id).order_by(LeadOffer.id)
        return list(await self._session.scalars(statement))

    async def offered_managers(self, lead_id: int) -> set[int]:
        statement = select(LeadOffer.manager_id).where(LeadOffer.lead_id == lead_id)
        return set(await self._session.scalars(statement))


class AlertRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, lead_id: int, key: str, kind: str, now: datetime) -> bool:
        """Record that an alert fired; False if it had fired already (never twice)."""
        inserted = await insert_ignoring_conflicts(
            self._session,
            LeadAlert.__table__,
            {"lead_id": lead_id, "key": key, "kind": kind, "at": now},
        )
        return bool(inserted)

    async def keys(self, lead_id: int) -> set[str]:
        statement = select(LeadAlert.key).where(LeadAlert.lead_id == lead_id)
        return set(await self._session.scalars(statement))

    async def hold(self, lead_id: int, key: str) -> None:
        """Keep this alert for the next summary ping instead of a ping of its own."""
        await self._session.execute(
            update(LeadAlert)
            .where(LeadAlert.lead_id == lead_id, LeadAlert.key == key)
            .values(held=True)
        )

    async def held(self, limit: int) -> list[LeadAlert]:
        statement = (
            select(LeadAlert)
            .where(LeadAlert.held.is_(True))
            .order_by(LeadAlert.at, LeadAlert.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(await self._session.scalars(statement))

    async def release(self, alert_ids: list[int]) -> None:
        if alert_ids:
            await self._session.execute(
                update(LeadAlert).where(LeadAlert.id.in_(alert_ids)).values(held=False)
            )


class InviteRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, **fields: Any) -> None:
        self._session.add(Invite(**fields))

    async def claim(self, token: str, telegram_id: int, now: datetime) -> Invite | None:
        """Use an invite once: only the first opener within its lifetime gets it."""
        result = await self._session.execute(
            update(Invite)
            .where(Invite.token == token, Invite.used_at.is_(None), Invite.expires_at > now)
            .values(used_at=now, used_by_telegram_id=telegram_id)
        )
        if result.rowcount != 1:
            return None
        statement = select(Invite).where(Invite.token == token)
        return (await self._session.scalars(statement)).first()
