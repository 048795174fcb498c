"""POST /max/webhook: check the secret, store the update durably, answer 200.

MAX puts the subscription's secret in `X-Max-Bot-Api-Secret` on every request; without
it the request is 401, with another one 403, and nothing is read further. MAX counts any
answer but 200 as a failed delivery and retries it (for up to eight hours), so 200 comes
only after the update is committed to the inbox, and 503 while the database is away.
Redeliveries are recognised by the update's key (channels/max/normalise.update_key).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web

from channels import door
from channels.max.normalise import CHANNEL, BadUpdate, check_update, update_key
from channels.web import json_error, read_capped
from domain.tokens import same_token
from usecases.context import AppContext
from usecases.inbox import store_inbound
from usecases.outage import is_outage

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Max-Bot-Api-Secret"
MAX_BODY = 512 * 1024


@dataclass
class MaxWebhook:
    ctx: AppContext
    secret: str

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER)
        if not given:
            log.warning("max: webhook without %s refused", SECRET_HEADER)
            return json_error(401, f"missing {SECRET_HEADER}")
        if not same_token(given, self.secret):
            log.warning("max: webhook with a wrong secret refused")
            return json_error(403, "wrong secret")
        body = await read_capped(request, MAX_BODY)
        if isinstance(body, web.Response):
            return body
        try:
            update = check_update(door.loads(body))
        except ValueError as problem:
            reason = door.refusal(problem, BadUpdate)
            log.info("max: webhook body refused: %s", reason)
            return json_error(400, reason)
        try:
            await store_inbound(self.ctx, CHANNEL, update_key(update), door.dumps(update))
        except Exception as exc:
            if is_outage(exc):
                log.warning("max: database unavailable; MAX will redeliver")
                return json_error(503, "database unavailable, redeliver later")
            raise
        return web.json_response({"success": True})


def add_routes(app: web.Application, webhook: MaxWebhook) -> None:
    app.router.add_post("/max/webhook", webhook.handle)
