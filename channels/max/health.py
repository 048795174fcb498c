"""The MAX channel's probe for the watchdog: GET /me (the token is accepted) and, in
webhook mode, our subscription among GET /subscriptions — subscribed again when gone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp

from channels.max.sender import MaxApi, MaxApiError
from domain.channel_health import HEALTHY, Found, Problem


def _problem(what: str, exc: Exception) -> Found:
    if isinstance(exc, MaxApiError) and exc.status in (401, 403):
        return Found(Problem.TOKEN, f"{what}: {exc}"[:300])
    return Found(Problem.UNREACHABLE, f"{what}: {type(exc).__name__}: {exc}"[:300])


def max_probe(
    api: MaxApi, webhook_url: str | None, subscribe: Callable[[], Awaitable[None]] | None
) -> Callable[[], Awaitable[Found]]:
    async def probe() -> Found:
        try:
            await api.me()
        except (MaxApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            return _problem("GET /me", exc)
        if webhook_url is None or subscribe is None:
            return HEALTHY
        try:
            urls = [str(item.get("url") or "") for item in await api.subscriptions()]
        except (MaxApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            return _problem("GET /subscriptions", exc)
        if webhook_url in urls:
            return HEALTHY
        try:
            await subscribe()
        except (MaxApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            return Found(Problem.WEBHOOK_MISSING, f"POST /subscriptions: {exc}"[:300])
        return Found(repaired="the MAX webhook subscription was gone; subscribed again")

    return probe
