"""HTTP answers shared by the channels' webhooks and the API: a JSON error with a reason."""

from __future__ import annotations

from aiohttp import web


def json_error(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)
