"""The Telegram channel: the bot's sender for the outbox, the webhook route or the polling
loop on the way in, and the inbox processor, the one place that feeds a stored update to
the dispatcher. The dispatcher itself (which includes the handlers' routers) is made in
app/ and handed in, so this layer does not import the handlers."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Update
from aiogram.utils.token import TokenValidationError
from aiohttp import web

from channels.plugin import ChannelPlugin
from channels.telegram import webhook as telegram_webhook
from channels.telegram.menus import MenuKeeper
from channels.telegram.normalise import CHANNEL, repair_raw_update
from channels.telegram.polling import TelegramPolling
from channels.telegram.sender import TelegramSender
from config.business import ConfigError
from config.settings import Settings, TelegramMode
from usecases.context import AppContext

log = logging.getLogger(__name__)


def create_bot(token: str, api_base: str) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base.rstrip("/")))
    return Bot(token, session=session)


def used_update_types(dispatcher: Dispatcher) -> list[str]:
    return sorted(set(dispatcher.resolve_used_update_types()) | {"my_chat_member"})


def build(
    settings: Settings, ctx: AppContext, make_dispatcher: Callable[[], Dispatcher]
) -> ChannelPlugin | None:
    if settings.telegram_bot_token is None:
        log.warning(
            "Telegram is off: set TELEGRAM_BOT_TOKEN (from @BotFather) in .env or the "
            "environment to turn it on"
        )
        return None
    token = settings.telegram_bot_token.get_secret_value()
    try:
        bot = create_bot(token, settings.telegram_api_base)
    except TokenValidationError:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is not a bot token (expected 123456:ABC..., as BotFather gives it)"
        ) from None
    dispatcher = make_dispatcher()
    webhook_mode = settings.telegram_mode is TelegramMode.WEBHOOK
    secret = settings.telegram_webhook_secret
    webhook = telegram_webhook.TelegramWebhook(ctx, secret.get_secret_value() if secret else None)

    async def process(payload: str) -> None:
        raw = repair_raw_update(json.loads(payload))
        update = Update.model_validate(raw, context={"bot": bot})
        await dispatcher.feed_update(bot, update)

    # The staff menus are read from the routers by app/dispatcher.py.
    menus = MenuKeeper(ctx, bot, dispatcher.get("staff_menus") or {})

    async def register_webhook() -> None:
        url = settings.telegram_webhook_url
        if not url:
            raise ConfigError("TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_URL")
        await bot.set_webhook(
            url,
            secret_token=secret.get_secret_value() if secret else None,
            allowed_updates=used_update_types(dispatcher),
        )
        log.info("Telegram webhook registered")

    async def poll(stopping: asyncio.Event) -> None:
        # getUpdates is refused while a webhook is set; polling mode means no webhook.
        await bot.delete_webhook(drop_pending_updates=False)
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
    return ChannelPlugin(
        name=CHANNEL,
        sender=sender,
        add_routes=add_routes if webhook_mode else None,
        process=process,
        send_rate=settings.telegram_send_rate,
        tasks=[menus.run] if webhook_mode else [poll, menus.run],
        on_start=menus.set_all,
        on_web_start=register_webhook if webhook_mode else None,
        close=close,
        state=settings.telegram_mode.value,
        wakers={"menus": menus.wake},
    )
