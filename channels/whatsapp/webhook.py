"""GET|POST /whatsapp/webhook: WhatsApp Cloud API.

GET is Meta's verification handshake. POST is checked against X-Hub-Signature-256 (an
HMAC-SHA256 of the raw body with the app secret) before the body is parsed at all, and
answered 200 only after every message in it is stored; 503 asks Meta to redeliver. A
body whose handling fails is kept in the inbox (by its message ids) and answered 200; the
inbox worker retries it through `process`, the same handling from the stored body.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass

from aiohttp import web

from channels import door
from channels.web import json_error, json_response, read_capped
from channels.whatsapp.normalise import BadEvent, Webhook, parse_webhook
from domain.tokens import same_token
from usecases.capture import capture
from usecases.contacts import record_delivery_status
from usecases.context import AppContext
from usecases.inbox import keep_failed_inbound
from usecases.outage import is_outage

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
SIGNATURE_HEADER = "X-Hub-Signature-256"


@dataclass
class WhatsAppWebhook:
    ctx: AppContext
    app_secret: str
    verify_token: str

    async def verify(self, request: web.Request) -> web.StreamResponse:
        mode = request.query.get("hub.mode")
        token = request.query.get("hub.verify_token", "")
        challenge = request.query.get("hub.challenge")
        if mode != "subscribe" or not challenge:
            return json_error(400, "expected hub.mode=subscribe, hub.verify_token, hub.challenge")
        if not same_token(token, self.verify_token):
            log.warning("whatsapp: verification with a wrong verify token refused")
            return json_error(403, "wrong verify token")
        return web.Response(text=challenge)

    def _signed(self, body: bytes, header: str) -> bool:
        expected = hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()
        given = header.strip()
        if given.lower().startswith("sha256="):
            given = given[7:]
        return same_token(given.lower(), expected)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await read_capped(request, MAX_BODY)
        if isinstance(body, web.Response):
            return body
        header = request.headers.get(SIGNATURE_HEADER)
        if not header:
            log.warning("whatsapp: webhook without %s refused", SIGNATURE_HEADER)
            return json_error(401, f"missing {SIGNATURE_HEADER}")
        if not self._signed(body, header):
            log.warning("whatsapp: webhook with a wrong signature refused")
            return json_error(403, "wrong signature")
        try:
            hook = parse_webhook(door.loads(body), region=self.ctx.config.company.default_region)
        except (ValueError, UnicodeDecodeError) as problem:
            reason = door.refusal(problem, BadEvent)
            log.info("whatsapp: webhook refused: %s", reason)
            return json_error(400, reason)
        for reason in hook.skipped:
            log.info("whatsapp: skipped %s", reason)
        try:
            await self._apply(hook)
        except Exception as exc:
            if is_outage(exc):
                log.warning("whatsapp: database unavailable; Meta will redeliver")
                return json_error(503, "database unavailable, redeliver later")
            log.exception("whatsapp: webhook could not be handled; kept in the inbox")
            try:
                await keep_failed_inbound(
                    self.ctx,
                    "whatsapp",
                    inbox_key(hook, body),
                    body.decode("utf-8", "replace"),
                    exc,
                )
            except Exception as kept:
                if is_outage(kept):
                    return json_error(503, "database unavailable, redeliver later")
                raise
        return json_response({"ok": True})

    async def process(self, payload: str) -> None:
        """A body kept in the inbox, handled again (its signature was checked when it
        came); the messages stored before the failure are recognised by their ids."""
        await self._apply(
            parse_webhook(door.loads(payload), region=self.ctx.config.company.default_region)
        )

    async def _apply(self, hook: Webhook) -> None:
        for inbound in hook.messages:
            result = await capture(self.ctx, inbound)
            log.info("whatsapp: message → lead %s (%s)", result.lead_id, result.outcome.value)
        for status in hook.statuses:
            known = await record_delivery_status(
                self.ctx, "whatsapp", status.message_id, status.status, status.error
            )
            if status.status == "failed":
                log.warning("whatsapp: message not delivered: %s", status.error)
            elif not known:
                log.debug("whatsapp: status for a message we did not send")


def inbox_key(hook: Webhook, body: bytes) -> str:
    """The message ids name a delivery; a body of statuses only is named by its bytes."""
    ids = sorted(inbound.external_message_id for inbound in hook.messages)
    joined = "+".join(ids)
    if ids and len(joined) <= 255:
        return joined
    return "sha256:" + hashlib.sha256(body).hexdigest()


def add_routes(app: web.Application, webhook: WhatsAppWebhook) -> None:
    app.router.add_get("/whatsapp/webhook", webhook.verify)
    app.router.add_post("/whatsapp/webhook", webhook.handle)
