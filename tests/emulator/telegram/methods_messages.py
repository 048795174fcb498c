"""Bot API methods that send, edit and delete text-like messages, and the validation they
share with media sends (text / caption formatting, reply markup, creating the message)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from .html import HtmlParseError, parse_html
from .protocol import (
    CALLBACK_DATA_LIMIT,
    CAPTION_LIMIT,
    NOT_MODIFIED,
    TEXT_LIMIT,
    _as_float,
    _as_int,
    _bad,
    _clone,
)
from .records import Call
from .state import EmulatorState


class MessagesMixin(EmulatorState):
    """sendMessage, sendContact, sendLocation, copyMessage, sendChatAction, edits."""

    def _formatted(
        self, params: dict[str, Any], key: str, entities_key: str, limit: int, required: bool
    ) -> dict[str, Any]:
        """Validate text or caption with its parse_mode; return the message fields."""
        raw = params.get(key)
        if raw is None or raw == "":
            if required:
                raise _bad("message text is empty")
            return {}
        text = str(raw)
        entities = params.get(entities_key)
        parse_mode = str(params.get("parse_mode") or "")
        if entities is not None and not isinstance(entities, list):
            raise _bad(f"can't parse {entities_key} JSON object")
        if entities is None and parse_mode:
            mode = parse_mode.lower()
            if mode == "html":
                try:
                    text, entities = parse_html(text)
                except HtmlParseError as exc:
                    raise _bad(f"can't parse entities: {exc}") from None
            elif mode not in ("markdown", "markdownv2"):
                raise _bad(f"unsupported parse_mode {parse_mode}")
        if not text.strip():
            if required:
                raise _bad("message text is empty")
            return {}
        if len(text) > limit:
            raise _bad("message is too long" if required else "message caption is too long")
        fields: dict[str, Any] = {key: text}
        if entities:
            fields[entities_key] = entities
        return fields

    def _reply_markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        """Validate reply_markup; return it when Telegram would echo it (inline only)."""
        markup = params.get("reply_markup")
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        inline = markup.get("inline_keyboard")
        if inline is None:
            return None
        if not isinstance(inline, list) or not all(isinstance(row, list) for row in inline):
            raise _bad("can't parse inline keyboard markup JSON object")
        for row in inline:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise _bad("can't parse inline keyboard button: Text must be non-empty")
                if len(button) < 2:
                    raise _bad(
                        "can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
                    raise _bad("BUTTON_DATA_INVALID")
        return _clone(markup)

    def _deliver(
        self, chat_id: int | str, content: dict[str, Any], params: dict[str, Any], call: Call
    ) -> dict[str, Any]:
        """Create the bot's message; the last step of every successful send. One sent on
        a business account's behalf goes into the account's chat (business.py)."""
        business = self._business_sender(call)
        key = (
            self._business_chat(business["user"]["id"], chat_id)
            if business is not None
            else self._message_key(chat_id)
        )
        message: dict[str, Any] = {
            "message_id": self._new_message_id(key),
            "from": self._sender(),
            "chat": self._chat_object(chat_id),
            "date": int(time.time()),
        }
        message.update(content)
        markup = self._reply_markup(params)
        if markup is not None:
            message["reply_markup"] = markup
        if business is not None:
            self._as_business(business, message)
        self.messages[(key, message["message_id"])] = message
        call.delivered = True
        if business is not None:
            self._echo_business(message)
        return _clone(message)

    async def _send_message(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        chat_id = self._target_chat(params)
        self._check_blocked(chat_id)
        content = self._formatted(params, "text", "entities", TEXT_LIMIT, required=True)
        self._reply_markup(params)
        self._check_rate(chat_id)
        self._commit_rate(chat_id)
        return self._deliver(chat_id, content, params, call)

    async def _send_contact(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        chat_id = self._target_chat(params)
        self._check_blocked(chat_id)
        phone = params.get("phone_number")
        first_name = params.get("first_name")
        if not phone:
            raise _bad("phone_number is empty")
        if not first_name:
            raise _bad("first_name is empty")
        contact = {"phone_number": str(phone), "first_name": str(first_name)}
        for key in ("last_name", "vcard"):
            if params.get(key):
                contact[key] = str(params[key])
        self._reply_markup(params)
        self._check_rate(chat_id)
        self._commit_rate(chat_id)
        return self._deliver(chat_id, {"contact": contact}, params, call)

    async def _send_location(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        chat_id = self._target_chat(params)
        self._check_blocked(chat_id)
        latitude, longitude = _as_float(params, "latitude"), _as_float(params, "longitude")
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise _bad("wrong coordinates")
        self._reply_markup(params)
        self._check_rate(chat_id)
        self._commit_rate(chat_id)
        location = {"latitude": latitude, "longitude": longitude}
        return self._deliver(chat_id, {"location": location}, params, call)

    async def _copy_message(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        """copyMessage: the source message's content in the target chat, without a link to
        the original; answers with the new message's id only (a MessageId)."""
        chat_id = self._target_chat(params)
        self._check_blocked(chat_id)
        source_chat = params.get("from_chat_id")
        message_id = _as_int(params, "message_id")
        if source_chat is None or source_chat == "" or message_id is None:
            raise _bad("message to copy not found")
        if isinstance(source_chat, str) and source_chat.lstrip("-").isdigit():
            source_chat = int(source_chat)
        source = self.messages.get((self._message_key(source_chat), message_id))
        if source is None:
            raise _bad("message to copy not found")
        if any(key in source for key in ("poll", "dice", "invoice", "game")):
            raise _bad("the message can't be copied")
        content = {
            key: _clone(value)
            for key, value in source.items()
            if key not in ("message_id", "from", "chat", "date", "reply_markup", "edit_date")
            and key not in ("reply_to_message", "forward_origin", "forward_from")
        }
        if params.get("caption") is not None:
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(
                self._formatted(
                    params, "caption", "caption_entities", CAPTION_LIMIT, required=False
                )
            )
        self._reply_markup(params)
        self._check_rate(chat_id)
        self._commit_rate(chat_id)
        created = self._deliver(chat_id, content, params, call)
        return {"message_id": created["message_id"]}

    async def _send_chat_action(self, params: dict[str, Any], call: Call) -> bool:
        chat_id = self._target_chat(params)
        self._check_blocked(chat_id)
        if not params.get("action"):
            raise _bad("action is empty")
        return True

    # -- editing ----------------------------------------------------------------------------

    def _editable(self, params: dict[str, Any]) -> dict[str, Any] | None:
        """The stored bot message to edit, or None for inline messages."""
        if params.get("inline_message_id"):
            return None
        chat_id = self._target_chat(params)
        message_id = _as_int(params, "message_id")
        if message_id is None:
            raise _bad("message_id is empty")
        message = self.messages.get((self._message_key(chat_id), message_id))
        if message is None:
            raise _bad("message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id:
            raise _bad("message can't be edited")
        return message

    def _apply_edit(
        self, message: dict[str, Any], changes: dict[str, Any], drop: Iterable[str]
    ) -> dict[str, Any]:
        updated = {k: v for k, v in message.items() if k not in drop and k != "edit_date"}
        updated.update(changes)
        before = {k: v for k, v in message.items() if k != "edit_date"}
        if updated == before:
            raise _bad(NOT_MODIFIED)
        updated["edit_date"] = int(time.time())
        message.clear()
        message.update(updated)
        return _clone(message)

    async def _edit_message_text(self, params: dict[str, Any], call: Call) -> Any:
        content = self._formatted(params, "text", "entities", TEXT_LIMIT, required=True)
        markup = self._reply_markup(params)
        message = self._editable(params)
        if message is None:
            return True
        if "text" not in message:
            raise _bad("there is no text in the message to edit")
        changes = dict(content)
        if markup is not None:
            changes["reply_markup"] = markup
        return self._apply_edit(message, changes, drop=("entities", "reply_markup"))

    async def _edit_message_caption(self, params: dict[str, Any], call: Call) -> Any:
        content = self._formatted(
            params, "caption", "caption_entities", CAPTION_LIMIT, required=False
        )
        markup = self._reply_markup(params)
        message = self._editable(params)
        if message is None:
            return True
        if not any(kind in message for kind in ("photo", "document", "video", "audio", "voice")):
            raise _bad("there is no caption in the message to edit")
        changes = dict(content)
        if markup is not None:
            changes["reply_markup"] = markup
        return self._apply_edit(
            message, changes, drop=("caption", "caption_entities", "reply_markup")
        )

    async def _edit_message_reply_markup(self, params: dict[str, Any], call: Call) -> Any:
        markup = self._reply_markup(params)
        message = self._editable(params)
        if message is None:
            return True
        changes = {"reply_markup": markup} if markup is not None else {}
        return self._apply_edit(message, changes, drop=("reply_markup",))

    async def _delete_message(self, params: dict[str, Any], call: Call) -> bool:
        chat_id = self._target_chat(params)
        message_id = _as_int(params, "message_id")
        if message_id is None:
            raise _bad("message_id is empty")
        if self.messages.pop((self._message_key(chat_id), message_id), None) is None:
            raise _bad("message to delete not found")
        return True
