"""Reports over a history built by the real use cases (real database, a moved clock):
known numbers, /report's text and chart in the outbox, and the JSON."""

from __future__ import annotations

import base64
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from config.business import ConfigError, parse_config
from domain.clock import ManualClock
from storage.models import OutboxMessage
from tests.support.capture import inbound
from tests.support.team import (
    HEAD,
    JUNIOR,
    MONDAY_10,
    SENIOR,
    TEAM_CONFIG,
    lead_row,
    manager_ids,
)
from usecases import assignment, reassign, work
from usecases.assignment import Verdict
from usecases.capture import capture
from usecases.context import AppContext
from usecases.report_chat import send_report
from usecases.report_load import load_report, period_of, report_as_json
from usecases.team import reconcile_team

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def day(ctx: AppContext, clock: ManualClock) -> dict[str, int]:
    """Monday: three leads worked by Sergey (senior) and Julia (junior), in UTC.

    1. a tender, offered to Sergey at 10:00, accepted 10:02, answered 10:10, won at 11:00;
    2. offered to Julia at 10:00, expired at 10:06, Sergey accepted 10:07, answered 10:20,
       lost on price at 10:30;
    3. offered to Julia at 10:30, accepted 10:31, silent: the head gave it to Sergey at
       11:10 (the 30 min SLA had run out at 11:00 with Julia), Sergey answered at 11:15.
    """
    ctx.config = parse_config(TEAM_CONFIG)
    clock.set(MONDAY_10)
    await reconcile_team(ctx)
    ids = await manager_ids(ctx)
    tender = await capture(ctx, inbound(user=1, text="Участвуем в тендере", source="ad"))
    second = await capture(ctx, inbound(user=2, text="Сколько стоит?"))
    assert (await lead_row(ctx, second.lead_id)).offered_manager_id == ids[JUNIOR]
    clock.advance(timedelta(minutes=2))
    assert await assignment.accept(ctx, tender.lead_id, SENIOR) is Verdict.DONE
    clock.set(MONDAY_10 + timedelta(minutes=6))
    assert await assignment.expire_offers(ctx) == 1
    assert (await lead_row(ctx, second.lead_id)).offered_manager_id == ids[SENIOR]
    clock.set(MONDAY_10 + timedelta(minutes=7))
    assert await assignment.accept(ctx, second.lead_id, SENIOR) is Verdict.DONE
    clock.set(MONDAY_10 + timedelta(minutes=10))
    await work.reply(ctx, tender.lead_id, SENIOR, "Добрый день")
    clock.set(MONDAY_10 + timedelta(minutes=15))
    await work.move_stage(ctx, tender.lead_id, SENIOR, "contacted")
    clock.set(MONDAY_10 + timedelta(minutes=20))
    await work.reply(ctx, second.lead_id, SENIOR, "Цена 5000")
    clock.set(MONDAY_10 + timedelta(minutes=30))
    await work.close(ctx, second.lead_id, SENIOR, "lost", reason="price")
    third = await capture(ctx, inbound(user=3, text="Вопрос по доставке", channel="vk"))
    assert (await lead_row(ctx, third.lead_id)).offered_manager_id == ids[JUNIOR]
    clock.set(MONDAY_10 + timedelta(minutes=31))
    assert await assignment.accept(ctx, third.lead_id, JUNIOR) is Verdict.DONE
    clock.set(MONDAY_10 + timedelta(hours=1))
    assert await work.close(ctx, tender.lead_id, SENIOR, "won") is Verdict.DONE
    clock.set(MONDAY_10 + timedelta(minutes=70))
    assert await reassign.head_assign(ctx, third.lead_id, HEAD, ids[SENIOR]) is Verdict.DONE
    clock.set(MONDAY_10 + timedelta(minutes=75))
    await work.reply(ctx, third.lead_id, SENIOR, "Доставим завтра")
    clock.set(MONDAY_10 + timedelta(hours=2))
    return {
        "tender": tender.lead_id,
        "second": second.lead_id,
        "third": third.lead_id,
        "sergey": ids[SENIOR],
        "julia": ids[JUNIOR],
    }


