"""The one escalation use case through the path that lacked a test: an overdue complaint
reaches the head once, under the outbox key it always had."""

from __future__ import annotations

from datetime import timedelta

from domain.clock import ManualClock
from tests.support.capture import inbound
from tests.support.team import HEAD, sent_to
from usecases.capture import capture
from usecases.complaints import escalate_overdue, open_from_customer
from usecases.context import AppContext


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
