from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    FollowupStep,
    InboundUpdate,
    Lead,
    LeadEvent,
    Message,
    OutboxMessage,
)
from storage.step_models import NextStepTimer


class MetricsRepo:
    """Numbers for /metrics, read from the database so that every process agrees."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def captured_by_channel(self) -> dict[str, int]:
        statement = (
            select(Message.channel, func.count(Message.id))
            .where(Message.direction == "in")
            .group_by(Message.channel)
        )
        return {channel: int(count) for channel, count in await self._session.execute(statement)}

    async def outbox_by_status(self) -> dict[str, int]:
        statement = select(OutboxMessage.status, func.count(OutboxMessage.id)).group_by(
            OutboxMessage.status
        )
        return {status: int(count) for status, count in await self._session.execute(statement)}

    async def webhooks(self) -> dict[str, int]:
        """Outgoing webhook deliveries by status, and `retrying`: pending after a failure."""
        hooks = OutboxMessage.channel == "webhook"
        statement = (
            select(OutboxMessage.status, func.count(OutboxMessage.id))
            .where(hooks)
            .group_by(OutboxMessage.status)
        )
        counts = {status: int(count) for status, count in await self._session.execute(statement)}
        retrying = select(func.count(OutboxMessage.id)).where(
            hooks, OutboxMessage.status == "pending", OutboxMessage.attempts > 0
        )
        counts["retrying"] = int(await self._session.scalar(retrying) or 0)
        return counts

    async def inbox_by_status(self) -> dict[str, int]:
        statement = select(InboundUpdate.status, func.count(InboundUpdate.id)).group_by(
            InboundUpdate.status
        )
        return {status: int(count) for status, count in await self._session.execute(statement)}

    async def oldest_due(self, now: datetime) -> dict[str, datetime | None]:
        """The oldest due-but-not-done item of each kind of timed work (its lag)."""
        outbox = await self._session.scalar(
            select(func.min(OutboxMessage.next_attempt_at)).where(
                OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now
            )
        )
        timers = await self._session.scalar(
            select(func.min(Lead.next_timer_at)).where(
                Lead.is_open.is_(True), Lead.next_timer_at <= now
            )
        )
        steps = await self._session.scalar(
            select(func.min(FollowupStep.due_at)).where(
                FollowupStep.status == "pending", FollowupStep.due_at <= now
            )
        )
        next_steps = await self._session.scalar(
            select(func.min(NextStepTimer.due_at)).where(
                NextStepTimer.status == "pending", NextStepTimer.due_at <= now
            )
        )
        return {
            "outbox": outbox,
            "sla_timers": timers,
            "followups": steps,
            "next_steps": next_steps,
        }

    async def escalations(self) -> int:
        statement = select(func.count(LeadEvent.id)).where(LeadEvent.type == "escalated")
        return int(await self._session.scalar(statement) or 0)
