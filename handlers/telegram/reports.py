"""/report for heads (the team's numbers) and managers (their own): a text and a chart."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.filters import StaffFilter
from usecases.context import AppContext
from usecases.report_chat import send_report

router = Router(name="reports")
router.message.filter(StaffFilter())


@router.message(Command("report"))
async def report_command(message: Message, command: CommandObject, ctx: AppContext) -> None:
    await send_report(ctx, message.chat.id, command.args)
