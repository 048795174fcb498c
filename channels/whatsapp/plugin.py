"""The WhatsApp channel: the webhook routes and the Graph API for the outbox."""

from __future__ import annotations

import logging

from aiohttp import web

from channels.plugin import ChannelPlugin
from channels.whatsapp import webhook as whatsapp_http
from channels.whatsapp.health import whatsapp_probe
from channels.whatsapp.sender import Template, WhatsAppApi, WhatsAppSender
from config.business import ConfigError
from config.settings import Settings
from usecases.context import AppContext

log = logging.getLogger(__name__)


def build(settings: Settings, ctx: AppContext) -> ChannelPlugin | None:
    if settings.whatsapp_token is None:
        return None
    missing = [
        name
        for name, value in (
            ("WHATSAPP_PHONE_NUMBER_ID", settings.whatsapp_phone_number_id),
            ("WHATSAPP_APP_SECRET", settings.whatsapp_app_secret),
            ("WHATSAPP_VERIFY_TOKEN", settings.whatsapp_verify_token),
        )
        if not value
    ]
    if missing:
        raise ConfigError(f"WHATSAPP_TOKEN is set: set {', '.join(missing)} as well")
    assert settings.whatsapp_phone_number_id is not None
    assert settings.whatsapp_app_secret is not None and settings.whatsapp_verify_token is not None
    api = WhatsAppApi(
        settings.whatsapp_api_base,
        settings.whatsapp_api_version,
        settings.whatsapp_phone_number_id,
        settings.whatsapp_token.get_secret_value(),
    )
    template = (
        Template(
            settings.whatsapp_template,
            settings.whatsapp_template_language,
            settings.whatsapp_template_with_text,
        )
        if settings.whatsapp_template
        else None
    )
    webhook = whatsapp_http.WhatsAppWebhook(
        ctx,
        app_secret=settings.whatsapp_app_secret.get_secret_value(),
        verify_token=settings.whatsapp_verify_token.get_secret_value(),
    )

    def add_routes(app: web.Application) -> None:
        whatsapp_http.add_routes(app, webhook)

    log.info("WhatsApp: on (GET|POST /whatsapp/webhook)")
    return ChannelPlugin(
        name="whatsapp",
        sender=WhatsAppSender(ctx, api, template),
        add_routes=add_routes,
        process=webhook.process,
        close=api.close,
        probe=whatsapp_probe(api, settings.whatsapp_business_account_id, settings.whatsapp_app_id),
    )
