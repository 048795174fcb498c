"""Telegram Business: the accounts connected to the bot, and what their chats add to leads.

A connection's state is stored as Telegram last gave it; its changes that matter to
people (connected, lost, back) are told to the heads once each. A new lead from an
account's chat is its owner's when he is on the team. What the owner writes to a customer
in the Telegram app is his answer on the lead: it counts as the first response and stops
the SLA timers like a reply through the bot, and is relayed nowhere. Deleted messages are
recorded as events; their text stays in the history."""

from __future__ import annotations

import logging
from collections import defaultdict

from domain import business
from domain import lead_transitions as transitions
from domain import webhooks as hooks
from domain.business import Change, Connection, OwnerMessage
from storage.business_models import BusinessConnection as ConnectionRow
from storage.models import Lead, Manager
from storage.uow import UnitOfWork
from usecases import cards, sla_pause
from usecases.assignment import refresh_timer, send_card
from usecases.context import AppContext
from usecases.followups import on_lead_event
from usecases.staffing import tell_heads
from usecases.webhooks import lead_event

log = logging.getLogger(__name__)


def _connection(row: ConnectionRow) -> Connection:
    return Connection(
        id=row.id,
        owner_id=row.owner_user_id,
        owner_name=row.owner_name,
        owner_username=row.owner_username,
        user_chat_id=row.user_chat_id,
        enabled=row.is_enabled,
        can_reply=row.can_reply,
    )


async def known_connection(ctx: AppContext, connection_id: str) -> Connection | None:
    async with ctx.db.uow() as uow:
        row = await uow.business.get(connection_id)
        return _connection(row) if row is not None else None


async def reply_route(ctx: AppContext, owner_id: int) -> str | None:
    """The connection to answer this account's customers through: its latest one, even a
    disabled one (Telegram is the judge of that, and says why it refuses)."""
    async with ctx.db.uow() as uow:
        row = await uow.business.latest_for_owner(owner_id)
        return row.id if row is not None else None


def _usable_staff(manager: Manager | None) -> Manager | None:
    if manager is None or not manager.active or manager.retired_at is not None:
        return None
    return manager


async def record_connection(
    ctx: AppContext, connection: Connection, rights: dict[str, object] | None = None
) -> Change:
    """Store the connection's new state; tell the heads what it means, once (a redelivered
    update finds the state already stored and changes nothing)."""
    async with ctx.db.uow() as uow:
        now = ctx.clock.now()
        row = await uow.business.get(connection.id)
        if row is None:
            # A reconnection may bring a new id: the account's history is one.
            row = await uow.business.latest_for_owner(connection.owner_id)
        before = _connection(row) if row is not None else None
        happened = business.change(before, connection)
        # Connected without the right to answer is a loss from the start: say so too.
        lost = happened is Change.LOST or (happened is Change.CONNECTED and not connection.usable)
        lost_count = (row.lost_count if row is not None else 0) + (1 if lost else 0)
        await uow.business.save(
            connection.id,
            now,
            owner_user_id=connection.owner_id,
            owner_name=connection.owner_name,
            owner_username=connection.owner_username,
            user_chat_id=connection.user_chat_id,
            is_enabled=connection.enabled,
            can_reply=connection.can_reply,
            rights=dict(rights or {}),
            lost_count=lost_count,
            lost_at=now if lost else (row.lost_at if row else None),
            connected_at=row.connected_at if row is not None and row.connected_at else now,
        )
        await _tell(ctx, uow, connection, happened, lost_count, lost=lost)
        await uow.commit()
    if happened is not Change.NONE:
        ctx.wake("outbox")
        log.info("business connection %s (%s): %s", connection.id, connection.label, happened)
    return happened


async def _tell(
    ctx: AppContext,
    uow: UnitOfWork,
    connection: Connection,
    happened: Change,
    lost_count: int,
    *,
    lost: bool,
) -> None:
    account = connection.label
    owner_id = connection.owner_id
    if happened is Change.CONNECTED:
        owner = _usable_staff(await uow.managers.by_telegram_id(owner_id))
        if owner is None:
            await _tell_stranger(ctx, uow, connection)
        else:
            await tell_heads(
                ctx,
                uow,
                lambda language: cards.payload(
                    ctx.texts.get(
                        "business_connected", language, account=account, manager=owner.name
                    )
                ),
                purpose="notice",
                dedupe_key=f"business-on:{owner_id}:{lost_count}",
            )
    if lost:
        key = "business_off" if not connection.enabled else "business_no_reply"
        await tell_heads(
            ctx,
            uow,
            lambda language: cards.payload(ctx.texts.get(key, language, account=account)),
            purpose="escalation",
            dedupe_key=f"business-lost:{owner_id}:{lost_count}",
        )
    elif happened is Change.BACK:
        await tell_heads(
            ctx,
            uow,
            lambda language: cards.payload(
                ctx.texts.get("business_back", language, account=account)
            ),
            purpose="notice",
            dedupe_key=f"business-back:{owner_id}:{lost_count}",
        )


