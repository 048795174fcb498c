"""A local Telegram Bot API emulator for tests.

It speaks the same HTTP protocol as api.telegram.org closely enough for the real aiogram
client: ``TelegramAPIServer.from_base(emulator.base_url)`` points a bot at it.  Behaviour
that production code must cope with is reproduced on purpose: getUpdates confirmation and
redelivery, HTML entity parsing errors, rate limits (429 with retry_after), blocked users
(403), webhook redelivery on non-2xx answers and responses lost to client timeouts.
"""

from __future__ import annotations

import asyncio
import bisect
import copy
import html
import itertools
import json
import math
import random
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web

__all__ = [
    "Call",
    "HtmlParseError",
    "TelegramEmulator",
    "UploadedFile",
    "WebhookDelivery",
    "parse_html",
]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64

BLOCKED_DESCRIPTION = "Forbidden: bot was blocked by the user"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
TERMINATED = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)

# Telegram leaves these out unless they are asked for explicitly in allowed_updates.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: BLOCKED_DESCRIPTION,
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

# Form fields that always carry JSON (aiogram serialises objects and lists into them).
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "media",
        "allowed_updates",
        "commands",
        "scope",
        "link_preview_options",
        "reply_parameters",
        "explanation_entities",
        "options",
        "results",
        "reaction",
    }
)
# Free text must never be reinterpreted, even when a customer types "[1, 2]".
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "url",
        "secret_token",
        "data",
        "callback_query_id",
        "phone_number",
        "first_name",
        "last_name",
        "vcard",
        "title",
        "description",
        "short_description",
        "question",
        "explanation",
        "emoji",
        "action",
        "language_code",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "file_id",
        "ip_address",
        "name",
        "photo",
        "document",
        "voice",
        "audio",
        "video",
        "animation",
        "sticker",
        "video_note",
        "thumbnail",
        "performer",
        "address",
        "foursquare_id",
    }
)

# sendX method -> (parameter / message field, kind used for file ids and paths).
_MEDIA_METHODS = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendVoice": "voice",
    "sendAudio": "audio",
    "sendVideo": "video",
    "sendAnimation": "animation",
    "sendSticker": "sticker",
    "sendVideoNote": "video_note",
}
_CAPTIONLESS = frozenset({"sticker", "video_note"})

# A tiny but well-formed-looking JPEG so downloads of generated photos return bytes.
_FAKE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


class ApiError(Exception):
    """An error answer in Telegram's shape."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class UploadedFile:
    """A file sent as a multipart part."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class Call:
    """One request the emulator answered.

    Calls are recorded on arrival: ``status`` is 0 while the answer is not decided yet (a
    waiting long poll).  ``delivered`` is true when a send created a message server-side;
    ``written`` is true when the answer actually reached the client's socket (false when the
    client had given up).
    """

    method: str
    params: dict[str, Any]
    time: float
    status: int = 0
    response: dict[str, Any] | None = None
    delivered: bool = False
    written: bool = False
    via_webhook: bool = False
    # Telegram adds a human "description" to some successful answers (setWebhook).
    ok_description: str | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def result(self) -> Any:
        return (self.response or {}).get("result")

    @property
    def chat_id(self) -> int | str | None:
        value = self.params.get("chat_id")
        if value is None:
            return None
        try:
            return _normalise_chat(value)
        except ApiError:
            return value  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        chat = f" chat={self.chat_id}" if self.chat_id is not None else ""
        return f"<Call {self.method}{chat} -> {self.status}>"


@dataclass
class WebhookDelivery:
    """The outcome of one POST to the bot's webhook."""

    update_id: int
    status: int
    body: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    path: str
    data: bytes | None
    file_name: str | None = None
    mime_type: str | None = None


@dataclass
class _Failure:
    method: str | None
    status: int
    description: str
    retry_after: int | None
    times: int


@dataclass
class _Chaos:
    rate: float
    kinds: tuple[str, ...]
    rng: random.Random
    timeout_seconds: float
    methods: frozenset[str] | None


# --------------------------------------------------------------------------------------------
# HTML parse mode
# --------------------------------------------------------------------------------------------

_ALLOWED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_HTML_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class HtmlParseError(ValueError):
    """Raised for text Telegram would refuse with "can't parse entities"."""


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    start: int  # UTF-16 offset in the plain text
    language: str | None = None


