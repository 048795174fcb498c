from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, literal, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, Worker
from storage.sql import insert_ignoring_conflicts

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


class OutboxRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # The earliest due time of the rows queued here: their commit tells this
        # process's sender (storage/uow.py), which then need not read it.
        self.queued: datetime | None = None

    async def add(
        self,
        *,
        channel: str,
        chat_id: str,
        purpose: str,
        payload: dict[str, Any],
        now: datetime,
        due: datetime | None = None,
        contact_id: int | None = None,
        lead_id: int | None = None,
        message_id: int | None = None,
        dedupe_key: str | None = None,
        notify_manager_id: int | None = None,
    ) -> int | None:
        """Queue a message; None when `dedupe_key` was queued before (sent once, ever).
        `notify_manager_id`: the manager told whether it was delivered (usecases/fates.py)."""
        values = {
            "channel": channel,
            "chat_id": chat_id,
            "purpose": purpose,
            "payload": payload,
            "contact_id": contact_id,
            "lead_id": lead_id,
            "message_id": message_id,
            "dedupe_key": dedupe_key,
            "notify_manager_id": notify_manager_id,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": due or now,
            "created_at": now,
        }
        row_id = await insert_ignoring_conflicts(
            self._session, OutboxMessage.__table__, values, returning=OutboxMessage.id
        )
        if row_id is not None:
            self.queued = min(self.queued or values["next_attempt_at"], values["next_attempt_at"])
        return row_id

    async def count_since(self, chat_id: str, purposes: tuple[str, ...], since: datetime) -> int:
        """Messages of these purposes queued to one chat since `since` (a burst check)."""
        statement = select(func.count(OutboxMessage.id)).where(
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.purpose.in_(purposes),
            OutboxMessage.created_at >= since,
        )
        return int(await self._session.scalar(statement) or 0)

    async def latest(self, lead_id: int, chat_id: str, purpose: str) -> OutboxMessage | None:
        """The newest message of `purpose` about a lead to one chat (e.g. its offer card)."""
        statement = (
            select(OutboxMessage)
            .where(
                OutboxMessage.lead_id == lead_id,
                OutboxMessage.chat_id == chat_id,
                OutboxMessage.purpose == purpose,
            )
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
        return (await self._session.scalars(statement)).first()

    async def sent_platform_id(
        self, lead_id: int, chat_id: str, purposes: tuple[str, ...]
    ) -> str | None:
        """The platform id of the newest message of these purposes about a lead that went
        out to one chat (a card to edit in place), if one did."""
        statement = (
            select(OutboxMessage.external_id)
            .where(
                OutboxMessage.lead_id == lead_id,
                OutboxMessage.chat_id == chat_id,
                OutboxMessage.purpose.in_(purposes),
                OutboxMessage.status == SENT,
                OutboxMessage.external_id.is_not(None),
            )
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
        return (await self._session.scalars(statement)).first()

    async def claim_due(
        self,
        now: datetime,
        limit: int,
        lease: timedelta,
        holder: str,
        channels: list[str] | None = None,
    ) -> list[OutboxMessage]:
        """Take due rows for sending in one statement; rows locked by another worker are
        skipped, not waited on. Rows whose lease ran out are taken again in the same
        statement when their holder is no longer registered (a live holder's heartbeat
        renews its leases, a silent one's claims come back through the heartbeats, and a
        lease judged by this host's clock could be fooled by another host's); one that
        was attempted under that lease becomes "maybe delivered"."""
        expired = (
            (OutboxMessage.status == SENDING)
            & (OutboxMessage.lease_until < now)
            & or_(
                OutboxMessage.claimed_by.is_(None),
                OutboxMessage.claimed_by.not_in(select(Worker.id)),
            )
        )
        due = (
            select(OutboxMessage.id)
            .where(
                or_(
                    (OutboxMessage.status == PENDING) & (OutboxMessage.next_attempt_at <= now),
                    expired,
                )
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        if channels is not None:
            due = due.where(OutboxMessage.channel.in_(channels))
        doubtful = expired & OutboxMessage.attempted_at.is_not(None)
        statement = (
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(due.scalar_subquery()))
            .values(
                status=SENDING,
                lease_until=now + lease,
                claimed_by=holder,
                attempted_at=None,
                attempts=OutboxMessage.attempts + 1,
                maybe_sent=case((doubtful, true()), else_=OutboxMessage.maybe_sent),
            )
            .returning(OutboxMessage)
            .execution_options(synchronize_session=False)
        )
        rows = list(await self._session.scalars(statement))
        return sorted(rows, key=lambda row: row.id)

    async def next_due(self, channels: list[str]) -> datetime | None:
        """When the earliest queued row of these channels falls due; None: none queued."""
        statement = select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == PENDING, OutboxMessage.channel.in_(channels)
        )
        return await self._session.scalar(statement)

    async def mark_attempted(self, row_ids: list[int], now: datetime) -> None:
        """The platform is about to be called for these rows: from here on a crash
        leaves them "maybe delivered"."""
        if row_ids:
            await self._session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(row_ids), OutboxMessage.status == SENDING)
                .values(attempted_at=now)
            )

    async def maybe_sent_count(self) -> int:
        statement = select(func.count(OutboxMessage.id)).where(OutboxMessage.maybe_sent)
        return int(await self._session.scalar(statement) or 0)

    async def parts_unsent(self, message_id: int, other_than: int) -> int:
        """Rows of the same message (the parts of a long reply) not sent yet, but one."""
        statement = select(func.count(OutboxMessage.id)).where(
            OutboxMessage.message_id == message_id,
            OutboxMessage.id != other_than,
            OutboxMessage.status.in_((PENDING, SENDING)),
        )
        return int(await self._session.scalar(statement) or 0)

    async def fail_unsent_parts(self, message_id: int, other_than: int, error: str) -> None:
        """The rest of a long reply, once one of its parts failed for good: a fragment
        alone would mislead the customer."""
        await self._session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.message_id == message_id,
                OutboxMessage.id != other_than,
                OutboxMessage.status == PENDING,
            )
            .values(status=FAILED, last_error=error, lease_until=None)
        )

    async def mark_sent(self, sent: dict[int, str | None], now: datetime) -> None:
        """Rows the platform accepted, with the ids it gave them, in one statement."""
        if sent:
            await self._update_many(
                sent,
                status=SENT,
                sent_at=now,
                external_id=self._by_id(sent, OutboxMessage.external_id),
                delivery_status=SENT,
                lease_until=None,
                last_error=None,
            )

    async def mark_retry(
        self, retries: dict[int, tuple[datetime, str]], *, count: bool = True
    ) -> None:
        """Rows back to the queue, each due at its own time with its error, in one
        statement; `count=False` for a round that did not call the platform."""
        if not retries:
            return
        values: dict[str, Any] = {
            "status": PENDING,
            "next_attempt_at": self._by_id(
                {key: at for key, (at, _) in retries.items()}, OutboxMessage.next_attempt_at
            ),
            "lease_until": None,
            "last_error": self._by_id(
                {key: error for key, (_, error) in retries.items()}, OutboxMessage.last_error
            ),
        }
        if not count:
            values["attempts"] = OutboxMessage.attempts - 1
        await self._update_many(retries, **values)

    async def mark_failed(self, failures: dict[int, str]) -> None:
        if failures:
            await self._update_many(
                failures,
                status=FAILED,
                delivery_status=FAILED,
                lease_until=None,
                last_error=self._by_id(failures, OutboxMessage.last_error),
            )

    @staticmethod
    def _by_id(values: dict[int, Any], column: Any) -> Any:
        """A column value that differs by row: CASE id WHEN … THEN … END, each value
        bound with the column's own type (UTCDateTime)."""
        if len(set(values.values())) == 1:
            return next(iter(values.values()))
        whens = {row_id: literal(value, column.type) for row_id, value in values.items()}
        return case(whens, value=OutboxMessage.id)

    async def _update_many(self, rows: dict[int, Any], **values: Any) -> None:
        await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(list(rows)))
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def lead_of_sent(
        self, channel: str, external_id: str, *, chat_id: str, purposes: tuple[str, ...]
    ) -> int | None:
        """The lead of the message sent with this platform id (ix_outbox_external), if it
        was sent for one of `purposes`."""
        statement = select(OutboxMessage.lead_id).where(
            OutboxMessage.channel == channel,
            OutboxMessage.external_id == external_id,
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.purpose.in_(purposes),
        )
        return (await self._session.scalars(statement.limit(1))).first()

    async def get(self, row_id: int) -> OutboxMessage | None:
        return await self._session.get(OutboxMessage, row_id)

    async def counts(self) -> dict[str, int]:
        statement = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        return {status: int(count) for status, count in await self._session.execute(statement)}
