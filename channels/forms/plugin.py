"""The site-form channel: POST /intake/form; answers go by e-mail when there is one."""

from __future__ import annotations

import logging

from aiohttp import web

from channels.forms import webhook as forms_http
from channels.forms.ratelimit import RateLimiter
from channels.forms.sender import FormSender
from channels.plugin import ChannelPlugin
from config.settings import Settings
from usecases.context import AppContext
from usecases.ports import ChannelSender

log = logging.getLogger(__name__)


def build(settings: Settings, ctx: AppContext, mail: ChannelSender | None) -> ChannelPlugin | None:
    if settings.forms_token is None:
        return None
    origins = tuple(
        origin.strip().rstrip("/")
        for origin in settings.forms_allowed_origins.split(",")
        if origin.strip()
    )
    intake = forms_http.FormIntake(
        ctx,
        token=settings.forms_token.get_secret_value(),
        limiter=RateLimiter(settings.forms_rate_limit),
        allowed_origins=origins or ("*",),
        honeypot=settings.forms_honeypot_field.strip() or None,
        trust_forwarded=settings.forms_trust_forwarded,
    )

    def add_routes(app: web.Application) -> None:
        forms_http.add_routes(app, intake)

    log.info("site forms: on (POST /intake/form)")
    return ChannelPlugin(
        name="form", sender=FormSender(mail), add_routes=add_routes, process=intake.process
    )
