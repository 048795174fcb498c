"""Telegram long polling without aiogram on the way in: each getUpdates batch is read as
raw JSON, stored in the durable inbox in one transaction, and only then confirmed (the
next call's offset). Only the envelope is looked at, so one update that aiogram's models
would reject cannot stop polling for everyone: it is stored like the others and fails,
kept with its error, in the inbox worker, the one place that feeds the dispatcher.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp

from channels import door
from channels.polling import (
    MAX_BACKOFF,
    sleep_unless_stopping,
    store_until_durable,
    unless_stopping,
)
from usecases.channel_health import note_poll
from usecases.context import AppContext

log = logging.getLogger(__name__)
CHANNEL = "telegram"
POLL_TIMEOUT = 25


class PollingError(Exception):
    """Telegram answered getUpdates with an error (its description is the message)."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(f"{status}: {description}")
        self.status = status


class TelegramPolling:
    def __init__(
        self,
        ctx: AppContext,
        api_base: str,
        token: str,
        allowed_updates: list[str],
        *,
        request_timeout: float = POLL_TIMEOUT + 15,
    ) -> None:
        self._ctx = ctx
        self._url = f"{api_base.rstrip('/')}/bot{token}/getUpdates"
        self._allowed = allowed_updates
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._offset: int | None = None
        self.batches = 0

    async def run(self, stopping: asyncio.Event) -> None:
        backoff = 0.5
        async with aiohttp.ClientSession(timeout=self._timeout) as session:
            while not stopping.is_set():
                try:
                    updates = await self._fetch(session, stopping)
                    if updates is None:
                        return
                    await note_poll(self._ctx, CHANNEL, None)
                    await self._store(updates, stopping)
                    backoff = 0.5
                except PollingError as exc:
                    # 401: the token was revoked; 409: a webhook is set or another
                    # process polls. Neither ends the service: it says so and waits.
                    log.error("getUpdates failed (%s); retry in %.0fs", exc, backoff)
                    await note_poll(self._ctx, CHANNEL, f"getUpdates {exc}")
                    await sleep_unless_stopping(stopping, backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)
                except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                    log.warning(
                        "getUpdates: %s (%s); retry in %.1fs", type(exc).__name__, exc, backoff
                    )
                    await note_poll(self._ctx, CHANNEL, f"getUpdates: {type(exc).__name__}")
                    await sleep_unless_stopping(stopping, backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)
                except Exception:
                    log.exception("polling round failed; retry in %.1fs", backoff)
                    await sleep_unless_stopping(stopping, backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)

    async def _fetch(
        self, session: aiohttp.ClientSession, stopping: asyncio.Event
    ) -> list[dict[str, Any]] | None:
        body: dict[str, Any] = {"timeout": POLL_TIMEOUT, "allowed_updates": self._allowed}
        if self._offset is not None:
            body["offset"] = self._offset
        return await unless_stopping(self._post(session, body), stopping)

    async def _post(
        self, session: aiohttp.ClientSession, body: dict[str, Any]
    ) -> list[dict[str, Any]]:
        async with session.post(self._url, json=body) as response:
            raw = await response.read()
        try:
            answer = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ValueError(f"getUpdates answered {response.status} with no JSON") from None
        if not isinstance(answer, dict) or not answer.get("ok"):
            description = answer.get("description") if isinstance(answer, dict) else None
            raise PollingError(response.status, str(description or "no description"))
        result = answer.get("result")
        if not isinstance(result, list):
            raise ValueError("getUpdates result is not a list")
        return [item for item in result if isinstance(item, dict)]

    async def _store(self, updates: list[dict[str, Any]], stopping: asyncio.Event) -> None:
        """One transaction for the batch; the offset moves only after it committed."""
        items: list[tuple[str, str]] = []
        last: int | None = None
        for update in updates:
            update_id = update.get("update_id")
            if not isinstance(update_id, int) or isinstance(update_id, bool):
                log.warning("getUpdates: an item without an integer update_id, skipped")
                continue
            last = update_id if last is None else max(last, update_id)
            items.append((str(update_id), door.dumps(update)))
        if not await store_until_durable(self._ctx, CHANNEL, items, stopping):
            return  # not confirmed: Telegram gives the batch again after a restart
        if last is not None:
            self._offset = last + 1
            self.batches += 1
