"""HTTP answers for bad input and outages: a 4xx with a reason, 503 while the database is
away (platforms redeliver), and never a bare 500 page."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from channels.web import json_error
from usecases.outage import is_outage

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge:
        return json_error(413, "request body too large")
    except web.HTTPException as exc:
        if exc.status >= 400 and exc.content_type != "application/json":
            return json_error(exc.status, exc.reason)
        raise
    except Exception as exc:
        if is_outage(exc):
            log.warning("%s %s: database unavailable: %s", request.method, request.path, exc)
            return json_error(503, "database unavailable, try again later")
        log.exception("%s %s failed", request.method, request.path)
        return json_error(500, "internal error; it has been logged")
