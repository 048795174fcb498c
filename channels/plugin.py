"""What a channel plugs in: HTTP routes (webhooks), a sender for the outbox, and
background tasks (e.g. an IMAP poller) that run in worker processes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from usecases.ports import ChannelSender

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
