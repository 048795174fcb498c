"""The first steps in the bot: anyone may ask for his Telegram id (the head too, before
he is in the config), and a staff member's /start tells him his role and what will come."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message

from bot.filters import StaffFilter
from domain.language import language_of
from usecases.context import AppContext
from usecases.staff_views import send_to_staff
from usecases.team import mark_started

router = Router(name="onboarding")


@router.message(Command("id"), F.chat.type == "private")
async def my_id(message: Message, ctx: AppContext) -> None:
    user = message.from_user
    assert user is not None
    text = ctx.texts.get("your_id", language_of(user.language_code), telegram_id=user.id)
    await send_to_staff(ctx, message.chat.id, text)


@router.message(CommandStart(deep_link=False), StaffFilter())
async def staff_start(message: Message, ctx: AppContext, role: str) -> None:
    user = message.from_user
    assert user is not None
    manager = await mark_started(ctx, user.id)
    if manager is None:
        return
    language = manager.language
    level = ctx.texts.get(f"level_{manager.level}", language)
    key = "start_head" if role == "head" else "start_manager"
    await send_to_staff(ctx, user.id, ctx.texts.get(key, language, name=manager.name, level=level))
