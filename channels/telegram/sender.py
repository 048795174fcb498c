"""Outbox payloads → Bot API calls, and Bot API answers → the shared send statuses."""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from usecases.ports import SendResult, SendStatus

log = logging.getLogger(__name__)
# A send that has not answered in this time is retried; Telegram may still have sent it.
REQUEST_TIMEOUT = 15


def reply_markup(payload: dict[str, Any]) -> Any:
    if payload.get("buttons"):
        rows = [[InlineKeyboardButton(**button) for button in row] for row in payload["buttons"]]
        return InlineKeyboardMarkup(inline_keyboard=rows)
    keyboard = payload.get("keyboard")
    if isinstance(keyboard, dict) and keyboard.get("request_phone"):
        button = KeyboardButton(text=keyboard["request_phone"], request_contact=True)
        return ReplyKeyboardMarkup(
            keyboard=[[button]], resize_keyboard=True, one_time_keyboard=True
        )
    if payload.get("remove_keyboard"):
        return ReplyKeyboardRemove()
    return None


# Files sent again by their Telegram file id: the kind, and the Bot API method for it.
_BY_FILE_ID = {
    "photo": "send_photo",
    "document": "send_document",
    "voice": "send_voice",
    "audio": "send_audio",
    "video": "send_video",
    "animation": "send_animation",
    "sticker": "send_sticker",
    "video_note": "send_video_note",
}
_CAPTIONLESS = frozenset({"sticker", "video_note"})


class TelegramSender:
    name = "telegram"
    # Telegram: about one message a second to one chat, twenty a minute to a group.
    per_chat_interval = 1.0
    group_interval = 3.0
    # Longer text is split before it is queued (domain/text_split.py).
    max_text_length = 4096

    def __init__(
        self,
        bot: Bot,
        per_chat_interval: float | None = None,
        request_timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        if per_chat_interval is not None:
            self.per_chat_interval = per_chat_interval
        self._bot = bot
        self._request_timeout = request_timeout

    async def send(
        self, chat_id: str, payload: dict[str, Any], *, row_id: int | None = None
    ) -> SendResult:
        return await self._send(int(chat_id), payload, {})

    async def _send(
        self, chat_id: int, payload: dict[str, Any], extra: dict[str, Any]
    ) -> SendResult:
        """One Bot API call; `extra` goes to it as it is (business_connection_id)."""
        try:
            message = await self._call(chat_id, payload, extra)
        except TelegramRetryAfter as exc:
            return SendResult(SendStatus.RETRY, retry_after=float(exc.retry_after), error=str(exc))
        except TelegramForbiddenError as exc:
            return SendResult(SendStatus.BLOCKED, error=str(exc))
        except TelegramMigrateToChat as exc:
            return SendResult(SendStatus.FAILED, error=f"chat moved to {exc.migrate_to_chat_id}")
        except TelegramBadRequest as exc:
            return SendResult(SendStatus.FAILED, error=str(exc))
        except TelegramUnauthorizedError as exc:
            return SendResult(SendStatus.RETRY, retry_after=60.0, error=str(exc), refused=True)
        except (TimeoutError, TelegramNetworkError, OSError) as exc:
            return SendResult(SendStatus.RETRY, error=f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # 5xx, 401, 404, 409: nothing the message itself can fix
            return SendResult(SendStatus.RETRY, error=f"{type(exc).__name__}: {exc}")
        return SendResult(SendStatus.SENT, external_id=f"{chat_id}:{message.message_id}")

    async def _call(self, chat_id: int, payload: dict[str, Any], extra: dict[str, Any]) -> Any:
        markup = reply_markup(payload)
        parse_mode = payload.get("parse_mode")
        common: dict[str, Any] = {
            "reply_markup": markup,
            "request_timeout": self._request_timeout,
            **extra,
        }
        if payload.get("edit_message_id"):
            edited = await self._edit(chat_id, int(payload["edit_message_id"]), payload, common)
            if edited is not None:
                return edited
        kind = payload.get("media_kind")
        if kind in _BY_FILE_ID and payload.get("file_id"):
            # A file Telegram already holds, sent again by its id: a Telegram Business
            # customer's file to staff, a manager's file to such a customer.
            captions: dict[str, Any] = (
                {}
                if kind in _CAPTIONLESS
                else {"caption": payload.get("text"), "parse_mode": parse_mode}
            )
            method = getattr(self._bot, _BY_FILE_ID[kind])
            return await method(chat_id, payload["file_id"], **captions, **common)
        if payload.get("copy_from_chat_id"):
            # A customer's (or a manager's) own photo, file or voice, copied as it is.
            return await self._bot.copy_message(
                chat_id,
                int(payload["copy_from_chat_id"]),
                int(payload["copy_message_id"]),
                caption=payload.get("text"),
                parse_mode=parse_mode,
                **common,
            )
        if payload.get("photo_png_b64"):
            # A picture made here (a report chart): uploaded, not referenced by URL.
            picture = BufferedInputFile(base64.b64decode(payload["photo_png_b64"]), "report.png")
            return await self._bot.send_photo(
                chat_id,
                picture,
                caption=payload.get("text"),
                parse_mode=parse_mode,
                **common,
            )
        if payload.get("photo"):
            return await self._bot.send_photo(
                chat_id,
                payload["photo"],
                caption=payload.get("text"),
                parse_mode=parse_mode,
                **common,
            )
        if payload.get("document"):
            return await self._bot.send_document(
                chat_id,
                payload["document"],
                caption=payload.get("text"),
                parse_mode=parse_mode,
                **common,
            )
        return await self._bot.send_message(
            chat_id, payload["text"], parse_mode=parse_mode, **common
        )

    async def _edit(
        self, chat_id: int, message_id: int, payload: dict[str, Any], common: dict[str, Any]
    ) -> Any:
        """A card changed state: its own message is edited (no inline buttons given means
        none are left). None when that message is gone or cannot be edited: then the card
        is sent anew, so its news still reach him."""
        try:
            return await self._bot.edit_message_text(
                text=payload["text"],
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=payload.get("parse_mode"),
                **common,
            )
        except TelegramBadRequest as exc:
            if "not modified" in str(exc).lower():
                return _Same(message_id)
            log.info("card %s:%s not edited (%s); sending it anew", chat_id, message_id, exc)
            return None


@dataclass(frozen=True)
class _Same:
    """An edit Telegram refused as changing nothing: the card already says this."""

    message_id: int
