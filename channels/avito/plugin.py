"""The Avito Messenger channel: the webhook on the way in (the raw event stored in the
inbox first), the inbox processor that turns a buyer's message into capture with the
listing as the lead's source, and the sender for the outbox.

Avito lets a seller only answer: replies go into the chat the buyer opened, and nothing
is ever sent to a lead he did not start (usecases/answer_only.py). No client library
from the package index is used: see docs/channels.md (Avito) for why.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp import web

from channels.avito import webhook as avito_webhook
from channels.avito.api import AvitoApi, AvitoApiError
from channels.avito.health import avito_probe
from channels.avito.normalise import (
    CHANNEL,
    ChatInfo,
    Skip,
    chat_info,
    check_event,
    inbound_from_message,
    is_ours,
    message_of,
)
from channels.avito.sender import AvitoSender
from channels.plugin import ChannelPlugin, FileSource
from channels.polling import sleep_unless_stopping
from config.business import ConfigError
from config.settings import Settings, avito_webhook_secret
from usecases.capture import capture
from usecases.context import AppContext

log = logging.getLogger(__name__)
_SECRET = re.compile(r"^[A-Za-z0-9_-]{16,256}$")
# Outbox sends a second to Avito, across the channel.
SEND_RATE = 5.0
# Start-up calls to an unreachable Avito are retried, waiting up to this long between.
RETRY_MAX = 30.0
_CACHED_CHATS = 2000
_TRANSIENT = (AvitoApiError, aiohttp.ClientError, TimeoutError, OSError)


class AvitoInbox:
    """Turns one stored event into work; raising leaves it failed in the inbox, kept."""

    def __init__(self, ctx: AppContext, api: AvitoApi) -> None:
        self._ctx = ctx
        self._api = api
        self._chats: OrderedDict[str, ChatInfo] = OrderedDict()

    async def process(self, payload: str) -> None:
        event = check_event(json.loads(payload))
        try:
            message = message_of(event)
            if is_ours(message, self._api.known_own_id):
                log.debug("avito: our own message %s echoed back; not captured", message.id)
                return
            inbound = inbound_from_message(message, await self._chat(message.chat_id))
        except Skip as reason:
            log.info("avito: event skipped: %s", reason)
            return
        result = await capture(self._ctx, inbound)
        log.info("avito: message → lead %s (%s)", result.lead_id, result.outcome.value)

    async def _chat(self, chat_id: str) -> ChatInfo | None:
        """The chat's listing and buyer; without them the message is still captured."""
        if chat_id in self._chats:
            self._chats.move_to_end(chat_id)
            return self._chats[chat_id]
        try:
            raw = await self._api.chat(chat_id)
        except _TRANSIENT as exc:
            log.warning(
                "avito: the listing of a chat could not be read (%s); the message is kept "
                "without it",
                exc,
            )
            return None
        info = chat_info(raw, self._api.known_own_id)
        self._chats[chat_id] = info
        while len(self._chats) > _CACHED_CHATS:
            self._chats.popitem(last=False)
        return info


async def _retrying(
    stopping: asyncio.Event, what: str, call: Callable[[], Awaitable[object]]
) -> bool:
    """Call until it succeeds, backing off; refused keys end the service with the hint
    (a ConfigError), since only the administrator can fix them. False when stopped."""
    backoff = 0.5
    while not stopping.is_set():
        try:
            await call()
            return True
        except AvitoApiError as exc:
            if exc.credentials:
                raise ConfigError(f"Avito: {what} failed: {exc}") from None
            log.warning("avito: %s failed (%s); retry in %.1fs", what, exc, backoff)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning(
                "avito: %s failed (%s: %s); retry in %.1fs", what, type(exc).__name__, exc, backoff
            )
        await sleep_unless_stopping(stopping, backoff)
        backoff = min(backoff * 2, RETRY_MAX)
    return False


def _check(settings: Settings) -> tuple[str, str, str, str] | None:
    """The client id and secret, the webhook URL and its secret; None: Avito is off."""
    client_id, client_secret = settings.avito_client_id, settings.avito_client_secret
    if client_id is None and client_secret is None:
        return None
    if client_id is None or client_secret is None:
        raise ConfigError(
            "Avito needs both AVITO_CLIENT_ID and AVITO_CLIENT_SECRET (developers.avito.ru → "
            "your application)"
        )
    url = (settings.avito_webhook_url or "").strip()
    if not url:
        raise ConfigError(
            "Avito delivers messages only to a webhook: set AVITO_WEBHOOK_URL to the public "
            "https address of /avito/webhook with a secret, e.g. "
            "https://crm.example.ru/avito/webhook?secret=<32 random letters and digits>"
        )
    secret = avito_webhook_secret(url) or ""
    if not _SECRET.match(secret):
        raise ConfigError(
            "AVITO_WEBHOOK_URL needs ?secret=... of 16-256 characters of A-Z, a-z, 0-9, _ "
            "and -: Avito signs nothing, so the secret in the address is what keeps others "
            "from posting messages"
        )
    return client_id, client_secret.get_secret_value(), url, secret


def build(
    settings: Settings, ctx: AppContext, staff_files: FileSource | None = None
) -> ChannelPlugin | None:
    checked = _check(settings)
    if checked is None:
        return None
    client_id, client_secret, url, secret = checked
    api = AvitoApi(settings.avito_api_base, client_id, client_secret, ctx.clock)
    inbox = AvitoInbox(ctx, api)

    async def connect(stopping: asyncio.Event) -> None:
        # The account id names every Messenger path and tells our own messages apart.
        if await _retrying(stopping, "GET /core/v1/accounts/self", api.own_id):
            log.info("Avito: reached as account %s", api.known_own_id)

    async def subscribe(stopping: asyncio.Event) -> None:
        if await _retrying(stopping, "the webhook subscription", lambda: api.subscribe(url)):
            log.info("Avito: webhook subscribed (POST /avito/webhook)")

    def add_routes(app: web.Application) -> None:
        avito_webhook.add_routes(app, avito_webhook.AvitoWebhook(ctx, secret))

    if staff_files is None:
        log.warning("Avito: Telegram is off, so managers' photos cannot be passed on")
    log.info("Avito: on (webhook)")
    return ChannelPlugin(
        name=CHANNEL,
        sender=AvitoSender(api, staff_files),
        add_routes=add_routes,
        process=inbox.process,
        send_rate=SEND_RATE,
        on_start=connect,
        on_web_start=subscribe,
        close=api.close,
        state="webhook",
        probe=avito_probe(api, url),
    )
