"""The e-mail channel: an IMAP poller in worker processes, SMTP for the outbox."""

from __future__ import annotations

import logging
from email.utils import parseaddr

from channels.email.health import email_probe
from channels.email.intake import mail_processor
from channels.email.poller import ImapConfig, ImapPoller
from channels.email.sender import EmailSender, SmtpConfig
from channels.plugin import ChannelPlugin
from config.business import ConfigError
from config.settings import Settings
from domain.contacts import normalise_email
from usecases.context import AppContext

log = logging.getLogger(__name__)


def smtp_config(settings: Settings) -> SmtpConfig | None:
    if not settings.smtp_host:
        return None
    sender = settings.email_from or settings.smtp_user or settings.imap_user
    if not sender or normalise_email(parseaddr(sender)[1]) is None:
        raise ConfigError(
            "SMTP_HOST is set but there is no From address: set EMAIL_FROM, e.g. "
            '"Acme <sales@acme.example>"'
        )
    return SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port or SmtpConfig.default_port(settings.smtp_security),
        security=settings.smtp_security,
        user=settings.smtp_user,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        from_address=sender,
    )


def own_addresses(settings: Settings) -> frozenset[str]:
    candidates = [settings.email_from, settings.smtp_user, settings.imap_user]
    found = {normalise_email(parseaddr(value)[1]) for value in candidates if value}
    return frozenset(address for address in found if address)


def imap_config(settings: Settings) -> ImapConfig | None:
    if not settings.imap_host:
        return None
    if not settings.imap_user or settings.imap_password is None:
        raise ConfigError("IMAP_HOST is set: set IMAP_USER and IMAP_PASSWORD as well")
    return ImapConfig(
        host=settings.imap_host,
        port=settings.imap_port or (993 if settings.imap_security == "ssl" else 143),
        security=settings.imap_security,
        user=settings.imap_user,
        password=settings.imap_password.get_secret_value(),
        folder=settings.imap_folder,
        poll_interval=settings.imap_poll_interval,
        backfill_days=settings.imap_backfill_days,
        own_addresses=own_addresses(settings),
    )


def build(settings: Settings, ctx: AppContext) -> ChannelPlugin | None:
    imap = imap_config(settings)
    smtp = smtp_config(settings)
    if smtp is None and ctx.config.watchdog.email_to:
        # Queued alerts nobody could send would look like alerts sent.
        raise ConfigError(
            "watchdog.email_to names addresses for the heads' alerts: set SMTP_HOST "
            "(and EMAIL_FROM) so that they can be sent"
        )
    if imap is None and smtp is None:
        return None
    if smtp is None:
        log.warning("e-mail: SMTP_HOST is not set, so replies to e-mail leads cannot be sent")
    # A sender even without SMTP: the rows fail with the reason instead of waiting forever.
    # The processor even without IMAP: mail kept in the inbox earlier can still be retried.
    plugin = ChannelPlugin(
        name="email",
        sender=EmailSender(ctx, smtp),
        process=mail_processor(ctx, own_addresses(settings)),
        probe=email_probe(imap, smtp),
    )
    log.info(
        "e-mail: on (IMAP %s, SMTP %s)",
        "polling" if imap is not None else "off",
        "on" if smtp is not None else "off",
    )
    if imap is not None:
        poller = ImapPoller(ctx, imap)
        plugin.tasks.append(poller.run)
        plugin.close = poller.close
    return plugin
