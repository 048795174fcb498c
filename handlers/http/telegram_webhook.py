"""POST /telegram/webhook: check, hand the update to the dispatcher, answer.

The answer is sent only after the update is handled and committed (not in the
background, as aiogram's default handler does), so a crash mid-update means Telegram
redelivers it; 503 while the database is away asks for redelivery explicitly.
"""

from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError

from channels.telegram.normalise import repair_raw_update
from handlers.http.errors import json_error
from storage.db import is_transient

log = logging.getLogger(__name__)


@dataclass
class TelegramWebhook:
    bot: Bot
    dispatcher: Dispatcher
    secret: str | None

    async def handle(self, request: web.Request) -> web.Response:
        if self.secret:
            given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
            if not hmac.compare_digest(given, self.secret):
                return json_error(401, "wrong secret token")
        try:
            raw = json.loads(await request.read())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return json_error(400, "body is not JSON")
        if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
            return json_error(400, "body is not a Telegram update (no integer update_id)")
        try:
            update = Update.model_validate(repair_raw_update(raw), context={"bot": self.bot})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            log.warning("webhook update %s rejected: %s: %s", raw["update_id"], where, first["msg"])
            return json_error(400, f"malformed update: {where}: {first['msg']}")
        try:
            await self.dispatcher.feed_update(self.bot, update, webhook=True)
        except Exception as exc:
            if is_transient(exc):
                log.warning(
                    "webhook update %s: database unavailable, asking for redelivery",
                    update.update_id,
                )
                return json_error(503, "database unavailable, redeliver later")
            raise
        return web.json_response({"ok": True})


def add_routes(app: web.Application, webhook: TelegramWebhook) -> None:
    app.router.add_post("/telegram/webhook", webhook.handle)
