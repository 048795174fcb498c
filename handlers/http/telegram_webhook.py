"""POST /telegram/webhook: check, store the update durably, answer.

Telegram gets its 200 only after the raw update is committed to the inbox (processing
follows from there), so a crash means redelivery, and 503 while the database is away
asks for redelivery explicitly. Redeliveries are recognised by the update id.
"""

from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass

from aiogram import Bot
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError

from channels.telegram.normalise import repair_raw_update
from handlers.http import door
from handlers.http.errors import json_error
from storage.db import is_transient
from usecases.context import AppContext
from usecases.inbox import store_inbound

log = logging.getLogger(__name__)


@dataclass
class TelegramWebhook:
    bot: Bot
    ctx: AppContext
    secret: str | None

    async def handle(self, request: web.Request) -> web.Response:
        if self.secret:
            given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
            if not hmac.compare_digest(given, self.secret):
                return json_error(401, "wrong secret token")
        try:
            raw = door.loads(await request.read())
        except ValueError as problem:
            reason = str(problem) if isinstance(problem, door.BodyRefused) else ""
            return json_error(400, reason or "body is not JSON")
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
            # The repaired body as it came (not a re-serialisation): cheaper, and nothing
            # Telegram sent is dropped, even fields this aiogram does not know yet.
            payload = json.dumps(raw, ensure_ascii=False, separators=(",", ":"))
            await store_inbound(self.ctx, "telegram", str(update.update_id), payload)
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
