"""POST /telegram/webhook: check, store the update durably, answer.

Telegram gets its 200 only after the raw update is committed to the inbox (processing
follows from there), so a crash means redelivery, and 503 while the database is away
asks for redelivery explicitly. Redeliveries are recognised by the update id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web

from channels import door
from channels.web import json_error, json_response
from domain.tokens import same_token
from usecases.context import AppContext
from usecases.inbox import store_inbound
from usecases.outage import is_outage

log = logging.getLogger(__name__)


@dataclass
class TelegramWebhook:
    ctx: AppContext
    secret: str | None

    async def handle(self, request: web.Request) -> web.Response:
        if self.secret:
            given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
            if not same_token(given, self.secret):
                return json_error(401, "wrong secret token")
        try:
            raw = door.loads(await request.read())
        except ValueError as problem:
            return json_error(400, door.refusal(problem))
        if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
            return json_error(400, "body is not a Telegram update (no integer update_id)")
        update_id = raw["update_id"]
        try:
            # Stored as it came, not parsed by aiogram here: an update its models reject is
            # kept and fails in the inbox worker, with its error, instead of being refused
            # (Telegram would redeliver a refused update for ever).
            await store_inbound(self.ctx, "telegram", str(update_id), door.dumps(raw))
        except Exception as exc:
            if is_outage(exc):
                log.warning(
                    "webhook update %s: database unavailable, asking for redelivery",
                    update_id,
                )
                return json_error(503, "database unavailable, redeliver later")
            raise
        return json_response({"ok": True})


def add_routes(app: web.Application, webhook: TelegramWebhook) -> None:
    app.router.add_post("/telegram/webhook", webhook.handle)
