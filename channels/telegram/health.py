"""The Telegram channel's probe for the watchdog: getMe (the token is accepted) and, in
webhook mode, getWebhookInfo — a removed webhook is registered again at once, one that
points at another address is reported (another installation may hold the token, so it is
not taken back by force), and delivery errors Telegram reports for our address count."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from urllib.parse import urlsplit

from aiogram import Bot
from aiogram.exceptions import TelegramUnauthorizedError

from domain.channel_health import HEALTHY, Found, Problem

# A delivery error Telegram reports counts while it is younger than this (Telegram keeps
# the last one after deliveries work again).
RECENT_ERROR = timedelta(minutes=2)


def _host(url: str) -> str:
    """Where a URL points, without its path (which may carry someone's secret)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "?"


def telegram_probe(
    bot: Bot,
    webhook_url: str | None,
    register: Callable[[], Awaitable[object]] | None,
) -> Callable[[], Awaitable[Found]]:
    """`webhook_url` and `register` (setWebhook as the start-up does it) in webhook mode;
    None in polling mode, where the polling loop's own notes say how getUpdates goes."""

    async def probe() -> Found:
        try:
            await bot.get_me()
        except TelegramUnauthorizedError as exc:
            return Found(Problem.TOKEN, f"getMe: {exc.message}")
        except Exception as exc:
            return Found(Problem.UNREACHABLE, f"getMe: {type(exc).__name__}: {exc}"[:300])
        if webhook_url is None or register is None:
            return HEALTHY
        try:
            info = await bot.get_webhook_info()
        except Exception as exc:
            return Found(Problem.UNREACHABLE, f"getWebhookInfo: {type(exc).__name__}: {exc}"[:300])
        if not info.url:
            try:
                await register()
            except Exception as exc:
                return Found(Problem.WEBHOOK_MISSING, f"setWebhook: {exc}"[:300])
            return Found(repaired="the Telegram webhook was removed; registered again")
        if info.url != webhook_url:
            return Found(
                Problem.WEBHOOK_ELSEWHERE,
                f"getWebhookInfo: the webhook points at {_host(info.url)}, "
                f"not {_host(webhook_url)}",
            )
        if info.last_error_date is not None and info.last_error_message:
            age = time.time() - info.last_error_date.timestamp()
            if age <= RECENT_ERROR.total_seconds():
                return Found(
                    Problem.WEBHOOK_ERRORS,
                    f"getWebhookInfo: {info.last_error_message} "
                    f"({info.pending_update_count} updates waiting)",
                )
        return HEALTHY

    return probe
