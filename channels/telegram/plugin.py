"""The Telegram channel: the bot's sender for the outbox, the webhook route or the polling
loop on the way in, and the inbox processor, the one place that feeds a stored update to
the dispatcher. The dispatcher itself (which includes the handlers' routers) is made in
app/ and handed in, so this layer does not import the handlers."""

from __future__ import annotations

import asyncio
import json
import logging
import mimetypes
from collections.abc import Callable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramUnauthorizedError
from aiogram.types import Update
from aiogram.utils.token import TokenValidationError
from aiohttp import web

from channels.plugin import ChannelPlugin, FileSource
from channels.polling import sleep_unless_stopping

# Imported for its effect: the Response[T] models aiogram reads answers with, built once
# per process instead of after every garbage collection (the module says why).
from channels.telegram import business, response_types  # noqa: F401
from channels.telegram import webhook as telegram_webhook
from channels.telegram.health import telegram_probe
from channels.telegram.menus import MenuKeeper
from channels.telegram.normalise import CHANNEL, repair_raw_update
from channels.telegram.polling import TelegramPolling
from channels.telegram.sender import TelegramSender
from config.business import ConfigError
from config.settings import Settings, TelegramMode
from usecases.business import reply_route
from usecases.context import AppContext

log = logging.getLogger(__name__)
# Start-up calls to an unreachable Bot API are retried, waiting up to this long between.
CONNECT_BACKOFF_MAX = 5.0
BAD_TOKEN = (
    "Telegram refused TELEGRAM_BOT_TOKEN (401 Unauthorized): the token is wrong or was "
    "revoked. Copy the current one from @BotFather (/mybots → API Token) into .env"
)


async def _ready(connected: asyncio.Event, stopping: asyncio.Event) -> bool:
    """Wait until the Bot API answered once; False when the service stops first."""
    waits = [asyncio.ensure_future(connected.wait()), asyncio.ensure_future(stopping.wait())]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
    return connected.is_set() and not stopping.is_set()


async def _retrying(stopping: asyncio.Event, what: str, call: Callable[[], Any]) -> bool:
    """Call until it succeeds, backing off; a refused token ends the service (a
    ConfigError: leadkeeper exits with the hint). False when the service stops first."""
    backoff = 0.5
    while not stopping.is_set():
        try:
            await call()
            return True
        except TelegramUnauthorizedError:
            raise ConfigError(BAD_TOKEN) from None
        except Exception as exc:
            log.warning(
                "Telegram Bot API: %s failed (%s: %s); retry in %.1fs",
                what,
                type(exc).__name__,
                exc,
                backoff,
            )
            await sleep_unless_stopping(stopping, backoff)
            backoff = min(backoff * 2, CONNECT_BACKOFF_MAX)
    return False


def create_bot(token: str, api_base: str) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base.rstrip("/")))
    return Bot(token, session=session)


def file_source(bot: Bot) -> FileSource:
    """Files staff sent the bot, by file id: for channels that pass a manager's photo on."""

    async def download(file_id: str) -> tuple[bytes, str]:
        try:
            found = await bot.get_file(file_id)
        except TelegramBadRequest as exc:  # unknown id, or over the Bot API's 20 MB
            raise LookupError(f"Telegram gives no file {file_id[:40]}: {exc.message}") from exc
        if not found.file_path:
            raise LookupError(f"Telegram gives no path for the file {file_id[:40]}")
        data = await bot.download_file(found.file_path)
        assert data is not None
        kind = mimetypes.guess_type(found.file_path)[0] or "image/jpeg"
        return data.read(), kind

    return download


def used_update_types(dispatcher: Dispatcher) -> list[str]:
    """What getUpdates and setWebhook ask for: what the routers handle, and always the
    blocks (my_chat_member) and the Telegram Business kinds, which Telegram sends a bot
    only when they are named."""
    kinds = set(dispatcher.resolve_used_update_types()) | {"my_chat_member"}
    return sorted(kinds | set(business.UPDATE_TYPES))


