"""Outgoing webhooks plugged in as a channel: only a sender, for the outbox rows of
channel "webhook" (usecases/webhooks.py queues them)."""

from __future__ import annotations

from channels.plugin import ChannelPlugin
from channels.webhooks.sender import WebhookSender
from usecases.context import AppContext


def build(ctx: AppContext) -> ChannelPlugin:
    # Always there, even with no receiver configured: rows queued before a receiver was
    # removed are then told as failed, not left pending.
    sender = WebhookSender(lambda: list(ctx.config.webhooks))
    return ChannelPlugin(name="webhook", sender=sender, close=sender.close, state="on")
