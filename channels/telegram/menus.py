"""The command menus: the customers' by language, and each staff member's own, by chat
(BotCommandScopeChat), with his role's commands in his language. Set at start-up and
again when the team changes (usecases.team wakes "menus")."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat

from usecases.context import AppContext
from usecases.team import menu_targets

log = logging.getLogger(__name__)
# The customer's menu; the staff commands are derived from the staff routers instead.
CUSTOMER_MENU = ("start", "complaint", "stop")


def _commands(ctx: AppContext, names: Sequence[str], language: str) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=str(ctx.texts.get(f"menu_{name}", language)))
        for name in names
    ]


async def set_customer_menu(ctx: AppContext, bot: Bot) -> None:
    for language in ("ru", "en"):
        await bot.set_my_commands(
            _commands(ctx, CUSTOMER_MENU, language),
            language_code=None if language == "ru" else language,
        )


async def set_staff_menus(ctx: AppContext, bot: Bot, menus: Mapping[str, Sequence[str]]) -> int:
    """Each member's chat gets his role's menu; returns how many were set. One chat
    Telegram refuses (he never pressed /start) does not stop the others."""
    done = 0
    for target in await menu_targets(ctx):
        scope = BotCommandScopeChat(chat_id=target.telegram_id)
        try:
            if target.role is None or target.role not in menus:
                await bot.delete_my_commands(scope=scope)
                continue
            names = ("start", *menus[target.role])
            await bot.set_my_commands(_commands(ctx, names, target.language), scope=scope)
            done += 1
        except TelegramAPIError as exc:
            log.info("menu for staff chat %s not set: %s", target.telegram_id, exc)
    return done


class MenuKeeper:
    """Sets the staff menus again whenever it is woken (the team changed)."""

    def __init__(self, ctx: AppContext, bot: Bot, menus: Mapping[str, Sequence[str]]) -> None:
        self._ctx, self._bot, self._menus = ctx, bot, menus
        self._woken = asyncio.Event()

    def wake(self) -> None:
        self._woken.set()

    async def set_all(self) -> None:
        await set_customer_menu(self._ctx, self._bot)
        await set_staff_menus(self._ctx, self._bot, self._menus)

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            woken = asyncio.ensure_future(self._woken.wait())
            stop = asyncio.ensure_future(stopping.wait())
            await asyncio.wait({woken, stop}, return_when=asyncio.FIRST_COMPLETED)
            woken.cancel()
            stop.cancel()
            if stopping.is_set():
                return
            self._woken.clear()
            try:
                await set_staff_menus(self._ctx, self._bot, self._menus)
            except Exception as exc:  # a nicety: the channel being away must not stop us
                log.warning("staff menus not updated: %s", exc)
