"""The VK channel: the Callback API route and messages.send for the outbox."""

from __future__ import annotations

import logging

from aiohttp import web

from channels.plugin import ChannelPlugin
from channels.vk import webhook as vk_http
from channels.vk.health import vk_probe
from channels.vk.sender import VkApi, VkSender
from config.business import ConfigError
from config.settings import Settings
from usecases.context import AppContext

log = logging.getLogger(__name__)


def build(settings: Settings, ctx: AppContext) -> ChannelPlugin | None:
    if settings.vk_group_token is None:
        return None
    if not settings.vk_confirmation_code:
        raise ConfigError(
            "VK_GROUP_TOKEN is set: set VK_CONFIRMATION_CODE to the string the community's "
            "Callback API settings show"
        )
    if settings.vk_secret is None:
        raise ConfigError(
            "VK_GROUP_TOKEN is set: set VK_SECRET and the same secret key in the community's "
            "Callback API settings, so that nobody else can post events"
        )
    api = VkApi(
        settings.vk_api_base,
        settings.vk_group_token.get_secret_value(),
        settings.vk_api_version,
    )
    callback = vk_http.VkCallback(
        ctx,
        confirmation=settings.vk_confirmation_code,
        secret=settings.vk_secret.get_secret_value(),
        group_id=settings.vk_group_id,
        allow_chats=settings.vk_allow_chats,
        names=api.user_name,
    )

    def add_routes(app: web.Application) -> None:
        vk_http.add_routes(app, callback)

    log.info("VK: on (POST /vk/callback)")
    return ChannelPlugin(
        name="vk",
        sender=VkSender(api),
        add_routes=add_routes,
        process=callback.process,
        close=api.close,
        probe=vk_probe(api, settings.vk_callback_url, settings.vk_group_id),
    )
