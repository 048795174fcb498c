"""POST /vk/callback: VK Callback API events.

VK wants the confirmation code for `confirmation` and the text `ok` for every other
event, answered only after the event is stored; anything else makes it redeliver. The
secret VK sends in each event is checked before anything is done. An event that fails to
be handled here is kept in the inbox (by its event_id) and answered `ok`; the inbox
worker retries it through `process`, the same handling from the stored body.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from channels import door
from channels.vk.normalise import (
    BadEvent,
    Skip,
    VkEvent,
    edit_from_event,
    inbound_from_event,
    message_of,
    parse_event,
    user_of,
)
from channels.web import json_error, read_capped
from domain.tokens import same_token
from usecases.capture import apply_edit, capture, set_blocked
from usecases.context import AppContext
from usecases.inbox import keep_failed_inbound
from usecases.outage import is_outage

log = logging.getLogger(__name__)

MAX_BODY = 512 * 1024
NameLookup = Callable[[int], Awaitable[str | None]]


@dataclass
class VkCallback:
    ctx: AppContext
    confirmation: str
    secret: str
    group_id: int | None = None
    allow_chats: bool = False
    names: NameLookup | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await read_capped(request, MAX_BODY)
        if isinstance(body, web.Response):
            return body
        try:
            event = parse_event(door.loads(body))
        except (ValueError, UnicodeDecodeError) as problem:
            reason = door.refusal(problem, BadEvent)
            log.info("vk: event refused: %s", reason)
            return json_error(400, reason)
        if self.group_id is not None and event.group_id != self.group_id:
            log.warning(
                "vk: event for group %s refused (ours is %s)", event.group_id, self.group_id
            )
            return json_error(403, "event for another community")
        if event.type == "confirmation":
            # The code only proves that this server is ours; a wrong secret still may not have it.
            if event.secret is not None and not same_token(event.secret, self.secret):
                return json_error(403, "wrong secret")
            return web.Response(text=self.confirmation)
        if event.secret is None:
            log.warning("vk: %s event without a secret refused", event.type)
            return json_error(401, "missing secret")
        if not same_token(event.secret, self.secret):
            log.warning("vk: %s event with a wrong secret refused", event.type)
            return json_error(403, "wrong secret")
        try:
            await self._dispatch(event)
        except Exception as exc:
            if is_outage(exc):
                log.warning("vk: database unavailable; VK will redeliver %s", event.type)
                return json_error(503, "database unavailable, redeliver later")
            log.exception("vk: %s event could not be handled; kept in the inbox", event.type)
            try:
                await keep_failed_inbound(
                    self.ctx, "vk", inbox_key(event, body), body.decode("utf-8", "replace"), exc
                )
            except Exception as kept:
                if is_outage(kept):
                    return json_error(503, "database unavailable, redeliver later")
                raise
        return web.Response(text="ok")

    async def process(self, payload: str) -> None:
        """An event kept in the inbox, handled again from its stored body (its secret
        was checked when it came)."""
        await self._dispatch(parse_event(door.loads(payload)))

    async def _dispatch(self, event: VkEvent) -> None:
        if event.type == "message_new":
            try:
                inbound_from_event(event, allow_chats=self.allow_chats)
            except Skip as reason:
                log.info("vk: message skipped: %s", reason)
                return
            sender_id = message_of(event).get("from_id")
            name = None
            if self.names is not None and isinstance(sender_id, int):
                name = await self.names(sender_id)
            inbound = inbound_from_event(event, allow_chats=self.allow_chats, name=name)
            result = await capture(self.ctx, inbound)
            log.info("vk: message → lead %s (%s)", result.lead_id, result.outcome.value)
        elif event.type == "message_edit":
            try:
                await apply_edit(self.ctx, edit_from_event(event))
            except Skip as reason:
                log.info("vk: edit skipped: %s", reason)
        elif event.type in ("message_allow", "message_deny"):
            user_id = user_of(event)
            if user_id is not None:
                blocked = event.type == "message_deny"
                await set_blocked(self.ctx, "vk", str(user_id), blocked)
                log.info("vk: a customer %s messages", "refused" if blocked else "allowed")
        else:
            log.debug("vk: %s event ignored", event.type)


def inbox_key(event: VkEvent, body: bytes) -> str:
    """VK's event_id names a delivery; an event without one (old API versions) is named
    by its bytes."""
    if event.event_id:
        return f"event:{event.event_id}"
    return "sha256:" + hashlib.sha256(body).hexdigest()


def add_routes(app: web.Application, callback: VkCallback) -> None:
    app.router.add_post("/vk/callback", callback.handle)
