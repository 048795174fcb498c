from __future__ import annotations

from aiohttp import web

from channels.web import json_response
from handlers.http.api import CTX
from usecases.channel_health import channel_states
from usecases.monitoring import prometheus_text
from usecases.queries import database_answers

TELEGRAM_STATE = web.AppKey("telegram_state", str)
# The channels this process has and how each takes updates ("polling", "webhook", "on").
CHANNELS = web.AppKey("channels", dict[str, str])


async def healthz(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    try:
        healthy = await database_answers(ctx)
    except Exception:
        healthy = False
    modes = request.app.get(CHANNELS, {})
    channels: dict[str, object] = {
        name: {"mode": mode, "status": "unknown"} for name, mode in modes.items()
    }
    if healthy:
        try:
            for state in await channel_states(ctx, modes):
                channels[state.channel] = {"mode": modes[state.channel], **state.as_json()}
        except Exception:
            pass  # the database answered a moment ago; the channels are told next time
    body = {
        "status": "ok" if healthy else "database unavailable",
        "telegram": request.app.get(TELEGRAM_STATE, "off"),
        # A failing channel does not make the service unhealthy: it still takes the other
        # channels' messages; the watchdog tells the heads, this tells a monitor.
        "channels": channels,
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
