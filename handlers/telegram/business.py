"""Telegram Business updates: an account connecting (or disconnecting) the bot, and the
messages of its chats with customers — theirs captured as leads, the owner's own answers
recorded on the lead, the bot's own sends told back to it left alone."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.types import BusinessConnection, BusinessMessagesDeleted, Message, Update

from channels.telegram import business as channel
from channels.telegram.normalise import Skip
from usecases.business import record_connection, record_deleted, record_owner_message
from usecases.capture import apply_edit, capture
from usecases.context import AppContext

log = logging.getLogger(__name__)
router = Router(name="business")


@router.business_connection()
async def on_connection(event: BusinessConnection, ctx: AppContext) -> None:
    connection, rights = channel.connection_of(event)
    await record_connection(ctx, connection, rights)


@router.business_message()
async def on_business_message(
    message: Message, ctx: AppContext, bot: Bot, event_update: Update
) -> None:
    update_id = event_update.update_id
    connection = await channel.ensure_connection(ctx, bot, message.business_connection_id)
    if connection is None:
        log.info("business update %s: unknown connection, skipped", update_id)
        return
    role = channel.role_of(message, connection)
    if role is channel.Role.ECHO:
        return  # the bot's own answer, stored when it was queued
    if role is channel.Role.OWNER:
        written = channel.owner_message_of(message, update_id, connection)
        recorded = await record_owner_message(ctx, written)
        log.info("business update %s: owner's answer recorded=%s", update_id, recorded)
        return
    try:
        inbound = channel.inbound_from_business(
            message, update_id, connection, region=ctx.config.company.default_region
        )
    except Skip as reason:
        log.info("business update %s skipped: %s", update_id, reason)
        return
    result = await capture(ctx, inbound)
    log.info("business update %s: %s lead=%s", update_id, result.outcome, result.lead_id)


@router.edited_business_message()
async def on_business_edit(
    message: Message, ctx: AppContext, bot: Bot, event_update: Update
) -> None:
    connection = await channel.ensure_connection(ctx, bot, message.business_connection_id)
    if connection is None or channel.role_of(message, connection) is channel.Role.ECHO:
        return
    result = await apply_edit(ctx, channel.edit_of(message, event_update.update_id, connection))
    log.info(
        "business update %s: edit applied=%s lead=%s",
        event_update.update_id,
        result.applied,
        result.lead_id,
    )


@router.deleted_business_messages()
async def on_business_deleted(
    event: BusinessMessagesDeleted, ctx: AppContext, bot: Bot, event_update: Update
) -> None:
    connection = await channel.ensure_connection(ctx, bot, event.business_connection_id)
    if connection is None:
        return
    named = await record_deleted(
        ctx, channel.deleted_keys(event, connection), str(event_update.update_id)
    )
    log.info("business update %s: %s stored messages deleted", event_update.update_id, named)
