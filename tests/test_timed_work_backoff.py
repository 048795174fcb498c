"""Timed work that fails for one item backs off and stops: a follow-up step, a lead's SLA
timers and an expiring offer are tried a bounded number of times, each later than the one
before (movable clock), then kept failed with their error, while the others go on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from domain.clock import ManualClock
from storage.models import FollowupStep, Lead, LeadEvent, Manager
from tests.support.capture import inbound
from usecases import assignment, followups, timers
from usecases.capture import capture
from usecases.context import AppContext
from usecases.retry_policy import TIMED_WORK

ATTEMPTS = TIMED_WORK.max_attempts


def test_policy_doubles_and_gives_up() -> None:
    assert [TIMED_WORK.delay(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert TIMED_WORK.delay(50) == timedelta(hours=1)
    assert TIMED_WORK.next_attempt(ATTEMPTS, ManualClock().now()) is None


async def _lead(ctx: AppContext, user: int) -> int:
    result = await capture(ctx, inbound(user=user, name=f"Клиент {user}", text="Сколько стоит?"))
    assert result.lead_id is not None
    return result.lead_id


async def _drive(clock: ManualClock, work, rounds: int = 30) -> list[int]:  # type: ignore[no-untyped-def]
    """Run `work` many times at each moment (a hot loop would show), then an hour later."""
    handled = []
    for _ in range(rounds):
        for _ in range(5):
            handled.append(await work())
        clock.advance(timedelta(hours=1))
    return handled


async def test_failing_followup_step_backs_off_then_is_kept_failed(
    ctx: AppContext, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead_id = await _lead(ctx, 1)
    async with ctx.db.uow() as uow:
        lead = await uow.leads.get(lead_id)
        assert lead is not None
        for step, sequence in enumerate(("broken", "fine")):
            await uow.steps.schedule(
                sequence=sequence,
                step=step,
                trigger_key="t",
                lead_id=lead_id,
                contact_id=lead.contact_id,
                due_at=clock.now(),
                created_at=clock.now(),
            )
        await uow.commit()
    calls: list[str] = []
    original = followups._handle

    async def handle(ctx_, uow, row, now):  # type: ignore[no-untyped-def]
        calls.append(row.sequence)
        if row.sequence == "broken":
            raise RuntimeError("template exploded")
        await original(ctx_, uow, row, now)

    monkeypatch.setattr(followups, "_handle", handle)
    await _drive(clock, lambda: followups.dispatch_due(ctx))
    assert calls.count("broken") == ATTEMPTS
    assert calls.count("fine") == 1
    async with ctx.db.session_factory() as session:
        steps = {s.sequence: s for s in await session.scalars(select(FollowupStep))}
    assert steps["broken"].status == "failed" and steps["broken"].attempts == ATTEMPTS
    assert steps["broken"].note == "RuntimeError: template exploded"
    assert steps["fine"].status != "pending"


async def test_failing_lead_timers_back_off_and_do_not_block_others(
    ctx: AppContext, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken, fine = await _lead(ctx, 1), await _lead(ctx, 2)
    tried: list[int] = []
    original = timers._fire_due

    async def fire(ctx_, uow, lead, policy, now):  # type: ignore[no-untyped-def]
        tried.append(lead.id)
        if lead.id == broken:
            raise RuntimeError("clock of lead broken")
        return await original(ctx_, uow, lead, policy, now)

    monkeypatch.setattr(timers, "_fire_due", fire)
    async with ctx.db.uow() as uow:
        for lead_id in (broken, fine):
            lead = await uow.leads.get(lead_id)
            assert lead is not None
            lead.next_timer_at = clock.now()
        await uow.commit()
    await _drive(clock, lambda: timers.check_timers(ctx))
    assert tried.count(broken) == ATTEMPTS
    assert fine in tried
    async with ctx.db.session_factory() as session:
        lead = await session.get(Lead, broken)
        events = list(await session.scalars(select(LeadEvent).where(LeadEvent.lead_id == broken)))
    assert lead is not None and lead.next_timer_at is None and lead.timer_failures == ATTEMPTS
    [failed] = [e for e in events if e.type == "timer_failed"]
    assert failed.data == {"error": "RuntimeError: clock of lead broken"}


async def test_failing_offer_expiry_backs_off_then_gives_up(
    ctx: AppContext, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead_id = await _lead(ctx, 1)
    tried: list[int] = []

    async def expire(ctx_, uow, lead, now):  # type: ignore[no-untyped-def]
        tried.append(lead.id)
        raise LookupError("offered manager is gone")

    monkeypatch.setattr(assignment, "_expire_offer", expire)
    async with ctx.db.session_factory() as session:
        manager = Manager(
            telegram_id=77, name="Ушедший", created_at=clock.now(), updated_at=clock.now()
        )
        session.add(manager)
        await session.flush()
        lead = await session.get(Lead, lead_id)
        assert lead is not None
        lead.offered_manager_id, lead.offer_expires_at = manager.id, clock.now()
        await session.commit()
    await _drive(clock, lambda: assignment.expire_offers(ctx))
    assert len(tried) == ATTEMPTS
    async with ctx.db.session_factory() as session:
        lead = await session.get(Lead, lead_id)
    assert lead is not None and lead.offer_expires_at is None and lead.offer_failures == ATTEMPTS


async def test_failing_distribution_backs_off_and_others_are_distributed(
    team: AppContext,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    team.distribute_after_capture = False
    broken, fine = await _lead(team, 1), await _lead(team, 2)
    tried: list[int] = []
    original = assignment._hand_over

    async def hand_over(ctx_, uow, lead, manager, now):  # type: ignore[no-untyped-def]
        tried.append(lead.id)
        await original(ctx_, uow, lead, manager, now)  # its writes are rolled back below
        if lead.id == broken:
            raise RuntimeError("card of lead broken")

    monkeypatch.setattr(assignment, "_hand_over", hand_over)
    # The broken lead is first in line (older): it must not stop the fine one.
    assert await assignment.distribute_waiting(team) == 1
    async with team.db.session_factory() as session:
        first, second = await session.get(Lead, broken), await session.get(Lead, fine)
    assert first is not None and second is not None
    assert second.offered_manager_id is not None and second.distribution_failures == 0
    # Nothing of the failed attempt was kept: no offer, no event, the manager's turn intact.
    assert first.offered_manager_id is None and first.distribution_failures == 1
    assert first.next_distribution_at == clock.now() + TIMED_WORK.delay(1)
    with caplog.at_level("WARNING"):  # (records of the first attempt are kept too)
        await _drive(team.clock, lambda: assignment.distribute_waiting(team))  # type: ignore[arg-type]
    assert tried.count(broken) == ATTEMPTS and tried.count(fine) == 1
    async with team.db.session_factory() as session:
        lead = await session.get(Lead, broken)
        events = list(await session.scalars(select(LeadEvent).where(LeadEvent.lead_id == broken)))
    assert lead is not None and lead.needs_head and lead.distribution_failures == ATTEMPTS
    assert [e.type for e in events].count("offered") == 0
    [failed] = [e for e in events if e.type == "distribution_failed"]
    assert failed.data == {"error": "RuntimeError: card of lead broken"}
    # One line per attempt, not a traceback per round.
    lines = [r for r in caplog.records if f"lead {broken}: distribution" in r.getMessage()]
    assert len(lines) == ATTEMPTS


async def test_a_lead_distributed_after_a_failure_starts_afresh(
    team: AppContext, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    team.distribute_after_capture = False
    lead_id = await _lead(team, 1)
    original = assignment._hand_over
    failures = [RuntimeError("once")]

    async def hand_over(ctx_, uow, lead, manager, now):  # type: ignore[no-untyped-def]
        if failures:
            raise failures.pop()
        await original(ctx_, uow, lead, manager, now)

    monkeypatch.setattr(assignment, "_hand_over", hand_over)
    assert await assignment.distribute_waiting(team) == 0
    assert await assignment.distribute_waiting(team) == 0  # still backing off
    clock.advance(TIMED_WORK.delay(1))
    assert await assignment.distribute_waiting(team) == 1
    async with team.db.session_factory() as session:
        lead = await session.get(Lead, lead_id)
    assert lead is not None and lead.offered_manager_id is not None
    assert lead.distribution_failures == 0 and lead.next_distribution_at is None
