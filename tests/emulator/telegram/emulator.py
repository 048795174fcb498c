"""TelegramEmulator: the mixins put together, and the table of Bot API methods it serves."""

from __future__ import annotations

from .business import BusinessMixin
from .delivery import DeliveryMixin
from .faults import FaultsMixin
from .methods_chat import ChatMixin
from .methods_media import _MEDIA_METHODS, MediaMixin
from .methods_messages import MessagesMixin
from .records import RecordsMixin, _Handler
from .server import ServerMixin
from .updates import UpdatesMixin


class TelegramEmulator(
    ServerMixin,
    DeliveryMixin,
    UpdatesMixin,
    MessagesMixin,
    MediaMixin,
    ChatMixin,
    BusinessMixin,
    FaultsMixin,
    RecordsMixin,
):
    """An in-process Telegram Bot API server (aiohttp on 127.0.0.1, random free port)."""

    def _build_handlers(self) -> dict[str, tuple[str, _Handler]]:
        table: dict[str, _Handler] = {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendMediaGroup": self._send_media_group,
            "sendContact": self._send_contact,
            "sendLocation": self._send_location,
            "copyMessage": self._copy_message,
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "editMessageCaption": self._edit_message_caption,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._true,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "getChat": self._get_chat,
            "getFile": self._get_file,
            "getBusinessConnection": self._get_business_connection,
        }
        for name, kind in _MEDIA_METHODS.items():
            table[name] = self._media_sender(kind)
        return {name.lower(): (name, handler) for name, handler in table.items()}
