"""A local MAX Bot API emulator for tests, over real HTTP.

It answers the way platform-api.max.ru does (max-messenger/api-schema): the token in the
`Authorization` header (or, as older bots send it, the `access_token` query), errors as
HTTP status + `{"code": ..., "message": ...}`, `GET /updates` as long polling with a
marker (everything before the marker given is committed and never comes again),
`POST /subscriptions` with a secret, after which updates are pushed to the URL with the
secret in `X-Max-Bot-Api-Secret` (and retried while the answer is not 200), and polling
gets nothing. `POST /messages` refuses texts over 4,000 characters and users who stopped
the bot (403 chat.denied). Failures can be queued by tests: MAX's rate limit (429
too.many.requests, with a Retry-After when the test names one; the schema promises none)
and a refused token (401 verify.token).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.emulator.max.updates import UpdateFactory
from tests.support.env import patient

MAX_TEXT = 4000
_SECRET = re.compile(r"^[\w-]{5,256}$")


@dataclass
class MaxSent:
    user_id: int | None
    chat_id: int | None
    body: dict[str, Any]
    mid: str

    @property
    def text(self) -> str:
        return str(self.body.get("text") or "")


@dataclass
class Delivery:
    """One push of an update to the subscribed webhook and what it answered."""

    update: dict[str, Any]
    status: int


@dataclass
class _Queued:
    seq: int
    update: dict[str, Any]


@dataclass
class Subscription:
    url: str
    secret: str | None
    update_types: list[str] | None
    time: int = field(default_factory=lambda: int(time.time() * 1000))


class MaxEmulator(UpdateFactory):
    def __init__(self, token: str, *, host: str = "127.0.0.1", bot_id: int = 90000) -> None:
        super().__init__()
        self.token = token
        self.host = host
        self.bot_id = bot_id
        self.sent: list[MaxSent] = []
        self.answers: list[tuple[str, dict[str, Any]]] = []
        self.calls: list[tuple[str, str, dict[str, str]]] = []
        self.subscriptions: list[Subscription] = []
        self.deliveries: list[Delivery] = []
        self.stopped_by: set[int] = set()
        self.polls: list[dict[str, str]] = []
        self._queue: list[_Queued] = []
        self._seq = itertools.count(1)
        self._committed = 0  # every seq up to this one is committed
        self._arrived = asyncio.Event()
        self._mids = itertools.count(1)
        self._failures: list[tuple[int, dict[str, Any], dict[str, str]]] = []
        self.auth_rejected = False  # reject_auth(): every call answers 401 verify.token
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._http: aiohttp.ClientSession | None = None
        self._closing = False

    async def __aenter__(self) -> MaxEmulator:
        app = web.Application()
        app.router.add_get("/me", self._me)
        app.router.add_get("/updates", self._updates)
        app.router.add_get("/subscriptions", self._get_subscriptions)
        app.router.add_post("/subscriptions", self._subscribe)
        app.router.add_delete("/subscriptions", self._unsubscribe)
        app.router.add_post("/messages", self._send)
        app.router.add_post("/answers", self._answer)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        self._http = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._closing = True
        self._arrived.set()
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self._port}"

    # ------------------------------------------------------------------ test controls

    def fail_next(self, status: int, code: str, message: str, *, retry_after: int | None = None):  # type: ignore[no-untyped-def]
        """The next POST /messages answers with this error (and sends nothing)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self._failures.append((status, {"code": code, "message": message}, headers))

    def rate_limit_next(self, n: int = 1, *, retry_after: int | None = 1) -> None:
        """The next `n` POST /messages answer 429 too.many.requests."""
        for _ in range(n):
            self.fail_next(429, "too.many.requests", "Too many requests", retry_after=retry_after)

    def reject_auth(self) -> None:
        """Every call answers 401 verify.token, as once the bot's token is revoked."""
        self.auth_rejected = True

    def accept_auth(self) -> None:
        self.auth_rejected = False

    async def deliver(self, update: dict[str, Any], *, attempts: int = 1) -> list[int]:
        """Hand an update to the bot: pushed to the webhook while subscribed (again, up to
        `attempts` times, while the answer is not 200), else queued for GET /updates."""
        user = (update.get("user") or {}).get("user_id")
        if update.get("update_type") == "bot_stopped" and isinstance(user, int):
            self.stopped_by.add(user)
        elif update.get("update_type") == "bot_started" and isinstance(user, int):
            self.stopped_by.discard(user)
        if not self.subscriptions:
            self._queue.append(_Queued(next(self._seq), update))
            self._arrived.set()
            return []
        statuses = []
        for subscription in list(self.subscriptions):
            for _ in range(attempts):
                status = await self._push(subscription, update)
                statuses.append(status)
                if status == 200:
                    break
        return statuses

    async def _push(self, subscription: Subscription, update: dict[str, Any]) -> int:
        assert self._http is not None
        headers = {"Content-Type": "application/json"}
        if subscription.secret:
            headers["X-Max-Bot-Api-Secret"] = subscription.secret
        async with self._http.post(
            subscription.url, data=json.dumps(update, ensure_ascii=False), headers=headers
        ) as response:
            await response.read()
            self.deliveries.append(Delivery(update, response.status))
            return response.status

    def pending(self) -> int:
        """Queued updates polling has not committed yet."""
        return sum(1 for item in self._queue if item.seq > self._committed)

    async def wait_for_sent(self, count: int, timeout: float = 15.0) -> list[MaxSent]:  # noqa: ASYNC109
        deadline = time.monotonic() + patient(timeout)
        while len(self.sent) < count:
            if time.monotonic() > deadline:
                texts = [s.text[:60] for s in self.sent]
                raise AssertionError(f"expected {count} MAX messages, got {texts}")
            await asyncio.sleep(0.02)
        return list(self.sent)

    async def wait_for(self, predicate, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]  # noqa: ASYNC109
        deadline = time.monotonic() + patient(timeout)
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("MAX emulator: condition not met in time")
            await asyncio.sleep(0.02)

    # ------------------------------------------------------------------ the API

    def _authorised(self, request: web.Request) -> bool:
        given = request.headers.get("Authorization") or request.query.get("access_token") or ""
        if given.startswith("Bearer "):
            given = given[7:]
        return given == self.token and not self.auth_rejected

    def _record(self, request: web.Request) -> web.Response | None:
        self.calls.append((request.method, request.path, dict(request.query)))
        if not self._authorised(request):
            return _error(401, "verify.token", "Invalid access_token")
        return None

    async def _me(self, request: web.Request) -> web.Response:
        if (refused := self._record(request)) is not None:
            return refused
        return web.json_response(
            {"user_id": self.bot_id, "first_name": "Acme", "username": "acme_bot", "is_bot": True}
        )

    async def _updates(self, request: web.Request) -> web.Response:
        if (refused := self._record(request)) is not None:
            return refused
        self.polls.append(dict(request.query))
        try:
            limit = int(request.query.get("limit", "100"))
            timeout = int(request.query.get("timeout", "30"))
            marker = request.query.get("marker")
            marker_value = int(marker) if marker not in (None, "", "null") else None
        except ValueError:
            return _error(400, "proto.payload", "limit, timeout and marker are numbers")
        if not 1 <= limit <= 1000 or not 0 <= timeout <= 90:
            return _error(400, "proto.payload", "limit is 1..1000, timeout 0..90")
        if marker_value is not None:
            # Passing a marker commits every update before it.
            self._committed = max(self._committed, marker_value - 1)
        types = {t for t in request.query.get("types", "").split(",") if t}
        deadline = time.monotonic() + timeout
        while True:
            ready = [
                item
                for item in self._queue
                if item.seq > self._committed
                and not self.subscriptions
                and (not types or item.update["update_type"] in types)
            ][:limit]
            if ready or self._closing or time.monotonic() >= deadline:
                break
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), deadline - time.monotonic())
            except TimeoutError:
                pass
        next_marker = (ready[-1].seq + 1) if ready else self._committed + 1
        return web.json_response(
            {"updates": [item.update for item in ready], "marker": next_marker}
        )

    async def _get_subscriptions(self, request: web.Request) -> web.Response:
        if (refused := self._record(request)) is not None:
            return refused
        return web.json_response(
            {
                "subscriptions": [
                    {"url": s.url, "time": s.time, "update_types": s.update_types}
                    for s in self.subscriptions
                ]
            }
        )

    async def _subscribe(self, request: web.Request) -> web.Response:
        if (refused := self._record(request)) is not None:
            return refused
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _error(400, "proto.payload", "body is not JSON")
        url = body.get("url") if isinstance(body, dict) else None
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            return _error(400, "proto.payload", "url: expected the webhook URL")
        secret = body.get("secret")
        if secret is not None and (not isinstance(secret, str) or not _SECRET.match(secret)):
            return _error(400, "proto.payload", "secret: 5-256 of A-Z, a-z, 0-9, _ and -")
        self.subscriptions = [s for s in self.subscriptions if s.url != url]
        self.subscriptions.append(Subscription(url, secret, body.get("update_types")))
        return web.json_response({"success": True})

    async def _unsubscribe(self, request: web.Request) -> web.Response:
        if (refused := self._record(request)) is not None:
            return refused
        url = request.query.get("url")
        if not url:
            return _error(400, "proto.payload", "url is required")
        self.subscriptions = [s for s in self.subscriptions if s.url != url]
        self._arrived.set()
        return web.json_response({"success": True})

    async def _send(self, request: web.Request) -> web.Response:
        if (refused := self._record(request)) is not None:
            return refused
        try:
            user_id = int(request.query["user_id"]) if "user_id" in request.query else None
            chat_id = int(request.query["chat_id"]) if "chat_id" in request.query else None
            body = await request.json()
        except (ValueError, json.JSONDecodeError, UnicodeDecodeError):
            return _error(400, "proto.payload", "user_id/chat_id are numbers, the body JSON")
        if (user_id is None) == (chat_id is None):
            return _error(400, "proto.payload", "one of user_id or chat_id is required")
        if not isinstance(body, dict):
            return _error(400, "proto.payload", "body: expected NewMessageBody")
        text = body.get("text") or ""
        if len(text) > MAX_TEXT:
            return _error(400, "proto.payload", f"text: size must be between 0 and {MAX_TEXT}")
        if not text and not body.get("attachments"):
            return _error(400, "proto.payload", "empty message")
        if body.get("format") not in (None, "html", "markdown"):
            return _error(400, "proto.payload", "format: html or markdown")
        if self._failures:
            status, error, headers = self._failures.pop(0)
            return web.json_response(error, status=status, headers=headers)
        if user_id is not None and user_id in self.stopped_by:
            return _error(403, "chat.denied", "Bot was stopped by user")
        mid = f"mid.{next(self._mids):016x}"
        self.sent.append(MaxSent(user_id, chat_id, body, mid))
        recipient = {"chat_type": "dialog", "user_id": user_id, "chat_id": chat_id or user_id}
        message = {
            "sender": {"user_id": self.bot_id, "first_name": "Acme", "is_bot": True},
            "recipient": recipient,
            "timestamp": int(time.time() * 1000),
            "body": {"mid": mid, "seq": len(self.sent), "text": text},
        }
        return web.json_response({"message": message})

    async def _answer(self, request: web.Request) -> web.Response:
        if (refused := self._record(request)) is not None:
            return refused
        callback_id = request.query.get("callback_id", "")
        if not callback_id.strip():
            return _error(400, "proto.payload", "callback_id is required")
        body = await request.json()
        if not isinstance(body, dict) or not (body.get("message") or body.get("notification")):
            return _error(400, "proto.payload", "message or notification is required")
        self.answers.append((callback_id, body))
        return web.json_response({"success": True})


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"code": code, "message": message}, status=status)
