"""Telegram long polling without aiogram on the way in: each getUpdates batch is read as
raw JSON, stored in the durable inbox in one transaction, and only then confirmed (the
next call's offset). Only the envelope is looked at, so one update that aiogram's models
would reject cannot stop polling for everyone: it is stored like the others and fails,
kept with its error, in the inbox worker, the one place that feeds the dispatcher.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import aiohttp

from channels import door
from usecases.channel_health import note_poll
from usecases.context import AppContext
from usecases.inbox import store_inbound_batch
from usecases.outage import is_outage

log = logging.getLogger(__name__)
CHANNEL = "telegram"
POLL_TIMEOUT = 25
MAX_BACKOFF = 30.0


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
                    await _sleep(stopping, backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)
                except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                    log.warning(
                        "getUpdates: %s (%s); retry in %.1fs", type(exc).__name__, exc, backoff
                    )
                    await note_poll(self._ctx, CHANNEL, f"getUpdates: {type(exc).__name__}")
                    await _sleep(stopping, backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)
                except Exception:
                    log.exception("polling round failed; retry in %.1fs", backoff)
                    await _sleep(stopping, backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)

    async def _fetch(
        self, session: aiohttp.ClientSession, stopping: asyncio.Event
    ) -> list[dict[str, Any]] | None:
        body: dict[str, Any] = {"timeout": POLL_TIMEOUT, "allowed_updates": self._allowed}
        if self._offset is not None:
            body["offset"] = self._offset
        request = asyncio.ensure_future(self._post(session, body))
        stop = asyncio.ensure_future(stopping.wait())
        await asyncio.wait({request, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if not request.done():
            request.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await request
            return None
        return request.result()

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
        delay = 0.5
        while items:
            try:
                await store_inbound_batch(self._ctx, CHANNEL, items)
                break
            except Exception as exc:
                if not is_outage(exc):
                    raise
                log.warning(
                    "getUpdates batch: database unavailable (%s); waiting %.1fs",
                    type(exc).__name__,
                    delay,
                )
                if await _sleep(stopping, delay):
                    return  # not confirmed: Telegram gives the batch again after a restart
                delay = min(delay * 2, MAX_BACKOFF)
        if last is not None:
            self._offset = last + 1
            self.batches += 1


async def _sleep(stopping: asyncio.Event, seconds: float) -> bool:
    """Sleep unless stopping; True when the service is stopping."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), timeout=seconds)
    return stopping.is_set()
