"""MAX long polling: `GET /updates` with the marker. Each batch is stored in the durable
inbox in one transaction and only then confirmed: MAX counts every update before the
marker it is given as committed, so the marker moves on only after the commit. After a
restart no marker is sent, and MAX gives what was not committed yet.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

from channels import door
from channels.max.normalise import CHANNEL, BadUpdate, check_update, update_key
from channels.max.sender import MaxApi, MaxApiError
from channels.polling import (
    MAX_BACKOFF,
    sleep_unless_stopping,
    store_until_durable,
    unless_stopping,
)
from usecases.channel_health import note_poll
from usecases.context import AppContext

log = logging.getLogger(__name__)
POLL_TIMEOUT = 25


class MaxPolling:
    def __init__(
        self, ctx: AppContext, api: MaxApi, types: list[str], *, poll_timeout: int = POLL_TIMEOUT
    ) -> None:
        self._ctx = ctx
        self._api = api
        self._types = ",".join(types)
        self._poll_timeout = poll_timeout
        self.marker: int | None = None
        self.batches = 0

    async def run(self, stopping: asyncio.Event) -> None:
        backoff = 0.5
        while not stopping.is_set():
            try:
                answer = await self._fetch(stopping)
                if answer is None:
                    return
                await note_poll(self._ctx, CHANNEL, None)
                await self._store(answer, stopping)
                backoff = 0.5
            except MaxApiError as exc:
                # 401: the token was revoked; 405: a webhook subscription is set. Neither
                # ends the service: it says so and tries again.
                level = logging.WARNING if exc.status == 429 else logging.ERROR
                wait = max(backoff, exc.retry_after or 0.0)
                log.log(level, "max: GET /updates failed (%s); retry in %.1fs", exc, wait)
                if exc.status != 429:
                    await note_poll(self._ctx, CHANNEL, f"GET /updates: {exc}")
                await sleep_unless_stopping(stopping, wait)
                backoff = min(backoff * 2, MAX_BACKOFF)
            except (aiohttp.ClientError, TimeoutError, ValueError, OSError) as exc:
                log.warning("max: GET /updates: %s; retry in %.1fs", type(exc).__name__, backoff)
                await note_poll(self._ctx, CHANNEL, f"GET /updates: {type(exc).__name__}")
                await sleep_unless_stopping(stopping, backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
            except Exception:
                log.exception("max: polling round failed; retry in %.1fs", backoff)
                await sleep_unless_stopping(stopping, backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)

    async def _fetch(self, stopping: asyncio.Event) -> dict[str, Any] | None:
        params = {"timeout": self._poll_timeout, "limit": 100, "types": self._types}
        if self.marker is not None:
            params["marker"] = self.marker
        answer = await unless_stopping(
            self._api.call(
                "GET", "/updates", params=params, timeout=self._poll_timeout + 15, paced=False
            ),
            stopping,
        )
        if answer is None:
            return None
        if not isinstance(answer, dict) or not isinstance(answer.get("updates"), list):
            raise ValueError("GET /updates answered without an updates list")
        return answer

    async def _store(self, answer: dict[str, Any], stopping: asyncio.Event) -> None:
        items: list[tuple[str, str]] = []
        for raw in answer["updates"]:
            try:
                update = check_update(raw)
            except BadUpdate as reason:
                log.warning("max: an update refused (%s), skipped", reason)
                continue
            items.append((update_key(update), door.dumps(update)))
        if not await store_until_durable(self._ctx, CHANNEL, items, stopping):
            return  # not confirmed: MAX gives the batch again after a restart
        marker = answer.get("marker")
        if isinstance(marker, int) and not isinstance(marker, bool):
            self.marker = marker
        if items:
            self.batches += 1
