"""The VK channel's probe for the watchdog: groups.getById with the community token (a
refused token is VK error 5, or 27/28 for a community token that lost its rights) and,
when VK_CALLBACK_URL is set, groups.getCallbackServers: a server with our address whose
status is "ok" (VK confirmed it). Servers are added and confirmed by a person in the
community's settings, so a missing one is reported, not added."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from channels.vk.sender import VkApi
from domain.channel_health import HEALTHY, Found, Problem

_TOKEN_CODES = {5, 27, 28}
# Access denied: the key lacks the community management right getCallbackServers needs.
_ACCESS_CODES = {15}
PROBE_TIMEOUT = 10.0


class _Refused(Exception):
    def __init__(self, found: Found) -> None:
        super().__init__(found.detail)
        self.found = found


def _host(url: str) -> str:
    """Where a URL points, without its path (which may carry someone's secret)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "?"


async def _call(api: VkApi, method: str, params: dict[str, Any], codes: set[int]) -> Any:
    """The `response` of a VK call; a failure raises _Refused with the finding."""
    try:
        answer = await api.call(method, params, PROBE_TIMEOUT)
    except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
        raise _Refused(
            Found(Problem.UNREACHABLE, f"{method}: {type(exc).__name__}: {exc}"[:300])
        ) from None
    except Exception as exc:  # an HTTP status from VK's side
        raise _Refused(Found(Problem.UNREACHABLE, f"{method}: {exc}"[:300])) from None
    error = answer.get("error") if isinstance(answer, dict) else None
    if isinstance(error, dict):
        code = error.get("error_code")
        words = f"{method}: VK error {code}: {error.get('error_msg', '')}"[:300]
        raise _Refused(Found(Problem.TOKEN if code in codes else Problem.UNREACHABLE, words))
    return answer.get("response") if isinstance(answer, dict) else None


def _group_id(response: Any) -> int | None:
    """groups.getById answers {"groups": [...]} since 5.194, a bare list before."""
    groups = response.get("groups") if isinstance(response, dict) else response
    if isinstance(groups, list) and groups and isinstance(groups[0], dict):
        found = groups[0].get("id")
        return found if isinstance(found, int) else None
    return None


def judge_servers(items: list[dict[str, Any]], callback_url: str) -> Found:
    """groups.getCallbackServers' items → the finding for our address."""
    ours = [item for item in items if str(item.get("url") or "") == callback_url]
    if any(item.get("status") == "ok" for item in ours):
        return HEALTHY
    if ours:
        status = ours[0].get("status") or "?"
        return Found(
            Problem.WEBHOOK_ERRORS,
            f"groups.getCallbackServers: the server {_host(callback_url)} has status "
            f"{status!r}, not 'ok' (VK has not confirmed the address)",
        )
    if not items:
        return Found(
            Problem.WEBHOOK_MISSING,
            "groups.getCallbackServers: the community has no Callback API server",
        )
    others = ", ".join(
        f"{_host(str(item.get('url') or ''))} ({item.get('status')})" for item in items[:3]
    )
    return Found(
        Problem.WEBHOOK_ELSEWHERE,
        f"groups.getCallbackServers: no server at {_host(callback_url)}; "
        f"the community's servers: {others}"[:300],
    )


def vk_probe(
    api: VkApi, callback_url: str | None = None, group_id: int | None = None
) -> Callable[[], Awaitable[Found]]:
    async def probe() -> Found:
        try:
            group = await _call(api, "groups.getById", {}, _TOKEN_CODES)
            if callback_url is None:
                return HEALTHY
            known = group_id or _group_id(group)
            if known is None:
                return Found(Problem.UNREACHABLE, "groups.getById: no community id in the answer")
            servers = await _call(
                api, "groups.getCallbackServers", {"group_id": known}, _TOKEN_CODES | _ACCESS_CODES
            )
        except _Refused as refused:
            return refused.found
        items = servers.get("items") if isinstance(servers, dict) else None
        if not isinstance(items, list):
            return Found(Problem.UNREACHABLE, "groups.getCallbackServers: no items in the answer")
        return judge_servers([item for item in items if isinstance(item, dict)], callback_url)

    return probe
