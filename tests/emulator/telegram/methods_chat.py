"""Bot API methods about the bot and chats: getMe, getChat, bot commands, chat id lookup."""

from __future__ import annotations

import json
import re
from typing import Any

from .protocol import _bad, _clone, _normalise_chat
from .records import Call
from .state import EmulatorState


class ChatMixin(EmulatorState):
    """The bot's identity, chats and commands."""

    @property
    def bot_id(self) -> int:
        return int(self.bot_user["id"])

    def _sender(self) -> dict[str, Any]:
        keys = ("id", "is_bot", "first_name", "username")
        return {key: self.bot_user[key] for key in keys}

    async def _true(self, params: dict[str, Any], call: Call) -> bool:
        return True

    async def _get_me(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        return dict(self.bot_user)

    def _target_chat(self, params: dict[str, Any]) -> int | str:
        value = params.get("chat_id")
        if value is None or value == "":
            raise _bad("chat_id is empty")
        chat_id = _normalise_chat(value)
        if isinstance(chat_id, str):
            # "@channel" usernames map to a stable negative id.
            known = next((c for c in self._chats.values() if c.get("_key") == chat_id), None)
            if known is None:
                numeric = -1_009_000_000_000 - len(self._chats)
                self._chats[numeric] = {
                    "id": numeric,
                    "type": "channel",
                    "title": chat_id[1:],
                    "username": chat_id[1:],
                    "_key": chat_id,
                }
            return chat_id
        return chat_id

    def _chat_object(self, chat_id: int | str) -> dict[str, Any]:
        if isinstance(chat_id, str):
            chat = next(c for c in self._chats.values() if c.get("_key") == chat_id)
        else:
            chat = self._chats.get(chat_id) or {
                "id": chat_id,
                "type": "private" if chat_id > 0 else "supergroup",
            }
        return {key: value for key, value in chat.items() if not key.startswith("_")}

    def _message_key(self, chat_id: int | str) -> int | str:
        return self._chat_object(chat_id)["id"] if isinstance(chat_id, str) else chat_id

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict):
            raise _bad("can't parse BotCommandScope JSON object")
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    async def _set_my_commands(self, params: dict[str, Any], call: Call) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not re.fullmatch(
                r"[a-z0-9_]{1,32}", str(command.get("command", ""))
            ):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad("command description is empty")
        self._check_scope_chat(params)
        self.commands[self._commands_key(params)] = _clone(commands)
        return True

    def _check_scope_chat(self, params: dict[str, Any]) -> None:
        """A chat scope names a chat the bot must know: a user who never pressed /start
        gets "chat not found", as from Telegram."""
        scope = params.get("scope") or {}
        if isinstance(scope, dict) and scope.get("type") == "chat":
            chat_id = scope.get("chat_id")
            if chat_id in self.unstarted or str(chat_id) in self.unstarted:
                raise _bad("chat not found")

    def commands_for_chat(self, chat_id: int, language_code: str = "") -> list[dict[str, Any]]:
        """The menu set for one chat (BotCommandScopeChat), [] when none."""
        key = json.dumps({"chat_id": chat_id, "type": "chat"}, sort_keys=True)
        return _clone(self.commands.get((key, language_code), []))

    async def _delete_my_commands(self, params: dict[str, Any], call: Call) -> bool:
        self._check_scope_chat(params)
        self.commands.pop(self._commands_key(params), None)
        return True

    async def _get_my_commands(self, params: dict[str, Any], call: Call) -> list[Any]:
        return _clone(self.commands.get(self._commands_key(params), []))

    async def _get_chat(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        chat = self._chat_object(self._target_chat(params))
        chat.setdefault("accent_color_id", 0)
        chat.setdefault("max_reaction_count", 11)
        chat.setdefault(
            "accepted_gift_types",
            {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        if chat["type"] == "private" and "first_name" not in chat:
            user = self._users.get(int(chat["id"]))
            chat["first_name"] = user["first_name"] if user else "Test"
        return chat
