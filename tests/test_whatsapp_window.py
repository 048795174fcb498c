"""WhatsApp: the 24-hour window counts from the customer message's own timestamp, and a
reaction (or any type not read) is stored as unsupported, not skipped."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from channels.whatsapp.normalise import parse_webhook
from domain.clock import ManualClock
from storage.models import ChannelIdentity
from usecases.capture import capture
from usecases.context import AppContext


def hook(message: dict) -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "1",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"phone_number_id": "100"},
                            "contacts": [{"wa_id": "79001234567", "profile": {"name": "Мария"}}],
                            "messages": [message],
                        },
                    }
                ],
            }
        ],
    }


def test_reaction_and_unknown_types_are_kept_as_unsupported() -> None:
    for kind, body in (("reaction", {"message_id": "wamid.X", "emoji": "👍"}), ("hologram", {})):
        message = {"from": "79001234567", "id": f"wamid.{kind}", "timestamp": "1700000000"}
        parsed = parse_webhook(hook({**message, "type": kind, kind: body}))
        assert len(parsed.messages) == 1, parsed.skipped
        attachment = parsed.messages[0].attachments[0]
        assert attachment.kind == "unsupported" and attachment.extra["type"] == kind


async def test_window_counts_from_the_message_timestamp(
    ctx: AppContext, clock: ManualClock
) -> None:
    written = clock.now() - timedelta(hours=23, minutes=50)
    message = {
        "from": "79001234567",
        "id": "wamid.late",
        "timestamp": str(int(written.timestamp())),
        "type": "text",
        "text": {"body": "Добрый день"},
    }
    await capture(ctx, parse_webhook(hook(message)).messages[0])
    async with ctx.db.session_factory() as session:
        identity = (await session.scalars(select(ChannelIdentity))).one()
    assert identity.last_inbound_at == written
    # An older message delivered late does not move it back; a future stamp is cut to now.
    older = {**message, "id": "wamid.older", "timestamp": str(int(written.timestamp()) - 600)}
    await capture(ctx, parse_webhook(hook(older)).messages[0])
    future = {**message, "id": "wamid.f", "timestamp": str(int(clock.now().timestamp()) + 9999)}
    await capture(ctx, parse_webhook(hook(future)).messages[0])
    async with ctx.db.session_factory() as session:
        identity = (await session.scalars(select(ChannelIdentity))).one()
    assert identity.last_inbound_at == clock.now()