async def test_numbers_of_a_day_built_by_the_use_cases(
    ctx: AppContext, day: dict[str, int]
) -> None:
    report = await load_report(ctx, period_of(ctx, "today"))
    team = report.team
    assert team.leads == 3 and dict(team.by_channel) == {"telegram": 2, "vk": 1}
    assert dict(team.by_source) == {"ad": 1, "telegram": 1, "vk": 1}
    assert [s.reached for s in team.funnel.steps] == [3, 1, 1, 1, 1]
    assert (team.funnel.won, team.funnel.lost, team.funnel.open) == (1, 1, 1)
    # The customers waited 10, 20 and 45 minutes.
    assert (team.first_response.count, team.first_response.median) == (3, 1200)
    sergey, julia = report.managers[day["sergey"]], report.managers[day["julia"]]
    # Sergey from the moment each lead was his: 10, 14 and 5 minutes.
    assert sergey.first_response.median == 600 and sergey.first_response.count == 3
    assert (julia.offers.offered, julia.offers.expired, julia.offers.accepted) == (2, 1, 1)
    assert julia.offers.accept_time.median == 60
    assert (team.sla.first_response.met, team.sla.first_response.breached) == (2, 1)
    [breach] = team.sla.breaches
    assert (breach.lead_id, breach.manager_id) == (day["third"], day["julia"])
    assert (team.outcomes.won, team.outcomes.lost, team.outcomes.reasons) == (1, 1, (("price", 1),))
    assert report.managers[day["sergey"]].funnel.leads == 3  # the reassigned one is his now
    assert dict(team.in_stage_now) == {"new": 1}

    mine = await load_report(ctx, period_of(ctx, "today"), manager_id=day["julia"])
    assert set(mine.managers) == {day["julia"]} and mine.team.leads == 0
    assert mine.team.sla.first_response.breached == 1

    data = await report_as_json(ctx, period_of(ctx, "week"))
    assert data["period"]["first_day"] == "2026-01-05" and data["period"]["name"] == "week"
    assert data["team"]["first_response"]["median_seconds"] == 1200
    names = {row["name"] for row in data["managers"]}
    assert {"Sergey", "Julia"} <= names


async def outbox_to(ctx: AppContext, chat: int) -> list[OutboxMessage]:
    async with ctx.db.session_factory() as session:
        statement = select(OutboxMessage).where(OutboxMessage.chat_id == str(chat))
        return list(await session.scalars(statement.order_by(OutboxMessage.id)))


async def test_report_command_queues_a_text_and_a_chart(
    ctx: AppContext, day: dict[str, int]
) -> None:
    assert await send_report(ctx, HEAD, "today") is True
    text, photo = [row for row in await outbox_to(ctx, HEAD) if row.purpose == "report"]
    assert "Отчёт команды" in text.payload["text"] and "Sergey" in text.payload["text"]
    assert "Julia" in text.payload["text"] and "Дорого 1" in text.payload["text"]
    assert base64.b64decode(photo.payload["photo_png_b64"]).startswith(PNG_MAGIC)
    assert "Воронка" in photo.payload["text"]

    # A manager sees his own numbers only.
    assert await send_report(ctx, JUNIOR, "week") is True
    own, chart = [row for row in await outbox_to(ctx, JUNIOR) if row.purpose == "report"]
    assert "Ваши показатели" in own.payload["text"] and "Sergey" not in own.payload["text"]
    assert base64.b64decode(chart.payload["photo_png_b64"]).startswith(PNG_MAGIC)

    # A period that does not exist gets the usage, and a stranger gets nothing.
    assert await send_report(ctx, SENIOR, "fortnight") is True
    [usage] = [row for row in await outbox_to(ctx, SENIOR) if row.purpose == "report"]
    assert "/report today" in usage.payload["text"]
    assert await send_report(ctx, 555, "today") is False
    assert await outbox_to(ctx, 555) == []


@pytest.mark.parametrize(
    ("given", "expected"),
    [("07:30", time(7, 30)), (570, time(9, 30)), ("off", None), (None, None)],
)
def test_digest_time_in_the_config(given: object, expected: time | None) -> None:
    # YAML 1.1 reads an unquoted 9:30 as 570 (minutes): it means 09:30 all the same.
    assert parse_config({"reports": {"digest_time": given}}).reports.digest_time == expected
    assert parse_config({}).reports.digest_time == time(9, 0)


def test_a_bad_digest_time_is_named() -> None:
    with pytest.raises(ConfigError, match=r"reports.digest_time: expected a time like 09:00"):
        parse_config({"reports": {"digest_time": "25:00"}})
