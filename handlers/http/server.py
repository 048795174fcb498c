"""The one aiohttp application: health, the JSON API and the dashboard; the channels add
their webhook routes to it (channels/*/plugin.py)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from channels.door import door_middleware
from handlers.http import api, api_write, dashboard, health, openapi, reports_api
from handlers.http.errors import error_middleware
from usecases.context import AppContext

MAX_BODY = 1024 * 1024
# aiohttp would inflate a gzip/deflate body itself, before any middleware, and drop the
# connection when the body is not what its header claims; left packed, it reaches the
# door, which answers 415 with a reason.
RUNNER_OPTIONS: dict[str, Any] = {"auto_decompress": False}


def create_app(
    ctx: AppContext,
    *,
    api_token: str | None,
    telegram_state: str = "off",
    channels: dict[str, str] | None = None,
    dashboard_password: str | None = None,
    dashboard_secret: str | None = None,
    dashboard_session_seconds: int = dashboard.SESSION_SECONDS,
) -> web.Application:
    app = web.Application(
        middlewares=[error_middleware, door_middleware, api.api_auth_middleware(api_token)],
        client_max_size=MAX_BODY,
    )
    app[api.CTX] = ctx
    app[health.TELEGRAM_STATE] = telegram_state
    app[health.CHANNELS] = dict(channels or {})
    health.add_routes(app)
    api.add_routes(app)
    api_write.add_routes(app)
    openapi.add_routes(app)
    reports_api.add_routes(app)
    dashboard.add_routes(
        app,
        password=dashboard_password,
        secret=dashboard_secret,
        session_seconds=dashboard_session_seconds,
    )
    return app
