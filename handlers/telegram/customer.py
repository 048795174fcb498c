"""What customers send to the bot: every message is captured as part of a lead."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import KICKED, MEMBER, ChatMemberUpdatedFilter, Command
from aiogram.types import ChatMemberUpdated, Message, Update

from app.texts import language_of
from channels.telegram.normalise import CHANNEL, Skip, edit_from_message, inbound_from_message
from domain.contacts import mask_phone
from usecases.capture import answer_customer, apply_edit, capture, set_blocked
from usecases.context import AppContext

log = logging.getLogger(__name__)
router = Router(name="customer")


STAFF_COMMANDS = (
    "leads",
    "lead",
    "today",
    "team",
    "invite",
    "pause",
    "resume",
    "deactivate",
    "activate",
    "cancel",
)


@router.message(Command(*STAFF_COMMANDS), F.chat.type == "private")
async def on_staff_command(message: Message, ctx: AppContext) -> None:
    """A customer never reaches manager commands; he gets the customer's answer."""
    user = message.from_user
    language = language_of(user.language_code if user else None)
    await answer_customer(
        ctx, CHANNEL, str(message.chat.id), ctx.texts.get("customer_only", language)
    )


@router.message()
async def on_message(message: Message, ctx: AppContext, event_update: Update) -> None:
    try:
        inbound = inbound_from_message(
            message,
            event_update.update_id,
            allow_groups=ctx.config.telegram.allow_groups,
            region=ctx.config.company.default_region,
        )
    except Skip as reason:
        log.info("update %s skipped: %s", event_update.update_id, reason)
        return
    result = await capture(ctx, inbound)
    log.info(
        "update %s: %s lead=%s%s",
        event_update.update_id,
        result.outcome,
        result.lead_id,
        f" phone={mask_phone(inbound.sender.phone)}" if inbound.sender.phone else "",
    )


@router.edited_message()
async def on_edit(message: Message, ctx: AppContext, event_update: Update) -> None:
    try:
        edit = edit_from_message(message, event_update.update_id)
    except Skip as reason:
        log.info("edit %s skipped: %s", event_update.update_id, reason)
        return
    result = await apply_edit(ctx, edit)
    log.info(
        "update %s: edit applied=%s lead=%s", event_update.update_id, result.applied, result.lead_id
    )


@router.my_chat_member(F.chat.type == "private", ChatMemberUpdatedFilter(KICKED))
async def on_blocked(event: ChatMemberUpdated, ctx: AppContext) -> None:
    changed = await set_blocked(ctx, CHANNEL, str(event.chat.id), blocked=True)
    log.info("chat %s blocked the bot (known contact: %s)", event.chat.id, changed)


@router.my_chat_member(F.chat.type == "private", ChatMemberUpdatedFilter(MEMBER))
async def on_unblocked(event: ChatMemberUpdated, ctx: AppContext) -> None:
    changed = await set_blocked(ctx, CHANNEL, str(event.chat.id), blocked=False)
    log.info("chat %s unblocked the bot (known contact: %s)", event.chat.id, changed)
