"""The VK API (messages.send, users.get) and its answers → the shared send statuses.

The token travels in the POST body, never in a URL, so no error text or log line can
carry it. messages.send gets a `random_id` derived from the outbox row: VK drops a second
message with the same random_id, so a retry after a lost answer never doubles it.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import aiohttp
from aiolimiter import AsyncLimiter

from channels.email.plain import payload_text
from usecases.ports import SendResult, SendStatus

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = 15.0
NAME_TIMEOUT = 3.0
MAX_TEXT = 4096
# VK answers these with "try later": too many requests, flood control, internal errors.
_RETRY_CODES = {1, 6, 9, 10, 603}
# The customer refused messages from the community or blocked it.
_BLOCKED_CODES = {900, 901, 902}
# The token or the community's settings are wrong: no message can fix that, a person can.
_CONFIG_CODES = {5, 15, 27, 28, 29, 912, 917}
# VK allows a community token 20 calls a second.
CALLS_PER_SECOND = 20


def random_id_for(row_id: int | None) -> int:
    """A positive int32, the same for every attempt of one outbox row."""
    if row_id is None:
        return secrets.randbelow(2**31 - 1) + 1
    return (row_id % (2**31 - 1)) + 1


class VkApi:
    def __init__(
        self,
        base_url: str,
        token: str,
        version: str,
        *,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._token = token
        self._version = version
        self._session = session
        self._limiter = AsyncLimiter(CALLS_PER_SECOND, 1.0)
        self._names: dict[int, str | None] = {}

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def call(self, method: str, params: dict[str, Any], seconds: float) -> Any:
        """The parsed JSON answer; raises aiohttp/timeout errors and _HttpError."""
        data = {**{k: str(v) for k, v in params.items()}, "access_token": self._token}
        data["v"] = self._version
        async with self._limiter:
            async with self._http().post(
                f"{self._base}/method/{method}",
                data=data,
                timeout=aiohttp.ClientTimeout(total=seconds),
            ) as response:
                if response.status != 200:
                    raise _HttpError(response.status, response.headers.get("Retry-After"))
                return await response.json(content_type=None)

    async def send_message(self, peer_id: str, text: str, random_id: int) -> SendResult:
        try:
            answer = await self.call(
                "messages.send",
                {"peer_id": peer_id, "message": text, "random_id": random_id},
                REQUEST_TIMEOUT,
            )
        except _HttpError as exc:
            return SendResult(SendStatus.RETRY, retry_after=exc.retry_after, error=str(exc))
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
            return SendResult(SendStatus.RETRY, error=f"{type(exc).__name__}: {exc}")
        return result_of(answer)

    async def user_name(self, user_id: int) -> str | None:
        """The customer's name for the greeting; None when VK is slow or says no."""
        if user_id in self._names:
            return self._names[user_id]
        try:
            answer = await self.call("users.get", {"user_ids": user_id}, NAME_TIMEOUT)
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError, _HttpError) as exc:
            log.info("vk: users.get failed: %s", type(exc).__name__)
            return None
        name = None
        if isinstance(answer, dict) and isinstance(answer.get("response"), list):
            for user in answer["response"]:
                if isinstance(user, dict):
                    parts = (user.get("first_name"), user.get("last_name"))
                    name = " ".join(str(part) for part in parts if part) or None
                    break
        if len(self._names) > 10_000:
            self._names.clear()
        self._names[user_id] = name
        return name

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


class _HttpError(Exception):
    def __init__(self, status: int, retry_after: str | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = float(retry_after) if retry_after and retry_after.isdigit() else None


def result_of(answer: Any) -> SendResult:
    """messages.send's answer → a send status."""
    if not isinstance(answer, dict):
        return SendResult(SendStatus.RETRY, error="VK answered something that is not JSON")
    if "response" in answer:
        response = answer["response"]
        if isinstance(response, list) and response and isinstance(response[0], dict):
            response = response[0].get("message_id") or response[0].get("conversation_message_id")
        return SendResult(SendStatus.SENT, external_id=str(response))
    error = answer.get("error")
    if not isinstance(error, dict):
        return SendResult(SendStatus.RETRY, error="VK answered neither response nor error")
    code = error.get("error_code")
    message = f"VK error {code}: {error.get('error_msg', '')}"
    if code in _BLOCKED_CODES:
        return SendResult(SendStatus.BLOCKED, error=message)
    if code in _RETRY_CODES:
        return SendResult(SendStatus.RETRY, retry_after=1.0 if code == 6 else 10.0, error=message)
    if code in _CONFIG_CODES:
        # 5 and 27/28: the community token is wrong or revoked; 15: access denied.
        return SendResult(
            SendStatus.RETRY, retry_after=60.0, error=message, refused=code in (5, 27, 28)
        )
    return SendResult(SendStatus.FAILED, error=message)


class VkSender:
    name = "vk"
    per_chat_interval = 0.0
    # VK takes at most 4,096 characters in one message.
    max_text_length = 4096

    def __init__(self, api: VkApi) -> None:
        self._api = api

    async def send(
        self, chat_id: str, payload: dict[str, Any], *, row_id: int | None = None
    ) -> SendResult:
        text = payload_text(payload)
        if not text:
            return SendResult(SendStatus.FAILED, error="nothing to send (no text)")
        if len(text) > MAX_TEXT:
            log.warning("vk: outbox row %s is longer than %s characters; cut", row_id, MAX_TEXT)
            text = text[: MAX_TEXT - 1] + "…"
        return await self._api.send_message(chat_id, text, random_id_for(row_id))
