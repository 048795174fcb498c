"""The capture use case against a real database (SQLite file; PostgreSQL when set)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from config.business import parse_config
from domain.clock import ManualClock
from domain.inbound import Attachment, InboundEdit
from storage.models import ChannelIdentity, Contact, Lead, LeadEvent, Message, OutboxMessage
from tests.support.capture import inbound
from usecases.capture import Outcome, apply_edit, capture, set_blocked
from usecases.context import AppContext


async def count(ctx: AppContext, model: type) -> int:
    async with ctx.db.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def rows(ctx: AppContext, model: type) -> list:
    async with ctx.db.session_factory() as session:
        return list(await session.scalars(select(model).order_by(model.id)))


async def test_first_message_opens_lead_and_queues_one_ack(ctx: AppContext) -> None:
    first = await capture(ctx, inbound(message=1, receipt="100"))
    second = await capture(ctx, inbound(message=2, text="И доставка?", receipt="101"))

    assert first.outcome is Outcome.CAPTURED and first.new_lead
    assert second.outcome is Outcome.CAPTURED and not second.new_lead
    assert second.lead_id == first.lead_id
    assert await count(ctx, Lead) == 1
    assert await count(ctx, Message) == 2
    outbox = await rows(ctx, OutboxMessage)
    assert [row.purpose for row in outbox] == ["ack"]
    assert outbox[0].chat_id == "1"
    assert "Анна" in outbox[0].payload["text"]
    assert "30 мин" in outbox[0].payload["text"]
    assert outbox[0].payload["keyboard"]["request_phone"]
    types = [event.type for event in await rows(ctx, LeadEvent)]
    assert types[:2] == ["lead_created", "message_received"]
    assert types.count("message_received") == 2
    # Nobody on the team yet: the lead waits in the queue.
    assert "queued" in types


async def test_redelivered_update_and_repeated_message_change_nothing(ctx: AppContext) -> None:
    await capture(ctx, inbound(message=1, receipt="100"))
    again = await capture(ctx, inbound(message=1, receipt="100"))
    same_message_new_receipt = await capture(ctx, inbound(message=1, receipt="999"))

    assert again.outcome is Outcome.DUPLICATE
    assert same_message_new_receipt.outcome is Outcome.DUPLICATE
    assert await count(ctx, Message) == 1
    assert await count(ctx, OutboxMessage) == 1
    assert await count(ctx, LeadEvent) == 3  # created, received, queued


async def test_concurrent_captures_of_one_new_contact_make_one_lead(ctx: AppContext) -> None:
    results = await asyncio.gather(
        *(capture(ctx, inbound(message=number, receipt=str(number))) for number in range(1, 9))
    )
    assert all(result.outcome is Outcome.CAPTURED for result in results)
    assert len({result.lead_id for result in results}) == 1
    assert await count(ctx, Contact) == 1
    assert await count(ctx, ChannelIdentity) == 1
    assert await count(ctx, Message) == 8
    assert await count(ctx, OutboxMessage) == 1


async def test_english_speaker_gets_english_ack_and_names_are_escaped(ctx: AppContext) -> None:
    await capture(ctx, inbound(name="<b>&Co", language="en-GB", text="1 < 2 & 3 > 2"))
    [ack] = await rows(ctx, OutboxMessage)
    assert ack.payload["parse_mode"] == "HTML"
    assert "&lt;b&gt;&amp;Co" in ack.payload["text"]
    assert ack.payload["text"].startswith("Thank you")
    [message] = await rows(ctx, Message)
    assert message.text == "1 < 2 & 3 > 2"


async def test_outside_working_hours_ack_says_when_the_team_is_back(ctx: AppContext) -> None:
    ctx.config = parse_config(
        {
            "company": {
                "timezone": "Europe/Moscow",
                "working_hours": {"mon-fri": "09:00-18:00"},
            }
        }
    )
    assert isinstance(ctx.clock, ManualClock)
    # Saturday 12:00 Moscow time.
    ctx.clock.set(datetime(2026, 1, 10, 9, 0, tzinfo=UTC))
    await capture(ctx, inbound())
    [ack] = await rows(ctx, OutboxMessage)
    assert "пн 12.01 09:00" in ack.payload["text"]
    assert "не работаем" in ack.payload["text"]


async def test_start_with_deep_link_welcomes_and_the_question_opens_the_lead(
    ctx: AppContext,
) -> None:
    start = await capture(ctx, inbound(text="/start ad_autumn", source="ad_autumn", is_start=True))
    assert start.outcome is Outcome.CAPTURED and start.lead_id is None
    assert await count(ctx, Lead) == 0
    [welcome] = await rows(ctx, OutboxMessage)
    assert welcome.payload["text"].startswith("Здравствуйте, Анна! Это Acme.")
    [contact] = await rows(ctx, Contact)
    assert contact.start_source == "ad_autumn" and contact.started_at is not None

    question = await capture(ctx, inbound(message=2, text="Сколько стоит доставка?"))
    [lead] = await rows(ctx, Lead)
    assert question.new_lead and lead.id == question.lead_id and lead.source == "ad_autumn"
    messages = await rows(ctx, Message)
    assert [(m.lead_id, m.text) for m in messages] == [
        (None, "/start ad_autumn"),
        (lead.id, "Сколько стоит доставка?"),
    ]
    [contact] = await rows(ctx, Contact)
    assert contact.start_source is None and contact.started_at is None


async def test_start_while_a_lead_is_open_adds_nothing_to_the_conversation(
    ctx: AppContext,
) -> None:
    first = await capture(ctx, inbound())
    again = await capture(
        ctx, inbound(message=2, text="/start promo", source="promo", is_start=True)
    )
    assert again.lead_id == first.lead_id and await count(ctx, Lead) == 1
    # One acknowledgement of the question; the second /start is not greeted again.
    assert [row.purpose for row in await rows(ctx, OutboxMessage)] == ["ack"]
    assert [m.lead_id for m in await rows(ctx, Message)] == [first.lead_id, None]
    events = [e.type for e in await rows(ctx, LeadEvent)]
    assert "source_seen" in events


async def test_lead_without_deep_link_gets_channel_as_source(ctx: AppContext) -> None:
    await capture(ctx, inbound())
    [lead] = await rows(ctx, Lead)
    assert lead.source == "telegram"
    assert lead.status == "new" and lead.is_open


async def test_shared_phone_is_stored_and_thanked(ctx: AppContext) -> None:
    await capture(ctx, inbound(message=1))
    contact_card = Attachment("contact", extra={"phone": "+79001234567"})
    await capture(
        ctx, inbound(message=2, text="", phone="+79001234567", attachments=(contact_card,))
    )
    [contact] = await rows(ctx, Contact)
    assert contact.phone == "+79001234567"
    outbox = await rows(ctx, OutboxMessage)
    assert [row.purpose for row in outbox] == ["ack", "reply"]
    assert "+79001234567" in outbox[1].payload["text"]
    assert outbox[1].payload["remove_keyboard"] is True


async def test_same_phone_on_another_channel_is_the_same_contact(ctx: AppContext) -> None:
    await capture(ctx, inbound(user=5, phone="+79001234567"))
    other = await capture(ctx, inbound(user=77, channel="vk", phone="+79001234567", message=9))
    assert await count(ctx, Contact) == 1
    assert await count(ctx, ChannelIdentity) == 2
    assert await count(ctx, Lead) == 1
    assert not other.new_lead


async def test_block_and_unblock_mark_the_identity(ctx: AppContext) -> None:
    await capture(ctx, inbound(user=3, message=1))
    assert await set_blocked(ctx, "telegram", "3", blocked=True)
    [identity] = await rows(ctx, ChannelIdentity)
    assert identity.blocked_at is not None
    # An unknown chat is simply not there.
    assert not await set_blocked(ctx, "telegram", "404", blocked=True)
    assert await set_blocked(ctx, "telegram", "3", blocked=False)
    [identity] = await rows(ctx, ChannelIdentity)
    assert identity.blocked_at is None


async def test_writing_again_after_blocking_clears_the_block(ctx: AppContext) -> None:
    await capture(ctx, inbound(user=3, message=1))
    await set_blocked(ctx, "telegram", "3", blocked=True)
    await capture(ctx, inbound(user=3, message=2))
    [identity] = await rows(ctx, ChannelIdentity)
    assert identity.blocked_at is None


async def test_edit_updates_text_and_keeps_old_one_in_history(ctx: AppContext) -> None:
    await capture(ctx, inbound(message=1, text="нужно 3 окна"))
    edit = InboundEdit("telegram", "1", "1:1", "нужно 4 окна", receipt_key="200")
    assert (await apply_edit(ctx, edit)).applied
    assert not (await apply_edit(ctx, edit)).applied  # redelivered edit
    [message] = await rows(ctx, Message)
    assert message.text == "нужно 4 окна" and message.edited_at is not None
    edits = [event for event in await rows(ctx, LeadEvent) if event.type == "message_edited"]
    assert len(edits) == 1
    assert edits[0].data["old_text"] == "нужно 3 окна"


async def test_closed_lead_means_next_message_opens_new_lead(ctx: AppContext) -> None:
    first = await capture(ctx, inbound(message=1))
    async with ctx.db.session_factory() as session:
        lead = await session.get(Lead, first.lead_id)
        lead.is_open = False
        lead.status = "won"
        await session.commit()
    assert isinstance(ctx.clock, ManualClock)
    ctx.clock.advance(timedelta(days=30))
    second = await capture(ctx, inbound(message=2))
    assert second.new_lead and second.lead_id != first.lead_id
    assert await count(ctx, OutboxMessage) == 2
