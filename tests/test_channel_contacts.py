"""One person across channels: a head merges two contacts (use case, and /merge through
the real bot and the Telegram emulator); both histories stay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from config.business import Config, parse_config
from domain.inbound import InboundMessage, Sender
from handlers.telegram.head import _contact_ref
from storage.models import ChannelIdentity, Contact, Lead, LeadEvent, Message
from tests.emulator.telegram import TelegramEmulator
from tests.support.service import TOKEN, make_settings, running_service
from usecases.capture import capture
from usecases.contacts import ContactRef, MergeOutcome, merge_contacts
from usecases.context import AppContext
from usecases.queries import lead_details
from usecases.team import reconcile_team

HEAD = 500
MANAGER = 600


@pytest.fixture
def config() -> Config:
    """The shared `ctx` fixture takes this config: a head and a manager."""
    return parse_config(
        {
            "company": {
                "name": "Acme",
                "timezone": "UTC",
                "working_hours": {"mon-sun": "00:00-00:00"},
            },
            "team": {
                "heads": [{"telegram_id": HEAD, "name": "Olga", "language": "en"}],
                "managers": [{"telegram_id": MANAGER, "name": "Ivan", "language": "en"}],
            },
        }
    )


def message(channel: str, user: str, number: int, text: str, **sender: Any) -> InboundMessage:
    return InboundMessage(
        channel=channel,
        sender=Sender(external_id=user, chat_id=user, **sender),
        external_message_id=f"{user}:{number}",
        text=text,
    )


async def rows(ctx: AppContext, model: type) -> list[Any]:
    async with ctx.db.session_factory() as session:
        return list(await session.scalars(select(model).order_by(model.id)))


async def test_merging_two_contacts_keeps_both_histories(ctx: AppContext) -> None:
    await reconcile_team(ctx)
    telegram = await capture(ctx, message("telegram", "11", 1, "Хочу окна", display_name="Пётр"))
    await capture(ctx, message("telegram", "11", 2, "И подоконник"))
    vk = await capture(
        ctx, message("vk", "22", 1, "Это Пётр из VK", display_name="Пётр И.", phone="+79001234567")
    )
    assert telegram.contact_id != vk.contact_id and telegram.lead_id != vk.lead_id

    result = await merge_contacts(
        ctx, HEAD, ContactRef(telegram.contact_id or 0), ContactRef(vk.lead_id or 0, by_lead=True)
    )
    assert result.outcome is MergeOutcome.DONE
    assert (result.kept_id, result.merged_id) == (telegram.contact_id, vk.contact_id)
    assert (result.lead_id, result.closed_lead_id) == (telegram.lead_id, vk.lead_id)
    assert result.moved_messages == 1

    kept, merged = await rows(ctx, Contact)
    assert merged.merged_into_id == kept.id
    assert kept.phone == "+79001234567" and kept.display_name == "Пётр"
    assert {i.contact_id for i in await rows(ctx, ChannelIdentity)} == {kept.id}
    leads = await rows(ctx, Lead)
    assert [(lead.contact_id, lead.is_open) for lead in leads] == [
        (kept.id, True),
        (kept.id, False),
    ]
    assert (
        leads[1].status == "disqualified"
        and leads[1].loss_reason == f"merged into lead #{leads[0].id}"
    )
    details = await lead_details(ctx, telegram.lead_id or 0)
    assert details is not None
    assert [m["text"] for m in details["messages"]] == [
        "Хочу окна",
        "И подоконник",
        "Это Пётр из VK",
    ]
    assert {i["channel"] for i in details["contact"]["identities"]} == {"telegram", "vk"}
    types = {(e.lead_id, e.type) for e in await rows(ctx, LeadEvent)}
    assert (leads[0].id, "contact_merged") in types and (leads[1].id, "merged") in types
    # The closed lead keeps its own events (its creation) as history.
    assert (leads[1].id, "lead_created") in types

    # Later messages from either channel land on the one open lead.
    again = await capture(ctx, message("vk", "22", 2, "Когда замер?"))
    assert (again.contact_id, again.lead_id) == (kept.id, leads[0].id)
    assert len(await rows(ctx, Message)) == 4

    repeat = await merge_contacts(ctx, HEAD, ContactRef(kept.id), ContactRef(merged.id))
    assert repeat.outcome is MergeOutcome.SAME


async def test_merge_refusals(ctx: AppContext) -> None:
    await reconcile_team(ctx)
    first = await capture(ctx, message("telegram", "1", 1, "a"))
    second = await capture(ctx, message("telegram", "2", 1, "b"))
    third = await capture(ctx, message("telegram", "3", 1, "c"))
    a, b, c = (ContactRef(r.contact_id or 0) for r in (first, second, third))
    assert (await merge_contacts(ctx, MANAGER, a, b)).outcome is MergeOutcome.NOT_HEAD
    assert (await merge_contacts(ctx, 999, a, b)).outcome is MergeOutcome.NOT_HEAD
    missing = await merge_contacts(ctx, HEAD, a, ContactRef(9999))
    assert (missing.outcome, missing.missing) == (MergeOutcome.NOT_FOUND, 9999)
    assert (await merge_contacts(ctx, HEAD, a, a)).outcome is MergeOutcome.SAME
    assert (await merge_contacts(ctx, HEAD, a, b)).outcome is MergeOutcome.DONE
    already = await merge_contacts(ctx, HEAD, c, b)
    assert (already.outcome, already.merged_into) == (MergeOutcome.ALREADY_MERGED, a.id)
    # Naming the merged contact as the one to keep means the contact it lives in now.
    assert (await merge_contacts(ctx, HEAD, b, c)).kept_id == a.id


def test_merge_arguments() -> None:
    assert _contact_ref("12") == ContactRef(12)
    assert _contact_ref("#42") == ContactRef(42, by_lead=True)
    assert _contact_ref("L7") == ContactRef(7, by_lead=True)
    assert _contact_ref("x1") is None and _contact_ref("#") is None


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emulator:
        yield emulator


async def test_merge_command_through_the_bot(
    database_url: str, telegram: TelegramEmulator, config: Config
) -> None:
    settings = make_settings(database_url, telegram.base_url)
    async with running_service(settings, config) as service:
        first = await capture(service.ctx, message("telegram", "11", 1, "Хочу окна"))
        second = await capture(service.ctx, message("vk", "22", 1, "Это я же"))
        before = len(telegram.sent_messages(HEAD))
        telegram.add_update(
            telegram.make_text_update(HEAD, f"/merge {first.contact_id} #{second.lead_id}")
        )
        sent = await telegram.wait_for_sent(before + 1, chat_id=HEAD, timeout=10)
        text = sent[-1].params["text"]
        assert f"Contact #{second.contact_id} is merged into #{first.contact_id}" in text
        assert f"Lead #{second.lead_id} is closed" in text
        telegram.add_update(telegram.make_text_update(HEAD, "/merge 1"))
        sent = await telegram.wait_for_sent(before + 2, chat_id=HEAD, timeout=10)
        assert sent[-1].params["text"].startswith("Merge contacts: /merge KEEP OTHER")
        telegram.add_update(telegram.make_text_update(MANAGER, "/merge 1 2"))
        contacts = await rows(service.ctx, Contact)
        assert contacts[1].merged_into_id == contacts[0].id
