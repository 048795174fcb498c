"""The e-mail channel's probe for the watchdog: a fresh IMAP login (and logout) with the
configured user, and an SMTP login when SMTP has one. A refused login is the LOGIN
problem (a changed password); a server that does not answer is UNREACHABLE."""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable

import aioimaplib
import aiosmtplib

from channels.email.poller import ImapConfig
from channels.email.sender import SmtpConfig
from domain.channel_health import HEALTHY, Found, Problem


def _hide(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text


async def imap_login(config: ImapConfig) -> Found:
    if config.security == "ssl":
        client: aioimaplib.IMAP4 = aioimaplib.IMAP4_SSL(
            host=config.host,
            port=config.port,
            timeout=config.timeout,
            ssl_context=ssl.create_default_context(),
        )
    else:
        client = aioimaplib.IMAP4(host=config.host, port=config.port, timeout=config.timeout)
    try:
        await client.wait_hello_from_server()
        response = await client.login(config.user, config.password)
    except Exception as exc:
        text = _hide(
            f"IMAP {config.host}:{config.port}: {type(exc).__name__}: {exc}", config.password
        )
        return Found(Problem.UNREACHABLE, text[:300])
    try:
        if response.result != "OK":
            words = " ".join(
                bytes(line).decode("utf-8", "replace")
                if isinstance(line, bytes | bytearray)
                else str(line)
                for line in response.lines
            )
            return Found(
                Problem.LOGIN, _hide(f"IMAP login as {config.user}: {words}", config.password)[:300]
            )
        return HEALTHY
    finally:
        try:
            await client.logout()
        except Exception:
            pass  # the login is what was probed


async def smtp_login(config: SmtpConfig) -> Found:
    if not config.user or not config.password:
        return HEALTHY  # nothing to log in with: a send says the rest
    client = aiosmtplib.SMTP(
        hostname=config.host,
        port=config.port,
        use_tls=config.security == "ssl",
        start_tls=config.security == "starttls",
        timeout=config.timeout,
    )
    try:
        await client.connect()
        await client.login(config.user, config.password)
    except aiosmtplib.SMTPAuthenticationError as exc:
        return Found(Problem.LOGIN, f"SMTP login as {config.user}: {exc.code} {exc.message}"[:300])
    except Exception as exc:
        text = _hide(
            f"SMTP {config.host}:{config.port}: {type(exc).__name__}: {exc}", config.password
        )
        return Found(Problem.UNREACHABLE, text[:300])
    finally:
        try:
            await client.quit()
        except Exception:
            client.close()
    return HEALTHY


def email_probe(imap: ImapConfig | None, smtp: SmtpConfig | None) -> Callable[[], Awaitable[Found]]:
    async def probe() -> Found:
        if imap is not None:
            found = await imap_login(imap)
            if not found.ok:
                return found
        if smtp is not None:
            return await smtp_login(smtp)
        return HEALTHY

    return probe
