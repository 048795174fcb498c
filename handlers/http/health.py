from __future__ import annotations

from aiohttp import web

from channels.web import json_response
from handlers.http.api import CTX
from usecases.monitoring import prometheus_text
from usecases.queries import database_answers

TELEGRAM_STATE = web.AppKey("telegram_state", str)


async def healthz(request: web.Request) -> web.Response:
    try:
        healthy = await database_answers(request.app[CTX])
    except Exception:
        healthy = False
    body = {
        "status": "ok" if healthy else "database unavailable",
        "telegram": request.app.get(TELEGRAM_STATE, "off"),
    }
    return json_response(body, status=200 if healthy else 503)


async def metrics(request: web.Request) -> web.Response:
    text = await prometheus_text(request.app[CTX])
    return web.Response(
        text=text,
        content_type="text/plain",
        charset="utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
