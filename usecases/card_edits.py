"""A lead's card in a staff chat changes with the lead: accepted, declined, expired, taken
by someone else. The card he already has is edited in place (issue 13), so his chat keeps
one message per lead rather than a trail of stale buttons and notices."""

from __future__ import annotations

from typing import Any

from domain.lead_access import ROLE_HEAD
from storage.models import Manager
from storage.uow import UnitOfWork
from usecases import cards
from usecases.context import AppContext
from usecases.staffing import tell_staff

# What a lead's card in his chat may be: the offer, or the card of a lead he holds.
CARD_PURPOSES = ("offer", "card")


async def card_message_id(
    uow: UnitOfWork, lead_id: int, manager: Manager, purposes: tuple[str, ...] = CARD_PURPOSES
) -> int | None:
    """The Telegram message id of the newest card about this lead he was sent, if one went
    out (one still queued or failed is nothing to edit)."""
    external = await uow.outbox.sent_platform_id(lead_id, str(manager.telegram_id), purposes)
    if not external:
        return None
    _, _, message_id = external.rpartition(":")
    return int(message_id) if message_id.isdigit() else None


def replacing(payload: dict[str, Any], message_id: int | None) -> dict[str, Any]:
    """The payload edits that message instead of sending a new one (the sender sends it
    anew if the message is gone)."""
    return {**payload, "edit_message_id": message_id} if message_id else payload


async def close_card(
    ctx: AppContext,
    uow: UnitOfWork,
    lead_id: int,
    manager: Manager,
    text: str,
    *,
    purposes: tuple[str, ...] = CARD_PURPOSES,
    or_tell: bool = True,
) -> None:
    """His card about the lead now says `text`, with no buttons left to press. With no card
    sent to edit he is told in a message, unless `or_tell` is False."""
    message_id = await card_message_id(uow, lead_id, manager, purposes)
    if message_id is None and not or_tell:
        return
    await tell_staff(
        ctx,
        uow,
        manager,
        replacing(cards.payload(text), message_id),
        purpose="notice",
        lead_id=lead_id,
    )


async def refresh_stale_card(
    ctx: AppContext, lead_id: int, telegram_id: int, message_id: int | None
) -> None:
    """A press refused as stale or not his: the card pressed says where the lead stands
    now and loses its buttons, so he is not left pressing them again. A card of a lead
    he still holds, or any open lead's card for a head, stays as it is."""
    if message_id is None:
        return
    async with ctx.db.uow() as uow:
        manager = await uow.managers.by_telegram_id(telegram_id)
        lead = await uow.leads.get(lead_id)
        if manager is None or lead is None:
            return
        language = manager.language
        if not lead.is_open:
            stage = cards.stage_name(ctx.texts, language, lead.status)
            text = ctx.texts.get("stale_card_closed", language, lead_id=lead.id, stage=stage)
        elif manager.role == ROLE_HEAD or manager.id in (lead.manager_id, lead.offered_manager_id):
            return
        else:
            text = ctx.texts.get("offer_card_gone", language, lead_id=lead.id)
        await tell_staff(
            ctx,
            uow,
            manager,
            replacing(cards.payload(text), message_id),
            purpose="notice",
            lead_id=lead.id,
        )
        await uow.commit()
    ctx.wake("outbox")
