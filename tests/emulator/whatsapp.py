"""A local WhatsApp Cloud API (Graph API) emulator for tests.

POST /{version}/{phone_number_id}/messages answers as graph.facebook.com does:
`{"messaging_product": "whatsapp", "contacts": [...], "messages": [{"id": "wamid..."}]}`,
or an HTTP 4xx/5xx with `{"error": {"message", "type", "code", "error_subcode",
"fbtrace_id"}}`. A wrong bearer token is 401 with code 190. Tests queue failures (Meta's
throttling errors 130429, 131056 and 80007 among them, which carry no retry hint, and an
expired token) and build signed webhooks (X-Hub-Signature-256) the way Meta posts them.

GET /{version}/{waba-id}/subscribed_apps lists the apps that get the business account's
webhooks (`{"data": [{"whatsapp_business_api_data": {"id", "link", "name"}}]}`, the
token's app subscribed from the start); POST subscribes the token's app
(`{"success": true}`), or answers `subscribe_error` when a test sets one.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from typing import Any

from aiohttp import web

from tests.support.env import patient

__all__ = ["WhatsAppEmulator", "sign"]


# Meta's throttling errors: the title the message carries and error_data.details.
_LIMITS = {
    130429: ("Rate limit hit", "Cloud API message throughput has been reached."),
    131056: (
        "(Business Account, Consumer Account) pair rate limit hit",
        "Message failed to send because there were too many messages sent from this phone "
        "number to the same phone number in a short period of time.",
    ),
    80007: ("Rate limit issues", "The WhatsApp Business Account has reached its rate limit."),
}


def sign(body: bytes, app_secret: str) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


class WhatsAppEmulator:
    def __init__(
        self,
        token: str,
        *,
        phone_number_id: str = "106540352242922",
        version: str = "v21.0",
        waba_id: str = "102290129340398",
        app_id: str = "670843887433847",
        host: str = "127.0.0.1",
    ) -> None:
        self.token = token
        self.phone_number_id = phone_number_id
        self.version = version
        self.waba_id = waba_id
        self.app_id = app_id
        self.subscribed_apps: list[str] = [app_id]
        self.subscribe_error: tuple[int, int, str] | None = None
        self.host = host
        self.sent: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._failures: list[tuple[int, dict[str, Any]]] = []
        self.auth_rejected = False  # reject_auth(): every call answers 401, code 190
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    async def __aenter__(self) -> WhatsAppEmulator:
        app = web.Application()
        app.router.add_post("/{version}/{phone_id}/messages", self._messages)
        app.router.add_get("/{version}/{phone_id}", self._phone_number)
        app.router.add_route("*", "/{version}/{waba_id}/subscribed_apps", self._subscribed_apps)
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

    def fail_next(self, code: int, message: str = "error", *, http_status: int = 400) -> None:
        self._failures.append(
            (
                http_status,
                {
                    "error": {
                        "message": message,
                        "type": "OAuthException",
                        "code": code,
                        "error_subcode": 2494010,
                        "fbtrace_id": "Aemulator",
                    }
                },
            )
        )

    def rate_limit_next(self, n: int = 1, *, code: int = 130429, http_status: int = 429) -> None:
        """The next `n` sends answer one of Meta's throttling errors; Graph names no
        delay (no Retry-After, no retry_after), the caller picks its own."""
        title, details = _LIMITS[code]
        error = {
            "message": f"(#{code}) {title}",
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": details},
            "fbtrace_id": "Aemulator",
        }
        self._failures.extend((http_status, {"error": dict(error)}) for _ in range(n))

    def reject_auth(self) -> None:
        """Every call answers 401 with code 190, as once the access token expired."""
        self.auth_rejected = True

    def accept_auth(self) -> None:
        self.auth_rejected = False

    def _refused(self, request: web.Request) -> web.Response | None:
        if self.auth_rejected:
            return _error(
                401,
                190,
                "Error validating access token: Session has expired.",
                subcode=463,
            )
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        return None

    async def _phone_number(self, request: web.Request) -> web.Response:
        """GET /{version}/{phone-number-id}: the business number, for a valid token."""
        if (refused := self._refused(request)) is not None:
            return refused
        return web.json_response(
            {
                "id": request.match_info["phone_id"],
                "display_phone_number": "+7 916 000-00-00",
                "verified_name": "Acme",
                "quality_rating": "GREEN",
            }
        )

    async def _subscribed_apps(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        waba_id = request.match_info["waba_id"]
        if waba_id != self.waba_id or request.method not in ("GET", "POST"):
            return _error(
                400,
                100,
                f"Unsupported {request.method.lower()} request. Object with ID '{waba_id}' "
                "does not exist, cannot be loaded due to missing permissions, or does not "
                "support this operation.",
            )
        if request.method == "POST":
            if self.subscribe_error is not None:
                return _error(*self.subscribe_error)
            if self.app_id not in self.subscribed_apps:
                self.subscribed_apps.append(self.app_id)
            return web.json_response({"success": True})
        data = [
            {
                "whatsapp_business_api_data": {
                    "id": app,
                    "link": f"https://www.facebook.com/games/?app_id={app}",
                    "name": "Acme Leads" if app == self.app_id else "Other App",
                }
            }
            for app in self.subscribed_apps
        ]
        return web.json_response({"data": data})

    async def _messages(self, request: web.Request) -> web.Response:
        if (refused := self._refused(request)) is not None:
            return refused
        if (
            request.match_info["version"] != self.version
            or request.match_info["phone_id"] != self.phone_number_id
        ):
            return _error(400, 100, "Unsupported post request. Object does not exist")
        try:
            body = await request.json()
        except ValueError:
            return _error(400, 100, "Invalid parameter")
        if body.get("messaging_product") != "whatsapp" or not body.get("to"):
            return _error(400, 100, "Invalid parameter")
        kind = body.get("type", "text")
        if kind == "text" and not (body.get("text") or {}).get("body"):
            return _error(400, 100, "Invalid parameter: text.body")
        if kind == "template" and not (body.get("template") or {}).get("name"):
            return _error(400, 132001, "Template name does not exist in the translation")
        if self._failures:
            status, failure = self._failures.pop(0)
            return web.json_response(failure, status=status)
        wamid = f"wamid.EMU{next(self._ids):08d}"
        self.sent.append({**body, "id": wamid})
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": wamid}],
            }
        )

    async def wait_for_sent(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:  # noqa: ASYNC109
        deadline = time.monotonic() + patient(timeout)
        while len(self.sent) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} WhatsApp messages, got {len(self.sent)}")
            await asyncio.sleep(0.02)
        return list(self.sent)

    # Webhooks, as Meta posts them to the service.

    def text_webhook(
        self, wa_id: str, text: str, *, name: str = "Test Name", wamid: str | None = None
    ) -> dict[str, Any]:
        message = {
            "from": wa_id,
            "id": wamid or f"wamid.IN{next(self._ids):08d}",
            "timestamp": str(int(time.time())),
            "type": "text",
            "text": {"body": text},
        }
        return self._envelope(
            {"contacts": [{"profile": {"name": name}, "wa_id": wa_id}], "messages": [message]}
        )

    def status_webhook(self, wamid: str, status: str, recipient: str) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": wamid,
            "status": status,
            "timestamp": str(int(time.time())),
            "recipient_id": recipient,
        }
        if status == "failed":
            item["errors"] = [{"code": 131026, "title": "Message undeliverable"}]
        return self._envelope({"statuses": [item]})

    def _envelope(self, value: dict[str, Any]) -> dict[str, Any]:
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "102290129340398",
                    "changes": [
                        {
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": "15550783881",
                                    "phone_number_id": self.phone_number_id,
                                },
                                **value,
                            },
                            "field": "messages",
                        }
                    ],
                }
            ],
        }

    @staticmethod
    def body(webhook: dict[str, Any]) -> bytes:
        return json.dumps(webhook).encode()


def _error(status: int, code: int, message: str, *, subcode: int | None = None) -> web.Response:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    error["fbtrace_id"] = "Aemulator"
    return web.json_response({"error": error}, status=status)
