"""A head's grade of a sampled conversation: the card's 1–5 buttons, then his optional
typed comment (or «Без комментария»). Thin: parse, call usecases/quality.py, answer.
Comes before the staff router, whose catch-all would take the typed comment."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.answers import answer_callback
from bot.callbacks import QualityGrade
from bot.filters import StaffFilter
from domain.buttons import NO_COMMENT
from usecases import quality
from usecases.context import AppContext
from usecases.quality import Commented, Graded
from usecases.quality_cards import no_comment_rows
from usecases.staff_views import send_to_staff, staff_language

router = Router(name="quality")
router.message.filter(StaffFilter())
router.callback_query.filter(StaffFilter())

TOAST = {
    Graded.SAVED: "quality_toast_graded",
    Graded.ALREADY: "quality_toast_already",
    Graded.HEADS_ONLY: "quality_toast_heads_only",
    Graded.STALE: "stale",
}


class CommentDialog(StatesGroup):
    comment = State()


@router.callback_query(QualityGrade.filter())
async def on_grade(
    callback: CallbackQuery, callback_data: QualityGrade, ctx: AppContext, state: FSMContext
) -> None:
    user_id, sample_id = callback.from_user.id, callback_data.sample_id
    language = await staff_language(ctx, user_id)
    if callback_data.grade == NO_COMMENT:
        data = await state.get_data()
        if data.get("quality_sample") == sample_id:
            await state.clear()
        await answer_callback(callback, str(ctx.texts.get("quality_toast_no_comment", language)))
        return
    result = await quality.grade_in_telegram(ctx, sample_id, user_id, callback_data.grade)
    toast = ctx.texts.get(TOAST[result.outcome], language, grade=result.grade or "—")
    await answer_callback(callback, str(toast))
    if result.outcome is Graded.SAVED:
        await state.set_state(CommentDialog.comment)
        await state.update_data(quality_sample=sample_id)
        text = ctx.texts.get(
            "quality_graded",
            language,
            grade=result.grade,
            lead_id=result.lead_id,
            manager=result.manager,
        )
        await send_to_staff(ctx, user_id, text, no_comment_rows(ctx.texts, language, sample_id))


@router.message(CommentDialog.comment, F.text)
async def comment_text(message: Message, ctx: AppContext, state: FSMContext) -> None:
    if (message.text or "").startswith("/"):
        await state.clear()
        raise SkipHandler  # a command ends the dialog and is answered as itself
    data = await state.get_data()
    outcome, lead_id = await quality.comment_in_telegram(
        ctx, int(data["quality_sample"]), message.chat.id, message.text or ""
    )
    language = await staff_language(ctx, message.chat.id)
    if outcome is Commented.TOO_LONG:
        # Polite, and the dialog stays open: the next message is another try.
        await send_to_staff(
            ctx, message.chat.id, ctx.texts.get("quality_comment_too_long", language)
        )
        return
    await state.clear()
    if outcome is Commented.REFUSED:
        raise SkipHandler  # no longer a comment: the words are answered as any other
    await send_to_staff(
        ctx, message.chat.id, ctx.texts.get("quality_comment_saved", language, lead_id=lead_id)
    )
