"""A small MAX Bot API client (aiohttp) and the outbox sender on top of it.

The token travels in the `Authorization` header only (MAX no longer takes it in the query),
so no URL, error text or log line carries it. Every call but the long poll shares one pace
of MAX_CALLS_PER_SECOND; a 429 is answered with its Retry-After. Errors come as
`{"code": ..., "message": ...}` with the HTTP status; they map to the shared send statuses.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiolimiter import AsyncLimiter

from usecases.ports import SendResult, SendStatus

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = 15.0
# platform-api.max.ru takes 30 requests a second from one bot; a little under it.
MAX_CALLS_PER_SECOND = 25
MAX_TEXT = 4000
# Without a Retry-After, a 429 waits this long.
DEFAULT_RETRY_AFTER = 1.0


class MaxApiError(Exception):
    def __init__(self, status: int, code: str, message: str, retry_after: float | None) -> None:
        super().__init__(f"MAX {status} {code}: {message}")
        self.status = status
        self.code = code
        self.retry_after = retry_after


def _retry_after(header: str | None) -> float | None:
    try:
        return max(0.0, float(header)) if header else None
    except ValueError:
        return None


class MaxApi:
    def __init__(
        self, base_url: str, token: str, *, session: aiohttp.ClientSession | None = None
    ) -> None:
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": token}
        self._session = session
        self._limiter = AsyncLimiter(MAX_CALLS_PER_SECOND, 1.0)

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        timeout: float = REQUEST_TIMEOUT,  # noqa: ASYNC109
        paced: bool = True,
    ) -> Any:
        """The parsed JSON answer; raises MaxApiError, aiohttp and timeout errors."""
        query = {k: str(v) for k, v in (params or {}).items() if v is not None}
        if paced:
            await self._limiter.acquire()
        async with self._http().request(
            method,
            f"{self._base}{path}",
            params=query,
            json=body,
            headers=self._headers,
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as response:
            raw = await response.read()
            retry_after = _retry_after(response.headers.get("Retry-After"))
            status = response.status
        try:
            answer = json.loads(raw) if raw else {}
        except (json.JSONDecodeError, UnicodeDecodeError):
            answer = None
        if status != 200:
            error = answer if isinstance(answer, dict) else {}
            raise MaxApiError(
                status,
                str(error.get("code") or status),
                str(error.get("message") or raw[:200].decode("utf-8", "replace")),
                retry_after,
            )
        if answer is None:
            raise MaxApiError(status, "not.json", "MAX answered something that is not JSON", None)
        return answer

    async def me(self) -> dict[str, Any]:
        return await self.call("GET", "/me")

    async def subscriptions(self) -> list[dict[str, Any]]:
        answer = await self.call("GET", "/subscriptions")
        found = answer.get("subscriptions") if isinstance(answer, dict) else None
        return [s for s in found or [] if isinstance(s, dict)]

    async def subscribe(self, url: str, secret: str, update_types: list[str]) -> None:
        body = {"url": url, "secret": secret, "update_types": update_types}
        answer = await self.call("POST", "/subscriptions", body=body)
        if isinstance(answer, dict) and answer.get("success") is False:
            raise MaxApiError(200, "not.subscribed", str(answer.get("message") or ""), None)

    async def unsubscribe(self, url: str) -> None:
        await self.call("DELETE", "/subscriptions", params={"url": url})

    async def answer_callback(self, callback_id: str, notification: str) -> None:
        await self.call(
            "POST",
            "/answers",
            params={"callback_id": callback_id},
            body={"notification": notification},
        )

    async def send_message(self, chat_id: str, body: dict[str, Any]) -> SendResult:
        try:
            answer = await self.call("POST", "/messages", params=recipient(chat_id), body=body)
        except MaxApiError as exc:
            return result_of_error(exc)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return SendResult(SendStatus.RETRY, error=f"{type(exc).__name__}: {exc}")
        message = answer.get("message") if isinstance(answer, dict) else None
        mid = message.get("body", {}).get("mid") if isinstance(message, dict) else None
        return SendResult(SendStatus.SENT, external_id=str(mid) if mid else None)

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def recipient(chat_id: str) -> dict[str, str]:
    """A customer's dialog is addressed by his user id; `c<id>` names a group chat."""
    if chat_id.startswith("c"):
        return {"chat_id": chat_id[1:]}
    return {"user_id": chat_id}


def result_of_error(exc: MaxApiError) -> SendResult:
    error = str(exc)
    if exc.status == 429:
        return SendResult(
            SendStatus.RETRY, retry_after=exc.retry_after or DEFAULT_RETRY_AFTER, error=error
        )
    if exc.status == 403:
        # The customer stopped the bot (or the bot lost the chat): nothing more goes there.
        return SendResult(SendStatus.BLOCKED, error=error)
    if exc.status == 401:
        # A revoked token: no retry fixes it soon, a person does; try again in a minute.
        return SendResult(SendStatus.RETRY, retry_after=60.0, error=error, refused=True)
    if exc.status == 400 and "not.ready" in exc.code:
        return SendResult(SendStatus.RETRY, retry_after=2.0, error=error)
    if exc.status in (400, 404, 405):
        return SendResult(SendStatus.FAILED, error=error)
    return SendResult(SendStatus.RETRY, retry_after=exc.retry_after, error=error)


def _button(button: dict[str, Any]) -> dict[str, Any] | None:
    text = str(button.get("text") or "")[:128]
    if not text:
        return None
    if button.get("callback_data"):
        return {"type": "callback", "text": text, "payload": str(button["callback_data"])}
    if button.get("url"):
        return {"type": "link", "text": text, "url": str(button["url"])}
    return None


def message_body(payload: dict[str, Any]) -> dict[str, Any]:
    """An outbox payload (written for Telegram's HTML) → MAX's NewMessageBody; MAX reads
    the same tags (<b>, <i>, <a>, <code>, <pre>) with format=html."""
    text = str(payload.get("text") or "")
    if len(text) > MAX_TEXT:
        # The use cases split long texts before queueing (max_text_length); this is the net.
        log.warning("max: a text of %s characters cut to %s", len(text), MAX_TEXT)
        text = text[: MAX_TEXT - 1] + "…"
    body: dict[str, Any] = {"text": text}
    if payload.get("parse_mode") == "HTML":
        body["format"] = "html"
    rows = []
    for row in payload.get("buttons") or []:
        buttons = [b for b in (_button(item) for item in row if isinstance(item, dict)) if b]
        if buttons:
            rows.append(buttons)
    keyboard = payload.get("keyboard")
    if isinstance(keyboard, dict) and keyboard.get("request_phone"):
        rows.append([{"type": "request_contact", "text": str(keyboard["request_phone"])[:128]}])
    if rows:
        body["attachments"] = [{"type": "inline_keyboard", "payload": {"buttons": rows}}]
    return body


@dataclass
class MaxSender:
    api: MaxApi
    name: str = "max"
    per_chat_interval: float = 0.0
    # MAX takes at most 4,000 characters in one message; longer replies are split.
    max_text_length: int = MAX_TEXT

    async def send(
        self, chat_id: str, payload: dict[str, Any], *, row_id: int | None = None
    ) -> SendResult:
        body = message_body(payload)
        if not body["text"]:
            return SendResult(SendStatus.FAILED, error="nothing to send to MAX (no text)")
        return await self.api.send_message(chat_id, body)
