"""Head-of-sales commands and buttons: what needs him (/today), the team's leads by filter
and page (/leads), handing leads over, the team, invites, (de)activation, merging."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.answers import answer_callback
from bot.callbacks import LeadAction, LeadsPage, TeamAction
from bot.filters import StaffFilter
from domain.assignment import LEVELS
from domain.buttons import LeadButton, TeamButton, team_button
from texts import Safe
from usecases.contacts import ContactRef, MergeOutcome, merge_contacts
from usecases.context import AppContext
from usecases.head_views import head_today, team_leads
from usecases.reassign import Handover, HandoverOutcome, handover, holding_count, pass_choices
from usecases.replies import format_span
from usecases.staff_views import send_to_staff, staff_language, team_text
from usecases.team import create_invite, set_active

router = Router(name="head")
router.message.filter(StaffFilter("head"))
router.callback_query.filter(StaffFilter("head"))


@router.message(Command("today"))
async def today_command(message: Message, ctx: AppContext) -> None:
    text = await head_today(ctx, message.chat.id)
    if text is not None:
        await send_to_staff(ctx, message.chat.id, text)


@router.message(Command("leads"))
async def leads_command(message: Message, ctx: AppContext) -> None:
    page = await team_leads(ctx, message.chat.id)
    if page is not None:
        await send_to_staff(ctx, message.chat.id, page[0], page[1])


@router.callback_query(LeadsPage.filter())
async def on_leads_page(callback: CallbackQuery, callback_data: LeadsPage, ctx: AppContext) -> None:
    page = await team_leads(
        ctx,
        callback.from_user.id,
        callback_data.kind,
        callback_data.page,
        callback_data.manager_id,
    )
    await answer_callback(callback)
    if page is None:
        return
    text, buttons = page
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(**button) for button in row] for row in buttons]
    )
    message = callback.message
    try:
        # The page turns in place; a message too old to edit gets a fresh one instead.
        if isinstance(message, Message):
            await message.edit_text(text, parse_mode="HTML", reply_markup=markup)
            return
    except TelegramBadRequest as exc:
        if "not modified" in str(exc.message).lower():
            return
    await send_to_staff(ctx, callback.from_user.id, text, buttons)


@router.callback_query(LeadAction.filter(F.action == LeadButton.PASS))
async def on_pass(callback: CallbackQuery, callback_data: LeadAction, ctx: AppContext) -> None:
    user_id = callback.from_user.id
    verdict, buttons, language = await pass_choices(ctx, callback_data.lead_id, user_id)
    if verdict.value != "done":
        await answer_callback(callback, str(ctx.texts.get(verdict.value, language)))
        return
    await answer_callback(callback)
    text = ctx.texts.get("pass_pick", language, lead_id=callback_data.lead_id)
    await send_to_staff(ctx, user_id, text, buttons)


def _handover_text(ctx: AppContext, result: Handover, language: str) -> Safe:
    texts = ctx.texts
    if result.outcome is HandoverOutcome.NOT_FOUND:
        return texts.get("manager_not_found", language)
    if result.outcome is HandoverOutcome.NOT_HEAD:
        return texts.get("heads_only", language)
    if not result.moved and not result.waiting:
        return texts.get("handover_nothing", language, name=result.name)
    lines = [
        texts.get(
            "handover_done",
            language,
            name=result.name,
            count=len(result.moved) + len(result.waiting),
        )
    ]
    lines += [
        texts.get("handover_line", language, lead_id=lead_id, name=name)
        for lead_id, name in result.moved
    ]
    if result.waiting:
        ids = ", ".join(f"#{lead_id}" for lead_id in result.waiting)
        lines.append(texts.get("handover_waiting", language, ids=ids))
    return Safe("\n".join(lines))


@router.message(Command("handover"))
async def handover_command(message: Message, command: CommandObject, ctx: AppContext) -> None:
    language = await staff_language(ctx, message.chat.id)
    argument = (command.args or "").strip()
    if not argument.isdigit():
        await send_to_staff(ctx, message.chat.id, ctx.texts.get("handover_usage", language))
        return
    result = await handover(ctx, message.chat.id, int(argument))
    await send_to_staff(ctx, message.chat.id, _handover_text(ctx, result, language))


@router.callback_query(TeamAction.filter(F.action == TeamButton.HANDOVER))
async def on_handover(callback: CallbackQuery, callback_data: TeamAction, ctx: AppContext) -> None:
    await answer_callback(callback)
    language = await staff_language(ctx, callback.from_user.id)
    result = await handover(ctx, callback.from_user.id, callback_data.telegram_id)
    await send_to_staff(ctx, callback.from_user.id, _handover_text(ctx, result, language))


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
    member = int(argument)
    name = await set_active(ctx, message.chat.id, member, active)
    holding = 0 if name is None or active else await holding_count(ctx, member)
    if holding:
        # His leads stay his until the head says otherwise: offer the handover.
        text = ctx.texts.get("manager_deactivated_leads", language, name=name, count=holding)
        button = {
            "text": str(ctx.texts.get("btn_handover", language)),
            "callback_data": team_button(TeamButton.HANDOVER, member),
        }
        await send_to_staff(ctx, message.chat.id, text, [[button]])
        return
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


def _contact_ref(token: str) -> ContactRef | None:
    """`12` is contact #12; `#42` (or `L42`) is the contact of lead #42."""
    token = token.strip()
    by_lead = token[:1] in ("#", "L", "l")
    digits = token[1:] if by_lead else token
    return ContactRef(int(digits), by_lead=by_lead) if digits.isdigit() else None


@router.message(Command("merge"))
async def merge_command(message: Message, command: CommandObject, ctx: AppContext) -> None:
    language = await staff_language(ctx, message.chat.id)
    parts = (command.args or "").split()
    refs = [_contact_ref(part) for part in parts]
    if len(refs) != 2 or refs[0] is None or refs[1] is None:
        await send_to_staff(ctx, message.chat.id, ctx.texts.get("merge_usage", language))
        return
    result = await merge_contacts(ctx, message.chat.id, refs[0], refs[1])
    texts = ctx.texts
    if result.outcome is MergeOutcome.NOT_HEAD:
        text = texts.get("heads_only", language)
    elif result.outcome is MergeOutcome.NOT_FOUND:
        missing = next(
            (
                part
                for part, ref in zip(parts, refs, strict=True)
                if ref and ref.id == result.missing
            ),
            str(result.missing),
        )
        text = texts.get("merge_not_found", language, what=missing)
    elif result.outcome is MergeOutcome.SAME:
        text = texts.get("merge_same", language, kept=result.kept_id)
    elif result.outcome is MergeOutcome.ALREADY_MERGED:
        text = texts.get(
            "merge_already", language, merged=result.merged_id, target=result.merged_into
        )
    elif result.lead_id is None:
        text = texts.get(
            "merge_done_no_lead", language, merged=result.merged_id, kept=result.kept_id
        )
    else:
        text = texts.get(
            "merge_done",
            language,
            merged=result.merged_id,
            kept=result.kept_id,
            lead_id=result.lead_id,
        )
        if result.closed_lead_id is not None:
            folded = texts.get(
                "merge_folded",
                language,
                closed=result.closed_lead_id,
                count=result.moved_messages,
                lead_id=result.lead_id,
            )
            text = Safe(f"{text}\n{folded}")
    await send_to_staff(ctx, message.chat.id, text)
