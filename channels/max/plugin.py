"""The MAX channel: long polling or the webhook on the way in (both store the raw update in
the inbox first), the inbox processor that turns a stored update into capture, an edit,
a block or a survey answer, and POST /messages for the outbox.

No client library from the package index is used: see docs/channels.md (MAX) for why.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re

import aiohttp
from aiohttp import web

from channels.max import webhook as max_webhook
from channels.max.health import max_probe
from channels.max.normalise import (
    CHANNEL,
    UPDATE_TYPES,
    Skip,
    blocked_from_update,
    check_update,
    edit_from_update,
    inbound_from_update,
    press_from_update,
    survey_score,
)
from channels.max.polling import MaxPolling
from channels.max.sender import MaxApi, MaxApiError, MaxSender
from channels.plugin import ChannelPlugin
from config.business import ConfigError
from config.settings import MaxMode, Settings
from usecases.capture import apply_edit, capture, set_blocked
from usecases.context import AppContext
from usecases.surveys import answer_survey

log = logging.getLogger(__name__)
# What POST /subscriptions takes as a secret.
_SECRET = re.compile(r"^[A-Za-z0-9_-]{5,256}$")


class MaxInbox:
    """Turns one stored update into work; raising leaves it failed in the inbox, kept."""

    def __init__(self, ctx: AppContext, api: MaxApi) -> None:
        self._ctx = ctx
        self._api = api

    async def process(self, payload: str) -> None:
        update = check_update(json.loads(payload))
        kind = update["update_type"]
        try:
            if kind in ("message_created", "bot_started"):
                region = self._ctx.config.company.default_region
                inbound = inbound_from_update(update, region=region)
                result = await capture(self._ctx, inbound)
                log.info("max: %s → lead %s (%s)", kind, result.lead_id, result.outcome.value)
            elif kind == "message_edited":
                await apply_edit(self._ctx, edit_from_update(update))
            elif kind == "bot_stopped":
                blocked = blocked_from_update(update)
                await set_blocked(self._ctx, CHANNEL, blocked.chat_id, True)
                log.info("max: a customer stopped the bot")
            elif kind == "message_callback":
                await self._button(update)
            else:
                log.debug("max: %s ignored", kind)
        except Skip as reason:
            log.info("max: %s skipped: %s", kind, reason)

    async def _button(self, update: dict[str, object]) -> None:
        press = press_from_update(update)  # type: ignore[arg-type]
        rating = survey_score(press.data)
        if rating is None:
            log.info("max: a button that is no customer's pressed; ignored")
            return
        answer = await answer_survey(self._ctx, rating[0], CHANNEL, press.user_id, rating[1])
        if not answer.accepted:
            return
        key = "survey_sorry" if answer.complaint_id else "survey_thanks"
        text = str(self._ctx.texts.get(key, answer.language))
        try:
            # The one-time notice under the button is MAX's own way to answer a press.
            await self._api.answer_callback(press.callback_id, text)
        except (MaxApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("max: POST /answers failed (%s); the rating is kept", exc)


def build(settings: Settings, ctx: AppContext) -> ChannelPlugin | None:
    if settings.max_bot_token is None:
        return None
    webhook_mode = settings.max_mode is MaxMode.WEBHOOK
    secret = settings.max_webhook_secret.get_secret_value() if settings.max_webhook_secret else ""
    if webhook_mode:
        if not settings.max_webhook_url:
            raise ConfigError(
                "MAX_MODE=webhook needs MAX_WEBHOOK_URL (the public https URL of /max/webhook)"
            )
        if not _SECRET.match(secret):
            raise ConfigError(
                "MAX_MODE=webhook needs MAX_WEBHOOK_SECRET: 5-256 characters of A-Z, a-z, 0-9, "
                "_ and -, so that nobody else can post updates"
            )
    api = MaxApi(settings.max_api_base, settings.max_bot_token.get_secret_value())
    inbox = MaxInbox(ctx, api)

    async def subscribe_now() -> None:
        await api.subscribe(settings.max_webhook_url or "", secret, list(UPDATE_TYPES))

    async def subscribe(stopping: asyncio.Event) -> None:
        await subscribe_now()
        log.info("MAX: webhook subscribed (POST /max/webhook)")

    async def poll(stopping: asyncio.Event) -> None:
        # MAX gives no updates to polling while a webhook is subscribed.
        try:
            for subscription in await api.subscriptions():
                log.warning("MAX: removing the webhook subscription, MAX_MODE is polling")
                await api.unsubscribe(str(subscription.get("url") or ""))
        except (MaxApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.error("MAX: could not check webhook subscriptions (%s)", exc)
        await MaxPolling(ctx, api, list(UPDATE_TYPES)).run(stopping)

    def add_routes(app: web.Application) -> None:
        max_webhook.add_routes(app, max_webhook.MaxWebhook(ctx, secret))

    log.info("MAX: on (%s)", settings.max_mode.value)
    return ChannelPlugin(
        name=CHANNEL,
        sender=MaxSender(api),
        add_routes=add_routes if webhook_mode else None,
        process=inbox.process,
        send_rate=settings.max_send_rate,
        tasks=[] if webhook_mode else [poll],
        on_web_start=subscribe if webhook_mode else None,
        close=api.close,
        state=settings.max_mode.value,
        probe=max_probe(
            api,
            settings.max_webhook_url if webhook_mode else None,
            subscribe_now if webhook_mode else None,
        ),
    )
