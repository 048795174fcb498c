"""A customer's consent to marketing: /stop and back."""

from __future__ import annotations

from texts import language_of
from usecases import cards
from usecases.context import AppContext


async def set_marketing(
    ctx: AppContext, channel: str, external_id: str, allowed: bool, *, confirm: bool = True
) -> bool:
    """Returns True when the contact's consent changed. Answers to his enquiries still go."""
    async with ctx.db.uow() as uow:
        identity = await uow.identities.get(channel, external_id)
        if identity is None:
            return False
        contact = await uow.contacts.get(identity.contact_id)
        assert contact is not None
        now = ctx.clock.now()
        was_allowed = contact.marketing_opt_out_at is None
        if was_allowed == allowed:
            if not allowed and confirm:
                await _confirm(ctx, uow, identity, "unsubscribed")
                await uow.commit()
            return False
        contact.marketing_opt_out_at = None if allowed else now
        lead = await uow.leads.open_for_contact(contact.id)
        if lead is not None:
            uow.events.add(
                lead.id, "subscribed" if allowed else "unsubscribed", now, actor="customer"
            )
        if confirm:
            await _confirm(ctx, uow, identity, "subscribed" if allowed else "unsubscribed")
        await uow.commit()
    ctx.wake("outbox")
    return True


async def _confirm(ctx: AppContext, uow: object, identity: object, key: str) -> None:
    language = language_of(identity.language)  # type: ignore[attr-defined]
    await uow.outbox.add(  # type: ignore[attr-defined]
        channel=identity.channel,
        chat_id=identity.chat_id,  # type: ignore[attr-defined]
        purpose="notice",
        payload=cards.payload(ctx.texts.get(key, language)),
        now=ctx.clock.now(),
        contact_id=identity.contact_id,  # type: ignore[attr-defined]
    )
