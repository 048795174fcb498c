"""Capture: an inbound message becomes a stored message on the contact's open lead.

One transaction does it all, so a crash either keeps everything or nothing, and a
redelivered update (same receipt key or message id) changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC
from enum import StrEnum
from typing import TYPE_CHECKING

from config.business import Config
from domain.classify import classify
from domain.complaint_words import ComplaintDetector
from domain.inbound import InboundEdit, InboundMessage
from domain.pipeline import LeadStatus
from domain.webhooks import LEAD_CREATED
from storage.uow import ConflictError, UnitOfWork
from texts import language_of
from usecases import sla_pause
from usecases.assignment import distribute_waiting, refresh_timer
from usecases.business import attribute_to_owner
from usecases.complaints import open_from_message
from usecases.context import AppContext, held_effects
from usecases.followups import on_lead_event
from usecases.next_step_timers import customer_replied
from usecases.relay import relay_to_manager
from usecases.replies import phone_keyboard, when_to_expect
from usecases.starts import record_start, take_start_source
from usecases.webhooks import lead_event

if TYPE_CHECKING:
    from datetime import datetime

    from storage.models import Contact

log = logging.getLogger(__name__)

# A unique constraint lost to a concurrent capture of the same contact; the retry sees it.
_RACE_RETRIES = 3


class Outcome(StrEnum):
    CAPTURED = "captured"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class CaptureResult:
    outcome: Outcome
    lead_id: int | None = None
    contact_id: int | None = None
    message_id: int | None = None
    new_lead: bool = False


async def capture(ctx: AppContext, inbound: InboundMessage) -> CaptureResult:
    for attempt in range(_RACE_RETRIES):
        try:
            async with ctx.db.uow() as uow:
                result = await _capture(ctx, uow, inbound)
                await uow.commit()
            if result.new_lead:
                ctx.wake("outbox")
                if ctx.distribute_after_capture:
                    await _distribute_after_capture(ctx)
                else:
                    ctx.wake("distribute")
            elif result.outcome is Outcome.CAPTURED:
                ctx.wake("outbox")
            return result
        except ConflictError:
            if attempt == _RACE_RETRIES - 1:
                raise
            log.info("capture raced with another for %s; retrying", inbound.channel)
    raise AssertionError("unreachable")


async def _capture(ctx: AppContext, uow: UnitOfWork, inbound: InboundMessage) -> CaptureResult:
    now = ctx.clock.now()
    if inbound.receipt_key is not None and not await uow.receipts.add(
        inbound.channel, inbound.receipt_key, now
    ):
        return CaptureResult(Outcome.DUPLICATE)
    existing = await uow.messages.by_external_id(inbound.channel, inbound.external_message_id)
    if existing is not None:
        return CaptureResult(Outcome.DUPLICATE, existing.lead_id, existing.contact_id, existing.id)

    sender = inbound.sender
    known = await uow.identities.with_contact(inbound.channel, sender.external_id)
    if known is None:
        contact = await _match_contact(uow, inbound)
        if contact is None:
            contact = await uow.contacts.add(
                now,
                display_name=sender.display_name,
                username=sender.username,
                language=sender.language,
                phone=sender.phone,
                email=sender.email,
            )
        identity = await uow.identities.add(
            now,
            contact_id=contact.id,
            channel=inbound.channel,
            external_id=sender.external_id,
            chat_id=sender.chat_id,
            display_name=sender.display_name,
            username=sender.username,
            language=sender.language,
        )
    else:
        identity, contact = known
        identity.display_name = sender.display_name or identity.display_name
        identity.username = sender.username or identity.username
        identity.language = sender.language or identity.language
        identity.chat_id = sender.chat_id
    # When the customer wrote, by the platform's own timestamp (WhatsApp's 24-hour window
    # counts from it), not when the webhook arrived; never in the future, never backwards.
    sent_at = inbound.sent_at
    if sent_at is not None and sent_at.tzinfo is None:
        sent_at = sent_at.replace(tzinfo=UTC)
    wrote_at = min(sent_at, now) if sent_at else now
    if identity.last_inbound_at is None or wrote_at > identity.last_inbound_at:
        identity.last_inbound_at = wrote_at
    # A Telegram user cannot write to a bot he blocks, so a message means he is reachable.
    identity.blocked_at = None
    _update_contact(contact, inbound, now)

    lead = await uow.leads.open_for_contact(contact.id)
    if inbound.is_start:
        start = await record_start(ctx, uow, inbound, contact, identity, lead, now)
        return CaptureResult(Outcome.CAPTURED, lead.id if lead else None, contact.id, start.id)
    new_lead = lead is None
    if lead is None:
        # The question, not the /start before it, decides the class; the source is the
        # deep link the customer came by, if he did.
        source = inbound.source or take_start_source(contact)
        lead_class = classify(ctx.config.class_rules(), inbound.text, source, inbound.extra)
        lead = await uow.leads.add(
            now,
            contact_id=contact.id,
            status=LeadStatus.NEW.value,
            is_open=True,
            lead_class=lead_class.name,
            priority=lead_class.priority,
            channel=inbound.channel,
            source=source or inbound.channel,
            extra=dict(inbound.extra),
        )
        await refresh_timer(ctx, uow, lead)
        await on_lead_event(ctx, uow, lead, "lead_created")
        uow.events.add(
            lead.id,
            "lead_created",
            now,
            actor="customer",
            data={"channel": inbound.channel, "source": lead.source},
        )
        await lead_event(ctx, uow, LEAD_CREATED, lead)
    lead.last_customer_message_at = now

    message = await uow.messages.add(
        now,
        lead_id=lead.id,
        contact_id=contact.id,
        channel=inbound.channel,
        direction="in",
        external_id=inbound.external_message_id,
        text=inbound.text,
        attachments=[attachment.as_dict() for attachment in inbound.attachments],
        delivery_status="received",
        sent_at=inbound.sent_at,
    )
    uow.events.add(
        lead.id,
        "message_received",
        now,
        actor="customer",
        data={"message_id": message.id, "channel": inbound.channel},
    )
    if sender.phone:
        uow.events.add(lead.id, "phone_shared", now, actor="customer", data={"phone": sender.phone})
    if new_lead and inbound.owner_telegram_id is not None:
        await attribute_to_owner(ctx, uow, lead, inbound.owner_telegram_id)
    if not new_lead:
        await on_lead_event(ctx, uow, lead, "customer_replied")
        if sla_pause.customer_wrote(ctx, lead, now):
            await refresh_timer(ctx, uow, lead)
    if lead.manager_id is not None and not new_lead:
        await relay_to_manager(
            ctx, uow, lead, contact, inbound, message, unless=inbound.owner_telegram_id
        )
        await customer_replied(ctx, uow, lead)
    if (
        inbound.detect_complaint
        and inbound.text
        and not inbound.is_start
        and _detector(ctx).is_complaint(inbound.text)
    ):
        await open_from_message(ctx, uow, lead, contact.id, inbound.text, new_lead=new_lead)

    if new_lead and identity.blocked_at is None and inbound.acknowledge:
        language = language_of(identity.language or contact.language)
        name = contact.display_name or identity.display_name or ""
        when = when_to_expect(ctx, now, language)
        # Only Telegram has a button to share the phone; elsewhere the ack does not ask.
        ask_phone = not contact.phone and inbound.channel == "telegram"
        if not name:
            text = ctx.texts.get("ack_new_lead_noname", language, when=when)
        elif ask_phone:
            text = ctx.texts.get("ack_new_lead", language, name=name, when=when)
        else:
            text = ctx.texts.get("ack_new_lead_with_phone", language, name=name, when=when)
        # auto_submitted: mail says so in a header (RFC 3834), so no robot answers it.
        payload: dict[str, object] = {"text": text, "parse_mode": "HTML", "auto_submitted": True}
        if ask_phone:
            payload["keyboard"] = phone_keyboard(ctx.texts, language)
        await uow.outbox.add(
            channel=inbound.channel,
            chat_id=identity.chat_id,
            purpose="ack",
            payload=payload,
            now=now,
            contact_id=contact.id,
            lead_id=lead.id,
            dedupe_key=f"ack:lead:{lead.id}",
        )
    elif sender.phone and inbound.attachments and inbound.attachments[0].kind == "contact":
        language = language_of(identity.language or contact.language)
        await uow.outbox.add(
            channel=inbound.channel,
            chat_id=identity.chat_id,
            purpose="reply",
            payload={
                "text": ctx.texts.get("phone_thanks", language, phone=sender.phone),
                "parse_mode": "HTML",
                "remove_keyboard": True,
            },
            now=now,
            contact_id=contact.id,
            lead_id=lead.id,
        )
    return CaptureResult(Outcome.CAPTURED, lead.id, contact.id, message.id, new_lead)


def warm_up_detector(config: Config) -> None:
    _detector_for(tuple(config.complaints.phrases)).is_complaint("жалоба")


def _detector(ctx: AppContext) -> ComplaintDetector:
    return _detector_for(tuple(ctx.config.complaints.phrases))


def _detector_for(phrases: tuple[str, ...]) -> ComplaintDetector:
    detector = _DETECTORS.get(phrases)
    if detector is None:
        detector = _DETECTORS[phrases] = ComplaintDetector.from_phrases(phrases)
    return detector


_DETECTORS: dict[tuple[str, ...], ComplaintDetector] = {}


async def _distribute_after_capture(ctx: AppContext) -> None:
    held = held_effects()
    if held is not None:
        # Inside a batch the lead is not committed yet: one pass after the batch's commit.
        held.distribute = True
        return
    await distribute_quietly(ctx)


async def distribute_quietly(ctx: AppContext) -> None:
    """The lead is stored already; if handing it out fails, the next tick does it."""
    try:
        await distribute_waiting(ctx)
    except Exception:
        log.exception("distribution after capture failed; the scheduler will retry")


async def _match_contact(uow: UnitOfWork, inbound: InboundMessage) -> Contact | None:
    """The same phone or e-mail seen on another channel is the same person."""
    if inbound.sender.phone:
        contact = await uow.contacts.find_by_phone(inbound.sender.phone)
        if contact is not None:
            return contact
    if inbound.sender.email:
        return await uow.contacts.find_by_email(inbound.sender.email)
    return None


def _update_contact(contact: Contact, inbound: InboundMessage, now: datetime) -> None:
    sender = inbound.sender
    contact.display_name = contact.display_name or sender.display_name
    contact.username = contact.username or sender.username
    contact.language = sender.language or contact.language
    if sender.phone:
        contact.phone = sender.phone
    if sender.email and not contact.email:
        contact.email = sender.email
    contact.updated_at = now


@dataclass(frozen=True)
class EditResult:
    applied: bool
    lead_id: int | None = None


async def apply_edit(ctx: AppContext, edit: InboundEdit) -> EditResult:
    """An edited message updates the stored text; the old text stays in the lead history."""
    async with ctx.db.uow() as uow:
        now = ctx.clock.now()
        if edit.receipt_key is not None and not await uow.receipts.add(
            edit.channel, edit.receipt_key, now
        ):
            return EditResult(False)
        message = await uow.messages.by_external_id(edit.channel, edit.external_message_id)
        if message is None or message.text == edit.text:
            await uow.commit()
            return EditResult(False, message.lead_id if message else None)
        if message.lead_id is not None:
            uow.events.add(
                message.lead_id,
                "message_edited",
                now,
                actor=_author(message.direction, message.author_manager_id),
                data={"message_id": message.id, "old_text": message.text, "new_text": edit.text},
            )
        message.text = edit.text
        message.edited_at = edit.edited_at or now
        await uow.commit()
        return EditResult(True, message.lead_id)


def _author(direction: str, manager_id: int | None) -> str:
    """Who wrote an edited message: the customer, or (Telegram Business: the account's
    owner editing his own answer in the app) a manager or the account."""
    if direction == "in":
        return "customer"
    return f"manager:{manager_id}" if manager_id is not None else "business_account"


async def set_blocked(ctx: AppContext, channel: str, chat_id: str, blocked: bool) -> bool:
    """The customer blocked (or unblocked) the bot: stop (or resume) sending to him."""
    async with ctx.db.uow() as uow:
        changed = await uow.identities.set_blocked(
            channel, chat_id, ctx.clock.now() if blocked else None
        )
        await uow.commit()
        return changed > 0


async def answer_customer(ctx: AppContext, channel: str, chat_id: str, text: str) -> None:
    """A short service answer (not a lead message), e.g. to a staff command."""
    async with ctx.db.uow() as uow:
        await uow.outbox.add(
            channel=channel,
            chat_id=chat_id,
            purpose="notice",
            payload={"text": text, "parse_mode": "HTML"},
            now=ctx.clock.now(),
        )
        await uow.commit()
    ctx.wake("outbox")
