"""A form cannot be answered in place: replies go by e-mail when the form gave one."""

from __future__ import annotations

from typing import Any

from usecases.ports import ChannelSender, SendResult, SendStatus


class FormSender:
    name = "form"
    per_chat_interval = 0.0

    def __init__(self, mail: ChannelSender | None) -> None:
        self._mail = mail

    async def send(
        self, chat_id: str, payload: dict[str, Any], *, row_id: int | None = None
    ) -> SendResult:
        if not chat_id:
            return SendResult(SendStatus.FAILED, error="the form gave no e-mail address")
        if self._mail is None:
            return SendResult(
                SendStatus.FAILED, error="e-mail is off (SMTP_HOST): form leads cannot be answered"
            )
        return await self._mail.send(chat_id, payload, row_id=row_id)
