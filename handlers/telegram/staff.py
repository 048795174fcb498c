"""Managers and heads in Telegram: lead buttons, dialogs and commands. Thin: parse, call a
use case, answer. Buttons are checked by the use cases against who pressed them."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.answers import answer_callback
from bot.callbacks import ComplaintAction, LeadAction
from bot.filters import StaffFilter
from domain.buttons import ComplaintButton, LeadButton
from domain.language import language_of
from handlers.telegram.staff_money import won_pressed
from usecases import assignment, card_edits, reassign, work
from usecases.assignment import Verdict
from usecases.cards import reason_buttons
from usecases.complaints import (
    assign_complaint,
    confirm_suspected,
    list_complaints,
    open_from_manager,
    resolve_complaint,
)
from usecases.context import AppContext
from usecases.labels import complaint_status_label
from usecases.staff_views import (
    lead_full_text,
    lead_view,
    my_leads,
    send_to_staff,
    staff_language,
    today,
)
from usecases.team import accept_invite, set_paused
from usecases.web_logins import send_login_link

router = Router(name="staff")
router.message.filter(StaffFilter())
router.callback_query.filter(StaffFilter())

# Opening an invite link is done by someone who is not staff yet.
invites = Router(name="invites")


class Dialog(StatesGroup):
    reply = State()
    comment = State()
    decline_reason = State()
    loss_text = State()
    complaint = State()
    resolution = State()


VERDICT_TEXT = {
    Verdict.STALE: "stale",
    Verdict.NOT_YOURS: "not_yours",
    Verdict.ANSWER_ONLY: "answer_only_channel",
    Verdict.GATE: "gate_closed",
}
# Every press is answered: what a done press says in its toast.
LEAD_TOAST = {
    LeadButton.ACCEPT: "toast_accepted",
    LeadButton.DECLINE: "toast_declined",
    LeadButton.TAKE: "toast_assigned",
    LeadButton.ASSIGN_TO: "toast_assigned",
}
COMPLAINT_TOAST = {
    ComplaintButton.CONFIRM: "toast_complaint_confirmed",
    ComplaintButton.REJECT: "toast_complaint_rejected",
    ComplaintButton.TAKE: "toast_complaint_taken",
    ComplaintButton.ASSIGN_TO: "toast_complaint_taken",
}


@invites.message(CommandStart(deep_link=True, magic=F.args.startswith("inv_")))
async def open_invite(message: Message, command: CommandObject, ctx: AppContext) -> None:
    user = message.from_user
    assert user is not None and command.args is not None
    language = language_of(user.language_code)
    joined = await accept_invite(
        ctx, command.args.removeprefix("inv_"), user.id, user.full_name, language
    )
    key = "invite_done" if joined else "invite_bad"
    await send_to_staff(ctx, user.id, ctx.texts.get(key, language, name=user.full_name))


async def _say(ctx: AppContext, user_id: int, key: str, **params: object) -> None:
    language = await staff_language(ctx, user_id)
    await send_to_staff(ctx, user_id, ctx.texts.get(key, language, **params))


async def _answer(
    callback: CallbackQuery,
    ctx: AppContext,
    verdict: Verdict,
    done: str = "toast_done",
    **params: object,
) -> None:
    language = await staff_language(ctx, callback.from_user.id)
    key = done if verdict is Verdict.DONE else VERDICT_TEXT[verdict]
    await answer_callback(callback, str(ctx.texts.get(key, language, **params)), show_alert=False)


@router.callback_query(LeadAction.filter())
async def on_lead_button(
    callback: CallbackQuery, callback_data: LeadAction, ctx: AppContext, state: FSMContext
) -> None:
    user_id = callback.from_user.id
    lead_id, action, argument = callback_data.lead_id, callback_data.action, callback_data.argument
    if action is LeadButton.ACCEPT:
        # The toast and the offer card, edited into his lead's card, say it is his.
        verdict = await assignment.accept(ctx, lead_id, user_id)
    elif action is LeadButton.DECLINE:
        verdict = await _decline(ctx, state, lead_id, user_id)
    elif action is LeadButton.REPLY:
        verdict = await _start_dialog(
            ctx, state, Dialog.reply, lead_id, user_id, "ask_reply", for_reply=True
        )
    elif action is LeadButton.COMMENT:
        verdict = await _start_dialog(ctx, state, Dialog.comment, lead_id, user_id, "ask_comment")
    elif action is LeadButton.COMPLAIN:
        verdict = await _start_dialog(
            ctx, state, Dialog.complaint, lead_id, user_id, "ask_complaint_staff"
        )
    elif action is LeadButton.WON:
        verdict = await won_pressed(ctx, state, lead_id, user_id, argument)
    elif action in (LeadButton.LOST, LeadButton.DISQUALIFY):
        verdict = await _ask_reason(
            ctx, lead_id, user_id, "l" if action is LeadButton.LOST else "d"
        )
    elif action is LeadButton.CHOOSE_REASON:
        verdict = await _reason_chosen(ctx, state, lead_id, user_id, argument)
    elif action is LeadButton.TAKE:
        verdict = await reassign.head_assign(ctx, lead_id, user_id, None)
    elif action is LeadButton.ASSIGN_TO and argument.isdigit():
        verdict = await reassign.head_assign(ctx, lead_id, user_id, int(argument))
    else:
        verdict = Verdict.STALE
    if verdict in (Verdict.STALE, Verdict.NOT_YOURS) and callback.message is not None:
        await card_edits.refresh_stale_card(ctx, lead_id, user_id, callback.message.message_id)
    await _answer(callback, ctx, verdict, LEAD_TOAST.get(action, "toast_done"), lead_id=lead_id)


async def _start_dialog(
    ctx: AppContext,
    state: FSMContext,
    step: State,
    lead_id: int,
    user_id: int,
    prompt: str,
    need_offer: bool = False,
    for_reply: bool = False,
) -> Verdict:
    verdict, channel = await work.check_acting(
        ctx, lead_id, user_id, need_offer=need_offer, for_reply=for_reply
    )
    if verdict is Verdict.ANSWER_ONLY:
        # A toast is gone in a moment; the reason is worth a message he can read again.
        await _say(ctx, user_id, VERDICT_TEXT[verdict])
    if verdict is not Verdict.DONE:
        return verdict
    await state.set_state(step)
    await state.update_data(lead_id=lead_id)
    await _say(ctx, user_id, prompt, lead_id=lead_id, channel=channel)
    return Verdict.DONE


async def _decline(ctx: AppContext, state: FSMContext, lead_id: int, user_id: int) -> Verdict:
    """The lead passes on at once; the reason, if he types one, is attached afterwards."""
    verdict = await assignment.decline(ctx, lead_id, user_id, None)
    if verdict is Verdict.DONE:
        await state.set_state(Dialog.decline_reason)
        await state.update_data(lead_id=lead_id)
        await _say(ctx, user_id, "ask_decline_reason", lead_id=lead_id)
    return verdict


async def _ask_reason(ctx: AppContext, lead_id: int, user_id: int, outcome: str) -> Verdict:
    verdict, _ = await work.check_acting(ctx, lead_id, user_id)
    if verdict is not Verdict.DONE:
        return verdict
    language = await staff_language(ctx, user_id)
    buttons = reason_buttons(ctx.texts, language, lead_id, outcome, ctx.config.loss_reasons)
    await send_to_staff(
        ctx, user_id, ctx.texts.get("ask_loss_reason", language, lead_id=lead_id), buttons
    )
    return Verdict.DONE


async def _reason_chosen(
    ctx: AppContext, state: FSMContext, lead_id: int, user_id: int, argument: str
) -> Verdict:
    outcome_code, _, choice = argument.partition(".")
    outcome = {"l": "lost", "d": "disqualified"}.get(outcome_code)
    if outcome is None:
        return Verdict.STALE
    if choice == "x":
        verdict, _ = await work.check_acting(ctx, lead_id, user_id)
        if verdict is Verdict.DONE:
            await state.set_state(Dialog.loss_text)
            await state.update_data(lead_id=lead_id, outcome=outcome)
            await _say(ctx, user_id, "ask_loss_text")
        return verdict
    reasons = ctx.config.loss_reasons
    if not choice.isdigit() or int(choice) >= len(reasons):
        return Verdict.STALE
    return await work.close(ctx, lead_id, user_id, outcome, reason=reasons[int(choice)])


@router.message(Command("cancel"))
async def cancel(message: Message, ctx: AppContext, state: FSMContext) -> None:
    await state.clear()
    await _say(ctx, message.chat.id, "cancelled")


@router.message(Dialog.reply, F.text)
async def reply_text(message: Message, ctx: AppContext, state: FSMContext) -> None:
    data = await state.get_data()
    await state.clear()
    verdict = await work.reply(ctx, int(data["lead_id"]), message.chat.id, message.text or "")
    # A reply queued is not yet a reply delivered: its fate is told when it is known.
    if verdict is not Verdict.DONE:
        await _say(ctx, message.chat.id, VERDICT_TEXT[verdict], lead_id=data["lead_id"])


@router.message(Dialog.comment, F.text)
async def comment_text(message: Message, ctx: AppContext, state: FSMContext) -> None:
    data = await state.get_data()
    await state.clear()
    verdict = await work.comment(ctx, int(data["lead_id"]), message.chat.id, message.text or "")
    await _say(
        ctx, message.chat.id, "comment_saved" if verdict is Verdict.DONE else VERDICT_TEXT[verdict]
    )


@router.message(Dialog.decline_reason, F.text)
async def decline_text(message: Message, ctx: AppContext, state: FSMContext) -> None:
    data = await state.get_data()
    await state.clear()
    lead_id = int(data["lead_id"])
    verdict = await work.decline_reason(ctx, lead_id, message.chat.id, message.text or "")
    await _say(
        ctx,
        message.chat.id,
        "decline_reason_saved" if verdict is Verdict.DONE else VERDICT_TEXT[verdict],
        lead_id=lead_id,
    )


@router.message(Dialog.loss_text, F.text)
async def loss_text(message: Message, ctx: AppContext, state: FSMContext) -> None:
    data = await state.get_data()
    await state.clear()
    verdict = await work.close(
        ctx,
        int(data["lead_id"]),
        message.chat.id,
        data["outcome"],
        reason="other",
        comment=message.text or "",
    )
    if verdict is not Verdict.DONE:
        await _say(ctx, message.chat.id, VERDICT_TEXT[verdict])


@router.message(Dialog.complaint, F.text)
async def complaint_text(message: Message, ctx: AppContext, state: FSMContext) -> None:
    data = await state.get_data()
    await state.clear()
    verdict = await open_from_manager(
        ctx, int(data["lead_id"]), message.chat.id, message.text or ""
    )
    await _say(
        ctx,
        message.chat.id,
        "complaint_saved" if verdict is Verdict.DONE else VERDICT_TEXT[verdict],
    )


@router.callback_query(ComplaintAction.filter())
async def on_complaint_button(
    callback: CallbackQuery, callback_data: ComplaintAction, ctx: AppContext, state: FSMContext
) -> None:
    action, complaint_id = callback_data.action, callback_data.complaint_id
    argument = callback_data.argument
    user_id = callback.from_user.id
    if action is ComplaintButton.TAKE:
        verdict = await assign_complaint(ctx, complaint_id, None, None, actor_telegram_id=user_id)
    elif action is ComplaintButton.ASSIGN_TO and argument.isdigit():
        verdict = await assign_complaint(
            ctx, complaint_id, int(argument), None, actor_telegram_id=user_id
        )
    elif action in (ComplaintButton.CONFIRM, ComplaintButton.REJECT):
        verdict = await confirm_suspected(
            ctx, complaint_id, user_id, confirmed=action is ComplaintButton.CONFIRM
        )
    elif action is ComplaintButton.RESOLVE:
        await state.set_state(Dialog.resolution)
        await state.update_data(complaint_id=complaint_id)
        await _say(ctx, user_id, "ask_resolution", complaint_id=complaint_id)
        verdict = Verdict.DONE
    else:
        verdict = Verdict.STALE
    await _answer(callback, ctx, verdict, COMPLAINT_TOAST.get(action, "toast_done"))


@router.message(Dialog.resolution, F.text)
async def resolution_text(message: Message, ctx: AppContext, state: FSMContext) -> None:
    data = await state.get_data()
    await state.clear()
    verdict = await resolve_complaint(
        ctx, int(data["complaint_id"]), None, message.text or "", actor_telegram_id=message.chat.id
    )
    if verdict is not Verdict.DONE:
        await _say(ctx, message.chat.id, VERDICT_TEXT[verdict])


@router.message(Command("complaints"))
async def complaints_command(message: Message, ctx: AppContext, role: str) -> None:
    owner = None if role == "head" else message.chat.id
    items = await list_complaints(ctx, open_only=True, owner_telegram_id=owner)
    language = await staff_language(ctx, message.chat.id)
    if not items:
        await _say(ctx, message.chat.id, "complaints_empty")
        return
    lines = [ctx.texts.get("complaints_header", language, count=len(items))]
    lines += [
        ctx.texts.get(
            "complaints_line",
            language,
            complaint_id=item["id"],
            status=complaint_status_label(ctx.texts, language, item["status"]),
            text=item["text"][:80],
            overdue=ctx.texts.get("overdue_mark", language) if item["overdue"] else "",
        )
        for item in items
    ]
    await send_to_staff(ctx, message.chat.id, "\n".join(lines))


@router.message(Command("leads"))
async def leads_command(message: Message, ctx: AppContext) -> None:
    text = await my_leads(ctx, message.chat.id)
    if text is not None:
        await send_to_staff(ctx, message.chat.id, text)


@router.message(Command("lead"))
async def lead_command(message: Message, command: CommandObject, ctx: AppContext) -> None:
    argument, _, rest = (command.args or "").strip().lstrip("#").partition(" ")
    if not argument.isdigit():
        await _say(ctx, message.chat.id, "lead_usage")
        return
    if rest.strip().lower() in ("full", "все", "всё"):
        pieces = await lead_full_text(ctx, message.chat.id, int(argument))
        if pieces is not None:
            await send_to_staff(ctx, message.chat.id, "", plain=tuple(pieces))
        return
    view = await lead_view(ctx, message.chat.id, int(argument))
    if view is not None:
        text, buttons = view
        await send_to_staff(ctx, message.chat.id, text, buttons or None)


@router.message(Command("today"))
async def today_command(message: Message, ctx: AppContext) -> None:
    text = await today(ctx, message.chat.id)
    if text is not None:
        await send_to_staff(ctx, message.chat.id, text)


@router.message(Command("pause"))
async def pause_command(message: Message, ctx: AppContext) -> None:
    await set_paused(ctx, message.chat.id, True)
    await _say(ctx, message.chat.id, "paused")


@router.message(Command("resume"))
async def resume_command(message: Message, ctx: AppContext) -> None:
    await set_paused(ctx, message.chat.id, False)
    await _say(ctx, message.chat.id, "resumed")


@router.message(Command("web"))
async def web_command(message: Message, ctx: AppContext) -> None:
    """A one-time link that signs him in to the web dashboard (usecases.web_logins)."""
    await send_login_link(ctx, message.chat.id)


@router.message()
async def staff_fallback(message: Message, ctx: AppContext, role: str) -> None:
    language = await staff_language(ctx, message.chat.id)
    text = ctx.texts.get("staff_help", language)
    if role == "head":
        text = ctx.texts.get("staff_help", language) + "\n" + ctx.texts.get("head_help", language)
    await send_to_staff(ctx, message.chat.id, text)
