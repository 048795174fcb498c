"""Mail etiquette: list and bulk mail is captured but never acknowledged, automatic mail
and bounces are not enquiries, and every acknowledgement says Auto-Submitted."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from channels.email.normalise import Skip, inbound_from_mail
from channels.email.parse import parse_mail
from channels.email.sender import EmailSender, SmtpConfig
from storage.models import Lead, OutboxMessage
from tests.support.mail import SmtpServer
from usecases.capture import capture
from usecases.context import AppContext


def mail(*headers: str, sender: str = "Анна <anna@example.com>") -> bytes:
    lines = [
        f"From: {sender}",
        "To: sales@acme.example",
        "Subject: Окна",
        "Message-ID: <m1@example.com>",
        *headers,
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Сколько стоит окно?",
    ]
    return "\r\n".join(lines).encode()


@pytest.mark.parametrize(
    "header",
    ["List-Id: <news.example.com>", "Precedence: bulk", "Precedence: list", "Precedence: junk"],
)
async def test_list_and_bulk_mail_is_captured_without_an_acknowledgement(
    ctx: AppContext, header: str
) -> None:
    inbound = inbound_from_mail(parse_mail(mail(header)))
    assert inbound.acknowledge is False
    await capture(ctx, inbound)
    async with ctx.db.session_factory() as session:
        assert len(list(await session.scalars(select(Lead)))) == 1
        assert list(await session.scalars(select(OutboxMessage))) == []


async def test_plain_mail_is_acknowledged_with_the_auto_submitted_mark(ctx: AppContext) -> None:
    inbound = inbound_from_mail(parse_mail(mail("Auto-Submitted: no")))
    assert inbound.acknowledge is True
    await capture(ctx, inbound)
    async with ctx.db.session_factory() as session:
        acks = list(await session.scalars(select(OutboxMessage)))
    assert [row.purpose for row in acks] == ["ack"] and acks[0].payload["auto_submitted"]


@pytest.mark.parametrize(
    ("headers", "sender"),
    [
        (("Auto-Submitted: auto-replied",), "anna@example.com"),
        (("Auto-Submitted: auto-generated",), "anna@example.com"),
        (("Return-Path: <>",), "anna@example.com"),
        ((), "MAILER-DAEMON@mx.example.com"),
        ((), "Mail Delivery System <MAILER-DAEMON@mx.example.com>"),
    ],
)
def test_automatic_mail_and_bounces_are_not_enquiries(
    headers: tuple[str, ...], sender: str
) -> None:
    with pytest.raises(Skip):
        inbound_from_mail(parse_mail(mail(*headers, sender=sender)))


async def test_an_acknowledgement_carries_auto_submitted(ctx: AppContext) -> None:
    async with SmtpServer() as smtp:
        config = SmtpConfig("127.0.0.1", smtp.port, "none", None, None, "sales@acme.example")
        sender = EmailSender(ctx, config)
        payload = {"text": "Спасибо", "parse_mode": "HTML", "auto_submitted": True}
        await sender.send("anna@example.com", payload, row_id=1)
        await sender.send("anna@example.com", {"text": "Ответ менеджера"}, row_id=2)
        ack, manual = smtp.messages[-2:]
    assert ack["Auto-Submitted"] == "auto-replied"
    assert manual["Auto-Submitted"] is None
