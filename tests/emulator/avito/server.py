"""A local Avito API emulator for tests, over real HTTP.

It answers the way api.avito.ru does: `POST /token` (client_credentials, form-encoded)
gives a Bearer token with `expires_in`; every other call wants a live token, else 401;
errors are the HTTP status with `{"error": {"code", "message"}}` (OAuth's
`{"error", "error_description"}` on /token); more calls a second than it takes → 429 with
Retry-After. The Messenger calls: the account (`GET /core/v1/accounts/self`), a chat with
its listing (`GET /messenger/v2/.../chats/{id}`), text and image messages into a chat the
buyer opened (none can be opened from here: an unknown chat is 404), image uploads, and
the webhook v3 subscription, which is checked with a `{}` post first. Events go to the
subscribed URLs, our own sent messages too (as Avito echoes them).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from tests.emulator.avito.events import EventFactory
from tests.support.env import patient

MAX_TEXT = 1000


@dataclass
class AvitoSent:
    """A message our account sent into a chat."""

    chat_id: str
    kind: str  # text or image
    text: str
    message_id: str
    image: bytes | None = None


@dataclass
class Delivery:
    event: dict[str, Any]
    status: int


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(
        {"error": {"code": status, "message": message}}, status=status, headers=headers
    )


class AvitoEmulator(EventFactory):
    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        account_id: int = 70_001,
        token_lifetime: int = 86_400,
        calls_per_second: int = 50,
        host: str = "127.0.0.1",
    ) -> None:
        super().__init__()
        self.client_id, self.client_secret = client_id, client_secret
        self.account_id = account_id
        self.token_lifetime = token_lifetime
        self.calls_per_second = calls_per_second
        self.host = host
        self.sent: list[AvitoSent] = []
        self.images: dict[str, bytes] = {}
        self.subscriptions: list[str] = []
        self.deliveries: list[Delivery] = []
        self.calls: list[tuple[str, str]] = []
        self.token_requests = 0
        self.refused_calls = 0  # answered 401
        self._tokens: dict[str, float] = {}  # token → expires at (monotonic)
        self._revoked = False
        self._numbers = itertools.count(1)
        self._failures: list[tuple[Callable[[str], bool], int, str, dict[str, str]]] = []
        self._window: list[float] = []
        self._pushes: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> AvitoEmulator:
        app = web.Application()
        app.router.add_post("/token", self._token)
        app.router.add_get("/core/v1/accounts/self", self._self)
        chat = "/messenger/{v}/accounts/{user_id}/chats/{chat_id}"
        app.router.add_get(chat, self._chat)
        app.router.add_post(chat + "/messages", self._send_text)
        app.router.add_post(chat + "/messages/image", self._send_image)
        app.router.add_post("/messenger/v1/accounts/{user_id}/uploadImages", self._upload)
        app.router.add_post("/messenger/v3/webhook", self._subscribe)
        app.router.add_post("/messenger/v1/subscriptions", self._subscriptions)
        app.router.add_post("/messenger/v1/webhook/unsubscribe", self._unsubscribe)
        app.router.add_get("/img/{image_id}", self._image)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        self._http = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._pushes:
            await asyncio.wait(self._pushes, timeout=5)
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self._port}"

    # ------------------------------------------------------------------ test controls

    def expire_tokens(self) -> None:
        """Every token issued so far stops working, as if its time were up."""
        self._tokens.clear()

    def revoke(self) -> None:
        """The application's keys are revoked: no token works, none is given."""
        self._revoked = True
        self._tokens.clear()

    def reject_auth(self) -> None:
        """Keys and tokens refused: 401 on calls, OAuth's invalid_client on /token."""
        self.revoke()

    def accept_auth(self) -> None:
        self._revoked = False

    def rate_limit_next(self, n: int = 1, *, retry_after: int = 1) -> None:
        """The next `n` sends into a chat answer 429 with this Retry-After."""
        for _ in range(n):
            self.fail_next(429, "Too Many Requests", retry_after=retry_after)

    def fail_next(
        self, status: int, message: str, *, path: str = "/messages", retry_after: int | None = None
    ) -> None:
        """The next call whose path contains `path` answers with this error."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self._failures.append((lambda p: path in p, status, message, headers))

    async def deliver(self, event: dict[str, Any], *, attempts: int = 1) -> list[int]:
        """Push an event to every subscribed URL, again while the answer is not 200."""
        statuses = []
        for url in list(self.subscriptions):
            for _ in range(attempts):
                status = await self._push(url, event)
                statuses.append(status)
                if status == 200:
                    break
        return statuses

    def sent_to(self, chat_id: str) -> list[AvitoSent]:
        return [message for message in self.sent if message.chat_id == chat_id]

    async def wait_for_sent(self, count: int, timeout: float = 15.0) -> list[AvitoSent]:  # noqa: ASYNC109
        await self.wait_for(lambda: len(self.sent) >= count, timeout, f"{count} Avito messages")
        return list(self.sent)

    async def wait_for(
        self,
        predicate: Callable[[], object],
        timeout: float = 15.0,  # noqa: ASYNC109
        what: str = "condition",
    ) -> None:
        deadline = time.monotonic() + patient(timeout)
        while not predicate():
            if time.monotonic() > deadline:
                texts = [s.text[:60] for s in self.sent]
                raise AssertionError(f"Avito emulator: {what} not met in time (sent: {texts})")
            await asyncio.sleep(0.02)

    # ------------------------------------------------------------------ the API

    async def _push(self, url: str, event: dict[str, Any]) -> int:
        assert self._http is not None
        async with self._http.post(
            url,
            data=json.dumps(event, ensure_ascii=False),
            headers={"Content-Type": "application/json"},
            timeout=aiohttp.ClientTimeout(total=5),
        ) as response:
            await response.read()
        self.deliveries.append(Delivery(event, response.status))
        return response.status

    def _echo(self, event: dict[str, Any]) -> None:
        """Avito sends our own messages to the webhook as well."""
        for url in list(self.subscriptions):
            task = asyncio.ensure_future(self._push(url, event))
            self._pushes.add(task)  # type: ignore[arg-type]
            task.add_done_callback(self._pushes.discard)  # type: ignore[arg-type]

    def _gate(self, request: web.Request) -> web.Response | None:
        """Token, pace and queued failures, in the order Avito's gateway applies them."""
        self.calls.append((request.method, request.path))
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        if self._tokens.get(token, 0.0) <= time.monotonic():
            self.refused_calls += 1
            return _error(401, "Unauthorized")
        now = time.monotonic()
        self._window = [moment for moment in self._window if now - moment < 1.0]
        if len(self._window) >= self.calls_per_second:
            return _error(429, "Too Many Requests", {"Retry-After": "1"})
        self._window.append(now)
        for index, (matches, status, message, headers) in enumerate(self._failures):
            if matches(request.path):
                del self._failures[index]
                return _error(status, message, headers)
        return None

    async def _token(self, request: web.Request) -> web.Response:
        self.calls.append((request.method, request.path))
        form = await request.post()
        if form.get("grant_type") != "client_credentials":
            return web.json_response(
                {"error": "unsupported_grant_type", "error_description": "grant_type"}, status=400
            )
        if (
            self._revoked
            or form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return web.json_response(
                {"error": "invalid_client", "error_description": "invalid client credentials"},
                status=400,
            )
        self.token_requests += 1
        token = hashlib.sha256(f"token-{self.token_requests}".encode()).hexdigest()[:40]
        self._tokens[token] = time.monotonic() + self.token_lifetime
        return web.json_response(
            {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"}
        )

    async def _self(self, request: web.Request) -> web.Response:
        if (refused := self._gate(request)) is not None:
            return refused
        return web.json_response(
            {
                "id": self.account_id,
                "name": "Acme",
                "email": "sales@acme.example",
                "phone": "79000000000",
                "profile_url": f"https://www.avito.ru/user/{self.account_id}/profile",
            }
        )

    def _chat_of(self, request: web.Request) -> tuple[Any, web.Response | None]:
        if request.match_info["user_id"] != str(self.account_id):
            return None, _error(403, "Forbidden")
        chat = self.chats.get(request.match_info["chat_id"])
        if chat is None:
            return None, _error(404, "chat not found")
        return chat, None

    async def _chat(self, request: web.Request) -> web.Response:
        if (refused := self._gate(request)) is not None:
            return refused
        if request.match_info["v"] != "v2":
            return _error(404, "Not Found")
        chat, problem = self._chat_of(request)
        return problem or web.json_response(self.chat_answer(chat))

    async def _body(self, request: web.Request) -> Any:
        try:
            return await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None

    async def _send_text(self, request: web.Request) -> web.Response:
        if (refused := self._gate(request)) is not None:
            return refused
        chat, problem = self._chat_of(request)
        if problem is not None:
            return problem
        body = await self._body(request)
        body = body if isinstance(body, dict) else {}
        message = body.get("message")
        text = message.get("text") if isinstance(message, dict) else None
        if body.get("type") != "text" or not isinstance(text, str) or not text.strip():
            return _error(400, "message.text is required")
        if len(text) > MAX_TEXT:
            return _error(400, f"message.text: at most {MAX_TEXT} characters")
        return self._sent(chat, "text", {"text": text}, text)

    async def _send_image(self, request: web.Request) -> web.Response:
        if (refused := self._gate(request)) is not None:
            return refused
        chat, problem = self._chat_of(request)
        if problem is not None:
            return problem
        body = await self._body(request)
        image_id = body.get("image_id") if isinstance(body, dict) else None
        if not isinstance(image_id, str) or image_id not in self.images:
            return _error(400, "image_id: no such uploaded image")
        sizes = {"1280x960": f"{self.base_url}/img/{image_id}"}
        return self._sent(chat, "image", {"image": {"sizes": sizes}}, "", self.images[image_id])

    def _sent(
        self, chat: Any, kind: str, content: dict[str, Any], text: str, image: bytes | None = None
    ) -> web.Response:
        event = self.message_event(chat, self.account_id, kind, content)
        value = event["payload"]["value"]
        self.sent.append(AvitoSent(chat.chat_id, kind, text, value["id"], image))
        self._echo(event)
        return web.json_response(
            {
                "id": value["id"],
                "created": value["created"],
                "direction": "out",
                "type": kind,
                "content": content,
            }
        )

    async def _upload(self, request: web.Request) -> web.Response:
        if (refused := self._gate(request)) is not None:
            return refused
        if request.match_info["user_id"] != str(self.account_id):
            return _error(403, "Forbidden")
        if not request.content_type.startswith("multipart/"):
            return _error(400, "multipart/form-data with uploadfile[] expected")
        form = await request.post()
        upload = form.get("uploadfile[]")
        if not isinstance(upload, web.FileField):
            return _error(400, "uploadfile[] is required")
        data = upload.file.read()
        if not data:
            return _error(400, "the image is empty")
        image_id = f"{next(self._numbers)}.{hashlib.sha256(data).hexdigest()[:16]}"
        self.images[image_id] = data
        url = f"{self.base_url}/img/{image_id}"
        return web.json_response({image_id: {"1280x960": url, "140x105": url}})

    async def _image(self, request: web.Request) -> web.Response:
        data = self.images.get(request.match_info["image_id"])
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data, content_type="image/jpeg")

    async def _subscribe(self, request: web.Request) -> web.Response:
        if (refused := self._gate(request)) is not None:
            return refused
        body = await self._body(request)
        url = body.get("url") if isinstance(body, dict) else None
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            return _error(400, "url: expected the webhook URL")
        assert self._http is not None
        try:  # Avito checks the address before it subscribes it
            async with self._http.post(
                url, data=b"{}", timeout=aiohttp.ClientTimeout(total=2)
            ) as probe:
                answered = probe.status
        except (aiohttp.ClientError, TimeoutError):
            answered = 0
        if answered != 200:
            return _error(400, f"webhook url answered {answered} to the check")
        if url not in self.subscriptions:
            self.subscriptions.append(url)
        return web.json_response({"ok": True})

    async def _subscriptions(self, request: web.Request) -> web.Response:
        if (refused := self._gate(request)) is not None:
            return refused
        return web.json_response(
            {"subscriptions": [{"url": url, "version": "3"} for url in self.subscriptions]}
        )

    async def _unsubscribe(self, request: web.Request) -> web.Response:
        if (refused := self._gate(request)) is not None:
            return refused
        body = await self._body(request)
        url = body.get("url") if isinstance(body, dict) else None
        self.subscriptions = [s for s in self.subscriptions if s != url]
        return web.json_response({"ok": True})