def build(
    settings: Settings, ctx: AppContext, make_dispatcher: Callable[[], Dispatcher]
) -> list[ChannelPlugin]:
    """The Telegram channel and, on the same bot, Telegram Business (its updates come in
    through this channel; its sender answers on the connected accounts' behalf)."""
    if settings.telegram_bot_token is None:
        log.warning(
            "Telegram is off: set TELEGRAM_BOT_TOKEN (from @BotFather) in .env or the "
            "environment to turn it on"
        )
        return []
    token = settings.telegram_bot_token.get_secret_value()
    try:
        bot = create_bot(token, settings.telegram_api_base)
    except TokenValidationError:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is not a bot token (expected 123456:ABC..., as BotFather gives it)"
        ) from None
    dispatcher = make_dispatcher()
    connected = asyncio.Event()
    webhook_mode = settings.telegram_mode is TelegramMode.WEBHOOK
    secret = settings.telegram_webhook_secret
    webhook = telegram_webhook.TelegramWebhook(ctx, secret.get_secret_value() if secret else None)

    async def process(payload: str) -> None:
        raw = repair_raw_update(json.loads(payload))
        update = Update.model_validate(raw, context={"bot": bot})
        await dispatcher.feed_update(bot, update)

    # The staff menus are read from the routers by app/dispatcher.py.
    menus = MenuKeeper(ctx, bot, dispatcher.get("staff_menus") or {})

    async def connect(stopping: asyncio.Event) -> None:
        """Every process: reach the Bot API (retried while it is away, the HTTP side
        serving meanwhile), then the menu, a nicety whose failure is only logged."""
        if not await _retrying(stopping, "getMe", bot.get_me):
            return
        connected.set()
        log.info("Telegram Bot API reached at %s", settings.telegram_api_base)
        try:
            await menus.set_all()
        except Exception as exc:
            log.warning("telegram: the command menu was not set: %s", exc)

    async def set_webhook() -> None:
        # The URL and the secret are checked with the settings, before anything starts.
        await bot.set_webhook(
            settings.telegram_webhook_url or "",
            secret_token=secret.get_secret_value() if secret else None,
            allowed_updates=used_update_types(dispatcher),
        )

    async def register_webhook(stopping: asyncio.Event) -> None:
        if not await _ready(connected, stopping):
            return
        if await _retrying(stopping, "setWebhook", set_webhook):
            log.info("Telegram webhook registered")

    async def poll(stopping: asyncio.Event) -> None:
        if not await _ready(connected, stopping):
            return
        # getUpdates is refused while a webhook is set; polling mode means no webhook.
        if not await _retrying(
            stopping, "deleteWebhook", lambda: bot.delete_webhook(drop_pending_updates=False)
        ):
            return
        polling = TelegramPolling(
            ctx, settings.telegram_api_base, token, used_update_types(dispatcher)
        )
        await polling.run(stopping)

    def add_routes(app: web.Application) -> None:
        telegram_webhook.add_routes(app, webhook)

    async def close() -> None:
        await dispatcher.storage.close()
        await bot.session.close()

    sender = TelegramSender(
        bot, settings.telegram_chat_interval, request_timeout=settings.telegram_request_timeout
    )
    business_sender = business.BusinessSender(
        bot,
        lambda owner_id: reply_route(ctx, owner_id),
        settings.telegram_chat_interval,
        request_timeout=settings.telegram_request_timeout,
    )
    business_plugin = ChannelPlugin(
        name=business.CHANNEL, sender=business_sender, send_rate=settings.telegram_send_rate
    )
    return [
        ChannelPlugin(
            name=CHANNEL,
            sender=sender,
            add_routes=add_routes if webhook_mode else None,
            process=process,
            send_rate=settings.telegram_send_rate,
            tasks=[menus.run] if webhook_mode else [poll, menus.run],
            on_start=connect,
            on_web_start=register_webhook if webhook_mode else None,
            close=close,
            state=settings.telegram_mode.value,
            files=file_source(bot),
            wakers={"menus": menus.wake},
            probe=telegram_probe(
                bot,
                settings.telegram_webhook_url if webhook_mode else None,
                set_webhook if webhook_mode else None,
            ),
        ),
        business_plugin,
    ]
