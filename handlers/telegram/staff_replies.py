"""A manager answering a customer the way Telegram invites him to: a native reply (swipe)
to a card or a relayed message, and photos or files in the Reply dialog. Comes before the
staff router, so that a reply to a lead never falls into its help text."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.filters import StaffFilter
from handlers.telegram.staff import VERDICT_TEXT, Dialog
from usecases import work
from usecases.assignment import Verdict
from usecases.context import AppContext
from usecases.staff_views import send_to_staff, staff_language

router = Router(name="staff_replies")
router.message.filter(StaffFilter())

_MEDIA = F.photo | F.document | F.video | F.voice | F.audio | F.animation


def _media_of(message: Message) -> work.MediaReply | None:
    kind = next(
        (
            k
            for k in ("photo", "document", "video", "voice", "audio", "animation")
            if getattr(message, k)
        ),
        None,
    )
    if kind is None:
        return None
    # The largest size of a photo, for a channel that passes the picture on.
    file_id = message.photo[-1].file_id if message.photo else None
    return work.MediaReply(
        message.chat.id, message.message_id, kind, message.caption or "", file_id=file_id
    )


async def _answer(
    ctx: AppContext, message: Message, lead_id: int, verdict: Verdict, refused: str | None
) -> None:
    if verdict is Verdict.DONE and not refused:
        return  # a reply queued is not yet delivered: its fate is told when it is known
    language = await staff_language(ctx, message.chat.id)
    if verdict is not Verdict.DONE:
        text = ctx.texts.get(VERDICT_TEXT[verdict], language)
    else:
        text = ctx.texts.get("reply_media_unsupported", language, channel=refused, lead_id=lead_id)
    await send_to_staff(ctx, message.chat.id, text)


async def _send(ctx: AppContext, message: Message, lead_id: int) -> None:
    media = _media_of(message)
    if media is not None:
        verdict, refused = await work.reply_media(ctx, lead_id, message.chat.id, media)
    else:
        verdict = await work.reply(ctx, lead_id, message.chat.id, message.text or "")
        refused = None
    await _answer(ctx, message, lead_id, verdict, refused)


@router.message(F.reply_to_message.from_user.is_bot, F.text | _MEDIA)
async def native_reply(message: Message, ctx: AppContext) -> None:
    """A reply to a card or a relay of a lead goes to that lead's customer."""
    replied = message.reply_to_message
    assert replied is not None
    if (message.text or "").startswith("/"):
        raise SkipHandler  # a command typed as a reply is still the command
    lead_id = await work.lead_of_staff_message(ctx, message.chat.id, replied.message_id)
    if lead_id is None:
        raise SkipHandler  # a reply to a prompt or a report: the other handlers decide
    await _send(ctx, message, lead_id)


@router.message(Dialog.reply, _MEDIA)
async def reply_with_media(message: Message, ctx: AppContext, state: FSMContext) -> None:
    data = await state.get_data()
    await state.clear()
    await _send(ctx, message, int(data["lead_id"]))
