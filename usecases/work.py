"""A manager working a lead: reply to the customer, move the stage, comment, close."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain import business
from domain import escalation as escalations
from domain import lead_transitions as transitions
from domain import webhooks as hooks
from domain.pipeline import CLOSED_STATUSES, OPEN_STATUSES, LeadStatus
from domain.reasons import is_real_reason
from domain.text_split import split_text
from storage.models import Lead, Manager
from storage.uow import UnitOfWork
from usecases import cards, gate_views, gates, next_step_timers, sla_pause
from usecases.acting import acting_on
from usecases.amounts import closed_text, deal_data
from usecases.answer_only import writes_first
from usecases.assignment import Verdict, distribute_waiting, refresh_timer
from usecases.context import AppContext
from usecases.escalations import escalate
from usecases.followups import on_lead_event
from usecases.gates import StageMove
from usecases.labels import channel_label
from usecases.webhooks import lead_event


async def check_acting(
    ctx: AppContext,
    lead_id: int,
    telegram_id: int,
    *,
    need_offer: bool = False,
    for_reply: bool = False,
) -> tuple[Verdict, str]:
    """May this person start working on this lead now (a dialog, a reason picker)?
    With `need_offer`: is the lead offered to him? With `for_reply`: may he write to the
    customer (not where the channel lets him only answer)? Also the lead's channel, by
    its name in his language (the prompts name it to him)."""
    async with ctx.db.uow() as uow:
        acting = await acting_on(uow, lead_id, telegram_id, for_update=False, need_offer=need_offer)
        if isinstance(acting, Verdict):
            return acting, ""
        if for_reply:
            lead = acting.lead
            identity = await uow.identities.reply_address(lead.contact_id, lead.channel)
            if identity is not None and writes_first(ctx, lead, identity.channel):
                return Verdict.ANSWER_ONLY, identity.channel
    language = acting.manager.language if acting.manager else "ru"
    return Verdict.DONE, channel_label(ctx.texts, language, acting.lead.channel)


async def reply(ctx: AppContext, lead_id: int, telegram_id: int, text: str) -> Verdict:
    """The manager's words go to the customer on the channel the lead came from, split
    into several messages, in order, when longer than the channel takes in one."""
    verdict, _ = await _reply(ctx, lead_id, telegram_id, text, media=None)
    return verdict


@dataclass(frozen=True)
class MediaReply:
    """A photo or file the manager sent: his chat's message to copy, and what it is."""

    chat_id: int
    message_id: int
    kind: str
    caption: str = ""
    # Telegram's id of the file: a Telegram Business chat takes it by id (a copy of the
    # manager's message cannot be sent on the account's behalf), and a channel that passes
    # a photo on (Avito) sends its largest size.
    file_id: str | None = None


async def reply_media(
    ctx: AppContext, lead_id: int, telegram_id: int, media: MediaReply
) -> tuple[Verdict, str | None]:
    """A manager's photo or document reaches a Telegram customer as a copy; a photo
    reaches a customer on a channel that takes pictures (Avito) as that picture; elsewhere
    only its caption goes, and the second value names the channel that could not take it."""
    return await _reply(ctx, lead_id, telegram_id, media.caption, media=media)


