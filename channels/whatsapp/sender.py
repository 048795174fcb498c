"""The Graph API messages endpoint, and its answers → the shared send statuses.

WhatsApp lets a business write freely only within 24 hours of the customer's last
message. Outside that window the configured template is sent instead; without one the
row fails and the manager hears that only a template can reach the customer now.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp

from channels.email.plain import payload_text
from usecases.contacts import last_inbound_at, tell_template_only
from usecases.context import AppContext
from usecases.outage import is_outage
from usecases.ports import SendResult, SendStatus

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
REQUEST_TIMEOUT = 15.0
MAX_TEXT = 4096
# A template variable may hold no line breaks or tabs and at most 1024 characters.
MAX_TEMPLATE_PARAM = 1024

# "Re-engagement message": the 24-hour window is closed (470 is its older number).
WINDOW_CODES = {131047, 470}
# Rate limits, WhatsApp's own trouble, and settings a person must fix: try again later.
_RETRY_AFTER = {130429: 5.0, 131056: 6.0, 80007: 60.0, 4: 60.0, 131048: 60.0}
_RETRY_CODES = {0, 1, 2, 3, 10, 190, 368, 131000, 131005, 131016, 131031, 131042, 133004}


@dataclass(frozen=True)
class Template:
    name: str
    language: str
    with_text: bool = False


class WhatsAppApi:
    def __init__(
        self,
        base_url: str,
        version: str,
        phone_number_id: str,
        token: str,
        *,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self._url = f"{base_url.rstrip('/')}/{version}/{phone_number_id}/messages"
        self._token = token
        self._session = session

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def send_text(self, to: str, text: str) -> SendResult:
        return await self._post(
            {"to": to, "type": "text", "text": {"body": text, "preview_url": False}}
        )

    async def send_template(self, to: str, template: Template, text: str | None) -> SendResult:
        body: dict[str, Any] = {"name": template.name, "language": {"code": template.language}}
        if text is not None:
            flat = " ".join(text.split())[:MAX_TEMPLATE_PARAM]
            body["components"] = [{"type": "body", "parameters": [{"type": "text", "text": flat}]}]
        return await self._post({"to": to, "type": "template", "template": body})

    async def _post(self, message: dict[str, Any]) -> SendResult:
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual", **message}
        try:
            async with self._http().post(
                self._url,
                json=payload,
                headers={"Authorization": f"Bearer {self._token}"},
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
            ) as response:
                status = response.status
                try:
                    answer = await response.json(content_type=None)
                except ValueError:
                    answer = None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return SendResult(SendStatus.RETRY, error=f"{type(exc).__name__}: {exc}")
        return result_of(status, answer)

    async def check(self) -> tuple[int, int | None, str]:
        """GET the phone number (the watchdog's probe): HTTP status, Graph error code and
        message; status 0 when Graph did not answer."""
        status, answer = await self.graph("GET", self._url.removesuffix("/messages"))
        return status, error_code(answer), _words(answer)

    async def subscribed_apps(
        self, waba_id: str, method: str = "GET"
    ) -> tuple[int, int | None, str, Any]:
        """GET (or POST: subscribe the token's app) /{waba-id}/subscribed_apps: the apps
        that get the business account's webhooks. Status, error code, message, answer."""
        root = self._url.removesuffix("/messages").rsplit("/", 1)[0]
        status, answer = await self.graph(method, f"{root}/{waba_id}/subscribed_apps")
        return status, error_code(answer), _words(answer), answer

    async def graph(self, method: str, url: str) -> tuple[int, Any]:
        """One Graph call with the access token: HTTP status (0 when Graph did not
        answer, and the reason as the answer) and the parsed answer."""
        try:
            async with self._http().request(
                method,
                url,
                headers={"Authorization": f"Bearer {self._token}"},
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
            ) as response:
                status = response.status
                try:
                    answer = await response.json(content_type=None)
                except ValueError:
                    answer = None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return 0, {"error": {"message": f"{type(exc).__name__}: {exc}"}}
        return status, answer

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def _words(answer: Any) -> str:
    error = answer.get("error") if isinstance(answer, dict) else None
    return str(error.get("message", "")) if isinstance(error, dict) else ""


def error_code(answer: Any) -> int | None:
    error = answer.get("error") if isinstance(answer, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, int) else None


def result_of(status: int, answer: Any) -> SendResult:
    if status == 200 and isinstance(answer, dict):
        messages = answer.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[0], dict):
            return SendResult(SendStatus.SENT, external_id=str(messages[0].get("id")))
        return SendResult(SendStatus.RETRY, error="WhatsApp answered 200 without a message id")
    code = error_code(answer)
    error = answer.get("error") if isinstance(answer, dict) else None
    text = error.get("message", "") if isinstance(error, dict) else ""
    description = f"WhatsApp HTTP {status} error {code}: {text}".strip()
    if code in _RETRY_AFTER:
        return SendResult(SendStatus.RETRY, retry_after=_RETRY_AFTER[code], error=description)
    if code == 190 or status == 401:
        # The access token expired or was revoked.
        return SendResult(SendStatus.RETRY, error=description, refused=True)
    if code in _RETRY_CODES or status >= 500 or status == 429 or answer is None:
        return SendResult(SendStatus.RETRY, error=description)
    return SendResult(SendStatus.FAILED, error=description)


class WhatsAppSender:
    name = "whatsapp"
    per_chat_interval = 0.0
    # WhatsApp Cloud API: a text body of at most 4,096 characters.
    max_text_length = 4096

    def __init__(self, ctx: AppContext, api: WhatsAppApi, template: Template | None) -> None:
        self._ctx = ctx
        self._api = api
        self._template = template

    async def send(
        self, chat_id: str, payload: dict[str, Any], *, row_id: int | None = None
    ) -> SendResult:
        text = payload_text(payload)
        if not text:
            return SendResult(SendStatus.FAILED, error="nothing to send (no text)")
        if len(text) > MAX_TEXT:
            log.warning(
                "whatsapp: outbox row %s is longer than %s characters; cut", row_id, MAX_TEXT
            )
            text = text[: MAX_TEXT - 1] + "…"
        try:
            last = await last_inbound_at(self._ctx, "whatsapp", chat_id)
        except Exception as exc:
            if is_outage(exc):
                return SendResult(SendStatus.RETRY, error=f"database: {type(exc).__name__}")
            raise
        if last is None or self._ctx.clock.now() - last >= WINDOW:
            return await self._outside_window(chat_id, text, row_id)
        result = await self._api.send_text(chat_id, text)
        if result.status is SendStatus.FAILED and _window_closed(result):
            # Our clock and WhatsApp's disagree by a little: WhatsApp's word counts.
            return await self._outside_window(chat_id, text, row_id)
        return result

    async def _outside_window(self, chat_id: str, text: str, row_id: int | None) -> SendResult:
        if self._template is not None:
            with_text = text if self._template.with_text else None
            return await self._api.send_template(chat_id, self._template, with_text)
        if row_id is not None:
            try:
                await tell_template_only(self._ctx, row_id)
            except Exception as exc:
                if is_outage(exc):
                    return SendResult(SendStatus.RETRY, error=f"database: {type(exc).__name__}")
                raise
        return SendResult(
            SendStatus.FAILED,
            error="outside WhatsApp's 24-hour window and WHATSAPP_TEMPLATE is not set: "
            "only a template can reach the customer now",
        )


def _window_closed(result: SendResult) -> bool:
    return any(f"error {code}:" in (result.error or "") for code in WINDOW_CODES)
