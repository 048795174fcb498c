"""U+0000 in a customer's text: PostgreSQL cannot store it (asyncpg refused the value and
the capture with it), so at the storage boundary it becomes U+FFFD and the rest is kept,
the same on SQLite. JSON columns and executemany batches too."""

from __future__ import annotations

from sqlalchemy import insert, select

from storage.models import Contact, InboundUpdate, LeadEvent, Message
from tests.support.capture import inbound
from usecases.capture import capture
from usecases.context import AppContext
from usecases.inbox import store_inbound


async def test_nul_in_a_message_is_kept_as_a_replacement_mark(ctx: AppContext) -> None:
    result = await capture(
        ctx, inbound(user=5, name="Ан\x00на", text="Нужна\x00 цена на окна\x00\x00")
    )
    assert result.lead_id is not None
    async with ctx.db.session_factory() as session:
        text = await session.scalar(select(Message.text).where(Message.direction == "in"))
        name = await session.scalar(select(Contact.display_name))
    assert text == "Нужна\ufffd цена на окна\ufffd\ufffd"
    assert name == "Ан\ufffdна"


async def test_nul_in_core_batches_and_json(ctx: AppContext) -> None:
    async with ctx.db.session_factory() as session:
        lead_id = (await capture(ctx, inbound(user=6))).lead_id
        rows = [
            {
                "lead_id": lead_id,
                "type": "note\x00",
                "actor": "system",
                "at": ctx.clock.now(),
                "data": {"k": "a\x00"},
            },
            {
                "lead_id": lead_id,
                "type": "note",
                "actor": "system",
                "at": ctx.clock.now(),
                "data": {"k\x00": 1},
            },
        ]
        await session.execute(insert(LeadEvent), rows)
        await session.commit()
        stored = list(
            await session.execute(
                select(LeadEvent.type, LeadEvent.data).where(LeadEvent.type.like("note%"))
            )
        )
    assert sorted(t for t, _ in stored) == ["note", "note\ufffd"]
    assert {"k": "a\x00"} in [d for _, d in stored]  # JSON keeps it, escaped


async def test_a_stored_inbound_payload_with_nul_survives(ctx: AppContext) -> None:
    # A mail or a form keeps its raw text: a NUL there no longer loses the payload.
    assert await store_inbound(ctx, "email", "nul-1", "Subject: a\x00b\r\n\r\nтекст\x00")
    async with ctx.db.session_factory() as session:
        payload = await session.scalar(select(InboundUpdate.payload))
    assert payload == "Subject: a\ufffdb\r\n\r\nтекст\ufffd"
