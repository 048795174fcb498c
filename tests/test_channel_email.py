"""E-mail against real servers: Dovecot for IMAP (started by scripts/dovecot-test.sh; the
IMAP tests skip when it is not running) and aiosmtpd for SMTP, with the real service."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from channels.email.normalise import Skip, inbound_from_mail, sender_of, text_of
from channels.email.parse import decode_bytes, header_text, parse_mail, trim_quoted
from channels.email.poller import ImapConfig, ImapPoller
from channels.email.sender import EmailSender, SmtpConfig
from config.business import Config
from storage.channel_models import MailboxState
from storage.models import Contact, InboundUpdate, Lead
from storage.models import Message as StoredMessage
from tests.support.channels import HEAD
from tests.support.env import CORPUS
from tests.support.mail import IMAP_URL, Mailbox, SmtpServer, dovecot_running, mail
from tests.support.service import running_service, wait_until
from usecases.context import AppContext
from usecases.ports import SendStatus
from usecases.work import Verdict, reply


@pytest.fixture
def mailbox() -> Mailbox:
    if not dovecot_running():
        pytest.skip(
            f"no IMAP server at {IMAP_URL}: start the test Dovecot with "
            "`scripts/dovecot-test.sh start` (needs apt-get install -y dovecot-imapd)"
        )
    return Mailbox(IMAP_URL)


async def rows(service: Any, model: type) -> list[Any]:
    async with service.ctx.db.session_factory() as session:
        return list(await session.scalars(select(model)))


async def count(service: Any, model: type) -> int:
    async with service.ctx.db.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_mail_becomes_a_lead_and_the_threaded_reply_brings_the_answer_back(
    database_url: str, mailbox: Mailbox, smtp: SmtpServer, team_config: Config
) -> None:
    first = mail(
        '"Иван Петров" <Ivan@Example.ru>',
        "Окна в дом",
        "Здравствуйте! Сколько стоит окно 120 на 150?",
        "<c1.ivan@example.ru>",
        charset="koi8-r",
    )
    await mailbox.append(first)
    settings = mailbox.settings(database_url, smtp)
    async with running_service(settings, team_config) as service:

        async def captured() -> bool:
            return await count(service, StoredMessage) == 1

        await wait_until(captured)
        contact = (await rows(service, Contact))[0]
        assert (contact.display_name, contact.email) == ("Иван Петров", "ivan@example.ru")
        lead = (await rows(service, Lead))[0]
        assert lead.channel == "email" and lead.extra["subject"] == "Окна в дом"
        stored = (await rows(service, StoredMessage))[0]
        assert stored.text == "Окна в дом\n\nЗдравствуйте! Сколько стоит окно 120 на 150?"
        assert stored.external_id == "c1.ivan@example.ru"

        # The acknowledgement already answers in the customer's thread.
        ack = (await smtp.wait_for(1))[0]
        assert ack["To"] == "ivan@example.ru"
        assert ack["Subject"] == "Re: Окна в дом"
        assert ack["In-Reply-To"] == "<c1.ivan@example.ru>"

        assert await reply(service.ctx, lead.id, HEAD, "Иван, 15 000 ₽ с установкой.") == (
            Verdict.DONE
        )
        answer = (await smtp.wait_for(2))[1]
        assert answer["In-Reply-To"] == "<c1.ivan@example.ru>"
        assert "<c1.ivan@example.ru>" in answer["References"]
        assert answer["Subject"] == "Re: Окна в дом"
        assert "15 000 ₽" in answer.get_content()
        our_id = answer["Message-ID"]

        # A copy of our own reply in the folder (Bcc to ourselves) is no enquiry.
        await mailbox.append(answer.as_bytes())

        # He answers from his work address, quoting us: the same person, the same lead.
        quoted = "\n".join(f"> {line}" for line in answer.get_content().splitlines())
        second = mail(
            "Ivan Petrov <ivan.petrov@work.example>",
            "Re: Окна в дом",
            f"Спасибо, беру два.\n\nOn Mon, 5 Jan 2026 Acme Sales wrote:\n{quoted}\n",
            "<c2.ivan@work.example>",
            in_reply_to=our_id,
        )
        await mailbox.append(second)

        async def answered() -> bool:
            states = await rows(service, MailboxState)
            return bool(states) and states[0].last_uid == 3

        await wait_until(answered)
        assert await count(service, StoredMessage) == 3  # in, our reply, in
        assert await count(service, Lead) == 1
        assert await count(service, Contact) == 1
        latest = [m for m in await rows(service, StoredMessage) if m.direction == "in"][-1]
        assert latest.lead_id == lead.id
        assert latest.text == "Спасибо, беру два."


async def test_mail_that_arrives_while_the_service_is_down_is_taken_once_after(
    database_url: str, mailbox: Mailbox, smtp: SmtpServer, team_config: Config
) -> None:
    settings = mailbox.settings(database_url, smtp)
    await mailbox.append(mail("a@example.com", "One", "first", "<m1@example.com>"))
    async with running_service(settings, team_config) as service:

        async def one() -> bool:
            return await count(service, StoredMessage) == 1

        await wait_until(one)

    # Down: two customers write.
    await mailbox.append(mail("b@example.com", "Two", "second", "<m2@example.com>"))
    await mailbox.append(mail("c@example.com", "Three", "third", "<m3@example.com>"))

    for _ in range(2):  # back, and once more: nothing is taken twice
        async with running_service(settings, team_config) as service:

            async def three() -> bool:
                states = await rows(service, MailboxState)
                return bool(states) and states[0].last_uid == 3

            await wait_until(three)
            await asyncio.sleep(0.8)  # a few more polls
            assert await count(service, StoredMessage) == 3
            state = (await rows(service, MailboxState))[0]
            assert state.last_uid == 3
    async with running_service(settings, team_config) as service:
        leads = await rows(service, Lead)
        assert len(leads) == 3
        assert await count(service, InboundUpdate) == 0  # nothing kept as failed


async def test_a_recreated_folder_is_read_again_without_doubles(
    database_url: str, mailbox: Mailbox, team_config: Config
) -> None:
    settings = mailbox.settings(database_url, None, imap_folder="Leads")
    await mailbox.recreate("Leads")
    await mailbox.append(mail("a@example.com", "One", "first", "<r1@example.com>"), "Leads")
    async with running_service(settings, team_config) as service:

        async def one() -> bool:
            states = await rows(service, MailboxState)
            return bool(states) and states[0].last_uid == 1

        await wait_until(one)
        assert await count(service, StoredMessage) == 1
        before = (await rows(service, MailboxState))[0].uidvalidity

    await mailbox.recreate("Leads")
    await mailbox.append(mail("a@example.com", "One", "first", "<r1@example.com>"), "Leads")
    await mailbox.append(mail("b@example.com", "Two", "second", "<r2@example.com>"), "Leads")
    async with running_service(settings, team_config) as service:

        async def two() -> bool:
            states = await rows(service, MailboxState)
            return bool(states) and states[0].last_uid == 2 and states[0].uidvalidity != before

        await wait_until(two)
        await asyncio.sleep(0.5)
        assert await count(service, StoredMessage) == 2
        state = (await rows(service, MailboxState))[0]
        assert state.uidvalidity != before and state.last_uid == 2


async def test_every_corpus_mail_through_imap_is_stored_or_skipped(
    database_url: str, mailbox: Mailbox, team_config: Config
) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    files = sorted(CORPUS.glob("email_*.eml"))
    assert files
    for path in files:
        await mailbox.append(path.read_bytes())
    automatic = sum(1 for path in files if parse_mail(path.read_bytes()).auto_generated)
    settings = mailbox.settings(database_url, None)
    async with running_service(settings, team_config) as service:

        async def all_taken() -> bool:
            states = await rows(service, MailboxState)
            return bool(states) and states[0].last_uid == len(files)

        await wait_until(all_taken, timeout=60)
        stored = await count(service, StoredMessage)
        assert await count(service, InboundUpdate) == 0  # nothing kept as failed
    # Bounces are skipped; each other mail is a message (a few share a Message-ID-less
    # body with another? no: without a Message-ID the bytes' hash is the key).
    assert stored == len(files) - automatic


# ------------------------------------------------------------------------ SMTP statuses


async def test_smtp_answers_map_to_send_statuses(ctx: AppContext, smtp: SmtpServer) -> None:
    config = SmtpConfig("127.0.0.1", smtp.port, "none", None, None, "sales@acme.example")
    sender = EmailSender(ctx, config)
    payload = {"text": "<b>Hello</b> &amp; welcome", "parse_mode": "HTML"}
    sent = await sender.send("someone@example.com", payload, row_id=41)
    assert sent.status is SendStatus.SENT
    message = smtp.messages[-1]
    assert message.get_content().strip() == "Hello & welcome"
    again = await sender.send("someone@example.com", payload, row_id=41)
    assert again.external_id == sent.external_id  # the same row: the same Message-ID

    smtp.refuse.append("550 5.1.1 no such user")
    refused = await sender.send("nobody@example.com", payload, row_id=42)
    assert refused.status is SendStatus.FAILED
    smtp.refuse.append("451 4.7.1 greylisted, try later")
    later = await sender.send("someone@example.com", payload, row_id=43)
    assert later.status is SendStatus.RETRY
    assert (await sender.send("not an address", payload)).status is SendStatus.FAILED
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    away = EmailSender(ctx, SmtpConfig("127.0.0.1", port, "none", None, None, "s@acme.example"))
    assert (await away.send("someone@example.com", payload)).status is SendStatus.RETRY
    off = EmailSender(ctx, None)
    assert (await off.send("someone@example.com", payload)).status is SendStatus.FAILED


# -------------------------------------------------------------------------- MIME parsing


def _corpus_mails() -> list[Path]:
    return sorted(CORPUS.glob("email_*.eml")) if CORPUS.is_dir() else []


@pytest.mark.parametrize("path", _corpus_mails(), ids=lambda p: p.name)
def test_every_corpus_mail_yields_a_sender_and_some_text(path: Path) -> None:
    parsed = parse_mail(path.read_bytes())
    sender = sender_of(parsed)
    assert sender.external_id.strip()
    assert text_of(parsed).strip()
    if not parsed.auto_generated:
        inbound = inbound_from_mail(parsed)
        assert inbound.text.strip() and inbound.external_message_id
        assert len(inbound.external_message_id) <= 255


def test_corpus_is_present_or_skipped() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    assert len(_corpus_mails()) >= 40


def test_cyrillic_charsets_and_encoded_headers() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    for name in ("email_thunderbird_koi8r_base64.eml", "email_thunderbird_windows1251_base64.eml"):
        parsed = parse_mail((CORPUS / name).read_bytes())
        assert (parsed.subject, parsed.text) == ("Алфавит", "Вопрос")
    spam = parse_mail((CORPUS / "email_mail_rb_cp1251_from_bad_date.eml").read_bytes())
    assert spam.from_name == "Атиковa" and spam.sent_at is None  # the year 3609 is no date
    tnef = parse_mail((CORPUS / "email_mimekit_koi8r_qp_tnef.eml").read_bytes())
    assert tnef.text.startswith("шостий")
    assert [a.file_name for a in tnef.attachments] == ["winmail.dat"]
    raw = parse_mail((CORPUS / "email_mail_rb_raw_8bit_subject_windows1252.eml").read_bytes())
    assert raw.subject.startswith("Formação FrenetikPolis")
    utf8 = parse_mail((CORPUS / "email_mail_rb_rfc6532_utf8_headers.eml").read_bytes())
    assert utf8.from_address == "jdöe@mächine.example"
    html = parse_mail((CORPUS / "email_mail_rb_cte_8bits_large_html.eml").read_bytes())
    assert "<" not in html.text[:200] and "December 04, 2001" in html.text
    bounce = parse_mail((CORPUS / "email_cpython_msg_16.eml").read_bytes())
    assert bounce.auto_generated
    with pytest.raises(Skip):
        inbound_from_mail(bounce)


def test_undeclared_8bit_russian_is_guessed() -> None:
    text = "Добрый день, пришлите счёт на оплату"
    for codec in ("cp1251", "koi8_r", "utf-8"):
        assert decode_bytes(text.encode(codec)) == text
    assert decode_bytes("Formação".encode("cp1252")) == "Formação"
    assert len(decode_bytes(b"\xff\xfe", "x-unknown-charset")) == 2  # a guess, no error
    assert header_text("=?NONE?B?VEVTVA=?=") == "TEST"


def test_quoted_replies_are_trimmed() -> None:
    gmail = "Да, подходит.\n\nOn Mon, 5 Jan 2026 at 10:00, Acme <s@acme.example>\nwrote:\n> old"
    assert trim_quoted(gmail) == "Да, подходит."
    russian = "Беру.\n\n05.01.2026, 10:00, Acme пишет:\n> Цена 100"
    assert trim_quoted(russian) == "Беру."
    outlook = "OK\n\nFrom: Acme\nSent: Monday\nTo: me\nSubject: offer\n\nold text"
    assert trim_quoted(outlook) == "OK"
    only_quote = "> everything quoted"
    assert trim_quoted(only_quote) == "> everything quoted"
    inline = "Answer one\n> question two\nAnswer two"
    assert trim_quoted(inline) == inline


def test_a_mail_without_anything_still_has_a_sender_and_text() -> None:
    parsed = parse_mail(b"")
    assert sender_of(parsed).external_id.startswith("unknown:")
    assert text_of(parsed) == "(empty e-mail)"
    inbound = inbound_from_mail(parse_mail(b"\xff\xfe\x00garbage\r\n\r\n\x00"))
    assert inbound.external_message_id.startswith("sha256:")


async def test_a_refused_login_or_an_absent_server_is_retried_and_logged_without_secrets(
    ctx: AppContext, mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    for host_port, password in ((mailbox.port, "wrong-pass-123"), (port, "other-pass-456")):
        config = ImapConfig(
            host=mailbox.host,
            port=host_port,
            security="none",
            user=mailbox.user,
            password=password,
            poll_interval=0.1,
            timeout=2,
        )
        poller = ImapPoller(ctx, config)
        stopping = asyncio.Event()
        task = asyncio.create_task(poller.run(stopping))
        await asyncio.sleep(0.5)
        stopping.set()
        await asyncio.wait_for(task, 5)  # it stops when asked, it did not crash
        assert "polling" in caplog.text and password not in caplog.text
