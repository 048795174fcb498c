"""HTTP pieces shared by the channels' webhooks and the API: a JSON error with a reason,
and a body read with a size cap."""

from __future__ import annotations

import logging

from aiohttp import web

log = logging.getLogger(__name__)


def json_error(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


async def read_capped(request: web.Request, limit: int) -> bytes | web.Response:
    """The raw body, or a 413 answer when it is larger than `limit` bytes."""
    too_large = request.content_length is not None and request.content_length > limit
    body = b""
    if not too_large:
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            too_large = True
    if too_large or len(body) > limit:
        log.info("%s %s: body over %s bytes refused", request.method, request.path, limit)
        return json_error(413, f"request body too large (at most {limit} bytes)")
    return body
