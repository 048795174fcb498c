"""What the channels' own work says about their health, and what the health rows say to
readers (/healthz, /metrics, the dashboard).

Polling loops note each round (`note_poll`), the outbox notes sends the platform refused
for the channel's credentials and the sends that went through (`note_sends`). A change is
written at once, the same word again at most once a minute (so that a note cleared by
another process's start comes back), so that the hot paths add next to no writes. A note
that cannot be written is only logged: health must never stop the work it watches."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.uow import UnitOfWork
from usecases.context import AppContext
from usecases.ports import SendResult, SendStatus

log = logging.getLogger(__name__)
OK_EVERY = timedelta(minutes=1)
_CACHE = "channel_signals"


class _Written:
    """What this process last wrote per (channel, kind), to skip repeats."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, str], tuple[str | None, datetime]] = {}

    def due(self, channel: str, kind: str, error: str | None, now: datetime) -> bool:
        last = self._last.get((channel, kind))
        if last is None or last[0] != error:
            return True
        return now - last[1] >= OK_EVERY

    def wrote(self, channel: str, kind: str, error: str | None, now: datetime) -> None:
        self._last[(channel, kind)] = (error, now)


def _written(ctx: AppContext) -> _Written:
    found = ctx.caches.get(_CACHE)
    if not isinstance(found, _Written):
        found = ctx.caches[_CACHE] = _Written()
    return found


async def _note(uow: UnitOfWork, channel: str, kind: str, now: datetime, error: str | None) -> None:
    await uow.channel_health.ensure(channel, now)
    await uow.channel_health.note(channel, kind, now, error)


async def note_poll(ctx: AppContext, channel: str, error: str | None) -> None:
    """A polling round of `channel` went well (None) or failed with these words."""
    now = ctx.clock.now()
    written = _written(ctx)
    if not written.due(channel, "poll", error, now):
        return
    try:
        async with ctx.db.uow() as uow:
            await _note(uow, channel, "poll", now, error)
            await uow.commit()
    except Exception as exc:
        log.warning("%s: the polling health note was not written (%s)", channel, exc)
        return
    written.wrote(channel, "poll", error, now)


async def note_sends(
    ctx: AppContext, uow: UnitOfWork, results: Iterable[tuple[str, SendResult]], now: datetime
) -> None:
    """Within the outbox's own transaction: per channel, a refusal of its credentials in
    this batch, else a send that went through."""
    outcome: dict[str, str | None] = {}
    for channel, result in results:
        if result.refused:
            outcome[channel] = result.error or "refused"
        elif result.status is SendStatus.SENT:
            outcome.setdefault(channel, None)
    written = _written(ctx)
    for channel, error in outcome.items():
        if written.due(channel, "send", error, now):
            await _note(uow, channel, "send", now, error)
            written.wrote(channel, "send", error, now)


STARTED = "watchdog_started_at"


async def start_watching(ctx: AppContext, not_polling: Iterable[str]) -> None:
    """At start. A polling error of a channel that no longer polls is stale (its mode was
    changed). Nothing else is forgotten here, so that an outage that still lasts is not
    taken for a recovery before the loops speak again: a polling loop clears its note by
    its next good round; a send refusal noted before this start is dropped once the
    channel's probe finds its credentials accepted (the settings may have been fixed)."""
    ctx.caches[STARTED] = ctx.clock.now()
    async with ctx.db.uow() as uow:
        for channel in not_polling:
            await uow.channel_health.save(channel, poll_error=None)
        await uow.commit()


@dataclass(frozen=True)
class ChannelState:
    channel: str
    status: str  # ok, failing, unknown (not probed yet)
    problem: str | None
    detail: str
    failing_since: datetime | None
    alerted: bool
    outages: int
    probed_at: datetime | None
    ok_at: datetime | None
    poll_ok_at: datetime | None
    send_ok_at: datetime | None
    repaired: str
    repaired_at: datetime | None
    last_inbound_at: datetime | None

    def as_json(self) -> dict[str, object]:
        def when(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {
            "status": self.status,
            "problem": self.problem,
            "detail": self.detail or None,
            "failing_since": when(self.failing_since),
            "alerted": self.alerted,
            "probed_at": when(self.probed_at),
            "last_poll_at": when(self.poll_ok_at),
            "last_send_at": when(self.send_ok_at),
            "last_inbound_at": when(self.last_inbound_at),
            "repaired": self.repaired or None,
            "repaired_at": when(self.repaired_at),
        }


async def channel_states(
    ctx: AppContext, channels: Iterable[str] | None = None
) -> list[ChannelState]:
    """Every watched channel as its row says (those in `channels` only, when given)."""
    wanted = set(channels) if channels is not None else None
    async with ctx.db.uow() as uow:
        rows = await uow.channel_health.all()
        inbound = await uow.channel_health.last_inbound()
    states = []
    for row in rows:
        if wanted is not None and row.channel not in wanted:
            continue
        if row.problem:
            status = "failing"
        elif row.probed_at is None:
            status = "unknown"
        else:
            status = "ok"
        states.append(
            ChannelState(
                channel=row.channel,
                status=status,
                problem=row.problem,
                detail=row.detail,
                failing_since=row.failing_since,
                alerted=row.alerted,
                outages=row.outages,
                probed_at=row.probed_at,
                ok_at=row.ok_at,
                poll_ok_at=row.poll_ok_at,
                send_ok_at=row.send_ok_at,
                repaired=row.repaired,
                repaired_at=row.repaired_at,
                last_inbound_at=inbound.get(row.channel),
            )
        )
    return states
