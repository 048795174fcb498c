"""One person across channels: a head merges two contacts by hand; a channel asks whether
it may still reach a contact, records what the platform says became of a sent message,
and keeps the e-mail threads and mailbox positions that let mail join the right lead."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain import lead_transitions as transitions
from storage.models import Contact, Lead
from storage.repos.channels import MailboxPosition
from storage.uow import UnitOfWork
from usecases import cards, next_step_timers
from usecases.context import AppContext
from usecases.staffing import ROLE_HEAD, tell_heads, tell_staff

log = logging.getLogger(__name__)

# How far merged_into links are followed; a longer chain is a data error, not a loop to run.
_MAX_CHAIN = 10
# Outgoing mail keeps the latest Message-IDs of the thread, not the whole history.
MAX_REFERENCES = 20


# ---------------------------------------------------------------------------- merging


class MergeOutcome(StrEnum):
    DONE = "done"
    NOT_HEAD = "not_head"
    NOT_FOUND = "not_found"
    SAME = "same"
    ALREADY_MERGED = "already_merged"


@dataclass(frozen=True)
class ContactRef:
    """A contact named by its own id, or by the id of one of its leads."""

    id: int
    by_lead: bool = False


@dataclass(frozen=True)
class MergeResult:
    outcome: MergeOutcome
    kept_id: int | None = None
    merged_id: int | None = None
    lead_id: int | None = None  # the open lead that carries both histories, if any
    closed_lead_id: int | None = None  # the merged contact's open lead, folded into it
    moved_messages: int = 0
    missing: int | None = None  # the id that was not found
    merged_into: int | None = None  # where an already merged contact went


async def _resolve(uow: UnitOfWork, ref: ContactRef) -> Contact | None:
    if ref.by_lead:
        lead = await uow.leads.get(ref.id)
        if lead is None:
            return None
        return await uow.contacts.get(lead.contact_id)
    return await uow.contacts.get(ref.id)


async def _current(uow: UnitOfWork, contact: Contact) -> Contact:
    """The contact a merged one now lives in."""
    for _ in range(_MAX_CHAIN):
        if contact.merged_into_id is None:
            return contact
        target = await uow.contacts.get(contact.merged_into_id)
        if target is None:
            return contact
        contact = target
    return contact


def _fold(lead: Lead, into: Lead, now: datetime) -> None:
    """The merged contact's open lead closes; its messages already moved to `into`."""
    transitions.apply(lead, transitions.folded(into.id, now))


async def merge_contacts(
    ctx: AppContext, head_telegram_id: int, keep: ContactRef, merge: ContactRef
) -> MergeResult:
    """`merge` becomes part of `keep`: its channel identities, leads, messages, complaints
    and surveys move over, so both histories stay readable under one contact. When both
    have an open lead, the merged one's messages join the kept lead and it is closed."""
    async with ctx.db.uow() as uow:
        head = await uow.managers.by_telegram_id(head_telegram_id)
        if head is None or head.role != ROLE_HEAD or not head.active:
            return MergeResult(MergeOutcome.NOT_HEAD)
        kept = await _resolve(uow, keep)
        if kept is None:
            return MergeResult(MergeOutcome.NOT_FOUND, missing=keep.id)
        merged = await _resolve(uow, merge)
        if merged is None:
            return MergeResult(MergeOutcome.NOT_FOUND, missing=merge.id)
        kept = await _current(uow, kept)
        if merged.merged_into_id is not None:
            target = await _current(uow, merged)
            outcome = MergeOutcome.SAME if target.id == kept.id else MergeOutcome.ALREADY_MERGED
            return MergeResult(outcome, kept.id, merged.id, merged_into=target.id)
        if kept.id == merged.id:
            return MergeResult(MergeOutcome.SAME, kept.id, merged.id)

        now = ctx.clock.now()
        actor = f"manager:{head.id}"
        kept_lead = await uow.leads.open_for_contact(kept.id)
        merged_lead = await uow.leads.open_for_contact(merged.id)
        moved = 0
        closed_lead_id = None
        if kept_lead is not None and merged_lead is not None:
            kept_lead = await uow.leads.get_for_update(kept_lead.id) or kept_lead
            merged_lead = await uow.leads.get_for_update(merged_lead.id) or merged_lead
            moved = await uow.merges.move_lead_messages(merged_lead.id, kept_lead.id)
            _fold(merged_lead, kept_lead, now)
            await next_step_timers.lead_closed(ctx, uow, merged_lead)
            closed_lead_id = merged_lead.id
            uow.events.add(
                merged_lead.id,
                "merged",
                now,
                actor=actor,
                manager_id=head.id,
                data={"into_lead": kept_lead.id, "into_contact": kept.id, "messages": moved},
            )
            # The partial unique index allows one open lead per contact: close it first.
            await uow.flush()
        await uow.merges.move_contact(merged.id, kept.id)
        open_lead = kept_lead or merged_lead
        if open_lead is not None:
            uow.events.add(
                open_lead.id,
                "contact_merged",
                now,
                actor=actor,
                manager_id=head.id,
                data={
                    "kept_contact": kept.id,
                    "merged_contact": merged.id,
                    "closed_lead": closed_lead_id,
                    "messages": moved,
                },
            )
        kept.display_name = kept.display_name or merged.display_name
        kept.username = kept.username or merged.username
        kept.language = kept.language or merged.language
        kept.phone = kept.phone or merged.phone
        kept.email = kept.email or merged.email
        kept.timezone = kept.timezone or merged.timezone
        # Whoever unsubscribed as either of them stays unsubscribed.
        opt_outs = [d for d in (kept.marketing_opt_out_at, merged.marketing_opt_out_at) if d]
        kept.marketing_opt_out_at = min(opt_outs) if opt_outs else None
        kept.updated_at = now
        merged.merged_into_id = kept.id
        merged.updated_at = now
        await uow.commit()
    log.info("contact %s merged into %s by head %s", merged.id, kept.id, head.id)
    return MergeResult(
        MergeOutcome.DONE,
        kept.id,
        merged.id,
        lead_id=open_lead.id if open_lead is not None else None,
        closed_lead_id=closed_lead_id,
        moved_messages=moved,
    )


