"""The channels this deployment has, each one plugged in the same way (channels/plugin.py)."""

from __future__ import annotations

from channels.email import plugin as email
from channels.forms import plugin as forms
from channels.plugin import ChannelPlugin
from channels.vk import plugin as vk
from channels.whatsapp import plugin as whatsapp
from config.settings import Settings
from usecases.context import AppContext


def build_channels(settings: Settings, ctx: AppContext) -> list[ChannelPlugin]:
    """Every non-Telegram channel that is configured (Telegram is wired in app.runtime)."""
    plugins: list[ChannelPlugin] = []
    mail = email.build(settings, ctx)
    if mail is not None:
        plugins.append(mail)
    # A form is answered by e-mail, through the same SMTP settings.
    form = forms.build(settings, ctx, mail.sender if mail is not None else None)
    for plugin in (form, vk.build(settings, ctx), whatsapp.build(settings, ctx)):
        if plugin is not None:
            plugins.append(plugin)
    return plugins
