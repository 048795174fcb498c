"""What a channel plugs in: HTTP routes (webhooks), a sender for the outbox, a processor
for the payloads its webhooks or pollers stored in the inbox, background tasks (e.g. an
IMAP poller or Telegram's long polling) that run in worker processes, and start/stop hooks.
Telegram is plugged in like every other channel."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from domain.channel_health import Found
from usecases.ports import ChannelSender

Task = Callable[[asyncio.Event], Awaitable[None]]  # runs until the event is set
Hook = Callable[[], Awaitable[None]]
# A cheap look at the platform for the watchdog (the token accepted, the webhook where it
# should be, a mail login); it may repair what it can (register the webhook again). It
# never raises: what it finds is in the Found.
Probe = Callable[[], Awaitable[Found]]
# A file staff sent the bot, by its id in that channel: its bytes and content type.
# LookupError when there is no such file (nothing to retry).
FileSource = Callable[[str], Awaitable[tuple[bytes, str]]]


@dataclass
class ChannelPlugin:
    name: str
    sender: ChannelSender | None = None
    add_routes: Callable[[web.Application], None] | None = None
    # Turns one payload stored in the inbox into work; the inbox worker calls it.
    process: Callable[[str], Awaitable[None]] | None = None
    # Outbox sends per second across the whole channel (None: only the sender's own pace).
    send_rate: float | None = None
    # Background work for worker processes; each gets the service's `stopping` event.
    tasks: list[Task] = field(default_factory=list)
    # Every process, in the background once the rest is up (reaching the platform, a bot
    # menu): it retries by itself; a ConfigError from it stops the service with its message.
    on_start: Task | None = None
    # Processes that serve HTTP, in the background once they listen (registering a webhook).
    on_web_start: Task | None = None
    # Called on shutdown (close HTTP sessions, connections).
    close: Hook | None = None
    # What /healthz says about the channel ("polling", "webhook", "on").
    state: str = "on"
    # Files staff sent in this channel (Telegram: a manager's photo), for channels that
    # pass them on to a customer (Avito).
    files: FileSource | None = None
    # Topics of AppContext.wake this channel answers (e.g. "menus" when the team changes),
    # in worker processes.
    wakers: dict[str, Callable[[], None]] = field(default_factory=dict)
    # The watchdog's probe (usecases/watchdog.py), run in worker processes; None: the
    # channel is watched only through its polling loop, its sends and its silence.
    probe: Probe | None = None