def _utf16_len(text: str) -> int:
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-flavoured HTML into plain text and message entities.

    Stricter than Telegram in one place on purpose: a bare "&" that is not a valid entity is
    an error (Telegram would keep it literally), because it always means the sender forgot to
    escape user input, and the next customer name may contain "<" instead.
    """
    out: list[str] = []
    length = 0  # UTF-16 length of out
    stack: list[_OpenTag] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)

    def offset(pos: int) -> int:
        return len(text[:pos].encode("utf-8"))

    while i < n:
        ch = text[i]
        if ch == "&":
            match = _HTML_ENTITY.match(text, i)
            decoded = _decode_entity(match) if match else None
            if match is None or decoded is None:
                raise HtmlParseError(
                    f"Character '&' is reserved and must be escaped with \"&amp;\" "
                    f"at byte offset {offset(i)}"
                )
            out.append(decoded)
            length += _utf16_len(decoded)
            i = match.end()
            continue
        if ch != "<":
            out.append(ch)
            length += 2 if ord(ch) > 0xFFFF else 1
            i += 1
            continue

        begin = i
        i += 1
        if i < n and text[i] == "/":
            end = text.find(">", i)
            if end == -1:
                raise HtmlParseError(f"Unclosed end tag at byte offset {offset(begin)}")
            name = text[i + 1 : end].strip().lower()
            if not stack:
                raise HtmlParseError(f"Unexpected end tag at byte offset {offset(begin)}")
            top = stack[-1]
            if name != top.name:
                raise HtmlParseError(
                    f"Unmatched end tag at byte offset {offset(begin)}, "
                    f'expected "</{top.name}>", found "</{name}>"'
                )
            stack.pop()
            entity = _close_tag(top, length, stack)
            if entity is not None:
                entities.append(entity)
            i = end + 1
            continue

        j = i
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        if j >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {offset(begin)}")
        name = text[i:j].lower()
        if name not in _ALLOWED_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{name}" at byte offset {offset(begin)}')
        attrs, j = _parse_attributes(text, j, name, offset(begin))
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise HtmlParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {offset(begin)}'
            )
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise HtmlParseError(
                f"Custom emoji entity must contain a valid custom emoji identifier "
                f"at byte offset {offset(begin)}"
            )
        stack.append(_OpenTag(name=name, attrs=attrs, start=length))
        i = j

    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _decode_entity(match: re.Match[str]) -> str | None:
    named, dec, hexa = match.groups()
    if named:
        return _NAMED[named]
    code = int(dec) if dec else int(hexa, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _parse_attributes(text: str, j: int, tag: str, begin: int) -> tuple[dict[str, str], int]:
    n = len(text)
    attrs: dict[str, str] = {}
    while True:
        while j < n and text[j].isspace():
            j += 1
        if j >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
        if text[j] == ">":
            return attrs, j + 1
        k = j
        while k < n and not text[k].isspace() and text[k] not in "=>":
            k += 1
        attr = text[j:k].lower()
        if not attr:
            raise HtmlParseError(f'Empty attribute name in the tag "{tag}" at byte offset {begin}')
        j = k
        while j < n and text[j].isspace():
            j += 1
        value = ""
        if j < n and text[j] == "=":
            j += 1
            while j < n and text[j].isspace():
                j += 1
            if j >= n:
                raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
            if text[j] in "\"'":
                end = text.find(text[j], j + 1)
                if end == -1:
                    raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
                value = html.unescape(text[j + 1 : end])
                j = end + 1
            else:
                k = j
                while k < n and not text[k].isspace() and text[k] != ">":
                    k += 1
                value = html.unescape(text[j:k])
                j = k
        attrs[attr] = value


def _close_tag(tag: _OpenTag, end: int, stack: list[_OpenTag]) -> dict[str, Any] | None:
    if tag.name == "code" and stack and stack[-1].name == "pre":
        language = tag.attrs.get("class", "")
        if language.startswith("language-") and tag.start == stack[-1].start:
            # Telegram folds <pre><code class="language-x"> into one pre entity.
            stack[-1].language = language.removeprefix("language-")
            return None
    size = end - tag.start
    if size <= 0:
        return None
    entity: dict[str, Any] = {"offset": tag.start, "length": size}
    if tag.name == "a":
        href = tag.attrs.get("href")
        if not href:
            return None
        entity.update(type="text_link", url=href)
    elif tag.name == "tg-emoji":
        entity.update(type="custom_emoji", custom_emoji_id=tag.attrs["emoji-id"])
    elif tag.name == "blockquote":
        expandable = "expandable" in tag.attrs
        entity["type"] = "expandable_blockquote" if expandable else "blockquote"
    else:
        entity["type"] = _TAG_ENTITY[tag.name]
        if tag.name == "pre" and tag.language:
            entity["language"] = tag.language
    return entity


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _normalise_chat(value: Any) -> int | str:
    if isinstance(value, bool):
        raise _bad("chat not found")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        stripped = value.strip()
        if re.fullmatch(r"-?\d+", stripped):
            return int(stripped)
        if stripped.startswith("@") and len(stripped) > 1:
            return stripped.lower()
    raise _bad("chat not found")


def _decode_form_value(key: str, value: str) -> Any:
    if key in _STRING_FIELDS:
        return value
    if key in _JSON_FIELDS or value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _as_int(params: dict[str, Any], key: str, default: int | None = None) -> int | None:
    value = params.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise _bad(f'parameter "{key}" must be a Number')
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _bad(f'parameter "{key}" must be a Number') from None


def _as_float(params: dict[str, Any], key: str) -> float:
    try:
        return float(params[key])
    except KeyError:
        raise _bad(f"{key} is empty") from None
    except (TypeError, ValueError):
        raise _bad(f'parameter "{key}" must be a Number') from None


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _clone(value: Any) -> Any:
    return copy.deepcopy(value)


def _update_type(update: dict[str, Any]) -> str | None:
    return next((key for key in update if key != "update_id"), None)


Predicate = Callable[[], object]
_Handler = Callable[[dict[str, Any], Call], Awaitable[Any]]


class TelegramEmulator:
    """An in-process Telegram Bot API server (aiohttp on 127.0.0.1, random free port)."""

    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        enforce_limits: bool = False,
        latency: float = 0.0,
        host: str = "127.0.0.1",
        bot_username: str = "leadkeeper_test_bot",
        bot_first_name: str = "Leadkeeper",
    ) -> None:
        self.token = token
        self.enforce_limits = enforce_limits
        self.latency = latency
        self.host = host
        # Telegram's documented broadcast limits; tests may lower them for speed.
        self.global_per_second = 30
        self.private_interval = 1.0
        self.group_per_minute = 20

        self.bot_user: dict[str, Any] = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

        self.calls: list[Call] = []
        self.delivered_ok: list[Call] = []
        self.delivered_after_timeout: list[Call] = []
        self.rate_limited = 0
        self.webhook_deliveries: list[WebhookDelivery] = []

        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self._webhook_error: tuple[int, str] | None = None
        self._allowed_updates: list[str] | None = None
        self._pending: list[dict[str, Any]] = []
        self._update_ids = itertools.count(100_000)
        self._last_update_id = 99_999
        self._update_event = asyncio.Event()
        self._poll_generation = 0

        self.messages: dict[tuple[int | str, int], dict[str, Any]] = {}
        self._message_ids: dict[int | str, int] = {}
        self._chats: dict[int | str, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self.files: dict[str, _StoredFile] = {}
        self._file_counter = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._media_groups = itertools.count(1)
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}

        self.blocked: set[int | str] = set()
        self._failures: list[_Failure] = []
        self._chaos: _Chaos | None = None
        self._global_sends: deque[float] = deque()
        self._private_last: dict[int | str, float] = {}
        self._group_sends: dict[int | str, deque[float]] = {}

        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._http: ClientSession | None = None
        self._handlers = self._build_handlers()

    # ----------------------------------------------------------------------------------------
    # Lifecycle
    # ----------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._closing.clear()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # Long polls are woken on stop, so a short shutdown timeout never cuts real work.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self._closing.set()
        self._update_event.set()
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> TelegramEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("TelegramEmulator is not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def bot_id(self) -> int:
        return int(self.bot_user["id"])

    def _sender(self) -> dict[str, Any]:
        keys = ("id", "is_bot", "first_name", "username")
        return {key: self.bot_user[key] for key in keys}

    # ----------------------------------------------------------------------------------------
    # Inspection
    # ----------------------------------------------------------------------------------------

    def sent_messages(self, chat_id: int | str | None = None) -> list[Call]:
        """Send calls (except sendChatAction) that created a message, in arrival order.

        A send whose answer was lost to a client timeout is included: the customer saw it.
        """
        wanted = None if chat_id is None else _normalise_chat(chat_id)
        return [
            call
            for call in self.calls
            if call.delivered
            and call.method.startswith("send")
            and call.method != "sendChatAction"
            and (wanted is None or call.chat_id == wanted)
        ]

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method.lower() == method.lower()]

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed (polling) or acknowledged (webhook)."""
        return _clone(self._pending)

    def reset_calls(self) -> None:
        self.calls.clear()
        self.delivered_ok.clear()
        self.delivered_after_timeout.clear()
        self.webhook_deliveries.clear()
        self.rate_limited = 0

    async def wait_for(self, predicate: Predicate, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Poll ``predicate()`` (sync or async, no arguments) until it is truthy."""
        deadline = time.monotonic() + timeout
        while True:
            outcome = predicate()
            if isinstance(outcome, Awaitable):
                outcome = await outcome
            if outcome:
                return
            if time.monotonic() >= deadline:
                name = getattr(predicate, "__name__", repr(predicate))
                raise AssertionError(
                    f"condition {name} not met within {timeout}s; {self._summary()}"
                )
            await asyncio.sleep(0.01)

    async def wait_for_sent(
        self,
        count: int,
        chat_id: int | str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[Call]:
        """Wait until at least ``count`` messages were sent (to ``chat_id``); return them."""
        deadline = time.monotonic() + timeout
        while True:
            sent = self.sent_messages(chat_id)
            if len(sent) >= count:
                return sent
            if time.monotonic() >= deadline:
                where = "" if chat_id is None else f" to chat {chat_id}"
                texts = [call.params.get("text", call.params.get("caption")) for call in sent]
                raise AssertionError(
                    f"expected at least {count} sent messages{where} within {timeout}s, "
                    f"got {len(sent)}: {texts!r}; {self._summary()}"
                )
            await asyncio.sleep(0.01)

    def _summary(self, last: int = 15) -> str:
        tail = self.calls[-last:]
        lines = []
        for call in tail:
            chat = f" chat={call.chat_id}" if call.chat_id is not None else ""
            error = ""
            if call.response and not call.response.get("ok"):
                error = f" {call.response.get('description')!r}"
            lines.append(f"{call.method}{chat} -> {call.status}{error}")
        return f"last {len(tail)} of {len(self.calls)} calls: [" + "; ".join(lines) + "]"

    # ----------------------------------------------------------------------------------------
    # Fault injection
    # ----------------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str | None,
        *,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (None: any method) with an error.

        A failed send creates no message.  429 without ``retry_after`` gets ``retry_after=1``
        so clients see a proper flood-wait.
        """
        if status < 400:
            raise ValueError("fail_next needs an error status (>= 400)")
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            if status == 429:
                description = f"Too Many Requests: retry after {retry_after}"
            else:
                description = _DEFAULT_DESCRIPTIONS.get(status, "Internal Server Error")
        self._failures.append(
            _Failure(
                method=method.lower() if method else None,
                status=status,
                description=description,
                retry_after=retry_after,
                times=times,
            )
        )

    def block_user(self, chat_id: int | str) -> None:
        """Every send to this chat answers 403, as after the user pressed "Block"."""
        self.blocked.add(_normalise_chat(chat_id))

    def unblock_user(self, chat_id: int | str) -> None:
        self.blocked.discard(_normalise_chat(chat_id))

    def set_chaos(
        self,
        rate: float,
        kinds: Iterable[str] = ("429", "5xx", "timeout"),
        seed: int = 0,
        timeout_seconds: float = 2.0,
        methods: Collection[str] | None = None,
    ) -> None:
        """Fail a random share of calls (by default: send* methods) with the given kinds.

        "429" and "5xx" reject the call (no message).  "timeout" delivers the message and
        then holds the answer for ``timeout_seconds`` — set it above the client's timeout to
        reproduce "sent, but the client thinks it failed".  ``rate=0`` switches chaos off.
        """
        chosen = tuple(kinds)
        unknown = set(chosen) - {"429", "5xx", "timeout"}
        if unknown:
            raise ValueError(f"unknown chaos kinds: {sorted(unknown)}")
        if rate <= 0 or not chosen:
            self._chaos = None
            return
        self._chaos = _Chaos(
            rate=rate,
            kinds=chosen,
            rng=random.Random(seed),
            timeout_seconds=timeout_seconds,
            methods=frozenset(m.lower() for m in methods) if methods is not None else None,
        )

    def _take_failure(self, method: str) -> ApiError | None:
        lowered = method.lower()
        for failure in self._failures:
            if failure.method is None or failure.method == lowered:
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                return ApiError(failure.status, failure.description, failure.retry_after)
        return None

    def _roll_chaos(self, method: str) -> str | None:
        chaos = self._chaos
        if chaos is None:
            return None
        if chaos.methods is None:
            eligible = method.startswith("send")
        else:
            eligible = method.lower() in chaos.methods
        if not eligible or chaos.rng.random() >= chaos.rate:
            return None
        kind = chaos.rng.choice(chaos.kinds)
        if kind == "429":
            raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        if kind == "5xx":
            raise ApiError(502, "Bad Gateway")
        return kind

    # ----------------------------------------------------------------------------------------
    # Updates
    # ----------------------------------------------------------------------------------------

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
    ) -> dict[str, Any]:
        user = self._user(user_id, first_name, last_name, username, language_code)
        content: dict[str, Any] = {"text": text}
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
        return self._incoming(user, self._chat_for(user), **content)

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
    ) -> dict[str, Any]:
        """A button press on a bot message (the last bot message in the chat by default)."""
        user = self._user(user_id, first_name, None, None, "ru")
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

    # ----------------------------------------------------------------------------------------
    # Webhook delivery
    # ----------------------------------------------------------------------------------------

    async def deliver_webhook(
        self,
        update: dict[str, Any],
        *,
        url: str | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> WebhookDelivery:
        """POST one update to the webhook; on 2xx it stops being pending.

        A JSON answer with a "method" field is executed like Telegram does.  Connection
        errors come back as status 0 rather than raising, as they are just another failed
        delivery for Telegram.
        """
        target = url or self.webhook_url
        if not target:
            raise RuntimeError("no webhook is set; call setWebhook or pass url=")
        if "update_id" not in update:
            update["update_id"] = self._next_update_id()
        update_id = int(update["update_id"])
        headers = {}
        if self.webhook_secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook_secret
        if self._http is None or self._http.closed:
            self._http = ClientSession()
        try:
            async with self._http.post(
                target, json=update, headers=headers, timeout=ClientTimeout(total=timeout)
            ) as response:
                body = await response.text()
                delivery = WebhookDelivery(update_id, response.status, body)
                reason = response.reason or ""
        except (ClientError, TimeoutError) as exc:
            delivery = WebhookDelivery(update_id, 0, "", error=f"{type(exc).__name__}: {exc}")
            reason = delivery.error or ""
        self.webhook_deliveries.append(delivery)
        if delivery.ok:
            self._pending = [item for item in self._pending if item["update_id"] != update_id]
            self._webhook_error = None
            await self._run_webhook_reply(delivery.body)
        elif delivery.status:
            self._webhook_error = (
                int(time.time()),
                f"Wrong response from the webhook: {delivery.status} {reason}".strip(),
            )
        else:
            self._webhook_error = (int(time.time()), f"Connection failed: {reason}")
        return delivery

    async def deliver_pending_webhooks(
        self,
        *,
        url: str | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> list[WebhookDelivery]:
        """POST queued updates in order; stop at the first failure, which stays queued.

        Stopping keeps the order: Telegram retries the failed update before later ones.
        """
        results = []
        for update in list(self._pending):
            if not self._is_allowed(update):
                self._pending = [u for u in self._pending if u is not update]
                continue
            delivery = await self.deliver_webhook(_clone(update), url=url, timeout=timeout)
            results.append(delivery)
            if not delivery.ok:
                break
        return results

    async def _run_webhook_reply(self, body: str) -> None:
        try:
            reply = json.loads(body) if body.strip() else None
        except ValueError:
            return
        if not isinstance(reply, dict) or not isinstance(reply.get("method"), str):
            return
        params = {key: value for key, value in reply.items() if key != "method"}
        await self._dispatch(self.token, reply["method"], params, via_webhook=True)

    # ----------------------------------------------------------------------------------------
    # HTTP
    # ----------------------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        method = request.match_info["method"]
        try:
            params = await self._read_params(request)
        except ApiError as error:
            params, parse_error = {}, error
        else:
            parse_error = None
        call, hold = await self._dispatch(token, method, params, parse_error=parse_error)
        if hold > 0:
            await self._pause(hold)
        response = web.json_response(call.response, status=call.status)
        try:
            await response.prepare(request)
            await response.write_eof()
            call.written = True
        except ConnectionError:
            # The client gave up (its timeout fired) before the answer was ready.
            call.written = False
        if call.delivered:
            if call.written:
                self.delivered_ok.append(call)
            else:
                self.delivered_after_timeout.append(call)
        return response

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").body(), status=401)
        path = request.match_info["path"]
        stored = next((f for f in self.files.values() if f.path == path), None)
        if stored is None or stored.data is None:
            return web.json_response(ApiError(404, "Not Found").body(), status=404)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = {
            key: _decode_form_value(key, value) for key, value in request.query.items()
        }
        if request.method != "POST" or not request.can_read_body:
            return params
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise _bad("can't parse JSON") from None
            if not isinstance(body, dict):
                raise _bad("JSON body must be an object")
            params.update(body)
            return params
        if content_type not in ("multipart/form-data", "application/x-www-form-urlencoded"):
            raise _bad(f"unsupported Content-Type {content_type}")
        form = await request.post()
        uploads: dict[str, UploadedFile] = {}
        for key, value in form.items():
            if isinstance(value, web.FileField):
                uploads[key] = UploadedFile(
                    field=key,
                    filename=value.filename,
                    content_type=value.content_type,
                    data=value.file.read(),
                )
            elif isinstance(value, str):
                params[key] = _decode_form_value(key, value)

        def resolve(value: Any) -> Any:
            if isinstance(value, str) and value.startswith("attach://"):
                upload = uploads.get(value.removeprefix("attach://"))
                if upload is not None:
                    return upload
            return value

        used: set[str] = set()
        for key, value in list(params.items()):
            resolved = resolve(value)
            if isinstance(resolved, UploadedFile):
                params[key] = resolved
                used.add(resolved.field)
        if isinstance(params.get("media"), list):
            for item in params["media"]:
                if isinstance(item, dict):
                    for key in ("media", "thumbnail"):
                        resolved = resolve(item.get(key))
                        if isinstance(resolved, UploadedFile):
                            item[key] = resolved
                            used.add(resolved.field)
        for key, upload in uploads.items():
            # A file sent directly as the parameter (photo=<file>), not via attach://.
            if key not in used:
                params[key] = upload
        return params

    async def _pause(self, seconds: float) -> None:
        # Waiting on the closing flag lets stop() cut artificial delays short.
        try:
            await asyncio.wait_for(self._closing.wait(), seconds)
        except TimeoutError:
            pass

    async def _dispatch(
        self,
        token: str,
        method: str,
        params: dict[str, Any],
        *,
        parse_error: ApiError | None = None,
        via_webhook: bool = False,
    ) -> tuple[Call, float]:
        """Run one API call; return the recorded call and how long to hold the answer."""
        entry = self._handlers.get(method.lower())
        call = Call(
            method=entry[0] if entry else method,
            params=params,
            time=time.monotonic(),
            via_webhook=via_webhook,
        )
        # Recorded on arrival so tests see in-flight calls (a long poll's offset, say).
        self.calls.append(call)
        hold = 0.0
        if self.latency > 0:
            await self._pause(self.latency)
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            if entry is None:
                raise ApiError(404, "Not Found: method not found")
            if parse_error is not None:
                raise parse_error
            failure = self._take_failure(call.method)
            if failure is not None:
                raise failure
            if self._roll_chaos(call.method) == "timeout" and self._chaos is not None:
                hold = self._chaos.timeout_seconds
            result = await entry[1](params, call)
            call.status = 200
            call.response = {"ok": True, "result": result}
            if call.ok_description:
                call.response["description"] = call.ok_description
        except ApiError as error:
            call.status = error.status
            call.response = error.body()
            call.delivered = False
            if error.status == 429:
                self.rate_limited += 1
        return call, hold

    # ----------------------------------------------------------------------------------------
    # Methods
    # ----------------------------------------------------------------------------------------

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
        }
        for name, kind in _MEDIA_METHODS.items():
            table[name] = self._media_sender(kind)
        return {name.lower(): (name, handler) for name, handler in table.items()}

    async def _true(self, params: dict[str, Any], call: Call) -> bool:
        return True

    async def _get_me(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        return dict(self.bot_user)

    async def _get_updates(self, params: dict[str, Any], call: Call) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = _as_int(params, "offset")
        limit = min(max(_as_int(params, "limit", 100) or 100, 1), 100)
        timeout = max(_as_int(params, "timeout", 0) or 0, 0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            # Telegram keeps the last given list; an empty one restores the default.
            self._allowed_updates = [str(kind) for kind in allowed] or None
        if offset is not None and offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]

        self._poll_generation += 1
        generation = self._poll_generation
        # A newer getUpdates terminates a waiting older one, exactly like Telegram.
        self._notify()
        deadline = time.monotonic() + timeout
        while True:
            batch = [u for u in self._pending if self._is_allowed(u)][:limit]
            if batch or self._closing.is_set():
                return _clone(batch)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            event = self._update_event
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                return []
            if self._poll_generation != generation:
                raise ApiError(409, TERMINATED)
            if self.webhook_url:
                raise ApiError(409, WEBHOOK_CONFLICT)

    async def _set_webhook(self, params: dict[str, Any], call: Call) -> bool:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if secret is not None and secret != "":
            secret = str(secret)
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
                raise _bad("secret token contains unallowed characters")
        else:
            secret = None
        if _as_bool(params.get("drop_pending_updates", False)):
            self._pending.clear()
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed] or None
        if not url:
            self.webhook_url, self.webhook_secret = None, None
            call.ok_description = "Webhook was deleted"
            return True
        if not url.startswith(("https://", "http://")):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url, self.webhook_secret = url, secret
        self._webhook_error = None
        # Wakes any long poll so it answers 409 like Telegram does.
        self._notify()
        call.ok_description = "Webhook was set"
        return True

    async def _delete_webhook(self, params: dict[str, Any], call: Call) -> bool:
        if _as_bool(params.get("drop_pending_updates", False)):
            self._pending.clear()
        was_set = self.webhook_url is not None
        self.webhook_url, self.webhook_secret = None, None
        call.ok_description = "Webhook was deleted" if was_set else "Webhook is already deleted"
        return True

    async def _get_webhook_info(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook_url:
            info["max_connections"] = 40
            info["ip_address"] = "127.0.0.1"
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
            if self._webhook_error is not None:
                info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    # -- sending ----------------------------------------------------------------------------

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

    def _check_blocked(self, chat_id: int | str) -> None:
        if chat_id in self.blocked:
            raise ApiError(403, BLOCKED_DESCRIPTION)

    def _check_rate(self, chat_id: int | str) -> None:
        if not self.enforce_limits:
            return
        now = time.monotonic()
        waits: list[float] = []
        sends = self._global_sends
        while sends and sends[0] <= now - 1.0:
            sends.popleft()
        if len(sends) >= self.global_per_second:
            waits.append(sends[0] + 1.0 - now)
        if isinstance(chat_id, int) and chat_id > 0:
            last = self._private_last.get(chat_id)
            if last is not None and now - last < self.private_interval:
                waits.append(last + self.private_interval - now)
        else:
            group = self._group_sends.setdefault(chat_id, deque())
            while group and group[0] <= now - 60.0:
                group.popleft()
            if len(group) >= self.group_per_minute:
                waits.append(group[0] + 60.0 - now)
        if waits:
            retry_after = max(1, math.ceil(max(waits)))
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )

    def _commit_rate(self, chat_id: int | str) -> None:
        if not self.enforce_limits:
            return
        now = time.monotonic()
        self._global_sends.append(now)
        if isinstance(chat_id, int) and chat_id > 0:
            self._private_last[chat_id] = now
        else:
            self._group_sends.setdefault(chat_id, deque()).append(now)

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
        """Create the bot's message; the last step of every successful send."""
        key = self._message_key(chat_id)
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
        self.messages[(key, message["message_id"])] = message
        call.delivered = True
        return _clone(message)

    async def _send_message(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        chat_id = self._target_chat(params)
        self._check_blocked(chat_id)
        content = self._formatted(params, "text", "entities", TEXT_LIMIT, required=True)
        self._reply_markup(params)
        self._check_rate(chat_id)
        self._commit_rate(chat_id)
        return self._deliver(chat_id, content, params, call)

    def _media_sender(self, kind: str) -> _Handler:
        async def send(params: dict[str, Any], call: Call) -> dict[str, Any]:
            chat_id = self._target_chat(params)
            self._check_blocked(chat_id)
            source = params.get(kind)
            if source is None or source == "":
                raise _bad(f"there is no {kind} in the request")
            content: dict[str, Any] = {}
            if kind not in _CAPTIONLESS:
                content.update(
                    self._formatted(
                        params, "caption", "caption_entities", CAPTION_LIMIT, required=False
                    )
                )
            self._reply_markup(params)
            self._check_rate(chat_id)
            content[kind] = self._media_object(kind, source, params)
            self._commit_rate(chat_id)
            return self._deliver(chat_id, content, params, call)

        return send

    def _media_object(self, kind: str, source: Any, params: dict[str, Any]) -> Any:
        stored = self._input_file(kind, source)
        base: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
        }
        if stored.data is not None:
            base["file_size"] = len(stored.data)
        duration = _as_int(params, "duration", 1) or 1
        if kind == "photo":
            return [{**base, "width": 1, "height": 1}]
        if kind == "document":
            if stored.file_name:
                base["file_name"] = stored.file_name
            if stored.mime_type:
                base["mime_type"] = stored.mime_type
            return base
        if kind in ("voice", "audio"):
            return {**base, "duration": duration}
        if kind in ("video", "animation"):
            return {**base, "width": 1, "height": 1, "duration": duration}
        if kind == "video_note":
            return {**base, "length": 1, "duration": duration}
        return {
            **base,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }

    def _input_file(self, kind: str, source: Any) -> _StoredFile:
        if isinstance(source, UploadedFile):
            return self._store_file(kind, source.data, source.filename, source.content_type)
        value = str(source)
        if value.startswith("attach://"):
            raise _bad("wrong file identifier/HTTP URL specified")
        if value in self.files:
            return self.files[value]
        # An unknown file_id or an URL: Telegram would fetch it; a placeholder is enough.
        return self._store_file(kind, None, None, None)

    def _store_file(
        self, kind: str, data: bytes | None, file_name: str | None, mime_type: str | None
    ) -> _StoredFile:
        number = next(self._file_counter)
        folder = {"photo": "photos", "document": "documents", "voice": "voice"}.get(kind, kind)
        extension = {"photo": ".jpg", "voice": ".oga"}.get(kind, "")
        if file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1]
        stored = _StoredFile(
            file_id=f"EMU-{kind}-{number:06d}",
            file_unique_id=f"U{number:06d}",
            path=f"{folder}/file_{number}{extension}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    def add_file(self, data: bytes, *, kind: str = "document", file_name: str | None = None) -> str:
        """Register downloadable bytes; return a file_id usable in getFile and sends."""
        return self._store_file(kind, data, file_name, None).file_id

    async def _send_media_group(self, params: dict[str, Any], call: Call) -> list[Any]:
        chat_id = self._target_chat(params)
        self._check_blocked(chat_id)
        media = params.get("media")
        if not isinstance(media, list) or not media:
            raise _bad("media is empty" if media in (None, "", []) else "can't parse media")
        if len(media) > 10:
            raise _bad("too many messages to send as an album")
        prepared = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") not in (
                "photo",
                "video",
                "document",
                "audio",
            ):
                raise _bad("can't parse InputMedia: media type is invalid")
            if item.get("media") in (None, ""):
                raise _bad("there is no media in the request")
            caption = self._formatted(
                item, "caption", "caption_entities", CAPTION_LIMIT, required=False
            )
            prepared.append((item, caption))
        self._check_rate(chat_id)
        self._commit_rate(chat_id)
        group_id = str(10**17 + next(self._media_groups))
        messages = []
        for item, caption in prepared:
            content = {
                "media_group_id": group_id,
                **caption,
                item["type"]: self._media_object(item["type"], item["media"], item),
            }
            messages.append(self._deliver(chat_id, content, {}, call))
        return messages

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

    # -- misc -------------------------------------------------------------------------------

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
        self.commands[self._commands_key(params)] = _clone(commands)
        return True

    async def _delete_my_commands(self, params: dict[str, Any], call: Call) -> bool:
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

    async def _get_file(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        stored = self.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _bad("invalid file_id")
        result: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_path": stored.path,
        }
        if stored.data is not None:
            result["file_size"] = len(stored.data)
        return result
