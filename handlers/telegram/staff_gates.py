"""Stage moves and their gates for managers and heads: the stage button (refused with
what is missing, and for a head «Перевести без них»), the checklist questions answered
with a choice button or typed, and /script. Thin: parse, call usecases/work.py and
usecases/gates.py, answer. Comes before the staff router, whose catch-all would take a
typed answer."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.answers import answer_callback
from bot.callbacks import LeadAction
from bot.filters import StaffFilter
from domain import gates as rules
from domain.buttons import LeadButton
from handlers.telegram.staff import VERDICT_TEXT
from usecases import gate_views, gates, work
from usecases.assignment import Verdict
from usecases.context import AppContext
from usecases.staff_views import send_to_staff, staff_language

router = Router(name="staff_gates")
router.message.filter(StaffFilter())
router.callback_query.filter(StaffFilter())

GATE_BUTTONS = (
    LeadButton.MOVE_STAGE,
    LeadButton.GATE_OVERRIDE,
    LeadButton.GATE_ASK,
    LeadButton.GATE_CHOICE,
)


class GateDialog(StatesGroup):
    answer = State()


@router.callback_query(LeadAction.filter(F.action.in_(GATE_BUTTONS)))
async def on_gate_button(
    callback: CallbackQuery, callback_data: LeadAction, ctx: AppContext, state: FSMContext
) -> None:
    user_id = callback.from_user.id
    lead_id, action, argument = callback_data.lead_id, callback_data.action, callback_data.argument
    language = await staff_language(ctx, user_id)
    toast = ctx.texts.get("toast_done", language)
    if action in (LeadButton.MOVE_STAGE, LeadButton.GATE_OVERRIDE):
        override = action is LeadButton.GATE_OVERRIDE
        move = await work.move_stage_checked(ctx, lead_id, user_id, argument, override=override)
        verdict = move.verdict
        if verdict is Verdict.GATE:
            count = len(move.missing.questions) + len(move.missing.fields)
            toast = ctx.texts.plural("gate_toast", language, count)
            text, rows = gate_views.refusal(ctx.texts, language, lead_id, argument, move)
            await send_to_staff(ctx, user_id, text, rows)
        elif verdict is Verdict.DONE and move.missing:
            text = gate_views.overridden(ctx.texts, language, lead_id, argument, move.missing)
            await send_to_staff(ctx, user_id, text)
    elif action is LeadButton.GATE_ASK:
        verdict = await _ask(ctx, state, lead_id, user_id, argument, language)
    else:
        key, _, index = argument.rpartition(".")
        question = rules.question_of(gates.playbooks(ctx), key)
        if question is None or not index.isdigit() or int(index) >= len(question.choices):
            verdict = Verdict.STALE
        else:
            await state.clear()
            verdict = await _answer(ctx, lead_id, user_id, key, question.choices[int(index)])
    if verdict not in (Verdict.DONE, Verdict.GATE):
        toast = ctx.texts.get(VERDICT_TEXT[verdict], language)
    await answer_callback(callback, str(toast))


async def _ask(
    ctx: AppContext, state: FSMContext, lead_id: int, user_id: int, key: str, language: str
) -> Verdict:
    verdict = await gates.may_answer(ctx, lead_id, user_id, key)
    question = rules.question_of(gates.playbooks(ctx), key)
    if verdict is not Verdict.DONE or question is None:
        return verdict
    await state.set_state(GateDialog.answer)
    await state.update_data(lead_id=lead_id, key=key)
    text, rows = gate_views.question_prompt(ctx.texts, language, lead_id, question)
    await send_to_staff(ctx, user_id, text, rows or None)
    return Verdict.DONE


async def _answer(ctx: AppContext, lead_id: int, user_id: int, key: str, text: str) -> Verdict:
    outcome = await gates.answer(ctx, lead_id, user_id, {key: text})
    if outcome.verdict is Verdict.DONE:
        language = await staff_language(ctx, user_id)
        (question,) = outcome.questions
        reply, rows = gate_views.after_answer(
            ctx.texts,
            language,
            lead_id,
            question,
            rules.clean_answer(text),
            outcome.stage,
            outcome.remaining,
        )
        await send_to_staff(ctx, user_id, reply, rows or None)
    return outcome.verdict


@router.message(GateDialog.answer, F.text)
async def typed_answer(message: Message, ctx: AppContext, state: FSMContext) -> None:
    if (message.text or "").startswith("/"):
        await state.clear()
        raise SkipHandler  # a command ends the dialog and is answered as itself
    data = await state.get_data()
    if not rules.clean_answer(message.text or ""):
        language = await staff_language(ctx, message.chat.id)
        await send_to_staff(ctx, message.chat.id, ctx.texts.get("gate_answer_empty", language))
        return
    await state.clear()
    lead_id = int(data["lead_id"])
    verdict = await _answer(ctx, lead_id, message.chat.id, str(data["key"]), message.text or "")
    if verdict is not Verdict.DONE:
        language = await staff_language(ctx, message.chat.id)
        text = ctx.texts.get(VERDICT_TEXT[verdict], language, lead_id=lead_id)
        await send_to_staff(ctx, message.chat.id, text)


@router.message(Command("script"))
async def script_command(message: Message, command: CommandObject, ctx: AppContext) -> None:
    argument = (command.args or "").strip().lstrip("#")
    if argument and not argument.isdigit():
        language = await staff_language(ctx, message.chat.id)
        await send_to_staff(ctx, message.chat.id, ctx.texts.get("script_usage", language))
        return
    view = await gate_views.script_text(ctx, message.chat.id, int(argument) if argument else None)
    if view is not None:
        text, rows = view
        await send_to_staff(ctx, message.chat.id, text, rows or None)
