"""A local VK API emulator for tests: messages.send and users.get over real HTTP.

It answers the way api.vk.com does: HTTP 200 with `{"response": ...}` or
`{"error": {"error_code", "error_msg", "request_params"}}`; a wrong access token is error
5; a `random_id` already used for the same peer returns the first message's id and sends
<<<<<<< HEAD
nothing (VK's protection against doubled messages). Failures can be queued by tests,
VK's own rate limit (error 6, over HTTP 200 and with no retry hint) and a refused token
(error 5) among them.
It also builds Callback API events (both the current and the pre-5.103 shape).
=======
nothing (VK's protection against doubled messages). Failures can be queued by tests.
It also builds Callback API events (both the current and the pre-5.103 shape), and
answers groups.getCallbackServers from `callback_servers` (`{"count", "items": [{"id",
"title", "creator_id", "url", "secret_key", "status"}]}`, status one of unconfigured,
failed, wait, ok); `manage_right = False` makes it VK error 15, as for a key without the
community management right.
>>>>>>> watchmail
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.env import patient

__all__ = ["VkEmulator", "VkSent"]


@dataclass
class VkSent:
    peer_id: int
    text: str
    random_id: int
    message_id: int
    params: dict[str, str] = field(default_factory=dict)


class VkEmulator:
    def __init__(self, token: str, *, group_id: int = 191949777, host: str = "127.0.0.1") -> None:
        self.token = token
        self.group_id = group_id
        self.host = host
        self.sent: list[VkSent] = []
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.names: dict[int, tuple[str, str]] = {}
        self._by_random: dict[tuple[int, int], int] = {}
        self._ids = itertools.count(1001)
        self._failures: list[tuple[int, Any]] = []  # (http status, body) for next sends
        self.auth_rejected = False  # reject_auth(): every call answers error 5
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._event_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self.callback_servers: list[dict[str, Any]] = []
        self.manage_right = True
        self._server_ids = itertools.count(1)

    def add_callback_server(self, url: str, status: str = "ok", title: str = "Leadkeeper") -> None:
        """A server as the community's Callback API settings list it."""
        self.callback_servers.append(
            {
                "id": next(self._server_ids),
                "title": title,
                "creator_id": 1,
                "url": url,
                "secret_key": "",
                "status": status,
            }
        )

    async def __aenter__(self) -> VkEmulator:
        app = web.Application()
        app.router.add_route("*", "/method/{name}", self._method)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self._port}"

    def fail_next(self, error_code: int, message: str = "error", *, http_status: int = 200) -> None:
        """The next messages.send answers with this VK error (or a bare HTTP status)."""
        body = {"error": {"error_code": error_code, "error_msg": message, "request_params": []}}
        self._failures.append((http_status, body))

    def rate_limit_next(self, n: int = 1) -> None:
        """The next `n` messages.send answer error 6 as VK does: HTTP 200, no retry hint."""
        for _ in range(n):
            self.fail_next(6, "Too many requests per second")

    def reject_auth(self) -> None:
        """Every call answers error 5, as once the community token is revoked."""
        self.auth_rejected = True

    def accept_auth(self) -> None:
        self.auth_rejected = False

    def lose_next_answer(self) -> None:
        """The next messages.send is carried out, but the answer is a 502 (a lost answer)."""
        self._failures.append((-502, None))

    async def _method(self, request: web.Request) -> web.Response:
        params = dict(request.query)
        if request.method == "POST":
            params.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        name = request.match_info["name"]
        self.calls.append((name, params))
        if params.get("access_token") != self.token or self.auth_rejected:
            return _error(5, "User authorization failed: invalid access_token (4).")
        if "v" not in params:
            return _error(8, "Invalid request: v is required")
        if name == "messages.send":
            return self._send(params)
        if name == "groups.getById":
            group = {"id": self.group_id, "name": "Acme", "screen_name": f"club{self.group_id}"}
            return web.json_response({"response": {"groups": [group], "profiles": []}})
        if name == "groups.getCallbackServers":
            return self._callback_servers(params)
        if name == "users.get":
            users = []
            for raw in params.get("user_ids", "").split(","):
                if raw.strip().isdigit():
                    user_id = int(raw)
                    first, last = self.names.get(user_id, (f"User{user_id}", "Test"))
                    users.append({"id": user_id, "first_name": first, "last_name": last})
            return web.json_response({"response": users})
        return _error(3, "Unknown method passed")

    def _callback_servers(self, params: dict[str, str]) -> web.Response:
        if not params.get("group_id", "").isdigit():
            return _error(100, "One of the parameters specified was missing or invalid: group_id")
        if int(params["group_id"]) != self.group_id or not self.manage_right:
            return _error(15, "Access denied: no access to call this method")
        items = [dict(server) for server in self.callback_servers]
        return web.json_response({"response": {"count": len(items), "items": items}})

    def _send(self, params: dict[str, str]) -> web.Response:
        try:
            peer_id = int(params["peer_id"])
            random_id = int(params["random_id"])
        except (KeyError, ValueError):
            return _error(100, "One of the parameters specified was missing or invalid")
        text = params.get("message", "")
        if not text and not params.get("attachment"):
            return _error(100, "One of the parameters specified was missing or invalid: message")
        if len(text) > 4096:
            return _error(914, "Message is too long")
        lost = False
        if self._failures:
            status, body = self._failures.pop(0)
            if status == -502:
                lost = True
            elif body is not None and status == 200:
                return web.json_response(body)
            else:
                return web.Response(status=status, text="Bad Gateway")
        key = (peer_id, random_id)
        if random_id and key in self._by_random:
            message_id = self._by_random[key]
        else:
            message_id = next(self._ids)
            self.sent.append(VkSent(peer_id, text, random_id, message_id, params))
            if random_id:
                self._by_random[key] = message_id
        if lost:
            return web.Response(status=502, text="Bad Gateway")
        return web.json_response({"response": message_id})

    async def wait_for_sent(self, count: int, timeout: float = 10.0) -> list[VkSent]:  # noqa: ASYNC109
        deadline = time.monotonic() + patient(timeout)
        while len(self.sent) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} VK messages, got {len(self.sent)}")
            await asyncio.sleep(0.02)
        return list(self.sent)

    # Callback API events, as VK posts them to the service.

    def message_new(
        self,
        user_id: int,
        text: str,
        *,
        secret: str | None,
        legacy: bool = False,
        peer_id: int | None = None,
        attachments: list[dict[str, Any]] | None = None,
        lang_id: int = 0,
    ) -> dict[str, Any]:
        number = next(self._message_ids)
        message = {
            "date": 1700000000 + number,
            "from_id": user_id,
            "id": number,
            "out": 0,
            "peer_id": peer_id or user_id,
            "text": text,
            "conversation_message_id": number,
            "fwd_messages": [],
            "important": False,
            "random_id": 0,
            "attachments": attachments or [],
            "is_hidden": False,
        }
        body: dict[str, Any] = (
            message
            if legacy
            else {
                "message": message,
                "client_info": {
                    "button_actions": ["text", "vkpay", "open_app", "location", "open_link"],
                    "keyboard": True,
                    "inline_keyboard": True,
                    "carousel": True,
                    "lang_id": lang_id,
                },
            }
        )
        return self.event("message_new", body, secret=secret, legacy=legacy)

    def event(
        self, kind: str, body: dict[str, Any], *, secret: str | None, legacy: bool = False
    ) -> dict[str, Any]:
        event: dict[str, Any] = {"type": kind, "object": body, "group_id": self.group_id}
        if not legacy:
            event["event_id"] = f"{next(self._event_ids):040x}"
            event["v"] = "5.199"
        if secret is not None:
            event["secret"] = secret
        return event


def _error(code: int, message: str) -> web.Response:
    return web.json_response(
        {"error": {"error_code": code, "error_msg": message, "request_params": []}}
    )
