"""Outbox payloads → SMTP mail in the customer's thread, and SMTP answers → send statuses.

A reply quotes the customer's latest mail (In-Reply-To, References, "Re: subject"), so
his mail client files it in the same conversation and his answer comes back with our
Message-ID, which intake maps to his lead.
"""

from __future__ import annotations

import hashlib
import html
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import Any, Literal

import aiosmtplib

from channels.email.plain import guess_language, payload_text
from domain.contacts import normalise_email
from usecases.contacts import MAX_REFERENCES, mail_thread
from usecases.context import AppContext
from usecases.outage import is_outage
from usecases.ports import SendResult, SendStatus

log = logging.getLogger(__name__)

# Codes that mean the server wants other credentials, not another message.
_AUTH_CODES = {530, 534, 535, 538}
_DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: Literal["starttls", "ssl", "none"]
    user: str | None
    password: str | None
    from_address: str  # "Name <address>" or a bare address
    timeout: float = 30.0

    @staticmethod
    def default_port(security: str) -> int:
        return _DEFAULT_PORTS[security]


def message_id_for(row_id: int | None, address: str, domain: str) -> str:
    """The same outbox row always gets the same Message-ID, so a resend after a lost
    answer is recognisable as the same mail to the receiving side."""
    if row_id is None:
        return make_msgid("leadkeeper", domain=domain)
    tag = hashlib.sha256(f"{row_id}:{address}".encode()).hexdigest()[:16]
    return f"<leadkeeper.{row_id}.{tag}@{domain}>"


def reply_subject(subject: str) -> str:
    subject = subject.strip()
    return subject if subject.lower().startswith(("re:", "re ", "на:")) else f"Re: {subject}"


class EmailSender:
    name = "email"
    per_chat_interval = 0.0

    def __init__(self, ctx: AppContext, config: SmtpConfig | None) -> None:
        self._ctx = ctx
        self._config = config

    async def build(
        self, chat_id: str, payload: dict[str, Any], row_id: int | None
    ) -> EmailMessage:
        assert self._config is not None
        address = normalise_email(chat_id) or chat_id
        from_name, from_address = parseaddr(self._config.from_address)
        domain = from_address.rsplit("@", 1)[-1] if "@" in from_address else "leadkeeper.local"
        # A payload with its own subject is the service's own mail (a head's alert), not
        # a turn in a customer's conversation.
        own_subject = payload.get("subject")
        thread = None if own_subject else await mail_thread(self._ctx, address)
        body = payload_text(payload)
        message = EmailMessage()
        message["From"] = formataddr((from_name or self._ctx.config.company.name, from_address))
        message["To"] = address
        if own_subject:
            message["Subject"] = html.unescape(str(own_subject))
            message["Auto-Submitted"] = "auto-generated"
        elif thread is not None and thread.subject:
            message["Subject"] = reply_subject(thread.subject)
        else:
            # The texts' language follows the customer's; the text tells which it was.
            language = "en" if guess_language(body) == "en" else "ru"
            subject = self._ctx.texts.get(
                "email_subject", language, company=self._ctx.config.company.name
            )
            message["Subject"] = html.unescape(str(subject))
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = message_id_for(row_id, address, domain)
        if thread is not None and thread.last_message_id:
            message["In-Reply-To"] = f"<{thread.last_message_id}>"
            chain = thread.references[-MAX_REFERENCES:]
            message["References"] = " ".join(f"<{item}>" for item in chain)
        if payload.get("auto_submitted") and not own_subject:
            message["Auto-Submitted"] = "auto-replied"
        message.set_content(body or " ")
        return message

    async def send(
        self, chat_id: str, payload: dict[str, Any], *, row_id: int | None = None
    ) -> SendResult:
        if self._config is None:
            return SendResult(SendStatus.FAILED, error="SMTP is off: set SMTP_HOST to send mail")
        if normalise_email(chat_id) is None:
            return SendResult(SendStatus.FAILED, error="no e-mail address to answer to")
        try:
            message = await self.build(chat_id, payload, row_id)
        except Exception as exc:
            if is_outage(exc):
                return SendResult(SendStatus.RETRY, error=f"database: {type(exc).__name__}")
            raise
        config = self._config
        try:
            await aiosmtplib.send(
                message,
                hostname=config.host,
                port=config.port,
                username=config.user,
                password=config.password,
                use_tls=config.security == "ssl",
                start_tls=config.security == "starttls",
                timeout=config.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [item.code for item in exc.recipients]
            permanent = bool(codes) and all(code >= 500 for code in codes)
            status = SendStatus.FAILED if permanent else SendStatus.RETRY
            return SendResult(status, error=f"recipient refused: {codes}")
        except aiosmtplib.SMTPResponseException as exc:
            return SendResult(
                _status_for(exc.code),
                error=f"SMTP {exc.code}: {exc.message}",
                refused=exc.code in _AUTH_CODES,
            )
        except (aiosmtplib.SMTPException, TimeoutError, OSError) as exc:
            return SendResult(SendStatus.RETRY, error=f"{type(exc).__name__}: {exc}")
        message_id = str(message["Message-ID"]).strip().strip("<>")
        return SendResult(SendStatus.SENT, external_id=message_id)


def _status_for(code: int) -> SendStatus:
    if code in _AUTH_CODES or code < 500:
        return SendStatus.RETRY
    return SendStatus.FAILED