async def _reply(
    ctx: AppContext, lead_id: int, telegram_id: int, text: str, *, media: MediaReply | None
) -> tuple[Verdict, str | None]:
    async with ctx.db.uow() as uow:
        acting = await acting_on(uow, lead_id, telegram_id)
        if isinstance(acting, Verdict):
            return acting, None
        lead, manager = acting.lead, acting.manager
        now = ctx.clock.now()
        identity = await uow.identities.reply_address(lead.contact_id, lead.channel)
        if identity is None:
            return Verdict.STALE, None
        if writes_first(ctx, lead, identity.channel):
            return Verdict.ANSWER_ONLY, None
        refused = None
        payloads: list[dict[str, Any]] = []
        if media is not None and identity.channel == "telegram":
            payloads = [
                {"copy_from_chat_id": str(media.chat_id), "copy_message_id": media.message_id}
            ]
        elif media is not None and media.file_id and identity.channel == business.CHANNEL:
            payloads = [{"media_kind": media.kind, "file_id": media.file_id, "text": text}]
        else:
            if media is not None and _passes_photo(ctx, identity.channel, media):
                payloads.append({"staff_photo": media.file_id})
            elif media is not None:
                refused = identity.channel
            limit = ctx.text_limits.get(identity.channel, 0)
            # Plain text: what the manager typed is sent as he typed it.
            payloads += [{"text": piece} for piece in split_text(text, limit) if piece.strip()]
        if not payloads:
            return Verdict.DONE, refused
        message = await uow.messages.add(
            now,
            lead_id=lead.id,
            contact_id=lead.contact_id,
            channel=identity.channel,
            direction="out",
            text=text,
            attachments=[{"kind": media.kind}] if media is not None and not refused else [],
            author_manager_id=manager.id,
            delivery_status="queued",
        )
        for payload in payloads:
            outbox_id = await uow.outbox.add(
                channel=identity.channel,
                chat_id=identity.chat_id,
                purpose="reply",
                payload=payload,
                now=now,
                contact_id=lead.contact_id,
                lead_id=lead.id,
                message_id=message.id,
                # He hears whether it was delivered; delivery, not this, is his first
                # response.
                notify_manager_id=manager.id,
            )
            message.outbox_id = message.outbox_id or outbox_id
        await on_lead_event(ctx, uow, lead, "manager_replied")
        uow.events.add(
            lead.id,
            "replied",
            now,
            actor=f"manager:{manager.id}",
            manager_id=manager.id,
            data={"message_id": message.id, "parts": len(payloads)},
        )
        sla_pause.manager_wrote(ctx, lead, now)
        await refresh_timer(ctx, uow, lead)
        await uow.commit()
    ctx.wake("outbox")
    return Verdict.DONE, refused


def _passes_photo(ctx: AppContext, channel: str, media: MediaReply) -> bool:
    return media.kind == "photo" and bool(media.file_id) and channel in ctx.photo_channels


# What a native reply may answer: what the customer said or sent and the lead's cards;
# not the bot's own words about a lead (a delivery fate, a notice).
REPLYABLE = ("card", "offer", "relay", "relay_media", "reminder")


async def lead_of_staff_message(ctx: AppContext, telegram_id: int, message_id: int) -> int | None:
    """The lead a card or relay in this staff chat was about (a native reply names it)."""
    async with ctx.db.uow() as uow:
        return await uow.outbox.lead_of_sent(
            "telegram", f"{telegram_id}:{message_id}", chat_id=str(telegram_id), purposes=REPLYABLE
        )


async def move_stage(ctx: AppContext, lead_id: int, telegram_id: int | None, stage: str) -> Verdict:
    return (await move_stage_checked(ctx, lead_id, telegram_id, stage)).verdict


async def move_stage_checked(
    ctx: AppContext, lead_id: int, telegram_id: int | None, stage: str, *, override: bool = False
) -> StageMove:
    """The stage buttons in Telegram, the dashboard's board and the API move a lead here.
    `telegram_id` None is the administrator on the dashboard: a head's rights, and the
    new card goes to the lead's holder, as he has no chat of his own. A stage whose gate
    is not met refuses the move with what is missing; a head may `override` it."""
    if stage not in {status.value for status in OPEN_STATUSES} or stage == LeadStatus.NEW:
        return StageMove(Verdict.STALE)
    async with ctx.db.uow() as uow:
        acting = await acting_on(uow, lead_id, telegram_id)
        if isinstance(acting, Verdict):
            return StageMove(acting)
        lead = acting.lead
        if lead.status == stage:
            return StageMove(Verdict.STALE)
        checked = await gates.check_move(ctx, uow, acting, stage, override=override)
        if checked.verdict is not Verdict.DONE:
            await uow.commit()  # the attempt stays in the history
            return checked
        now = ctx.clock.now()
        uow.events.add(
            lead.id,
            "stage_changed",
            now,
            actor=acting.actor,
            manager_id=acting.manager_id,
            data={"from": lead.status, "to": stage},
        )
        lead.status = stage
        lead.stage_entered_at = now
        await sla_pause.stage_entered(ctx, uow, lead, now)
        if stage == LeadStatus.CONTACTED and lead.first_response_at is None:
            lead.first_response_at = now
        await on_lead_event(ctx, uow, lead, "stage_entered", stage=stage)
        await refresh_timer(ctx, uow, lead)
        told = acting.manager or (
            await uow.managers.get(lead.manager_id) if lead.manager_id else None
        )
        if told is not None:
            await cards_after_change(ctx, uow, lead, told)
        await uow.commit()
    ctx.wake("outbox")
    return checked


