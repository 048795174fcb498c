"""The update queue (add_update, update ids, allowed_updates filtering) and factories for
updates a user would cause: texts, photos, documents, contacts, button presses, blocks."""

from __future__ import annotations

import asyncio
import bisect
import time
from typing import Any

from .html import _utf16_len
from .protocol import OPT_IN_UPDATES, _clone, _update_type
from .state import EmulatorState

# A tiny but well-formed-looking JPEG so downloads of generated photos return bytes.
_FAKE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


class UpdatesMixin(EmulatorState):
    """Queued updates and the builders that make them."""

    def add_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates / webhook delivery; return its update_id.

        The dict gets its update_id filled in when missing, so re-adding the same dict later
        reproduces a Telegram redelivery.
        """
        if "update_id" not in update:
            update["update_id"] = self._next_update_id()
        update_id = int(update["update_id"])
        self._last_update_id = max(self._last_update_id, update_id)
        self._remember_update(update)
        ids = [item["update_id"] for item in self._pending]
        index = bisect.bisect_left(ids, update_id)
        if index < len(ids) and ids[index] == update_id:
            self._pending[index] = _clone(update)
        else:
            self._pending.insert(index, _clone(update))
        self._notify()
        return update_id

    def _next_update_id(self) -> int:
        update_id = max(next(self._update_ids), self._last_update_id + 1)
        self._last_update_id = update_id
        return update_id

    def _notify(self) -> None:
        event, self._update_event = self._update_event, asyncio.Event()
        event.set()

    def _is_allowed(self, update: dict[str, Any]) -> bool:
        kind = _update_type(update)
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in OPT_IN_UPDATES

    def _remember_update(self, update: dict[str, Any]) -> None:
        # Makes later getChat / edits of messages from generated updates behave.
        for key in ("message", "edited_message", "channel_post"):
            message = update.get(key)
            if isinstance(message, dict) and "chat" in message:
                self._remember_message(message)
        callback = update.get("callback_query")
        if isinstance(callback, dict) and isinstance(callback.get("message"), dict):
            self._remember_message(callback["message"])

    def _remember_message(self, message: dict[str, Any]) -> None:
        chat = message["chat"]
        self._chats.setdefault(chat["id"], dict(chat))
        sender = message.get("from")
        if isinstance(sender, dict) and not sender.get("is_bot"):
            self._users.setdefault(sender["id"], dict(sender))
        message_id = int(message["message_id"])
        self._message_ids[chat["id"]] = max(self._message_ids.get(chat["id"], 0), message_id)
        self.messages.setdefault((chat["id"], message_id), _clone(message))

    def _new_message_id(self, chat_id: int | str) -> int:
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    # -- builders ---------------------------------------------------------------------------

    def _user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name is not None:
            user["last_name"] = last_name
        if username is not None:
            user["username"] = username
        if language_code is not None:
            user["language_code"] = language_code
        return user

    def _chat_for(
        self, user: dict[str, Any], chat_type: str = "private", chat_id: int | None = None
    ) -> dict[str, Any]:
        if chat_type == "private":
            chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
            for key in ("last_name", "username"):
                if key in user:
                    chat[key] = user[key]
            return chat
        if chat_id is None:
            chat_id = -(1_000_000_000_000 + user["id"]) if chat_type != "group" else -user["id"]
        return {"id": chat_id, "type": chat_type, "title": "Test group"}

    def _incoming(
        self, user: dict[str, Any], chat: dict[str, Any], **content: Any
    ) -> dict[str, Any]:
        message = {
            "message_id": self._new_message_id(chat["id"]),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
        }
        message.update(content)
        return {"update_id": self._next_update_id(), "message": message}

    def make_text_update(
        self,
        user_id: int,
        text: str,
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ru",
        chat_type: str = "private",
        *,
        chat_id: int | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """`reply_to`: the id of a message in this chat the user answers (a swipe-reply)."""
        user = self._user(user_id, first_name, last_name, username, language_code)
        content: dict[str, Any] = {"text": text}
        self._add_reply_to(content, chat_id if chat_id is not None else user_id, reply_to)
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
            ]
        return self._incoming(user, self._chat_for(user, chat_type, chat_id), **content)

    def make_photo_update(
        self,
        user_id: int,
        caption: str | None = None,
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ru",
        *,
        data: bytes = _FAKE_JPEG,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        user = self._user(user_id, first_name, last_name, username, language_code)
        sizes = []
        for width, height in ((90, 67), (800, 600)):
            stored = self._store_file("photo", data, None, "image/jpeg")
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": len(data),
                }
            )
        content: dict[str, Any] = {"photo": sizes}
        if caption is not None:
            content["caption"] = caption
        self._add_reply_to(content, user_id, reply_to)
        return self._incoming(user, self._chat_for(user), **content)

    def _add_reply_to(self, content: dict[str, Any], chat_id: int, reply_to: int | None) -> None:
        if reply_to is None:
            return
        replied = self.messages.get((chat_id, reply_to))
        if replied is None:
            raise ValueError(f"no message {reply_to} in chat {chat_id} to reply to")
        content["reply_to_message"] = _clone(replied)

    def make_voice_update(
        self, user_id: int, duration: int = 3, first_name: str = "Test", *, data: bytes = b"OggS"
    ) -> dict[str, Any]:
        user = self._user(user_id, first_name, None, None, "ru")
        stored = self._store_file("voice", data, None, "audio/ogg")
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(data),
        }
        return self._incoming(user, self._chat_for(user), voice=voice)

    def make_document_update(
        self,
        user_id: int,
        data: bytes,
        file_name: str = "file.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        first_name: str = "Test",
    ) -> dict[str, Any]:
        user = self._user(user_id, first_name, None, None, "ru")
        stored = self._store_file("document", data, file_name, mime_type)
        content: dict[str, Any] = {
            "document": {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": file_name,
                "mime_type": mime_type,
                "file_size": len(data),
            }
        }
        if caption is not None:
            content["caption"] = caption
        return self._incoming(user, self._chat_for(user), **content)

    def make_contact_update(
        self,
        user_id: int,
        phone: str,
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ru",
    ) -> dict[str, Any]:
        """The user shared their own number via a request_contact button."""
        user = self._user(user_id, first_name, last_name, username, language_code)
        contact: dict[str, Any] = {
            "phone_number": phone,
            "first_name": first_name,
            "user_id": user_id,
        }
        if last_name is not None:
            contact["last_name"] = last_name
        return self._incoming(user, self._chat_for(user), contact=contact)

    def make_callback_update(
        self,
        user_id: int,
        data: str,
        message_id: int | None = None,
        chat_id: int | None = None,
        first_name: str = "Test",
        *,
        message_text: str = "Choose an option",
        language_code: str = "ru",
    ) -> dict[str, Any]:
        """A button press on a bot message (the last bot message in the chat by default)."""
        user = self._user(user_id, first_name, None, None, language_code)
        chat_key = user_id if chat_id is None else chat_id
        chat = self._chats.get(chat_key) or (
            self._chat_for(user)
            if chat_key == user_id
            else {"id": chat_key, "type": "private" if chat_key > 0 else "supergroup"}
        )
        if message_id is None:
            own = [
                key[1]
                for key, msg in self.messages.items()
                if key[0] == chat_key and msg.get("from", {}).get("id") == self.bot_id
            ]
            message_id = max(own) if own else None
        message = self.messages.get((chat_key, message_id)) if message_id is not None else None
        if message is None:
            message = {
                "message_id": message_id or self._new_message_id(chat_key),
                "from": self._sender(),
                "chat": chat,
                "date": int(time.time()),
                "text": message_text,
            }
            self._remember_message(message)
        callback = {
            "id": str(next(self._callback_ids) * 1_000_003 + user_id),
            "from": user,
            "chat_instance": str(abs(chat_key) * 1_000_003 % 10**18 + 1),
            "data": data,
            "message": _clone(message),
        }
        return {"update_id": self._next_update_id(), "callback_query": callback}

    def make_my_chat_member_update(self, user_id: int, status: str) -> dict[str, Any]:
        """The user blocked ("kicked") or unblocked ("member") the bot in the private chat."""
        if status not in ("member", "kicked", "left"):
            raise ValueError("status must be 'member', 'kicked' or 'left'")
        old = "kicked" if status == "member" else "member"
        user = self._user(user_id, "Test", None, None, "ru")
        chat = self._chats.get(user_id) or self._chat_for(user)

        def member(state: str) -> dict[str, Any]:
            item: dict[str, Any] = {"user": dict(self.bot_user), "status": state}
            if state == "kicked":
                item["until_date"] = 0
            return item

        return {
            "update_id": self._next_update_id(),
            "my_chat_member": {
                "chat": chat,
                "from": user,
                "date": int(time.time()),
                "old_chat_member": member(old),
                "new_chat_member": member(status),
            },
        }
