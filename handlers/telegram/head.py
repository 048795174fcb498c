"""Head-of-sales commands: the team, invites, (de)activation, merging contacts."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.filters import StaffFilter
from domain.assignment import LEVELS
from texts import Safe
from usecases.contacts import ContactRef, MergeOutcome, merge_contacts
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
