"""Telegram Business: accounts that connect the bot, their chats with customers, and sends
on an account's behalf.

An account connecting, changing or disconnecting the bot is a ``business_connection``
update; its chats produce ``business_message``, ``edited_business_message`` and
``deleted_business_messages``. Each account's chat keeps its own message ids, apart from
the bot's own chat with the same person. A send with ``business_connection_id`` lands in
the account's chat, from the account, with ``sender_business_bot`` set, and Telegram tells
the bot of it again as a ``business_message`` (the echo). A send naming an unknown
connection is refused with 400 ``BUSINESS_CONNECTION_INVALID``; one naming a disabled
connection, or one without the right to reply, with 400 ``BUSINESS_CONNECTION_NOT_ALLOWED``
(getBusinessConnection answers the same way for an unknown id); a chat the account never
had with that customer is "chat not found". Telegram's 24-hour rule (the bot answers only
in chats active in the last day) is not reproduced: tests run in seconds.
"""

from __future__ import annotations

import time
from typing import Any

from .protocol import _bad, _clone
from .records import Call
from .state import EmulatorState

# Bot API methods that take business_connection_id (sends and the typing action); other
# methods ignore the parameter, as Telegram ignores parameters a method does not know.
BUSINESS_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendVoice",
        "sendAudio",
        "sendVideo",
        "sendAnimation",
        "sendSticker",
        "sendVideoNote",
        "sendMediaGroup",
        "sendContact",
        "sendLocation",
        "sendChatAction",
    }
)
INVALID = "BUSINESS_CONNECTION_INVALID"
NOT_ALLOWED = "BUSINESS_CONNECTION_NOT_ALLOWED"


