"""Two hosts whose clocks differ by minutes: neither takes the other for dead while both
beat, and a holder that falls silent is still found out, by the observer's own clock,
within `dead_after` and one beat. The clocks are callables the test moves; the store is
a real database (SQLite and PostgreSQL through `database_url`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from storage.models import InboundUpdate
from usecases.claims import ClaimKeeper, ClaimTimes, Holder
from usecases.context import AppContext
from usecases.inbox import store_inbound

TIMES = ClaimTimes(
    beat_every=timedelta(seconds=2),
    dead_after=timedelta(seconds=10),
    inbox_lease=timedelta(seconds=30),
    outbox_lease=timedelta(seconds=30),
)
START = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


class Wall:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def _keeper(ctx: AppContext, name: str, wall: Wall) -> ClaimKeeper:
    holder = Holder(id=name, host=f"host-{name}", pid=1, pid_started=None, role="all")
    return ClaimKeeper(ctx, holder, TIMES, alive=lambda pid, started: True, wall=wall)


async def _claimed_by(ctx: AppContext) -> list[str | None]:
    async with ctx.db.session_factory() as session:
        rows = await session.scalars(select(InboundUpdate).order_by(InboundUpdate.id))
        return [row.claimed_by if row.status == "processing" else None for row in rows]


async def test_hosts_with_skewed_clocks_keep_each_others_claims_until_one_falls_silent(
    ctx: AppContext,
) -> None:
    behind, ahead = Wall(START), Wall(START + timedelta(minutes=7))
    slow, fast = _keeper(ctx, "slow", behind), _keeper(ctx, "fast", ahead)
    await slow.register()
    await fast.register()
    assert await store_inbound(ctx, "telegram", "1", '{"update_id": 1}')
    async with ctx.db.uow() as uow:
        claimed = await uow.inbox.claim(["telegram"], ctx.clock.now(), 1, TIMES.inbox_lease, "slow")
        await uow.commit()
    assert len(claimed) == 1

    # A minute of beats on both hosts: the fast host sees the slow one's beats seven
    # minutes old by its clock, and must not take that for silence.
    for _ in range(30):
        behind.at += TIMES.beat_every
        ahead.at += TIMES.beat_every
        await slow.beat()
        await fast.beat()
    assert await _claimed_by(ctx) == ["slow"]

    # The slow host stops beating; the fast one finds it out by its own clock.
    rescued_at = None
    for step in range(1, 20):
        ahead.at += TIMES.beat_every
        await fast.beat()
        if await _claimed_by(ctx) == [None]:
            rescued_at = step * TIMES.beat_every
            break
    assert rescued_at is not None, "the silent holder's claim was never taken back"
    assert TIMES.dead_after < rescued_at <= TIMES.dead_after + 2 * TIMES.beat_every


async def test_a_lease_judged_by_a_clock_ahead_leaves_a_live_holders_claim_alone(
    ctx: AppContext,
) -> None:
    """The inbox worker gives back expired leases by its own clock before it claims; a
    host seven minutes ahead sees every lease of the others run out."""
    slow = _keeper(ctx, "slow", Wall(START))
    await slow.register()
    assert await store_inbound(ctx, "telegram", "1", '{"update_id": 1}')
    async with ctx.db.uow() as uow:
        await uow.inbox.claim(["telegram"], ctx.clock.now(), 1, TIMES.inbox_lease, "slow")
        await uow.commit()
    ahead = ctx.clock.now() + timedelta(minutes=7)
    async with ctx.db.uow() as uow:
        assert await uow.inbox.release_expired(ahead) == 0
        await uow.commit()
    assert await _claimed_by(ctx) == ["slow"]

    # A holder nobody knows any more (taken for dead, its row forgotten): the lease is
    # the backstop.
    async with ctx.db.uow() as uow:
        await uow.workers.forget(["slow"])
        assert await uow.inbox.release_expired(ahead) == 1
        await uow.commit()
    assert await _claimed_by(ctx) == [None]


async def test_an_outbox_lease_judged_by_a_clock_ahead_leaves_a_live_holders_claim_alone(
    ctx: AppContext,
) -> None:
    slow = _keeper(ctx, "slow", Wall(START))
    await slow.register()
    async with ctx.db.uow() as uow:
        await uow.outbox.add(
            channel="telegram",
            chat_id="5",
            purpose="ack",
            payload={"text": "Здравствуйте"},
            now=ctx.clock.now(),
        )
        await uow.commit()
    async with ctx.db.uow() as uow:
        held = await uow.outbox.claim_due(ctx.clock.now(), 10, TIMES.outbox_lease, "slow")
        await uow.commit()
    assert len(held) == 1
    ahead = ctx.clock.now() + timedelta(minutes=7)
    async with ctx.db.uow() as uow:
        assert await uow.outbox.claim_due(ahead, 10, TIMES.outbox_lease, "fast") == []
        await uow.workers.forget(["slow"])
        taken = await uow.outbox.claim_due(ahead, 10, TIMES.outbox_lease, "fast")
        await uow.commit()
    assert [row.claimed_by for row in taken] == ["fast"]
