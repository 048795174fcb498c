"""The team: invites (single use, expiring), /team overview, (de)activation, pause."""

from __future__ import annotations

from datetime import timedelta

from domain.clock import ManualClock
from tests.support.capture import inbound
from tests.support.team import HEAD, JUNIOR, SENIOR
from usecases.capture import capture
from usecases.context import AppContext
from usecases.staff_views import team_text
from usecases.team import (
    accept_invite,
    create_invite,
    role_of,
    set_active,
    set_paused,
    team_overview,
)


async def test_invite_is_single_use_and_expires(team: AppContext, clock: ManualClock) -> None:
    assert await create_invite(team, SENIOR, "middle") is None  # only heads invite
    token = await create_invite(team, HEAD, "middle")
    assert token
    assert await role_of(team, 555) is None
    assert await accept_invite(team, token, 555, "Новенький", "ru")
    assert await role_of(team, 555) == "manager"
    assert not await accept_invite(team, token, 556, "Второй", "ru")
    late = await create_invite(team, HEAD, "junior")
    clock.advance(timedelta(days=1, minutes=1))
    assert not await accept_invite(team, late, 557, "Опоздал", "ru")
    levels = {m.telegram_id: m.level for m in await team_overview(team)}
    assert levels[555] == "middle" and 557 not in levels


async def test_team_shows_load_and_state_and_deactivation_works(
    team: AppContext,
) -> None:
    await capture(team, inbound(user=1))
    await set_paused(team, JUNIOR, True)
    states = {m.telegram_id: (m.state, m.load) for m in await team_overview(team)}
    assert states[JUNIOR][0] == "paused"
    assert sum(load for _, load in states.values()) == 1  # the offer holds a seat
    text = await team_text(team, "ru")
    assert "Julia" in text and "пауза" in text
    assert await set_active(team, SENIOR, JUNIOR, False) is None  # a manager cannot
    assert await set_active(team, HEAD, JUNIOR, False) == "Julia"
    assert await role_of(team, JUNIOR) is None
    assert await set_active(team, HEAD, JUNIOR, True) == "Julia"
    assert await role_of(team, JUNIOR) == "manager"