class BusinessMixin(EmulatorState):
    """Business connections, their chats and sends on an account's behalf."""

    # -- connections ------------------------------------------------------------------------

    def make_business_connection_update(
        self,
        user_id: int,
        first_name: str = "Owner",
        *,
        last_name: str | None = None,
        username: str | None = None,
        is_enabled: bool = True,
        can_reply: bool = True,
        connection_id: str | None = None,
    ) -> dict[str, Any]:
        """The account `user_id` connects the bot (or changes or ends the connection:
        `is_enabled=False` is a disconnection). The same account keeps its connection id
        unless `connection_id` gives a new one (a fresh connection after a removal)."""
        if connection_id is None:
            connection_id = self._business_by_owner.get(user_id) or (
                f"BC-{user_id}-{next(self._business_ids)}"
            )
        self._business_by_owner[user_id] = connection_id
        user = self._user(user_id, first_name, last_name, username, "ru")
        rights: dict[str, Any] = {"can_read_messages": True, "can_delete_sent_messages": True}
        if can_reply:
            rights["can_reply"] = True
        connection = {
            "id": connection_id,
            "user": user,
            "user_chat_id": user_id,
            "date": int(time.time()),
            "is_enabled": is_enabled,
            "rights": rights,
        }
        self.business_connections[connection_id] = connection
        return {"update_id": self._next_update_id(), "business_connection": _clone(connection)}

    def business_connection_id(self, user_id: int) -> str:
        """The id of the account's connection (made by make_business_connection_update)."""
        return self._business_by_owner[user_id]

    async def _get_business_connection(self, params: dict[str, Any], call: Call) -> Any:
        connection = self.business_connections.get(str(params.get("business_connection_id")))
        if connection is None:
            raise _bad(INVALID)
        return _clone(connection)

    # -- the account's chats ----------------------------------------------------------------

    def _business_connection(self, connection_id: str) -> dict[str, Any]:
        connection = self.business_connections.get(connection_id)
        if connection is None:
            raise ValueError(f"no business connection {connection_id!r}; make one first")
        return connection

    @staticmethod
    def _business_chat(owner_id: int, chat_id: int | str) -> str:
        # One account's chat with a customer: its own message ids, apart from the bot's.
        return f"business:{owner_id}:{chat_id}"

    def _business_update(
        self,
        kind: str,
        connection: dict[str, Any],
        sender: dict[str, Any],
        chat_id: int,
        content: dict[str, Any],
    ) -> dict[str, Any]:
        owner_id = connection["user"]["id"]
        key = self._business_chat(owner_id, chat_id)
        customer = self._users.get(chat_id) or {"id": chat_id, "first_name": "Test"}
        message = {
            "message_id": self._new_message_id(key),
            "from": sender,
            "chat": self._chat_for({**customer, "is_bot": False}),
            "date": int(time.time()),
            "business_connection_id": connection["id"],
            **content,
        }
        self.messages[(key, message["message_id"])] = _clone(message)
        return {"update_id": self._next_update_id(), kind: message}

    def make_business_message_update(
        self,
        connection_id: str,
        user_id: int,
        text: str,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ru",
        photo: bool = False,
    ) -> dict[str, Any]:
        """A customer writes to the connected account (with `photo`: sends a picture,
        `text` its caption)."""
        connection = self._business_connection(connection_id)
        user = self._user(user_id, first_name, last_name, username, language_code)
        self._users.setdefault(user_id, dict(user))
        self._chats.setdefault(user_id, self._chat_for(user))
        self._business_active.add((connection["user"]["id"], user_id))
        content: dict[str, Any] = {"text": text}
        if photo:
            stored = self._store_file("photo", b"\xff\xd8\xff\xd9", None, "image/jpeg")
            size = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
            content = {"photo": [{**size, "width": 800, "height": 600}], "caption": text}
        return self._business_update("business_message", connection, user, user_id, content)

    def make_business_owner_update(
        self, connection_id: str, chat_id: int, text: str, *, from_offline: bool = False
    ) -> dict[str, Any]:
        """The account's owner writes to a customer himself, in the Telegram app
        (`from_offline`: Telegram sent it for him, a greeting or away message)."""
        connection = self._business_connection(connection_id)
        content: dict[str, Any] = {"text": text}
        if from_offline:
            content["is_from_offline"] = True
        owner = _clone(connection["user"])
        return self._business_update("business_message", connection, owner, chat_id, content)

    def make_edited_business_message_update(
        self, connection_id: str, chat_id: int, message_id: int, text: str
    ) -> dict[str, Any]:
        connection = self._business_connection(connection_id)
        key = self._business_chat(connection["user"]["id"], chat_id)
        stored = self.messages.get((key, message_id))
        if stored is None:
            raise ValueError(f"no message {message_id} in the account's chat {chat_id}")
        stored["caption" if "photo" in stored else "text"] = text
        stored["edit_date"] = int(time.time())
        return {"update_id": self._next_update_id(), "edited_business_message": _clone(stored)}

    def make_deleted_business_messages_update(
        self, connection_id: str, chat_id: int, message_ids: list[int]
    ) -> dict[str, Any]:
        connection = self._business_connection(connection_id)
        key = self._business_chat(connection["user"]["id"], chat_id)
        for message_id in message_ids:
            self.messages.pop((key, message_id), None)
        customer = self._users.get(chat_id) or {"id": chat_id, "first_name": "Test"}
        deleted = {
            "business_connection_id": connection_id,
            "chat": self._chat_for({**customer, "is_bot": False}),
            "message_ids": list(message_ids),
        }
        return {"update_id": self._next_update_id(), "deleted_business_messages": deleted}

    # -- sends on the account's behalf ------------------------------------------------------

    def _check_business(self, method: str, params: dict[str, Any]) -> None:
        """Refuse a send that names a connection it may not use (before anything is sent)."""
        connection_id = params.get("business_connection_id")
        if connection_id in (None, "") or method not in BUSINESS_METHODS:
            return
        connection = self.business_connections.get(str(connection_id))
        if connection is None:
            raise _bad(INVALID)
        if not connection["is_enabled"] or not connection["rights"].get("can_reply"):
            raise _bad(NOT_ALLOWED)
        chat = params.get("chat_id")
        owner_id = connection["user"]["id"]
        if method != "sendChatAction" and not any(
            (owner_id, chat_id) in self._business_active for chat_id in (chat, _number(chat))
        ):
            raise _bad("chat not found")

    def _business_sender(self, call: Call) -> dict[str, Any] | None:
        """The connection a successful send goes through, if it names one."""
        connection_id = call.params.get("business_connection_id")
        if connection_id in (None, "") or call.method not in BUSINESS_METHODS:
            return None
        return self.business_connections.get(str(connection_id))

    def _as_business(self, connection: dict[str, Any], message: dict[str, Any]) -> None:
        """The bot's message, sent as the account's: from the account, the bot named."""
        message["from"] = _clone(connection["user"])
        message["business_connection_id"] = connection["id"]
        message["sender_business_bot"] = self._sender()

    def _echo_business(self, message: dict[str, Any]) -> None:
        """Telegram tells the bot of its own send on the account's behalf, too."""
        self.add_update({"update_id": self._next_update_id(), "business_message": _clone(message)})

    def business_sends(self, chat_id: int | None = None) -> list[Call]:
        """Sends that reached a customer on an account's behalf (to `chat_id`)."""
        return [
            call
            for call in self.sent_messages(chat_id)
            if call.params.get("business_connection_id") not in (None, "")
        ]


def _number(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value
