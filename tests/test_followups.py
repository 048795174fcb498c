"""Follow-up sequences, surveys and complaints with the clock moved by the test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from config.business import parse_config
from domain.clock import ManualClock
from storage.models import Complaint, FollowupStep, Lead
from tests.support.capture import inbound
from tests.support.team import HEAD, TEAM_CONFIG, lead_row, manager_ids, sent_to
from usecases import assignment, work
from usecases.assignment import Verdict
from usecases.capture import capture
from usecases.complaints import assign_complaint, resolve_complaint
from usecases.context import AppContext
from usecases.followups import dispatch_due
from usecases.subscriptions import set_marketing
from usecases.surveys import answer_survey
from usecases.team import reconcile_team

ROOT = Path(__file__).resolve().parents[1]
# Monday 10:00 UTC = 13:00 in Moscow: working hours and no quiet time.
MONDAY_10 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def config_with_shipped_sequences(**followups: object) -> dict:
    example = yaml.safe_load((ROOT / "leadkeeper.example.yaml").read_text(encoding="utf-8"))
    data = {**TEAM_CONFIG, "followups": {**example["followups"], **followups}}
    data["company"] = {
        **TEAM_CONFIG["company"],
        "timezone": "Europe/Moscow",
        "working_hours": {"mon-sun": "00:00-00:00"},
        "name": "Acme",
    }
    return data


@pytest.fixture
async def shop(ctx: AppContext, clock: ManualClock) -> AppContext:
    ctx.config = parse_config(config_with_shipped_sequences())
    clock.set(MONDAY_10)
    await reconcile_team(ctx)
    return ctx


async def accepted(ctx: AppContext, user: int, name: str = "Анна") -> tuple[int, int]:
    result = await capture(ctx, inbound(user=user, name=name, receipt=f"r{user}"))
    lead = await lead_row(ctx, result.lead_id)
    ids = await manager_ids(ctx)
    telegram_id = next(tg for tg, mid in ids.items() if mid == lead.offered_manager_id)
    assert await assignment.accept(ctx, result.lead_id, telegram_id) is Verdict.DONE
    return result.lead_id, telegram_id


async def steps(ctx: AppContext, lead_id: int) -> list[FollowupStep]:
    async with ctx.db.session_factory() as session:
        statement = select(FollowupStep).where(FollowupStep.lead_id == lead_id)
        return list(await session.scalars(statement.order_by(FollowupStep.id)))


async def run_until(ctx: AppContext, clock: ManualClock, delta: timedelta) -> None:
    """Move the clock in minute ticks, dispatching as the scheduler would."""
    end = clock.now() + delta
    while clock.now() < end:
        clock.advance(min(timedelta(minutes=30), end - clock.now()))
        while await dispatch_due(ctx):
            pass


async def test_materials_an_hour_after_contacted_with_names_filled(
    shop: AppContext, clock: ManualClock
) -> None:
    lead_id, manager = await accepted(shop, 1, name="Анна <b>")
    assert await work.move_stage(shop, lead_id, manager, "contacted") is Verdict.DONE
    clock.advance(timedelta(minutes=59))
    assert await dispatch_due(shop) == 0
    clock.advance(timedelta(minutes=2))
    assert await dispatch_due(shop) == 1
    [materials] = await sent_to(shop, 1, "marketing")
    text = materials.payload["text"]
    manager_name = "Sergey" if manager == 101 else "Julia"
    assert text.startswith("Анна &lt;b&gt;, как обещал " + manager_name)
    assert "Acme" in text
    assert materials.payload["buttons"][0][0]["url"].startswith("https://")


async def test_reminder_three_days_after_reply_unless_customer_answers(
    shop: AppContext, clock: ManualClock
) -> None:
    lead_id, manager = await accepted(shop, 2)
    assert await work.reply(shop, lead_id, manager, "Цена 5000") is Verdict.DONE
    await run_until(shop, clock, timedelta(days=2, hours=23))
    assert await sent_to(shop, 2, "followup") == []
    await run_until(shop, clock, timedelta(hours=2))
    [reminder] = await sent_to(shop, 2, "followup")
    assert "напоминаем" in reminder.payload["text"]

    other_lead, other_manager = await accepted(shop, 3)
    assert await work.reply(shop, other_lead, other_manager, "Цена 7000") is Verdict.DONE
    clock.advance(timedelta(hours=5))
    await capture(shop, inbound(user=3, message=2, text="Подумаю"))
    await run_until(shop, clock, timedelta(days=4))
    assert await sent_to(shop, 3, "followup") == []
    [step] = [s for s in await steps(shop, other_lead) if s.sequence == "reminder"]
    assert step.status == "cancelled"


async def test_survey_after_won_low_score_opens_complaint_resolved_to_customer(
    shop: AppContext, clock: ManualClock
) -> None:
    lead_id, manager = await accepted(shop, 4)
    assert await work.close(shop, lead_id, manager, "won") is Verdict.DONE
    await run_until(shop, clock, timedelta(hours=23))
    assert await sent_to(shop, 4, "followup") == []
    await run_until(shop, clock, timedelta(hours=2))
    [survey] = await sent_to(shop, 4, "followup")
    data = [button["callback_data"] for button in survey.payload["buttons"][0]]
    assert [d.rsplit(":", 1)[1] for d in data] == ["1", "2", "3", "4", "5"]
    survey_id = int(data[0].split(":")[1])

    # Somebody else cannot answer his survey.
    assert not (await answer_survey(shop, survey_id, "telegram", "999", 1)).accepted
    answer = await answer_survey(shop, survey_id, "telegram", "4", 2)
    assert answer.accepted and answer.complaint_id is not None
    assert not (await answer_survey(shop, survey_id, "telegram", "4", 5)).accepted
    pings = [p for p in await sent_to(shop, HEAD, "complaint")]
    assert len(pings) == 1 and "Жалоба" in pings[0].payload["text"]

    ids = await manager_ids(shop)
    assert (
        await assign_complaint(shop, answer.complaint_id, ids[101], None, actor_telegram_id=HEAD)
        is Verdict.DONE
    )
    # Only the owner (or a head) resolves.
    assert (
        await resolve_complaint(shop, answer.complaint_id, None, "x", actor_telegram_id=102)
        is Verdict.NOT_YOURS
    )
    assert (
        await resolve_complaint(
            shop, answer.complaint_id, None, "Вернули 10% стоимости", actor_telegram_id=101
        )
        is Verdict.DONE
    )
    notices = [n for n in await sent_to(shop, 4, "notice") if "Вернули 10%" in n.payload["text"]]
    assert len(notices) == 1
    async with shop.db.session_factory() as session:
        complaint = await session.get(Complaint, answer.complaint_id)
        assert complaint.status == "resolved" and complaint.source == "survey"


async def test_reactivation_after_90_days_only_without_open_lead(
    shop: AppContext, clock: ManualClock
) -> None:
    first, manager = await accepted(shop, 5)
    await work.close(shop, first, manager, "won")
    second, manager2 = await accepted(shop, 6)
    await work.close(shop, second, manager2, "won")
    clock.advance(timedelta(days=60))
    await capture(shop, inbound(user=6, message=9, text="Нужно ещё окно"))
    await run_until(shop, clock, timedelta(days=31))
    reactivated = [
        m for m in await sent_to(shop, 5, "marketing") if "три месяца" in m.payload["text"]
    ]
    assert len(reactivated) == 1
    assert [
        m for m in await sent_to(shop, 6, "marketing") if "три месяца" in m.payload["text"]
    ] == []


async def test_lost_lead_goes_to_another_manager_after_14_days(
    shop: AppContext, clock: ManualClock
) -> None:
    lead_id, manager = await accepted(shop, 7)
    assert await work.close(shop, lead_id, manager, "lost", reason="price") is Verdict.DONE
    await run_until(shop, clock, timedelta(days=13))
    assert await assignment.distribute_waiting(shop) == 0
    await run_until(shop, clock, timedelta(days=1, hours=1))
    await assignment.distribute_waiting(shop)
    async with shop.db.session_factory() as session:
        leads = list(await session.scalars(select(Lead).order_by(Lead.id)))
    again = leads[-1]
    assert again.id != lead_id and again.source == "second_try" and again.is_open
    ids = await manager_ids(shop)
    assert again.offered_manager_id is not None
    assert again.offered_manager_id != ids[manager]


async def test_quiet_hours_defer_to_the_next_allowed_minute(
    shop: AppContext, clock: ManualClock
) -> None:
    # 17:30 UTC = 20:30 in Moscow; materials fall due at 21:30 Moscow time, inside quiet hours.
    clock.set(datetime(2026, 1, 5, 17, 30, tzinfo=UTC))
    lead_id, manager = await accepted(shop, 8)
    await work.move_stage(shop, lead_id, manager, "contacted")
    clock.advance(timedelta(hours=1, minutes=1))
    assert await dispatch_due(shop) == 1
    assert await sent_to(shop, 8, "marketing") == []
    [step] = [s for s in await steps(shop, lead_id) if s.sequence == "materials"]
    assert step.status == "pending"
    assert step.due_at == datetime(2026, 1, 6, 6, 0, tzinfo=UTC)  # 09:00 Moscow
    clock.set(datetime(2026, 1, 6, 5, 59, tzinfo=UTC))
    assert await dispatch_due(shop) == 0
    clock.set(datetime(2026, 1, 6, 6, 0, tzinfo=UTC))
    assert await dispatch_due(shop) == 1
    assert len(await sent_to(shop, 8, "marketing")) == 1


async def test_stop_stops_marketing_but_not_a_managers_reply(
    shop: AppContext, clock: ManualClock
) -> None:
    lead_id, manager = await accepted(shop, 9)
    await work.move_stage(shop, lead_id, manager, "contacted")
    assert await set_marketing(shop, "telegram", "9", allowed=False)
    assert await work.reply(shop, lead_id, manager, "Ваш замер в среду") is Verdict.DONE
    await run_until(shop, clock, timedelta(hours=2))
    assert await sent_to(shop, 9, "marketing") == []
    assert [r.payload["text"] for r in await sent_to(shop, 9, "reply")] == ["Ваш замер в среду"]
    [step] = [s for s in await steps(shop, lead_id) if s.sequence == "materials"]
    assert (step.status, step.note) == ("cancelled", "unsubscribed")


async def test_daily_marketing_cap_holds(ctx: AppContext, clock: ManualClock) -> None:
    data = config_with_shipped_sequences(daily_marketing_cap=2)
    data["followups"]["sequences"].append(
        {
            "name": "news",
            "trigger": {"event": "lead_created"},
            "marketing": True,
            "steps": [
                {"delay": "10m", "text": "a"},
                {"delay": "10m", "text": "b"},
                {"delay": "10m", "text": "c"},
            ],
        }
    )
    ctx.config = parse_config(data)
    clock.set(MONDAY_10)
    await reconcile_team(ctx)
    await capture(ctx, inbound(user=10))
    await run_until(ctx, clock, timedelta(hours=2))
    assert [m.payload["text"] for m in await sent_to(ctx, 10, "marketing")] == ["a", "b"]
    # Tomorrow after the quiet hours (09:00 Moscow = 06:00 UTC) the third one goes.
    clock.set(datetime(2026, 1, 6, 6, 1, tzinfo=UTC))
    await dispatch_due(ctx)
    assert [m.payload["text"] for m in await sent_to(ctx, 10, "marketing")] == ["a", "b", "c"]


async def test_message_that_reads_as_a_complaint_is_suspected(shop: AppContext) -> None:
    await capture(shop, inbound(user=11, text="Хочу оставить жалобу на монтажников"))
    await capture(shop, inbound(user=12, text="Хочу заказать жалюзи", message=2))
    async with shop.db.session_factory() as session:
        complaints = list(await session.scalars(select(Complaint)))
    assert len(complaints) == 1
    assert complaints[0].suspected and complaints[0].source == "message"
    pings = await sent_to(shop, HEAD, "complaint")
    assert len(pings) == 1
    assert pings[0].payload["buttons"][0][0]["callback_data"] == f"cmp:ok:{complaints[0].id}:"


async def test_overdue_complaint_escalates_once(shop: AppContext, clock: ManualClock) -> None:
    from usecases.complaints import escalate_overdue

    await capture(shop, inbound(user=13, text="Верните деньги!"))
    clock.advance(timedelta(days=2, minutes=1))
    assert await escalate_overdue(shop) == 1
    assert await escalate_overdue(shop) == 0
    overdue = [
        p for p in await sent_to(shop, HEAD, "escalation") if "просрочена" in p.payload["text"]
    ]
    assert len(overdue) == 1
