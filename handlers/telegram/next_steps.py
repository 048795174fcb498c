"""Next-step buttons and dialogs for managers and heads: a preset in one tap, a typed time,
the kind and the note of the step, «Сделано». Thin: parse, call usecases/next_steps.py,
answer. Comes before the staff router, whose catch-all would take the typed time."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.answers import answer_callback
from bot.callbacks import LeadAction
from bot.filters import StaffFilter
from domain.buttons import TYPED_TIME, LeadButton
from domain.step_time import WhenProblem
from handlers.telegram.staff import VERDICT_TEXT
from texts import Safe
from usecases import next_steps
from usecases.assignment import Verdict
from usecases.context import AppContext
from usecases.staff_views import send_to_staff, staff_language

router = Router(name="next_steps")
router.message.filter(StaffFilter())
router.callback_query.filter(StaffFilter())

STEP_BUTTONS = (
    LeadButton.NEXT_STEP,
    LeadButton.STEP_KIND,
    LeadButton.STEP_DONE,
    LeadButton.STEP_NOTE,
)
PROBLEM_TEXT = {
    WhenProblem.UNREADABLE: "step_time_unreadable",
    WhenProblem.PAST: "step_time_past",
    WhenProblem.TOO_FAR: "step_time_too_far",
}


class StepDialog(StatesGroup):
    when = State()
    note = State()


async def _say(ctx: AppContext, user_id: int, key: str, **params: object) -> None:
    language = await staff_language(ctx, user_id)
    await send_to_staff(ctx, user_id, ctx.texts.get(key, language, **params))


@router.callback_query(LeadAction.filter(F.action.in_(STEP_BUTTONS)))
async def on_step_button(
    callback: CallbackQuery, callback_data: LeadAction, ctx: AppContext, state: FSMContext
) -> None:
    user_id = callback.from_user.id
    lead_id, action, argument = callback_data.lead_id, callback_data.action, callback_data.argument
    toast, params = "toast_done", {}
    if action is LeadButton.NEXT_STEP and argument == TYPED_TIME:
        verdict = await next_steps.may_set(ctx, lead_id, user_id)
        if verdict is Verdict.DONE:
            await state.set_state(StepDialog.when)
            await state.update_data(lead_id=lead_id)
            await _say(ctx, user_id, "ask_step_time", lead_id=lead_id)
    elif action is LeadButton.NEXT_STEP:
        outcome = await next_steps.set_preset(ctx, lead_id, user_id, argument)
        verdict, toast, params = outcome.verdict, "toast_step_set", {"when": outcome.when}
    elif action is LeadButton.STEP_DONE and argument.isdigit():
        verdict = await next_steps.mark_done(ctx, lead_id, user_id, int(argument))
        toast = "toast_step_done"
    elif action is LeadButton.STEP_KIND:
        verdict, view = await next_steps.change_kind(ctx, lead_id, user_id, argument)
        if view is not None:
            await _edit(callback, ctx, *view)
    elif action is LeadButton.STEP_NOTE and argument.isdigit():
        verdict = await next_steps.may_note(ctx, lead_id, user_id, int(argument))
        if verdict is Verdict.DONE:
            await state.set_state(StepDialog.note)
            await state.update_data(lead_id=lead_id, step_id=int(argument))
            await _say(ctx, user_id, "ask_step_note", lead_id=lead_id)
    else:
        verdict = Verdict.STALE
    language = await staff_language(ctx, user_id)
    key = toast if verdict is Verdict.DONE else VERDICT_TEXT[verdict]
    await answer_callback(callback, str(ctx.texts.get(key, language, **params)))


async def _edit(
    callback: CallbackQuery, ctx: AppContext, text: Safe, rows: list[list[dict[str, str]]]
) -> None:
    """The confirmation changes in place; one too old to edit is sent afresh."""
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(**button) for button in row] for row in rows]
    )
    message = callback.message
    try:
        if isinstance(message, Message):
            await message.edit_text(text, parse_mode="HTML", reply_markup=markup)
            return
    except TelegramBadRequest as exc:
        if "not modified" in str(exc.message).lower():
            return
    await send_to_staff(ctx, callback.from_user.id, text, rows)


def _command(message: Message) -> bool:
    return (message.text or "").startswith("/")


@router.message(StepDialog.when, F.text)
async def typed_time(message: Message, ctx: AppContext, state: FSMContext) -> None:
    if _command(message):
        await state.clear()
        raise SkipHandler  # a command ends the dialog and is answered as itself
    data = await state.get_data()
    outcome = await next_steps.set_typed(
        ctx, int(data["lead_id"]), message.chat.id, message.text or ""
    )
    if outcome.problem is not None:
        # Polite, and the dialog stays open: the next message is another try.
        await _say(ctx, message.chat.id, PROBLEM_TEXT[outcome.problem])
        return
    await state.clear()
    if outcome.verdict is not Verdict.DONE:
        await _say(ctx, message.chat.id, VERDICT_TEXT[outcome.verdict], lead_id=data["lead_id"])


@router.message(StepDialog.note, F.text)
async def note_text(message: Message, ctx: AppContext, state: FSMContext) -> None:
    if _command(message):
        await state.clear()
        raise SkipHandler
    data = await state.get_data()
    await state.clear()
    lead_id = int(data["lead_id"])
    verdict = await next_steps.set_note(
        ctx, lead_id, message.chat.id, int(data["step_id"]), message.text or ""
    )
    key = "step_note_saved" if verdict is Verdict.DONE else VERDICT_TEXT[verdict]
    await _say(ctx, message.chat.id, key, lead_id=lead_id)