async def _tell_stranger(ctx: AppContext, uow: UnitOfWork, connection: Connection) -> None:
    """The account's owner is not on the team: the heads hear it once, ever."""
    await tell_heads(
        ctx,
        uow,
        lambda language: cards.payload(
            ctx.texts.get(
                "business_connected_stranger",
                language,
                account=connection.label,
                telegram_id=connection.owner_id,
            )
        ),
        purpose="notice",
        dedupe_key=f"business-stranger:{connection.owner_id}",
    )


async def attribute_to_owner(
    ctx: AppContext, uow: UnitOfWork, lead: Lead, owner_telegram_id: int
) -> bool:
    """A new lead from an account's chat is the account owner's, at once, with its card.
    False (distribution hands it out) when the owner is not on the team."""
    owner = _usable_staff(await uow.managers.by_telegram_id(owner_telegram_id))
    if owner is None:
        row = await uow.business.latest_for_owner(owner_telegram_id)
        if row is not None:
            await _tell_stranger(ctx, uow, _connection(row))
        return False
    now = ctx.clock.now()
    transitions.apply(lead, transitions.assigned_by_rotation(owner.id, now))
    uow.events.add(
        lead.id, "assigned", now, data={"manager_id": owner.id, "mode": "business_account"}
    )
    await lead_event(ctx, uow, hooks.LEAD_ASSIGNED, lead)
    await send_card(ctx, uow, lead, owner, offer=False)
    return True


async def record_owner_message(ctx: AppContext, written: OwnerMessage) -> bool:
    """The owner's own message to a customer, on the customer's open lead; False when
    there is nothing to record it on (a redelivery, a chat that is no lead's)."""
    async with ctx.db.uow() as uow:
        now = ctx.clock.now()
        if written.receipt_key is not None and not await uow.receipts.add(
            business.CHANNEL, written.receipt_key, now
        ):
            return False
        if await uow.messages.by_external_id(business.CHANNEL, written.external_message_id):
            return False
        identity = await uow.identities.get(business.CHANNEL, written.customer_external_id)
        lead = await uow.leads.open_for_contact(identity.contact_id) if identity else None
        if identity is None or lead is None:
            await uow.commit()
            log.info("owner's message %s: no open lead in that chat", written.external_message_id)
            return False
        author = _usable_staff(await uow.managers.by_telegram_id(written.owner_id))
        message = await uow.messages.add(
            now,
            lead_id=lead.id,
            contact_id=lead.contact_id,
            channel=business.CHANNEL,
            direction="out",
            external_id=written.external_message_id,
            text=written.text,
            attachments=[dict(item) for item in written.attachments],
            author_manager_id=author.id if author else None,
            delivery_status="sent",
            sent_at=written.sent_at or now,
        )
        actor = f"manager:{author.id}" if author else "business_account"
        data = {"message_id": message.id, "via": "telegram_app"}
        if written.automatic:
            # A greeting or away message Telegram sent for him is not his answer.
            uow.events.add(lead.id, "auto_reply", now, actor="business_account", data=data)
        else:
            uow.events.add(
                lead.id,
                "replied",
                now,
                actor=actor,
                manager_id=author.id if author else None,
                data=data,
            )
            if lead.first_response_at is None:
                lead.first_response_at = now
            await on_lead_event(ctx, uow, lead, "manager_replied")
            sla_pause.manager_wrote(ctx, lead, now)
            await refresh_timer(ctx, uow, lead)
        await uow.commit()
    return True


async def record_deleted(ctx: AppContext, keys: list[str], receipt_key: str | None) -> int:
    """Messages deleted in an account's chat: an event on their lead names them; their
    text stays in the history. Returns how many stored messages were named."""
    async with ctx.db.uow() as uow:
        now = ctx.clock.now()
        if receipt_key is not None and not await uow.receipts.add(
            business.CHANNEL, receipt_key, now
        ):
            return 0
        by_lead: dict[int, list[int]] = defaultdict(list)
        for key in keys:
            message = await uow.messages.by_external_id(business.CHANNEL, key)
            if message is not None and message.lead_id is not None:
                by_lead[message.lead_id].append(message.id)
        for lead_id, message_ids in by_lead.items():
            uow.events.add(
                lead_id,
                "messages_deleted",
                now,
                actor="telegram_business",
                data={"message_ids": message_ids},
            )
        await uow.commit()
    return sum(len(ids) for ids in by_lead.values())
