"""Who holds which queued rows, and taking them back from holders that are gone.

Taken from the trusted job queues: like Oban's Lifeline and procrastinate's stalled-job
retry, a claimed row names its holder and every holder beats a heartbeat in a table, so
a dead holder's rows are rescued as soon as its heartbeat goes missing, not when a long
lease runs out; like Sidekiq's reliable fetch, a process that starts looks for the
claims of its dead predecessors on the same host (its pid is gone) and takes them back
at once; and a clean stop hands its unfinished claims back before exiting.

Heartbeats run on the real wall clock, never the business clock that tests move. Each
process judges another's heartbeat by its own clock only: a beat is stale when its value
has not changed for `dead_after` since this process first saw it, so two hosts whose
clocks differ by minutes never take each other for dead (comparing a beat written by
one clock with the time of another would); the price is up to one beat interval more
before a silent holder on another host is found out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from usecases.context import AppContext

log = logging.getLogger(__name__)

# (host, pid, pid_started) → is that process still running? Only asked for holders on
# this process's own host.
ProcessAlive = Callable[[int, str | None], bool]


@dataclass(frozen=True)
class Holder:
    id: str
    host: str
    pid: int
    pid_started: str | None
    role: str


@dataclass(frozen=True)
class ClaimTimes:
    beat_every: timedelta
    # A holder that has not beaten for this long is taken for dead.
    dead_after: timedelta
    inbox_lease: timedelta
    outbox_lease: timedelta


def wall_clock() -> datetime:
    return datetime.now(UTC)


class ClaimKeeper:
    def __init__(
        self,
        ctx: AppContext,
        holder: Holder,
        times: ClaimTimes,
        alive: ProcessAlive,
        wall: Callable[[], datetime] = wall_clock,
    ) -> None:
        self._ctx = ctx
        self.holder = holder
        self._times = times
        self._alive = alive
        self._wall = wall
        self._last_beat: datetime | None = None
        self._steady_since: datetime | None = None
        # holder id -> (its beat as last read, when this process first read that value)
        self._seen_beats: dict[str, tuple[datetime, datetime]] = {}

    async def register(self) -> int:
        """Join the holders and take back at once what dead predecessors held."""
        holder = self.holder
        async with self._ctx.db.uow() as uow:
            await uow.workers.register(
                holder.id,
                host=holder.host,
                pid=holder.pid,
                pid_started=holder.pid_started,
                role=holder.role,
                now=self._wall(),
            )
            await uow.commit()
        self._note_beat(self._wall())
        return await self.rescue()

    async def beat(self) -> None:
        """One heartbeat: say this holder is alive, move its leases on, rescue the dead."""
        wall, now = self._wall(), self._ctx.clock.now()
        async with self._ctx.db.uow() as uow:
            if not await uow.workers.beat(self.holder.id, wall):
                # Taken for dead during a long pause; its claims may be in other hands now.
                log.warning("heartbeat of %s was missing; registering again", self.holder.id)
                await uow.workers.register(
                    self.holder.id,
                    host=self.holder.host,
                    pid=self.holder.pid,
                    pid_started=self.holder.pid_started,
                    role=self.holder.role,
                    now=wall,
                )
            await uow.workers.renew(
                self.holder.id, now, self._times.inbox_lease, self._times.outbox_lease
            )
            await uow.commit()
        self._note_beat(wall)
        await self.rescue()

    def _note_beat(self, wall: datetime) -> None:
        gap = self._times.dead_after / 2
        if self._last_beat is None or wall - self._last_beat > gap:
            self._steady_since = wall
        self._last_beat = wall

    def _steady(self, wall: datetime) -> bool:
        """Only a holder that has itself beaten without a gap for `dead_after` may judge
        others by their beats: after a database outage every beat is old at once."""
        return self._steady_since is not None and wall - self._steady_since >= (
            self._times.dead_after
        )

    def _silent_for(self, holder_id: str, beat_at: datetime, wall: datetime) -> timedelta:
        """How long, by this process's clock, the holder's beat has stood still; zero
        until this process has beaten steadily itself (after an outage every beat
        looks old at once)."""
        seen = self._seen_beats.get(holder_id)
        if seen is None or seen[0] != beat_at:
            self._seen_beats[holder_id] = (beat_at, wall)
            return timedelta(0)
        if not self._steady(wall):
            return timedelta(0)
        return wall - seen[1]

    def _forget_seen(self, present: set[str]) -> None:
        for holder_id in list(self._seen_beats):
            if holder_id not in present:
                del self._seen_beats[holder_id]

    async def rescue(self) -> int:
        """Give back the claims of holders that are gone; how many rows returned."""
        wall = self._wall()
        async with self._ctx.db.uow() as uow:
            gone = []
            others = await uow.workers.others(self.holder.id)
            for other in others:
                if other.host == self.holder.host and not self._alive(other.pid, other.pid_started):
                    gone.append(other)
                elif self._silent_for(other.id, other.beat_at, wall) > self._times.dead_after:
                    gone.append(other)
            self._forget_seen({other.id for other in others} - {w.id for w in gone})
            if not gone:
                return 0
            ids = [worker.id for worker in gone]
            inbound, outbound, doubtful = await uow.workers.give_back(ids, self._ctx.clock.now())
            await uow.workers.forget(ids)
            await uow.commit()
        for worker in gone:
            log.warning(
                "holder %s (%s pid %s, last beat %s) is gone; its claims are taken back",
                worker.id,
                worker.host,
                worker.pid,
                worker.beat_at.isoformat(timespec="seconds"),
            )
        if inbound or outbound:
            log.warning(
                "taken back %d inbound and %d outbound rows (%d of them may have been "
                "delivered already and are sent again)",
                inbound,
                outbound,
                doubtful,
            )
            self._ctx.wake("inbox")
            self._ctx.wake("outbox")
        return inbound + outbound

    async def give_back_own(self) -> tuple[int, int]:
        """A clean stop: what this process still holds returns to the queue at once."""
        async with self._ctx.db.uow() as uow:
            inbound, outbound, _ = await uow.workers.give_back(
                [self.holder.id], self._ctx.clock.now()
            )
            await uow.workers.forget([self.holder.id])
            await uow.commit()
        if inbound or outbound:
            log.info("handed back %d inbound and %d outbound claims", inbound, outbound)
        return inbound, outbound