async def cards_after_change(
    ctx: AppContext, uow: UnitOfWork, lead: Lead, manager: Manager
) -> None:
    language = manager.language
    text = ctx.texts.get(
        "stage_moved",
        language,
        lead_id=lead.id,
        stage=cards.stage_name(ctx.texts, language, lead.status),
    )
    buttons = cards.work_buttons(
        ctx.texts,
        language,
        lead.id,
        lead.status,
        steps=ctx.config.next_steps.enabled,
        terms=bool(ctx.config.special_terms.rules()),
    )
    playbook, rows = await gate_views.card_part(ctx, uow, lead, language)
    await uow.outbox.add(
        channel="telegram",
        chat_id=str(manager.telegram_id),
        purpose="card",
        payload=cards.payload(text + playbook, buttons + rows),
        now=ctx.clock.now(),
        lead_id=lead.id,
    )


async def close(
    ctx: AppContext,
    lead_id: int,
    telegram_id: int,
    outcome: str,
    reason: str | None = None,
    comment: str | None = None,
    amount: int | None = None,
) -> Verdict:
    """Won, lost or disqualified. A loss without a real reason pings the head, once.
    A win may carry the deal's amount (minor units of the company's currency)."""
    if outcome not in {status.value for status in CLOSED_STATUSES}:
        return Verdict.STALE
    won = outcome == LeadStatus.WON
    deal = (amount, ctx.config.company.currency) if won and amount is not None else None
    async with ctx.db.uow() as uow:
        acting = await acting_on(uow, lead_id, telegram_id)
        if isinstance(acting, Verdict):
            return acting
        lead, manager = acting.lead, acting.manager
        now = ctx.clock.now()
        transitions.apply(
            lead, transitions.closed(outcome, now, reason=reason, comment=comment, amount=deal)
        )
        await next_step_timers.lead_closed(ctx, uow, lead)
        if outcome != LeadStatus.DISQUALIFIED:
            await on_lead_event(ctx, uow, lead, "won" if won else "lost")
        uow.events.add(
            lead.id,
            "closed",
            now,
            actor=f"manager:{manager.id}",
            manager_id=manager.id,
            data={"outcome": outcome, "reason": reason, "comment": comment, **deal_data(lead)},
        )
        await lead_event(ctx, uow, hooks.LEAD_WON if won else hooks.LEAD_LOST, lead)
        if outcome != LeadStatus.WON and not is_real_reason(reason, comment):
            shown = comment or reason or "—"
            await escalate(
                ctx,
                uow,
                escalations.no_reason(lead.id),
                lambda language: cards.payload(
                    ctx.texts.get(
                        "head_no_reason",
                        language,
                        lead_id=lead.id,
                        stage=cards.stage_name(ctx.texts, language, outcome),
                        reason=shown,
                        manager=manager.name,
                    )
                ),
            )
        await uow.outbox.add(
            channel="telegram",
            chat_id=str(manager.telegram_id),
            purpose="notice",
            payload=cards.payload(closed_text(ctx, manager.language, lead)),
            now=now,
            lead_id=lead.id,
        )
        await uow.commit()
    ctx.wake("outbox")
    # A seat is free: the queue may move.
    await distribute_waiting(ctx)
    return Verdict.DONE


async def decline_reason(ctx: AppContext, lead_id: int, telegram_id: int, text: str) -> Verdict:
    """The reason for a decline already made: the lead has passed on meanwhile, and
    whatever happened to it since (even its next offer running out) changes nothing."""
    reason = text.strip()[:500]
    async with ctx.db.uow() as uow:
        manager = await uow.managers.by_telegram_id(telegram_id)
        if manager is None or not reason:
            return Verdict.STALE
        if not await uow.offers.set_decline_reason(lead_id, manager.id, reason):
            return Verdict.STALE
        uow.events.add(
            lead_id,
            "decline_reason",
            ctx.clock.now(),
            actor=f"manager:{manager.id}",
            manager_id=manager.id,
            data={"reason": reason},
        )
        await uow.commit()
    return Verdict.DONE


async def comment(ctx: AppContext, lead_id: int, telegram_id: int, text: str) -> Verdict:
    async with ctx.db.uow() as uow:
        acting = await acting_on(uow, lead_id, telegram_id)
        if isinstance(acting, Verdict):
            return acting
        uow.events.add(
            acting.lead.id,
            "comment",
            ctx.clock.now(),
            actor=f"manager:{acting.manager.id}",
            manager_id=acting.manager.id,
            data={"text": text},
        )
        await uow.commit()
    return Verdict.DONE
