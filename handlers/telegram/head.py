"""Head-of-sales commands: the team, invites, (de)activation."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.filters import StaffFilter
from domain.assignment import LEVELS
from usecases.context import AppContext
from usecases.replies import format_span
from usecases.staff_views import send_to_staff, staff_language, team_text
from usecases.team import create_invite, set_active

router = Router(name="head")
router.message.filter(StaffFilter("head"))


@router.message(Command("team"))
async def team_command(message: Message, ctx: AppContext) -> None:
    language = await staff_language(ctx, message.chat.id)
    await send_to_staff(ctx, message.chat.id, await team_text(ctx, language))


@router.message(Command("invite"))
async def invite_command(message: Message, command: CommandObject, ctx: AppContext) -> None:
    level = (command.args or "junior").strip().lower()
    if level not in LEVELS:
        level = "junior"
    token = await create_invite(ctx, message.chat.id, level)
    if token is None:
        return
    me = await message.bot.me() if message.bot else None
    username = me.username if me else "your_bot"
    language = await staff_language(ctx, message.chat.id)
    link = f"https://t.me/{username}?start=inv_{token}"
    ttl = format_span(ctx.texts, ctx.config.distribution.invite_ttl, language)
    await send_to_staff(
        ctx, message.chat.id, ctx.texts.get("invite_link", language, ttl=ttl, link=link)
    )


async def _toggle(message: Message, command: CommandObject, ctx: AppContext, active: bool) -> None:
    language = await staff_language(ctx, message.chat.id)
    argument = (command.args or "").strip()
    if not argument.isdigit():
        await send_to_staff(ctx, message.chat.id, ctx.texts.get("manager_usage", language))
        return
    name = await set_active(ctx, message.chat.id, int(argument), active)
    key = (
        "manager_not_found"
        if name is None
        else ("manager_activated" if active else "manager_deactivated")
    )
    await send_to_staff(ctx, message.chat.id, ctx.texts.get(key, language, name=name or ""))


@router.message(Command("deactivate"))
async def deactivate_command(message: Message, command: CommandObject, ctx: AppContext) -> None:
    await _toggle(message, command, ctx, active=False)


@router.message(Command("activate"))
async def activate_command(message: Message, command: CommandObject, ctx: AppContext) -> None:
    await _toggle(message, command, ctx, active=True)
