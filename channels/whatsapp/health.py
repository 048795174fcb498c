"""The WhatsApp channel's probe for the watchdog: GET of the business phone number with
the access token (Graph answers 401 / error 190 for an expired or revoked token) and,
when WHATSAPP_BUSINESS_ACCOUNT_ID is set, GET /{waba-id}/subscribed_apps: without an app
subscribed there (ours, when WHATSAPP_APP_ID names it) Meta posts no webhook at all. An
empty list is subscribed again (POST, the token's own app), as after an unsubscribe."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from channels.whatsapp.sender import WhatsAppApi
from domain.channel_health import HEALTHY, Found, Problem


def _refused(what: str, status: int, code: int | None, words: str) -> Found:
    detail = f"{what}: HTTP {status} error {code}: {words}"[:300]
    if status in (401, 403) or code == 190:
        return Found(Problem.TOKEN, detail)
    return Found(Problem.UNREACHABLE, detail)


def app_ids(answer: Any) -> list[str]:
    """The ids in subscribed_apps' `{"data": [{"whatsapp_business_api_data": {"id"…}}]}`."""
    data = answer.get("data") if isinstance(answer, dict) else None
    found = []
    for item in data if isinstance(data, list) else []:
        app = item.get("whatsapp_business_api_data") if isinstance(item, dict) else None
        if isinstance(app, dict) and app.get("id") is not None:
            found.append(str(app["id"]))
    return found


def whatsapp_probe(
    api: WhatsAppApi, waba_id: str | None = None, app_id: str | None = None
) -> Callable[[], Awaitable[Found]]:
    async def probe() -> Found:
        status, code, words = await api.check()
        if status != 200:
            return _refused("GET phone number", status, code, words)
        if waba_id is None:
            return HEALTHY
        status, code, words, answer = await api.subscribed_apps(waba_id)
        if status != 200:
            return _refused("GET subscribed_apps", status, code, words)
        apps = app_ids(answer)
        if app_id is not None and app_id in apps:
            return HEALTHY
        if app_id is None and apps:
            return HEALTHY
        if apps:
            return Found(
                Problem.WEBHOOK_ELSEWHERE,
                f"GET subscribed_apps: the business account's webhooks go to app(s) "
                f"{', '.join(apps[:3])}, not to app {app_id}",
            )
        status, code, words, _ = await api.subscribed_apps(waba_id, "POST")
        if status != 200:
            return Found(
                Problem.WEBHOOK_MISSING,
                f"GET subscribed_apps: no app is subscribed to the business account; "
                f"POST subscribed_apps: HTTP {status} error {code}: {words}"[:300],
            )
        return Found(
            repaired="no app was subscribed to the WhatsApp business account; subscribed again"
        )

    return probe
