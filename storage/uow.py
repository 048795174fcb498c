"""Unit of work: one transaction, explicit commit, rollback on anything else."""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime
from types import TracebackType
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.door import DoorRow, DoorWriter
from storage.repos.business import BusinessConnectionRepo
from storage.repos.channels import DeliveryRepo, MailboxRepo, MailThreadRepo, MergeRepo
from storage.repos.complaints import ComplaintRepo
from storage.repos.contacts import ContactRepo, IdentityRepo
from storage.repos.followups import StepRepo, SurveyRepo
from storage.repos.gates import ChecklistRepo
from storage.repos.health import ChannelHealthRepo
from storage.repos.inbox import InboxRepo, inbound_insert
from storage.repos.leads import EventRepo, LeadRepo
from storage.repos.messages import MessageRepo
from storage.repos.metrics import MetricsRepo
from storage.repos.next_steps import NextStepRepo, StepTimerRepo
from storage.repos.outbox import OutboxRepo
from storage.repos.quality import QualityRepo
from storage.repos.receipts import ReceiptRepo
from storage.repos.reports import ReportRepo
from storage.repos.search import MessageSearch
from storage.repos.team import AlertRepo, InviteRepo, ManagerRepo, OfferRepo
from storage.repos.terms import TermRequestRepo
from storage.repos.web import WebLoginRepo
from storage.repos.workers import WorkerRepo
from storage.repos.workload import WorkloadRepo

# A unique constraint was hit: another transaction got there first.
ConflictError = IntegrityError

# The batch whose transaction this task is in (storage/batch.py): while it is set, every
# unit of work opened here joins it instead of opening a transaction of its own.
AMBIENT_BATCH: ContextVar[Any] = ContextVar("ambient_batch", default=None)


class WriterLock(asyncio.Lock):
    """SQLite's in-process writer queue, which also tells how long its oldest waiter has
    waited: a batch holding it (storage/batch.py) commits early for a webhook's write."""

    def __init__(self) -> None:
        super().__init__()
        self._waiting_since: list[float] = []

    async def acquire(self) -> bool:
        if not self.locked():
            return await super().acquire()
        since = time.monotonic()
        self._waiting_since.append(since)
        try:
            return await super().acquire()
        finally:
            self._waiting_since.remove(since)

    def longest_wait(self) -> float:
        return time.monotonic() - self._waiting_since[0] if self._waiting_since else 0.0


class UnitOfWork:
    contacts: ContactRepo
    identities: IdentityRepo
    leads: LeadRepo
    events: EventRepo
    messages: MessageRepo
    outbox: OutboxRepo
    receipts: ReceiptRepo
    mailboxes: MailboxRepo
    mail_threads: MailThreadRepo
    deliveries: DeliveryRepo
    merges: MergeRepo
    managers: ManagerRepo
    offers: OfferRepo
    alerts: AlertRepo
    invites: InviteRepo
    steps: StepRepo
    next_steps: NextStepRepo
    step_timers: StepTimerRepo
    checklists: ChecklistRepo
    surveys: SurveyRepo
    complaints: ComplaintRepo
    metrics: MetricsRepo
    inbox: InboxRepo
    reports: ReportRepo
    search: MessageSearch
    workers: WorkerRepo
    business: BusinessConnectionRepo
    web: WebLoginRepo
    workload: WorkloadRepo
    terms: TermRequestRepo
    quality: QualityRepo
    channel_health: ChannelHealthRepo

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        writer_lock: asyncio.Lock | None = None,
        queued: Callable[[datetime], None] | None = None,
    ) -> None:
        self._factory = session_factory
        self._session: AsyncSession | None = None
        self._writer_lock = writer_lock
        self._queued = queued

    async def __aenter__(self) -> UnitOfWork:
        if self._writer_lock is not None:
            await self._writer_lock.acquire()
        self._bind(self._factory())
        return self

    def _bind(self, session: AsyncSession) -> None:
        self._session = session
        self.contacts = ContactRepo(session)
        self.identities = IdentityRepo(session)
        self.leads = LeadRepo(session)
        self.events = EventRepo(session)
        self.messages = MessageRepo(session)
        self.outbox = OutboxRepo(session)
        self.receipts = ReceiptRepo(session)
        self.mailboxes = MailboxRepo(session)
        self.mail_threads = MailThreadRepo(session)
        self.deliveries = DeliveryRepo(session)
        self.merges = MergeRepo(session)
        self.managers = ManagerRepo(session)
        self.offers = OfferRepo(session)
        self.alerts = AlertRepo(session)
        self.invites = InviteRepo(session)
        self.reports = ReportRepo(session)
        self.search = MessageSearch(session)
        self.steps = StepRepo(session)
        self.next_steps = NextStepRepo(session)
        self.step_timers = StepTimerRepo(session)
        self.checklists = ChecklistRepo(session)
        self.surveys = SurveyRepo(session)
        self.complaints = ComplaintRepo(session)
        self.metrics = MetricsRepo(session)
        self.inbox = InboxRepo(session)
        self.workers = WorkerRepo(session)
        self.business = BusinessConnectionRepo(session)
        self.web = WebLoginRepo(session)
        self.workload = WorkloadRepo(session)
        self.terms = TermRequestRepo(session)
        self.quality = QualityRepo(session)
        self.channel_health = ChannelHealthRepo(session)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        try:
            # close() rolls back what was not committed and detaches the loaded objects
            # without expiring them, so results stay readable after the unit of work.
            await self._session.close()
        finally:
            self._session = None
            if self._writer_lock is not None:
                self._writer_lock.release()

    async def commit(self) -> None:
        assert self._session is not None
        await self._session.commit()
        due, self.outbox.queued = self.outbox.queued, None
        if due is not None and self._queued is not None:
            self._queued(due)

    async def ping(self) -> bool:
        assert self._session is not None
        return (await self._session.scalar(text("SELECT 1"))) == 1

    def savepoint(self) -> Any:
        """A nested transaction: a failure inside it rolls back only its own work."""
        assert self._session is not None
        return self._session.begin_nested()

    async def lock(self, name: str, *, wait: bool = False) -> bool:
        """A transaction-scoped singleton lock (PostgreSQL); SQLite's writer lock suffices.
        Without `wait`, False when another transaction holds it; with it, waits for it."""
        assert self._session is not None
        if self._session.bind.dialect.name != "postgresql":
            return True
        key = zlib.crc32(name.encode())
        if wait:
            await self._session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            return True
        statement = text("SELECT pg_try_advisory_xact_lock(:key)")
        return bool(await self._session.scalar(statement, {"key": key}))

    async def flush(self) -> None:
        assert self._session is not None
        await self._session.flush()


