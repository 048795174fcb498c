"""«Выигран» in Telegram: the bot asks «Сумма сделки?», the manager types it (or presses
«Без суммы»), and the lead closes as won with it. A reply that is no amount gets a
polite word on what is wrong and the question stays open. Comes before the staff router,
so that the amount never falls into its help text; commands (/cancel) pass through."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message

from bot.filters import StaffFilter
from domain.buttons import NO_AMOUNT
from domain.money import AmountError
from usecases import amounts, work
from usecases.assignment import Verdict
from usecases.context import AppContext
from usecases.money_text import amount_problem
from usecases.staff_views import send_to_staff, staff_language

router = Router(name="staff_money")
router.message.filter(StaffFilter())


class AmountDialog(StatesGroup):
    amount = State()


async def won_pressed(
    ctx: AppContext, state: FSMContext, lead_id: int, user_id: int, argument: str
) -> Verdict:
    """The card's «Выигран» asks for the amount; «Без суммы» closes without one."""
    if argument == NO_AMOUNT:
        verdict = await work.close(ctx, lead_id, user_id, "won")
        if await state.get_state() == AmountDialog.amount.state:
            if (await state.get_data()).get("lead_id") == lead_id:
                await state.clear()
        return verdict
    verdict, _ = await work.check_acting(ctx, lead_id, user_id)
    if verdict is not Verdict.DONE:
        return verdict
    await state.set_state(AmountDialog.amount)
    await state.update_data(lead_id=lead_id)
    text, buttons = amounts.amount_prompt(ctx, await staff_language(ctx, user_id), lead_id)
    await send_to_staff(ctx, user_id, text, buttons)
    return Verdict.DONE


@router.message(AmountDialog.amount, F.text, ~F.text.startswith("/"))
async def amount_text(message: Message, ctx: AppContext, state: FSMContext) -> None:
    lead_id = int((await state.get_data())["lead_id"])
    chat = message.chat.id
    try:
        minor = amounts.read_amount(ctx, message.text or "")
    except AmountError as problem:
        language = await staff_language(ctx, chat)
        why = amount_problem(ctx.texts, language, problem, amounts.company_currency(ctx))
        _, buttons = amounts.amount_prompt(ctx, language, lead_id)
        await send_to_staff(ctx, chat, f"{why}\n{ctx.texts.get('amount_retry', language)}", buttons)
        return
    await state.clear()
    verdict = await work.close(ctx, lead_id, chat, "won", amount=minor)
    if verdict is not Verdict.DONE:
        await send_to_staff(
            ctx, chat, ctx.texts.get(verdict.value, await staff_language(ctx, chat))
        )
