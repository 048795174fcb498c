"""The VK channel's probe for the watchdog: groups.getById with the community token (a
refused token is VK error 5, or 27/28 for a community token that lost its rights)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp

from channels.vk.sender import VkApi
from domain.channel_health import HEALTHY, Found, Problem

_TOKEN_CODES = {5, 27, 28}
PROBE_TIMEOUT = 10.0


def vk_probe(api: VkApi) -> Callable[[], Awaitable[Found]]:
    async def probe() -> Found:
        try:
            answer = await api.call("groups.getById", {}, PROBE_TIMEOUT)
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            return Found(Problem.UNREACHABLE, f"groups.getById: {type(exc).__name__}: {exc}"[:300])
        except Exception as exc:  # an HTTP status from VK's side
            return Found(Problem.UNREACHABLE, f"groups.getById: {exc}"[:300])
        error = answer.get("error") if isinstance(answer, dict) else None
        if isinstance(error, dict):
            code = error.get("error_code")
            words = f"groups.getById: VK error {code}: {error.get('error_msg', '')}"[:300]
            return Found(Problem.TOKEN if code in _TOKEN_CODES else Problem.UNREACHABLE, words)
        return HEALTHY

    return probe
