"""HTTP pieces shared by the channels' webhooks and the API: a JSON error with a reason,
and a body read with a size cap."""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

# UTF-8 as it is: Cyrillic stays readable, never \u-escaped.
dumps = functools.partial(json.dumps, ensure_ascii=False)


def json_response(data: Any, *, status: int = 200) -> web.Response:
    """Every JSON answer of the service: UTF-8, declared as such."""
    return web.json_response(data, status=status, dumps=dumps)


def json_error(status: int, reason: str) -> web.Response:
    return json_response({"error": reason}, status=status)


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
