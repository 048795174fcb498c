"""POSTs an outbox row of channel "webhook" to its receiver, signed with the receiver's
secret from the config (never stored in the database)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aiohttp

from config.webhooks import Webhook
from domain.webhooks import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, sign
from usecases.ports import SendResult, SendStatus

TIMEOUT = aiohttp.ClientTimeout(total=15)
# The receiver may be busy or away for a while: these answers are tried again later.
TRANSIENT = {408, 425, 429, 500, 502, 503, 504}


class WebhookSender:
    name = "webhook"
    # One receiver gets its events one after another, in order.
    per_chat_interval = 0.0

    def __init__(self, receivers: Callable[[], list[Webhook]]) -> None:
        self._receivers = receivers
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._session

    async def send(
        self, chat_id: str, payload: dict[str, Any], *, row_id: int | None = None
    ) -> SendResult:
        url = payload.get("url") or chat_id
        hook = next((hook for hook in self._receivers() if hook.url == url), None)
        if hook is None:
            return SendResult(SendStatus.FAILED, error=f"webhook {url} is no longer configured")
        body = json.dumps(payload["body"], ensure_ascii=False, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Leadkeeper-Webhooks",
            SIGNATURE_HEADER: sign(hook.secret, body),
            EVENT_HEADER: str(payload.get("event", "")),
            DELIVERY_HEADER: str(payload["body"].get("id", "")),
        }
        try:
            async with self._http().post(url, data=body, headers=headers) as response:
                status = response.status
                retry_after = response.headers.get("Retry-After", "")
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return SendResult(SendStatus.RETRY, error=f"{type(exc).__name__}: {exc}"[:300])
        if 200 <= status < 300:
            return SendResult(SendStatus.SENT, external_id=str(status))
        if status in TRANSIENT:
            delay = float(retry_after) if retry_after.isdigit() else None
            return SendResult(SendStatus.RETRY, retry_after=delay, error=f"HTTP {status}")
        return SendResult(SendStatus.FAILED, error=f"HTTP {status} from the receiver")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
