"""A team's first day: /id for anyone, a staff member's /start says his role, managers
removed from the config are retired with their leads handed out again, and follow-up
placeholders never render empty (the config check warns where they cannot be filled)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from config.business import parse_config
from domain.clock import ManualClock
from storage.models import LeadEvent
from tests.emulator.telegram import TelegramEmulator
from tests.support.capture import inbound
from tests.support.service import TOKEN, make_settings, running_service, wait_until
from tests.support.team import JUNIOR, SENIOR, TEAM_CONFIG, lead_row, manager_ids, sent_to
from usecases import assignment
from usecases.capture import capture
from usecases.context import AppContext
from usecases.dashboard import staff_choices
from usecases.followups import dispatch_due
from usecases.team import log_never_started, reconcile_team, team_overview


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


async def test_id_for_anyone_and_start_tells_staff_their_role(
    database_url: str, emulator: TelegramEmulator
) -> None:
    settings = make_settings(database_url, emulator.base_url)
    async with running_service(settings, parse_config(TEAM_CONFIG)) as service:
        assert {"Sergey (id 101)", "Julia (id 102)", "Head (id 900)"} <= set(
            await log_never_started(service.ctx)
        )
        emulator.add_update(emulator.make_text_update(777, "/id"))  # not in the team at all
        emulator.add_update(emulator.make_text_update(SENIOR, "/start"))

        async def answered() -> bool:
            return bool(emulator.sent_messages(777)) and bool(emulator.sent_messages(SENIOR))

        await wait_until(answered)
        assert "777" in str(emulator.sent_messages(777)[-1].params["text"])
        start = str(emulator.sent_messages(SENIOR)[-1].params["text"])
        assert "менеджер" in start and "старший" in start and "senior" not in start
        assert "Sergey (id 101)" not in await log_never_started(service.ctx)


async def test_manager_removed_from_config_is_retired_and_his_leads_handed_out(
    team: AppContext, clock: ManualClock
) -> None:
    result = await capture(team, inbound(user=31, text="Нужна цена"))
    lead = await lead_row(team, result.lead_id)
    ids = await manager_ids(team)
    holder_tg = next(tg for tg, mid in ids.items() if mid == lead.offered_manager_id)
    await assignment.accept(team, lead.id, holder_tg)
    holder_id = ids[holder_tg]

    config: dict[str, Any] = {**TEAM_CONFIG, "team": dict(TEAM_CONFIG["team"])}
    config["team"]["managers"] = [
        m for m in TEAM_CONFIG["team"]["managers"] if m["telegram_id"] != holder_tg
    ]
    team.config = parse_config(config)
    await reconcile_team(team)

    members = {member.telegram_id for member in await team_overview(team)}
    assert holder_tg not in members
    assert holder_id not in {mid for mid, _ in await staff_choices(team)}
    moved = await lead_row(team, lead.id)
    other = SENIOR if holder_tg == JUNIOR else JUNIOR
    assert moved.manager_id != holder_id
    assert moved.offered_manager_id == ids[other] or moved.manager_id == ids[other]
    async with team.db.session_factory() as session:
        from sqlalchemy import select

        kinds = list(
            await session.scalars(select(LeadEvent.type).where(LeadEvent.lead_id == lead.id))
        )
    assert "handed_over" in kinds

    # Back in the config: he is on the team again.
    team.config = parse_config(TEAM_CONFIG)
    await reconcile_team(team)
    assert holder_tg in {member.telegram_id for member in await team_overview(team)}


SEQUENCE = {
    "name": "welcome",
    "marketing": False,
    "trigger": {"event": "lead_created"},
    "steps": [{"delay": "1m", "text": "{customer_name}, на связи {manager_name} из {company}."}],
}


def test_config_check_warns_about_a_placeholder_unknown_when_sent() -> None:
    config = parse_config({**TEAM_CONFIG, "followups": {"sequences": [SEQUENCE]}})
    warnings = config.warnings()
    assert len(warnings) == 1
    assert "{manager_name}" in warnings[0] and "lead_created" in warnings[0]


async def test_placeholders_fall_back_when_nobody_holds_the_lead(
    team: AppContext, clock: ManualClock
) -> None:
    data = {**TEAM_CONFIG, "company": {**TEAM_CONFIG["company"], "name": "Acme"}}
    data["followups"] = {"sequences": [SEQUENCE]}
    data["team"] = {"heads": TEAM_CONFIG["team"]["heads"], "managers": []}
    team.config = parse_config(data)
    await reconcile_team(team)
    message = inbound(user=41, text="Добрый день")
    await capture(team, message)
    clock.advance(timedelta(minutes=2))
    while await dispatch_due(team):
        pass
    texts = [str(row.payload.get("text", "")) for row in await sent_to(team, 41)]
    assert any("на связи ваш менеджер из Acme" in text for text in texts), texts
    assert not any(", на связи  из" in text or text.startswith(",") for text in texts)


async def test_fallbacks_are_in_the_customers_language_and_a_blank_name_is_no_name(
    team: AppContext, clock: ManualClock
) -> None:
    sequence = {
        **SEQUENCE,
        "steps": [{"delay": "1m", "text": "Hi {customer_name}, {manager_name} from {company}."}],
    }
    data = {**TEAM_CONFIG, "company": {**TEAM_CONFIG["company"], "name": "Acme"}}
    data["followups"] = {"sequences": [sequence]}
    data["team"] = {"heads": TEAM_CONFIG["team"]["heads"], "managers": []}
    team.config = parse_config(data)
    await reconcile_team(team)
    # Telegram gives a region with the language, and a name can be only spaces.
    await capture(team, inbound(user=42, text="Hello", name="  ", language="en-GB"))
    clock.advance(timedelta(minutes=2))
    while await dispatch_due(team):
        pass
    texts = [str(row.payload.get("text", "")) for row in await sent_to(team, 42)]
    assert "Hi customer, your manager from Acme." in texts, texts
