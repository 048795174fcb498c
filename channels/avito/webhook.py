"""POST /avito/webhook: check the secret, store the event durably, answer 200.

Avito signs nothing and sends no secret header: the only proof that a request comes from
our subscription is the address itself. So AVITO_WEBHOOK_URL carries a long random
`secret` in its query, and every request must bring it back: without it the request is
401, with another one 403, and nothing is read further. Avito checks a new subscription
by posting `{}` and wants a 200 within two seconds; that probe is answered and not kept.
200 comes only after the event is committed to the inbox (503 while the database is
away, so that Avito delivers it again); redeliveries are recognised by the message id
(channels/avito/normalise.event_key).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web

from channels import door
from channels.avito.normalise import CHANNEL, BadEvent, check_event, event_key, is_probe
from channels.web import json_error, read_capped
from domain.tokens import same_token
from usecases.context import AppContext
from usecases.inbox import store_inbound
from usecases.outage import is_outage

log = logging.getLogger(__name__)

SECRET_PARAMETER = "secret"
MAX_BODY = 256 * 1024


@dataclass
class AvitoWebhook:
    ctx: AppContext
    secret: str

    async def handle(self, request: web.Request) -> web.Response:
        given = request.query.get(SECRET_PARAMETER)
        if not given:
            log.warning("avito: webhook without its secret refused")
            return json_error(401, f"missing the {SECRET_PARAMETER} of AVITO_WEBHOOK_URL")
        if not same_token(given, self.secret):
            log.warning("avito: webhook with a wrong secret refused")
            return json_error(403, "wrong secret")
        body = await read_capped(request, MAX_BODY)
        if isinstance(body, web.Response):
            return body
        try:
            raw = door.loads(body)
            if is_probe(raw):
                log.info("avito: the subscription check answered")
                return web.json_response({"ok": True})
            event = check_event(raw)
        except ValueError as problem:
            reason = door.refusal(problem, BadEvent)
            log.info("avito: webhook body refused: %s", reason)
            return json_error(400, reason)
        try:
            await store_inbound(self.ctx, CHANNEL, event_key(event), door.dumps(event))
        except Exception as exc:
            if is_outage(exc):
                log.warning("avito: database unavailable; Avito will redeliver")
                return json_error(503, "database unavailable, redeliver later")
            raise
        return web.json_response({"ok": True})


def add_routes(app: web.Application, webhook: AvitoWebhook) -> None:
    app.router.add_post("/avito/webhook", webhook.handle)