# ------------------------------------------------------------------------ reachability


async def last_inbound_at(ctx: AppContext, channel: str, chat_id: str) -> datetime | None:
    """When the customer at this address last wrote (WhatsApp's 24-hour window)."""
    async with ctx.db.uow() as uow:
        identity = await uow.identities.by_chat(channel, chat_id)
        return identity.last_inbound_at if identity is not None else None


async def tell_template_only(ctx: AppContext, row_id: int) -> bool:
    """A manager's reply cannot go out as text any more: tell him (or the heads, when the
    lead has no manager) that only a template reaches the customer now. Once per row."""
    async with ctx.db.uow() as uow:
        row = await uow.outbox.get(row_id)
        if row is None or row.purpose != "reply" or row.lead_id is None:
            return False
        lead = await uow.leads.get(row.lead_id)
        if lead is None:
            return False
        contact = await uow.contacts.get(lead.contact_id)
        phone = (contact.phone if contact else None) or row.chat_id
        key = f"template_only:{row_id}"

        def build(language: str) -> dict[str, object]:
            text = ctx.texts.get("whatsapp_template_only", language, lead_id=lead.id, phone=phone)
            return cards.payload(text)

        manager = await uow.managers.get(lead.manager_id) if lead.manager_id else None
        if manager is not None:
            await tell_staff(
                ctx,
                uow,
                manager,
                build(manager.language),
                purpose="notice",
                lead_id=lead.id,
                dedupe_key=key,
            )
        else:
            await tell_heads(ctx, uow, build, purpose="notice", lead_id=lead.id, dedupe_key=key)
        uow.events.add(lead.id, "template_only", ctx.clock.now(), data={"outbox_id": row_id})
        await uow.commit()
    ctx.wake("outbox")
    return True


# Later statuses never step back: "read" that arrives before "delivered" stays "read".
_STATUS_RANK = {"sent": 1, "delivered": 2, "read": 3}


async def record_delivery_status(
    ctx: AppContext, channel: str, external_id: str, status: str, error: str | None = None
) -> bool:
    """What the platform reports about a message it was given: sent, delivered, read or
    failed. False when no outbox row carries that id (e.g. sent by another system)."""
    async with ctx.db.uow() as uow:
        row = await uow.deliveries.find([channel], [external_id])
        if row is None:
            return False
        current = row.delivery_status or ""
        if current == "failed" or (
            status != "failed" and _STATUS_RANK.get(status, 0) <= _STATUS_RANK.get(current, 0)
        ):
            return True
        await uow.deliveries.set_status(row.id, status, error)
        if row.message_id is not None:
            await uow.deliveries.set_message_status(row.message_id, status)
        await uow.commit()
    return True


# --------------------------------------------------------------------------- mail intake


@dataclass(frozen=True)
class MailThreadView:
    subject: str
    last_message_id: str | None
    references: list[str]


async def mailbox_position(ctx: AppContext, mailbox: str) -> MailboxPosition | None:
    async with ctx.db.uow() as uow:
        return await uow.mailboxes.get(mailbox)


async def remember_thread(
    ctx: AppContext,
    address: str,
    *,
    subject: str,
    message_id: str,
    references: Sequence[str] = (),
) -> None:
    """The customer's latest mail from `address`: a reply to him (the acknowledgement
    queued by capture included) quotes it. Stored before the capture for that reason."""
    async with ctx.db.uow() as uow:
        chain = [item for item in references if item != message_id][-(MAX_REFERENCES - 1) :]
        await uow.mail_threads.remember(
            address,
            subject=subject,
            message_id=message_id,
            references=" ".join([*chain, message_id]),
            now=ctx.clock.now(),
        )
        await uow.commit()


async def mail_taken(ctx: AppContext, mailbox: str, uidvalidity: int, uid: int) -> None:
    """One mail is handled (stored or skipped): the poller never takes it again."""
    async with ctx.db.uow() as uow:
        await uow.mailboxes.advance(mailbox, uidvalidity, uid, ctx.clock.now())
        await uow.commit()


async def mail_thread(ctx: AppContext, address: str) -> MailThreadView | None:
    async with ctx.db.uow() as uow:
        thread = await uow.mail_threads.get(address)
    if thread is None:
        return None
    references = [item for item in thread.reference_ids.split() if item]
    return MailThreadView(thread.subject, thread.last_message_id, references)


async def thread_email(ctx: AppContext, message_ids: Sequence[str]) -> str | None:
    """The e-mail of the contact whose earlier message (ours or his) these ids answer."""
    if not message_ids:
        return None
    channels = ["email", "form"]
    async with ctx.db.uow() as uow:
        contact_id = await uow.deliveries.message_contact(channels, message_ids)
        if contact_id is None:
            row = await uow.deliveries.find(channels, message_ids)
            contact_id = row.contact_id if row is not None else None
        if contact_id is None:
            return None
        contact = await uow.contacts.get(contact_id)
        if contact is None:
            return None
        contact = await _current(uow, contact)
        return contact.email
