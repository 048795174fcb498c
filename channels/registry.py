"""The channels this deployment has, each one plugged in the same way (channels/plugin.py)."""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Dispatcher

from channels.avito import plugin as avito
from channels.email import plugin as email
from channels.forms import plugin as forms
from channels.max import plugin as max_messenger
from channels.plugin import ChannelPlugin
from channels.telegram import plugin as telegram
from channels.vk import plugin as vk
from channels.webhooks import plugin as webhooks
from channels.whatsapp import plugin as whatsapp
from config.settings import Settings
from domain.channels import CUSTOMER_CHANNELS
from usecases.context import AppContext

# Every customer channel build_channels can give (the outgoing webhooks aside): the
# conformance suite (tests/test_channel_conformance.py) runs each one through its kit.
CHANNEL_NAMES = CUSTOMER_CHANNELS


def build_channels(
    settings: Settings, ctx: AppContext, make_dispatcher: Callable[[], Dispatcher]
) -> list[ChannelPlugin]:
    """Every channel that is configured; `make_dispatcher` gives Telegram its routers."""
    plugins: list[ChannelPlugin] = []
    mail = email.build(settings, ctx)
    if mail is not None:
        plugins.append(mail)
    # A form is answered by e-mail, through the same SMTP settings.
    form = forms.build(settings, ctx, mail.sender if mail is not None else None)
    telegram_plugins = telegram.build(settings, ctx, make_dispatcher)
    plugins.extend(telegram_plugins)
    bot = telegram_plugins[0] if telegram_plugins else None
    others = (
        form,
        vk.build(settings, ctx),
        whatsapp.build(settings, ctx),
        max_messenger.build(settings, ctx),
        # A manager's photo reaches an Avito buyer as the file he sent the bot.
        avito.build(settings, ctx, bot.files if bot is not None else None),
    )
    plugins.extend(plugin for plugin in others if plugin is not None)
    plugins.append(webhooks.build(ctx))
    return plugins
