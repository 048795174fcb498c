"""The Avito channel's probe for the watchdog: the list of webhook subscriptions, which
needs a live token (the client renews it, once more on a 401: a refusal after that is the
keys), and our webhook among them — subscribed again when gone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp

from channels.avito.api import AvitoApi, AvitoApiError
from domain.channel_health import Found, Problem


def avito_probe(api: AvitoApi, webhook_url: str) -> Callable[[], Awaitable[Found]]:
    async def probe() -> Found:
        try:
            urls = await api.subscriptions()
            if webhook_url in urls:
                return Found()
            await api.subscribe(webhook_url)
        except AvitoApiError as exc:
            problem = Problem.TOKEN if exc.credentials else Problem.UNREACHABLE
            return Found(problem, str(exc)[:300])
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return Found(Problem.UNREACHABLE, f"{type(exc).__name__}: {exc}"[:300])
        return Found(repaired="the Avito webhook subscription was gone; subscribed again")

    return probe
