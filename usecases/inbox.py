"""The durable inbox: a payload is stored the moment it arrives, before the platform is
answered; everything else (capture, staff actions) runs from the stored copy."""

from __future__ import annotations

from datetime import timedelta

from usecases.context import AppContext

# Telegram restarts its update ids at random after a week without updates; forgetting
# delivery ids after three days keeps a new update from looking like an old one.
KEEP_IDS = timedelta(days=3)


async def prune_delivery_ids(ctx: AppContext) -> int:
    before = ctx.clock.now() - KEEP_IDS
    async with ctx.db.uow() as uow:
        pruned = await uow.inbox.prune_done(before) + await uow.receipts.prune(before)
        await uow.commit()
    return pruned


async def store_inbound_batch(ctx: AppContext, channel: str, items: list[tuple[str, str]]) -> int:
    """Commit a batch of raw payloads (key, payload) in one transaction; how many were new."""
    stored = await ctx.db.store_inbound_batch(channel, items, ctx.clock.now())
    if stored:
        ctx.wake("inbox")
    return stored


async def store_inbound(ctx: AppContext, channel: str, key: str, payload: str) -> bool:
    """Commit the raw payload; False for a redelivery of something already stored."""
    stored = await ctx.db.store_inbound(channel, key, payload, ctx.clock.now())
    if stored:
        ctx.wake("inbox")
    return stored
