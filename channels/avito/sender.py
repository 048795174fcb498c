"""The outbox sender for Avito: plain text (the payload's HTML made plain, at most 1,000
characters a message) and pictures (uploaded, then sent as an image message) into a
chat the buyer opened. A manager's photo arrives as the Telegram file id he sent the bot
(`staff_photo`); a follow-up step's `photo` is a URL or such a file id too.

Avito lets a seller answer only: there is no call to open a chat, and the use cases never
queue a message for a lead the customer did not start (usecases/answer_only.py).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from channels.avito.api import AvitoApi, AvitoApiError
from channels.email.plain import payload_text
from channels.plugin import FileSource
from usecases.ports import SendResult, SendStatus

log = logging.getLogger(__name__)

MAX_TEXT = 1000
# Without a Retry-After, a 429 waits this long.
DEFAULT_RETRY_AFTER = 5.0
_REMEMBERED_IMAGES = 1000


def result_of_error(exc: AvitoApiError) -> SendResult:
    error = str(exc)
    if exc.credentials:
        # Retrying cannot help until the administrator fixes the keys: a clear fate now.
        return SendResult(SendStatus.FAILED, error=f"access token refused: {error}", refused=True)
    if exc.status == 429:
        return SendResult(
            SendStatus.RETRY, retry_after=exc.retry_after or DEFAULT_RETRY_AFTER, error=error
        )
    if exc.status in (400, 403, 404, 413, 415, 422):
        return SendResult(SendStatus.FAILED, error=error)
    return SendResult(SendStatus.RETRY, retry_after=exc.retry_after, error=error)


def plain_text(payload: dict[str, Any]) -> str:
    """What the buyer reads: the text without markup, button links after it."""
    text = payload_text({key: value for key, value in payload.items() if key != "photo"})
    if len(text) > MAX_TEXT:
        # The use cases split long replies before queueing (max_text_length); this is the net.
        log.warning("avito: a text of %s characters cut to %s", len(text), MAX_TEXT)
        text = text[: MAX_TEXT - 1] + "…"
    return text


@dataclass
class AvitoSender:
    api: AvitoApi
    # Fetches a photo a manager sent the bot in Telegram, by its file id.
    staff_files: FileSource | None = None
    name: str = "avito"
    per_chat_interval: float = 0.0
    max_text_length: int = MAX_TEXT
    # The business may only answer here: read by app/runtime.py into ctx.answer_only.
    answers_only: bool = True
    # Photos of rows already sent, so a retry for the text after it does not repeat them.
    _images: OrderedDict[int, str] = field(default_factory=OrderedDict, init=False, repr=False)

    @property
    def takes_staff_photos(self) -> bool:
        return self.staff_files is not None

    async def send(
        self, chat_id: str, payload: dict[str, Any], *, row_id: int | None = None
    ) -> SendResult:
        photo = payload.get("staff_photo") or payload.get("photo")
        text = plain_text(payload)
        if not photo and not text:
            return SendResult(SendStatus.FAILED, error="nothing to send to Avito (no text)")
        external_id = None
        try:
            if isinstance(photo, str) and photo:
                external_id = await self._send_photo(chat_id, photo, row_id)
            if text:
                answer = await self.api.send_text(chat_id, text)
                external_id = str(answer.get("id") or "") or external_id
        except AvitoApiError as exc:
            return result_of_error(exc)
        except LookupError as exc:
            return SendResult(SendStatus.FAILED, error=f"the photo cannot be fetched: {exc}")
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return SendResult(SendStatus.RETRY, error=f"{type(exc).__name__}: {exc}")
        if row_id is not None:
            self._images.pop(row_id, None)
        return SendResult(SendStatus.SENT, external_id=external_id)

    async def _send_photo(self, chat_id: str, photo: str, row_id: int | None) -> str:
        if row_id is not None and row_id in self._images:
            return self._images[row_id]
        if photo.startswith(("https://", "http://")):
            data, content_type = await self.api.download(photo)
        elif self.staff_files is not None:
            data, content_type = await self.staff_files(photo)
        else:
            raise LookupError("Telegram is off, so a Telegram photo cannot be fetched")
        if not content_type.startswith("image/"):
            content_type = "image/jpeg"
        extension = content_type.split("/", 1)[1].split(";")[0].strip() or "jpeg"
        image_id = await self.api.upload_image(data, f"photo.{extension}", content_type)
        answer = await self.api.send_image(chat_id, image_id)
        message_id = str(answer.get("id") or image_id)
        if row_id is not None:
            self._images[row_id] = message_id
            while len(self._images) > _REMEMBERED_IMAGES:
                self._images.popitem(last=False)
        return message_id
