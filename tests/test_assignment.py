"""Assignment, timers and escalation with a clock the test moves (real database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from config.business import parse_config
from domain.clock import ManualClock
from storage.models import Complaint, LeadEvent
from tests.support.capture import inbound
from tests.support.team import (
    HEAD,
    JUNIOR,
    MONDAY_10,
    SENIOR,
    TEAM_CONFIG,
    lead_row,
    manager_ids,
    sent_to,
)
from usecases import assignment, reassign, work
from usecases.assignment import Verdict
from usecases.capture import capture
from usecases.context import AppContext
from usecases.delivery import OutboxDelivery
from usecases.ports import SendResult, SendStatus
from usecases.team import set_paused
from usecases.timers import check_timers


class _Delivered:
    """A channel where every send arrives."""

    name = "telegram"

    async def send(self, chat_id: str, payload: dict, *, row_id: int | None = None) -> SendResult:
        return SendResult(SendStatus.SENT, external_id=f"{chat_id}:{row_id}")


async def events(ctx: AppContext, lead_id: int) -> list[LeadEvent]:
    async with ctx.db.session_factory() as session:
        statement = select(LeadEvent).where(LeadEvent.lead_id == lead_id).order_by(LeadEvent.id)
        return list(await session.scalars(statement))


async def test_lead_is_offered_by_level_and_turn(team: AppContext) -> None:
    ids = await manager_ids(team)
    big = await capture(team, inbound(user=1, text="Участвуем в тендере"))
    standard = await capture(team, inbound(user=2, text="Сколько стоит?"))
    assert (await lead_row(team, big.lead_id)).offered_manager_id == ids[SENIOR]
    # The senior was just offered one: the junior has waited longer.
    assert (await lead_row(team, standard.lead_id)).offered_manager_id == ids[JUNIOR]
    [card] = await sent_to(team, SENIOR, "offer")
    assert "тендере" in card.payload["text"]
    assert [b["callback_data"] for b in card.payload["buttons"][0]] == [
        f"lead:acc:{big.lead_id}:",
        f"lead:dec:{big.lead_id}:",
    ]


async def test_accept_reply_and_customer_answer_relayed(
    team: AppContext, clock: ManualClock
) -> None:
    ids = await manager_ids(team)
    result = await capture(team, inbound(user=7, text="Здравствуйте"))
    offered = (await lead_row(team, result.lead_id)).offered_manager_id
    telegram_id = next(tg for tg, mid in ids.items() if mid == offered)
    other = SENIOR if telegram_id == JUNIOR else JUNIOR

    # A forged press by the other manager changes nothing.
    assert await assignment.accept(team, result.lead_id, other) is Verdict.NOT_YOURS
    assert (await lead_row(team, result.lead_id)).manager_id is None

    clock.advance(timedelta(minutes=2))
    assert await assignment.accept(team, result.lead_id, telegram_id) is Verdict.DONE
    assert await assignment.accept(team, result.lead_id, telegram_id) is Verdict.STALE
    assert (
        await work.reply(team, result.lead_id, telegram_id, "Добрый день! <b>Цена</b> 5000")
        is Verdict.DONE
    )
    [answer] = await sent_to(team, 7, "reply")
    assert answer.payload == {"text": "Добрый день! <b>Цена</b> 5000"}
    # Queued is not answered: the first response is the reply delivered.
    assert (await lead_row(team, result.lead_id)).first_response_at is None
    clock.advance(timedelta(minutes=1))
    delivery = OutboxDelivery(team, {"telegram": _Delivered()})
    while await delivery.run_once():  # one row per chat a round: the ack went first
        pass
    lead = await lead_row(team, result.lead_id)
    assert lead.first_response_at == MONDAY_10 + timedelta(minutes=3)
    [fate] = await sent_to(team, telegram_id, "fate")
    assert f"Ответ по лиду #{result.lead_id} доставлен" in fate.payload["text"]

    await capture(team, inbound(user=7, message=2, text="А доставка?"))
    [relay] = await sent_to(team, telegram_id, "relay")
    assert (
        f"Лид #{result.lead_id}" in relay.payload["text"] and "А доставка?" in relay.payload["text"]
    )

    for stage in ("contacted", "qualified", "proposal"):
        assert await work.move_stage(team, result.lead_id, telegram_id, stage) is Verdict.DONE
    assert await work.close(team, result.lead_id, telegram_id, "won") is Verdict.DONE
    assert await work.move_stage(team, result.lead_id, telegram_id, "qualified") is Verdict.STALE
    history = [(e.type, e.actor) for e in await events(team, result.lead_id)]
    actor = f"manager:{offered}"
    assert ("accepted", actor) in history and ("replied", actor) in history
    assert [e for e in history if e[0] == "stage_changed"] == [("stage_changed", actor)] * 3
    assert history[-1] == ("closed", actor)
    assert (await lead_row(team, result.lead_id)).status == "won"


async def test_accept_timeout_passes_on_then_one_head_ping(
    team: AppContext, clock: ManualClock
) -> None:
    result = await capture(team, inbound(user=3, text="Вопрос"))
    first = (await lead_row(team, result.lead_id)).offered_manager_id
    clock.advance(timedelta(minutes=6))
    assert await assignment.expire_offers(team) == 1
    second = (await lead_row(team, result.lead_id)).offered_manager_id
    assert second is not None and second != first
    clock.advance(timedelta(minutes=6))
    assert await assignment.expire_offers(team) == 1
    lead = await lead_row(team, result.lead_id)
    assert lead.pass_count == 2 and lead.offered_manager_id is None and lead.needs_head
    for _ in range(3):
        clock.advance(timedelta(minutes=6))
        await assignment.expire_offers(team)
        await assignment.distribute_waiting(team)
    pings = [
        p for p in await sent_to(team, HEAD, "escalation") if "никто не принял" in p.payload["text"]
    ]
    assert len(pings) == 1
    take = pings[0].payload["buttons"][0][0]["callback_data"]
    assert take == f"lead:take:{result.lead_id}:"
    ids = await manager_ids(team)
    assert await reassign.head_assign(team, result.lead_id, HEAD, ids[SENIOR]) is Verdict.DONE
    assert (
        await reassign.head_assign(team, result.lead_id, SENIOR, ids[SENIOR]) is Verdict.NOT_YOURS
    )
    assert (await lead_row(team, result.lead_id)).manager_id == ids[SENIOR]


async def test_nobody_eligible_queues_and_resume_hands_out(
    team: AppContext, clock: ManualClock
) -> None:
    await set_paused(team, SENIOR, True)
    await set_paused(team, JUNIOR, True)
    first = await capture(team, inbound(user=11))
    second = await capture(team, inbound(user=12, message=2))
    assert (await lead_row(team, first.lead_id)).queued_at is not None
    assert (await lead_row(team, second.lead_id)).queued_at is not None
    queue_pings = [p for p in await sent_to(team, HEAD) if "очереди" in p.payload["text"]]
    assert len(queue_pings) == 1
    await set_paused(team, JUNIOR, False)
    ids = await manager_ids(team)
    assert (await lead_row(team, first.lead_id)).offered_manager_id == ids[JUNIOR]
    assert (await lead_row(team, second.lead_id)).offered_manager_id == ids[JUNIOR]


async def test_night_lead_waits_for_the_shift(team: AppContext, clock: ManualClock) -> None:
    clock.set(datetime(2026, 1, 5, 22, 0, tzinfo=UTC))
    result = await capture(team, inbound(user=21))
    assert (await lead_row(team, result.lead_id)).queued_at is not None
    clock.set(datetime(2026, 1, 6, 9, 1, tzinfo=UTC))
    assert await assignment.distribute_waiting(team) == 1
    assert (await lead_row(team, result.lead_id)).offered_manager_id is not None
    # The first-response clock started at 09:00, not at 22:00: no breach at 09:05.
    clock.set(datetime(2026, 1, 6, 9, 5, tzinfo=UTC))
    assert await check_timers(team) == 0


async def _accepted_lead(team: AppContext, user: int) -> tuple[int, int]:
    result = await capture(team, inbound(user=user))
    lead = await lead_row(team, result.lead_id)
    ids = await manager_ids(team)
    telegram_id = next(tg for tg, mid in ids.items() if mid == lead.offered_manager_id)
    assert await assignment.accept(team, result.lead_id, telegram_id) is Verdict.DONE
    return result.lead_id, telegram_id


async def test_first_response_breach_reminds_then_pings_head_once(
    team: AppContext, clock: ManualClock
) -> None:
    lead_id, manager = await _accepted_lead(team, 31)
    clock.advance(timedelta(minutes=21))
    assert await check_timers(team) == 1
    assert len(await sent_to(team, manager, "reminder")) == 1
    clock.advance(timedelta(minutes=10))
    assert await check_timers(team) == 1
    for _ in range(3):
        clock.advance(timedelta(minutes=10))
        assert await check_timers(team) == 0
    pings = [
        p for p in await sent_to(team, HEAD, "escalation") if f"#{lead_id}" in p.payload["text"]
    ]
    assert len(pings) == 1 and "нет ответа" in pings[0].payload["text"]


async def test_overstaying_a_stage_pings_head_once(team: AppContext, clock: ManualClock) -> None:
    lead_id, manager = await _accepted_lead(team, 41)
    assert await work.move_stage(team, lead_id, manager, "contacted") is Verdict.DONE
    clock.advance(timedelta(hours=20))
    assert await check_timers(team) == 1  # reminder to the manager
    clock.advance(timedelta(hours=5))
    assert await check_timers(team) == 1
    clock.advance(timedelta(hours=5))
    assert await check_timers(team) == 0
    pings = [p for p in await sent_to(team, HEAD, "escalation") if "застрял" in p.payload["text"]]
    assert len(pings) == 1


async def test_lost_without_real_reason_pings_head_once(team: AppContext) -> None:
    lead_id, manager = await _accepted_lead(team, 51)
    assert (
        await work.close(team, lead_id, manager, "lost", reason="other", comment="-")
        is Verdict.DONE
    )
    assert (
        await work.close(team, lead_id, manager, "lost", reason="other", comment="-")
        is Verdict.STALE
    )
    pings = [
        p for p in await sent_to(team, HEAD, "escalation") if "без внятной" in p.payload["text"]
    ]
    assert len(pings) == 1
    other_id, other_manager = await _accepted_lead(team, 52)
    assert await work.close(team, other_id, other_manager, "lost", reason="price") is Verdict.DONE
    pings = [
        p for p in await sent_to(team, HEAD, "escalation") if "без внятной" in p.payload["text"]
    ]
    assert len(pings) == 1


async def test_rotation_mode_assigns_straight_away(team: AppContext) -> None:
    team.config = parse_config({**TEAM_CONFIG, "distribution": {"mode": "rotation"}})
    first = await capture(team, inbound(user=61))
    second = await capture(team, inbound(user=62, message=2))
    a, b = await lead_row(team, first.lead_id), await lead_row(team, second.lead_id)
    assert a.manager_id and b.manager_id and a.manager_id != b.manager_id
    assert a.offered_manager_id is None


async def test_a_complaint_that_opens_a_lead_is_kept_from_its_manager(team: AppContext) -> None:
    ids = await manager_ids(team)
    first = await capture(team, inbound(user=8, text="Сколько стоит?"))
    offered = (await lead_row(team, first.lead_id)).offered_manager_id
    telegram_id = next(tg for tg, mid in ids.items() if mid == offered)
    assert await assignment.accept(team, first.lead_id, telegram_id) is Verdict.DONE
    assert await work.close(team, first.lead_id, telegram_id, "won") is Verdict.DONE

    second = await capture(team, inbound(user=8, message=2, text="Это жалоба на менеджера"))
    assert second.new_lead
    lead = await lead_row(team, second.lead_id)
    assert lead.offered_manager_id not in (None, offered)
    async with team.db.session_factory() as session:
        complaint = (await session.scalars(select(Complaint))).one()
    assert (complaint.lead_id, complaint.manager_id) == (second.lead_id, offered)
