"""What reports read: the leads a period can say something about, their histories, the
surveys answered and the complaints that matter; plus lookups for the dashboard."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, case, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Complaint, Contact, Lead, LeadEvent, Manager, OutboxMessage, Survey
from storage.repos.search import MessageSearch

# Only the events that metrics replay; message_received and the like are left in the table.
REPORT_EVENTS = (
    "lead_created",
    "offered",
    "accepted",
    "declined",
    "offer_expired",
    "assigned",
    "reassigned",
    "replied",
    "reply_failed",
    "stage_changed",
    "closed",
    "reopened",
)
OPEN_COMPLAINTS = ("new", "in_progress")


class ReportRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @staticmethod
    def _touching(start: datetime, end: datetime) -> Any:
        # A lead closed before the period began has nothing left to say about it.
        return (Lead.created_at < end) & (
            Lead.is_open.is_(True) | Lead.closed_at.is_(None) | (Lead.closed_at >= start)
        )

    async def starts_without_question(self, start: datetime, end: datetime) -> int:
        """Contacts whose /start in the period is still waiting for their first question."""
        statement = select(func.count(Contact.id)).where(
            Contact.started_at >= start, Contact.started_at < end
        )
        return int(await self._session.scalar(statement) or 0)

    async def leads(self, start: datetime, end: datetime) -> list[Lead]:
        statement = select(Lead).where(self._touching(start, end)).order_by(Lead.id)
        return list(await self._session.scalars(statement))

    async def events(self, start: datetime, end: datetime) -> list[LeadEvent]:
        leads = select(Lead.id).where(self._touching(start, end))
        statement = (
            select(LeadEvent)
            .where(LeadEvent.lead_id.in_(leads.scalar_subquery()))
            .where(LeadEvent.type.in_(REPORT_EVENTS))
            .order_by(LeadEvent.lead_id, LeadEvent.at, LeadEvent.id)
        )
        return list(await self._session.scalars(statement))

    async def surveys_answered(self, start: datetime, end: datetime) -> list[Survey]:
        statement = select(Survey).where(Survey.answered_at >= start, Survey.answered_at < end)
        return list(await self._session.scalars(statement.order_by(Survey.id)))

    async def complaints(self, start: datetime) -> list[Complaint]:
        """Open now, or opened or resolved since `start`."""
        statement = select(Complaint).where(
            or_(
                Complaint.status.in_(OPEN_COMPLAINTS),
                Complaint.created_at >= start,
                Complaint.resolved_at >= start,
            )
        )
        return list(await self._session.scalars(statement.order_by(Complaint.id)))

    async def outbox_key_taken(self, key: str) -> bool:
        statement = select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key).limit(1)
        return (await self._session.scalar(statement)) is not None

    async def search_leads(
        self,
        *,
        status: str | None = None,
        channel: str | None = None,
        manager_id: int | None = None,
        text: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        open_only: bool = False,
        visible_to: int | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[tuple[Lead, Contact]], int]:
        """Leads with their contacts, newest first; `text` matches name, phone, e-mail,
        username, source, the lead number, or the words of its messages (full-text, those
        leads first, best match first). `visible_to`: only what that manager may see, the
        rule of domain.web_access.may_see_lead (his own, and the queue)."""
        conditions: list[Any] = []
        if visible_to is not None:
            conditions.append(
                or_(
                    Lead.manager_id == visible_to,
                    Lead.offered_manager_id == visible_to,
                    Lead.is_open.is_(True)
                    & Lead.manager_id.is_(None)
                    & Lead.offered_manager_id.is_(None),
                )
            )
        if status:
            conditions.append(Lead.status == status)
        if channel:
            conditions.append(Lead.channel == channel)
        if manager_id is not None:
            conditions.append(Lead.manager_id == manager_id)
        if since is not None:
            conditions.append(Lead.created_at >= since)
        if until is not None:
            conditions.append(Lead.created_at < until)
        if open_only:
            conditions.append(Lead.is_open.is_(True))
        order: list[Any] = []
        if text:
            ranked = await MessageSearch(self._session).lead_ranks(text)
            conditions.append(or_(self._matches(text), Lead.id.in_(ranked)))
            if ranked:
                positions = {lead_id: place for place, lead_id in enumerate(ranked)}
                order.append(case(positions, value=Lead.id, else_=len(ranked)))
        joined = select(Lead, Contact).join(Contact, Contact.id == Lead.contact_id)
        total = await self._session.scalar(
            select(func.count(Lead.id))
            .select_from(Lead)
            .join(Contact, Contact.id == Lead.contact_id)
            .where(*conditions)
        )
        statement = (
            joined.where(*conditions).order_by(*order, Lead.id.desc()).limit(limit).offset(offset)
        )
        rows = [(lead, contact) for lead, contact in await self._session.execute(statement)]
        return rows, int(total or 0)

    def _matches(self, text: str) -> Any:
        columns = (
            Contact.display_name,
            Contact.username,
            Contact.email,
            Contact.phone,
            Lead.source,
        )
        number = cast(Lead.id, String) == text.lstrip("#")
        if self._session.bind.dialect.name == "postgresql":
            return or_(number, *(c.ilike(_pattern(text), escape="\\") for c in columns))
        # SQLite folds the case of ASCII letters only: try the usual spellings of the rest.
        spellings = {text, text.lower(), text.upper(), text.capitalize(), text.title()}
        return or_(
            number,
            *(c.like(_pattern(s), escape="\\") for c in columns for s in sorted(spellings)),
        )

    async def channels(self) -> list[str]:
        statement = select(Lead.channel).distinct().order_by(Lead.channel)
        return list(await self._session.scalars(statement))

    async def open_leads(self) -> list[Lead]:
        statement = select(Lead).where(Lead.is_open.is_(True)).order_by(Lead.id)
        return list(await self._session.scalars(statement))

    async def managers_by_id(self) -> dict[int, Manager]:
        return {m.id: m for m in await self._session.scalars(select(Manager).order_by(Manager.id))}


def _pattern(text: str) -> str:
    """A LIKE pattern that finds `text` anywhere, its own % and _ taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
