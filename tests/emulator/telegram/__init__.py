"""A local Telegram Bot API emulator for tests.

It speaks the same HTTP protocol as api.telegram.org closely enough for the real aiogram
client: ``TelegramAPIServer.from_base(emulator.base_url)`` points a bot at it.  Behaviour
that production code must cope with is reproduced on purpose: getUpdates confirmation and
redelivery, HTML entity parsing errors, rate limits (429 with retry_after), blocked users
(403), webhook redelivery on non-2xx answers and responses lost to client timeouts.

``TelegramEmulator`` is one class assembled from mixins, a module each:

- ``state``: the constructor and every piece of server-side state;
- ``server``: the aiohttp app, routing, request parameters, dispatching a call;
- ``delivery``: getUpdates long polling and offsets, webhook settings and POSTs;
- ``updates``: the update queue and update factories (``make_text_update`` and co.);
- ``faults``: scripted errors, chaos, blocked users, rate limits;
- ``records``: recorded calls and the query helpers (``sent_messages``, ``wait_for``);
- ``methods_messages``, ``methods_media``, ``methods_chat``: the Bot API methods;
- ``business``: Telegram Business connections, their chats, sends on an account's behalf;
- ``html``: the HTML parse mode; ``protocol``: limits, errors, parameter reading.
"""

from .emulator import TelegramEmulator
from .html import HtmlParseError, parse_html
from .records import Call, UploadedFile, WebhookDelivery

__all__ = [
    "Call",
    "HtmlParseError",
    "TelegramEmulator",
    "UploadedFile",
    "WebhookDelivery",
    "parse_html",
]
