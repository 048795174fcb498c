"""Strong references to the `Response[T]` models of the Bot API methods the bot calls.

aiogram builds `Response[method.__returning__]` on every answer it reads
(aiogram.client.session.base.BaseSession.check_response). pydantic keeps parametrised
generic models only in a WeakValueDictionary (pydantic._internal._generics), and a model
class sits in reference cycles, so nothing but the cyclic garbage collector frees it:
after each collection the next answer builds `Response[Message]` again, ~2.6 ms of
schema building every time (7-14 % of a busy worker's CPU, issue 15). Held here, each is
built once per process. bench/pydantic_rebuild.py measures the difference.

Importing this module is enough; the bot's setup (channels/telegram/plugin.py) does."""

from __future__ import annotations

from typing import Any

from aiogram.client.session.base import Response
from aiogram.methods import (
    AnswerCallbackQuery,
    CopyMessage,
    DeleteMyCommands,
    DeleteWebhook,
    EditMessageReplyMarkup,
    EditMessageText,
    GetBusinessConnection,
    GetFile,
    GetMe,
    GetWebhookInfo,
    SendDocument,
    SendMessage,
    SendPhoto,
    SetMyCommands,
    SetWebhook,
)
from aiogram.methods.base import TelegramMethod

# Every method the service calls through aiogram (getUpdates is read as raw JSON,
# channels/telegram/polling.py). A method left out still works, only rebuilt after a GC.
METHODS: tuple[type[TelegramMethod[Any]], ...] = (
    AnswerCallbackQuery,
    CopyMessage,
    DeleteMyCommands,
    DeleteWebhook,
    EditMessageReplyMarkup,
    EditMessageText,
    GetBusinessConnection,
    GetFile,
    GetMe,
    GetWebhookInfo,
    SendDocument,
    SendMessage,
    SendPhoto,
    SetMyCommands,
    SetWebhook,
)

# The very key aiogram asks pydantic for, so its cache lookups find these.
HELD: dict[Any, type[Any]] = {
    method.__returning__: Response[method.__returning__]  # type: ignore[name-defined]
    for method in METHODS
}