class Database:
    """What use cases are given: a way to open units of work."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory
        bind = session_factory.kw.get("bind")
        # SQLite has one writer; queueing here, in order, beats its busy-wait sleeps.
        # (Units of work therefore never nest; inside a batch they join it.)
        self._writer_lock = (
            WriterLock() if bind is not None and bind.dialect.name == "sqlite" else None
        )
        self.door: DoorWriter | None = None
        # Called after a commit that queued outbox rows, with the earliest one's due time:
        # the process wakes its sender, which need not poll for its own process's rows.
        self.outbox_queued: Callable[[datetime], None] | None = None

    def open_door(self, *, window: float, max_rows: int) -> DoorWriter | None:
        """Start the process's group-commit writer; store_inbound goes through it from now.
        None for an SQLite database in memory, which a second connection cannot share."""
        try:
            door = DoorWriter(
                self.session_factory.kw["bind"], self._writer_lock, window=window, max_rows=max_rows
            )
        except ValueError:
            return None
        self.door = door
        door.start()
        return door

    async def close_door(self) -> None:
        """Write what the door holds, then go back to one commit per payload."""
        door, self.door = self.door, None
        if door is not None:
            await door.stop()

    async def store_inbound(self, channel: str, key: str, payload: str, now: datetime) -> bool:
        """The hot path of every webhook: committed with the door's batch when the door is
        open, else one INSERT committed on its own, without an ORM session."""
        if self.door is not None and self.door.running:
            return await self.door.store(DoorRow(channel, key, payload, now))
        statement = inbound_insert(self.session_factory.kw["bind"].dialect.name)
        values = {
            "channel": channel,
            "key": key,
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "received_at": now,
        }
        if self._writer_lock is not None:
            async with self._writer_lock:
                return await self._insert(statement, values)
        return await self._insert(statement, values)

    async def store_inbound_batch(
        self, channel: str, items: list[tuple[str, str]], now: datetime
    ) -> int:
        """A batch of payloads in one multi-row INSERT and one commit; redeliveries skip."""
        if not items:
            return 0
        statement = inbound_insert(self.session_factory.kw["bind"].dialect.name)
        rows = [
            {
                "channel": channel,
                "key": key,
                "payload": payload,
                "status": "pending",
                "attempts": 0,
                "received_at": now,
            }
            for key, payload in items
        ]
        if self._writer_lock is not None:
            async with self._writer_lock:
                return await self._insert_many(statement.values(rows))
        return await self._insert_many(statement.values(rows))

    async def _insert_many(self, statement: Any) -> int:
        async with self.session_factory.kw["bind"].begin() as connection:
            result = await connection.execute(statement)
        return int(result.rowcount or 0)

    async def _insert(self, statement: Any, values: dict[str, Any]) -> bool:
        async with self.session_factory.kw["bind"].begin() as connection:
            result = await connection.execute(statement, values)
        return bool(result.rowcount)

    def uow(self) -> UnitOfWork:
        batch = AMBIENT_BATCH.get()
        if batch is not None:
            return batch.join()  # type: ignore[no-any-return]
        return UnitOfWork(self.session_factory, self._writer_lock, self._outbox_queued)

    def batch(self) -> Any:
        """One transaction for many payloads (storage/batch.py), each in a savepoint."""
        from storage.batch import BatchUnitOfWork

        return BatchUnitOfWork(self.session_factory, self._writer_lock, self._outbox_queued)

    def _outbox_queued(self, due: datetime) -> None:
        if self.outbox_queued is not None:
            self.outbox_queued(due)
