"""The channels this deployment has, each one plugged in the same way.

A channel plugin may add HTTP routes (webhooks), a sender for the outbox, and
background tasks (e.g. an IMAP poller) that run in worker processes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from app.settings import Settings
from channels.base import ChannelSender
from usecases.context import AppContext

Task = Callable[[asyncio.Event], Awaitable[None]]  # runs until the event is set


@dataclass
class ChannelPlugin:
    name: str
    sender: ChannelSender | None = None
    add_routes: Callable[[web.Application], None] | None = None
    # Background work for worker processes; each gets the service's `stopping` event.
    tasks: list[Task] = field(default_factory=list)
    # Called on shutdown (close HTTP sessions, connections).
    close: Callable[[], Awaitable[None]] | None = None


def build_channels(settings: Settings, ctx: AppContext) -> list[ChannelPlugin]:
    """Every non-Telegram channel that is configured (Telegram is wired in app.runtime)."""
    # Imported here: each channel module imports ChannelPlugin from this one.
    from channels.email import plugin as email
    from channels.forms import plugin as forms
    from channels.vk import plugin as vk
    from channels.whatsapp import plugin as whatsapp

    plugins: list[ChannelPlugin] = []
    mail = email.build(settings, ctx)
    if mail is not None:
        plugins.append(mail)
    # A form is answered by e-mail, through the same SMTP settings.
    form = forms.build(settings, ctx, mail.sender if mail is not None else None)
    for plugin in (form, vk.build(settings, ctx), whatsapp.build(settings, ctx)):
        if plugin is not None:
            plugins.append(plugin)
    return plugins
