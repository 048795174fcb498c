"""What customers send to the bot: every message is captured as part of a lead."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import KICKED, MEMBER, ChatMemberUpdatedFilter, Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message, Update

from bot.answers import answer_callback
from bot.callbacks import SurveyScore
from channels.telegram.normalise import CHANNEL, Skip, edit_from_message, inbound_from_message
from domain.contacts import mask_phone
from handlers.telegram import head, reports, staff
from handlers.telegram.commands import commands_of
from texts import language_of
from usecases.capture import Outcome, answer_customer, apply_edit, capture, set_blocked
from usecases.complaints import open_from_customer
from usecases.context import AppContext
from usecases.subscriptions import set_marketing
from usecases.surveys import add_survey_comment, answer_survey

log = logging.getLogger(__name__)
router = Router(name="customer")


# Everything the staff routers answer (they come first in the dispatcher); a customer
# typing one of these gets the polite answer instead of a captured message.
STAFF_COMMANDS = commands_of(staff.invites, head.router, reports.router, staff.router)


@router.message(Command(*STAFF_COMMANDS), F.chat.type == "private")
async def on_staff_command(message: Message, ctx: AppContext) -> None:
    """A customer never reaches manager commands; he gets the customer's answer."""
    user = message.from_user
    language = language_of(user.language_code if user else None)
    await answer_customer(
        ctx, CHANNEL, str(message.chat.id), ctx.texts.get("customer_only", language)
    )


class CustomerDialog(StatesGroup):
    complaint = State()
    survey_comment = State()


@router.message(Command("stop"), F.chat.type == "private")
async def on_stop(message: Message, ctx: AppContext) -> None:
    """Marketing stops; answers to the customer's own enquiries still reach him."""
    assert message.from_user is not None
    await set_marketing(ctx, CHANNEL, str(message.from_user.id), allowed=False)


@router.message(Command("complaint"), F.chat.type == "private")
async def on_complaint_command(message: Message, ctx: AppContext, state: FSMContext) -> None:
    user = message.from_user
    assert user is not None
    await state.set_state(CustomerDialog.complaint)
    await answer_customer(
        ctx,
        CHANNEL,
        str(message.chat.id),
        ctx.texts.get("ask_complaint", language_of(user.language_code)),
    )


@router.message(CustomerDialog.complaint, F.text)
async def on_complaint_text(message: Message, ctx: AppContext, state: FSMContext) -> None:
    """A complaint, not an enquiry: it goes to the heads with his last lead and its
    manager, opens no sales lead and is not relayed to the manager it is about."""
    await state.clear()
    user = message.from_user
    assert user is not None
    await open_from_customer(
        ctx,
        CHANNEL,
        str(user.id),
        message.text or "",
        chat_id=str(message.chat.id),
        display_name=user.full_name,
        language=user.language_code,
    )


@router.callback_query(SurveyScore.filter())
async def on_survey_score(
    callback: CallbackQuery, callback_data: SurveyScore, ctx: AppContext, state: FSMContext
) -> None:
    survey_id, score = callback_data.survey_id, callback_data.score
    answer = await answer_survey(ctx, survey_id, CHANNEL, str(callback.from_user.id), score)
    await answer_callback(callback)
    if not answer.accepted:
        return
    key = "survey_sorry" if answer.complaint_id else "survey_thanks"
    await state.set_state(CustomerDialog.survey_comment)
    await state.update_data(survey_id=survey_id)
    await answer_customer(
        ctx, CHANNEL, str(callback.from_user.id), ctx.texts.get(key, answer.language)
    )


@router.message(CustomerDialog.survey_comment, F.text, ~F.text.startswith("/"))
async def on_survey_comment(
    message: Message, ctx: AppContext, state: FSMContext, event_update: Update
) -> None:
    data = await state.get_data()
    await state.clear()
    await add_survey_comment(ctx, int(data["survey_id"]), message.text or "")
    user = message.from_user
    await answer_customer(
        ctx,
        CHANNEL,
        str(message.chat.id),
        ctx.texts.get("survey_comment_thanks", language_of(user.language_code if user else None)),
    )


@router.callback_query()
async def on_other_button(callback: CallbackQuery) -> None:
    """A customer pressing a staff button (forwarded, forged) changes nothing."""
    await answer_callback(callback)


@router.message()
async def on_message(message: Message, ctx: AppContext, event_update: Update) -> None:
    try:
        inbound = inbound_from_message(
            message,
            event_update.update_id,
            allow_groups=ctx.config.telegram.allow_groups,
            region=ctx.config.company.default_region,
        )
    except Skip as reason:
        log.info("update %s skipped: %s", event_update.update_id, reason)
        return
    result = await capture(ctx, inbound)
    if inbound.is_start and result.outcome is Outcome.CAPTURED:
        # Coming back through /start (as the /stop answer tells him) means news are welcome
        # again; he is told so, as an open lead's /start gets no greeting (issue 13).
        await set_marketing(ctx, CHANNEL, inbound.sender.external_id, allowed=True)
    log.info(
        "update %s: %s lead=%s%s",
        event_update.update_id,
        result.outcome,
        result.lead_id,
        f" phone={mask_phone(inbound.sender.phone)}" if inbound.sender.phone else "",
    )


@router.edited_message()
async def on_edit(message: Message, ctx: AppContext, event_update: Update) -> None:
    try:
        edit = edit_from_message(message, event_update.update_id)
    except Skip as reason:
        log.info("edit %s skipped: %s", event_update.update_id, reason)
        return
    result = await apply_edit(ctx, edit)
    log.info(
        "update %s: edit applied=%s lead=%s", event_update.update_id, result.applied, result.lead_id
    )


@router.my_chat_member(F.chat.type == "private", ChatMemberUpdatedFilter(KICKED))
async def on_blocked(event: ChatMemberUpdated, ctx: AppContext) -> None:
    changed = await set_blocked(ctx, CHANNEL, str(event.chat.id), blocked=True)
    log.info("chat %s blocked the bot (known contact: %s)", event.chat.id, changed)


@router.my_chat_member(F.chat.type == "private", ChatMemberUpdatedFilter(MEMBER))
async def on_unblocked(event: ChatMemberUpdated, ctx: AppContext) -> None:
    changed = await set_blocked(ctx, CHANNEL, str(event.chat.id), blocked=False)
    log.info("chat %s unblocked the bot (known contact: %s)", event.chat.id, changed)
