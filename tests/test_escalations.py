"""The one escalation use case through the path that lacked a test: an overdue complaint
reaches the head once, under the outbox key it always had."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.clock import ManualClock
from tests.support.capture import inbound
from tests.support.team import HEAD, sent_to
from usecases.capture import capture
from usecases.complaints import escalate_overdue, open_from_customer
from usecases.context import AppContext
from usecases.retry_policy import TIMED_WORK


async def test_overdue_complaint_reaches_the_head_once(
    team: AppContext,
    clock: ManualClock,
) -> None:
    await capture(team, inbound(61, text="Добрый день"))
    complaint_id = await open_from_customer(team, "telegram", "61", "Никто не перезвонил")
    assert complaint_id is not None
    assert await escalate_overdue(team) == 0
    clock.advance(team.config.complaints.deadline + timedelta(minutes=1))
    assert await escalate_overdue(team) == 1
    assert await escalate_overdue(team) == 0
    pings = await sent_to(team, HEAD, "escalation")
    keys = [p.dedupe_key for p in pings if (p.dedupe_key or "").startswith("complaint-overdue")]
    assert len(keys) == 1 and keys[0].startswith(f"complaint-overdue:{complaint_id}:to:")


async def test_one_failing_complaint_backs_off_and_holds_back_no_other(
    team: AppContext, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import usecases.complaint_escalation as module

    await capture(team, inbound(71, text="Добрый день"))
    await capture(team, inbound(72, text="Здравствуйте"))
    broken = await open_from_customer(team, "telegram", "71", "Никто не перезвонил")
    fine = await open_from_customer(team, "telegram", "72", "Заказ потерян")
    assert broken is not None and fine is not None
    clock.advance(team.config.complaints.deadline + timedelta(minutes=1))
    real = module.escalate
    tried: list[int] = []

    async def flaky(ctx: AppContext, uow: Any, escalation: Any, build: Any) -> Any:
        tried.append(escalation.subject_id)
        if escalation.subject_id == broken:
            raise RuntimeError("card cannot be built")
        return await real(ctx, uow, escalation, build)

    monkeypatch.setattr(module, "escalate", flaky)
    assert await escalate_overdue(team) == 1  # the other one went
    assert await escalate_overdue(team) == 0  # waiting out its backoff: not tried again
    assert tried.count(broken) == 1
    async with team.db.uow() as uow:
        history = [event.type for event in await uow.complaints.history(broken)]
        others = [event.type for event in await uow.complaints.history(fine)]
    assert "escalation_failed" in history and "escalated" not in history
    assert "escalated" in others
    monkeypatch.setattr(module, "escalate", real)
    clock.advance(TIMED_WORK.delay(1))
    assert await escalate_overdue(team) == 1
    assert await escalate_overdue(team) == 0
    pings = await sent_to(team, HEAD, "escalation")
    keys = {
        p.dedupe_key.split(":")[1]
        for p in pings
        if (p.dedupe_key or "").startswith("complaint-overdue")
    }
    assert keys == {str(broken), str(fine)}
