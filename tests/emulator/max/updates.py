"""Updates as MAX sends them (max-messenger/api-schema `Update` inheritors): timestamps in
milliseconds, a message's `body.mid`, the dialog's `recipient`, the user's locale."""

from __future__ import annotations

import itertools
from typing import Any

_EPOCH_MS = 1_770_000_000_000


class UpdateFactory:
    bot_id: int

    def __init__(self) -> None:
        self._clock = itertools.count(1)
        self._message_numbers = itertools.count(1)
        self._callbacks = itertools.count(1)

    def _now(self) -> int:
        return _EPOCH_MS + next(self._clock) * 1000

    @staticmethod
    def user(user_id: int, first_name: str = "Анна", last_name: str = "") -> dict[str, Any]:
        return {
            "user_id": user_id,
            "first_name": first_name,
            "last_name": last_name,
            "username": None,
            "is_bot": False,
            "last_activity_time": _EPOCH_MS,
        }

    def message_created(
        self,
        user_id: int,
        text: str | None,
        *,
        attachments: list[dict[str, Any]] | None = None,
        first_name: str = "Анна",
        last_name: str = "",
        locale: str | None = "ru-RU",
        chat_type: str = "dialog",
    ) -> dict[str, Any]:
        now = self._now()
        body: dict[str, Any] = {"mid": f"mid.{next(self._message_numbers):016x}", "seq": now}
        body["text"] = text
        if attachments:
            body["attachments"] = attachments
        update: dict[str, Any] = {
            "update_type": "message_created",
            "timestamp": now,
            "message": {
                "sender": self.user(user_id, first_name, last_name),
                "recipient": {
                    "chat_id": -(70_000_000 + user_id),
                    "chat_type": chat_type,
                    "user_id": self.bot_id,
                },
                "timestamp": now,
                "body": body,
            },
        }
        if locale:
            update["user_locale"] = locale
        return update

    def message_edited(self, original: dict[str, Any], text: str) -> dict[str, Any]:
        message = dict(original["message"])
        message["body"] = {**message["body"], "text": text}
        return {"update_type": "message_edited", "timestamp": self._now(), "message": message}

    def bot_started(
        self, user_id: int, payload: str | None = None, *, first_name: str = "Анна"
    ) -> dict[str, Any]:
        return {
            "update_type": "bot_started",
            "timestamp": self._now(),
            "chat_id": -(70_000_000 + user_id),
            "user": self.user(user_id, first_name),
            "payload": payload,
            "user_locale": "ru-RU",
        }

    def bot_stopped(self, user_id: int) -> dict[str, Any]:
        return {
            "update_type": "bot_stopped",
            "timestamp": self._now(),
            "chat_id": -(70_000_000 + user_id),
            "user": self.user(user_id),
            "user_locale": "ru-RU",
        }

    def message_callback(self, user_id: int, payload: str) -> dict[str, Any]:
        now = self._now()
        return {
            "update_type": "message_callback",
            "timestamp": now,
            "callback": {
                "timestamp": now,
                "callback_id": f"cb.{next(self._callbacks):012d}",
                "payload": payload,
                "user": self.user(user_id),
            },
            "message": None,
            "user_locale": "ru-RU",
        }
