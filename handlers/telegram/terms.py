"""Special terms in Telegram: the card's «Особые условия», the kind, the typed size, and a
head's «Одобрить» / «Отказать». Thin: parse, call usecases/special_terms.py, answer.
Comes before the staff router, whose lead-button handler and catch-all would take these.
Heads' buttons reach this router from managers too, so that a manager's press is answered
(by the use case's role check) rather than ignored."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.answers import answer_callback
from bot.callbacks import LeadAction, TermsAction
from bot.filters import StaffFilter
from domain.buttons import LeadButton, TermsButton
from handlers.telegram.staff import VERDICT_TEXT
from usecases import special_terms
from usecases.assignment import Verdict
from usecases.context import AppContext
from usecases.staff_views import send_to_staff, staff_language

router = Router(name="special_terms")
router.message.filter(StaffFilter())
router.callback_query.filter(StaffFilter())


class TermsDialog(StatesGroup):
    value = State()


@router.callback_query(LeadAction.filter(F.action == LeadButton.SPECIAL_TERMS))
async def on_terms_button(
    callback: CallbackQuery, callback_data: LeadAction, ctx: AppContext, state: FSMContext
) -> None:
    user_id, lead_id, kind = callback.from_user.id, callback_data.lead_id, callback_data.argument
    if not kind:
        verdict = await special_terms.choose(ctx, lead_id, user_id)
    else:
        verdict = await special_terms.ask(ctx, lead_id, user_id, kind)
        if verdict is Verdict.DONE:
            await state.set_state(TermsDialog.value)
            await state.update_data(lead_id=lead_id, kind=kind)
    language = await staff_language(ctx, user_id)
    key = "toast_done" if verdict is Verdict.DONE else VERDICT_TEXT[verdict]
    await answer_callback(callback, str(ctx.texts.get(key, language)))


@router.message(TermsDialog.value, F.text)
async def typed_value(message: Message, ctx: AppContext, state: FSMContext) -> None:
    if (message.text or "").startswith("/"):
        await state.clear()
        raise SkipHandler  # a command ends the dialog and is answered as itself
    data = await state.get_data()
    lead_id = int(data["lead_id"])
    outcome = await special_terms.submit(
        ctx, lead_id, message.chat.id, str(data["kind"]), message.text or ""
    )
    if outcome.keep_asking:
        return  # the reason is on its way; the next message is another try
    await state.clear()
    if outcome.verdict is not Verdict.DONE:
        language = await staff_language(ctx, message.chat.id)
        text = ctx.texts.get(VERDICT_TEXT[outcome.verdict], language, lead_id=lead_id)
        await send_to_staff(ctx, message.chat.id, text)


@router.callback_query(TermsAction.filter())
async def on_answer(callback: CallbackQuery, callback_data: TermsAction, ctx: AppContext) -> None:
    approve = callback_data.action is TermsButton.APPROVE
    key = await special_terms.answer(ctx, callback_data.request_id, callback.from_user.id, approve)
    language = await staff_language(ctx, callback.from_user.id)
    await answer_callback(callback, str(ctx.texts.get(key, language)))
