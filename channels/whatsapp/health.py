"""The WhatsApp channel's probe for the watchdog: GET of the business phone number with
the access token (Graph answers 401 / error 190 for an expired or revoked token)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from channels.whatsapp.sender import WhatsAppApi
from domain.channel_health import HEALTHY, Found, Problem


def whatsapp_probe(api: WhatsAppApi) -> Callable[[], Awaitable[Found]]:
    async def probe() -> Found:
        status, code, words = await api.check()
        if status == 200:
            return HEALTHY
        detail = f"GET phone number: HTTP {status} error {code}: {words}"[:300]
        if status in (401, 403) or code == 190:
            return Found(Problem.TOKEN, detail)
        return Found(Problem.UNREACHABLE, detail)

    return probe
