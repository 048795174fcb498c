"""A parsed mail → the inbound shape; no I/O here."""

from __future__ import annotations

import hashlib

from channels.email.parse import ParsedMail
from channels.email.plain import guess_language
from domain.inbound import InboundMessage, Sender

CHANNEL = "email"
# messages.external_id holds 255 characters; longer ids are hashed.
_MAX_ID = 200


class Skip(Exception):
    """The mail is not a customer enquiry (a bounce, an auto-reply); the reason is logged."""


def external_id(parsed: ParsedMail) -> str:
    """The Message-ID, so the same mail fetched twice (two pollers, a restart, a recreated
    folder) is stored once; a hash of the bytes when the mail has none."""
    if parsed.message_id and len(parsed.message_id) <= _MAX_ID:
        return parsed.message_id
    if parsed.message_id:
        return "sha256:" + hashlib.sha256(parsed.message_id.encode()).hexdigest()
    return "sha256:" + parsed.digest


def sender_of(parsed: ParsedMail) -> Sender:
    """Who wrote; a mail without any address still gets a stable, non-empty identity."""
    address = parsed.from_address
    raw = parsed.raw_from.strip()
    if address:
        identity, shown = address, parsed.from_name
    else:
        # "foo" or "MAILER DAEMON <>": no address, but the words are all there is of him.
        identity = "unknown:" + (raw[:100] or parsed.digest[:32])
        shown = parsed.from_name or raw or None
    return Sender(
        external_id=identity,
        # Where a reply goes; empty when the mail left no address to answer.
        chat_id=parsed.reply_to or address or "",
        display_name=shown,
        email=address,
    )


def text_of(parsed: ParsedMail) -> str:
    """The words for the manager: the subject heads a new conversation, not every reply."""
    body = parsed.text.strip()
    subject = parsed.subject.strip()
    if subject and body and not parsed.in_reply_to:
        return f"{subject}\n\n{body}"
    if body:
        return body
    if subject:
        return subject
    if parsed.attachments:
        return ", ".join(a.file_name or a.mime_type or a.kind for a in parsed.attachments)
    return "(empty e-mail)"


def inbound_from_mail(
    parsed: ParsedMail,
    *,
    thread_email: str | None = None,
    own_addresses: frozenset[str] = frozenset(),
) -> InboundMessage:
    """`thread_email`: the address of the contact whose thread this mail answers, so an
    answer from another address of the same person joins his lead. `own_addresses`: the
    service's own, whose mail (a copy of a reply, say) is no enquiry."""
    if parsed.auto_generated:
        raise Skip("automatic mail (bounce or auto-reply)")
    if parsed.from_address and parsed.from_address in own_addresses:
        raise Skip("our own mail")
    sender = sender_of(parsed)
    if thread_email and thread_email != sender.email:
        sender = Sender(
            external_id=sender.external_id,
            chat_id=sender.chat_id,
            display_name=sender.display_name,
            email=thread_email,
        )
    text = text_of(parsed)
    extra = {"subject": parsed.subject} if parsed.subject else {}
    return InboundMessage(
        channel=CHANNEL,
        sender=Sender(
            external_id=sender.external_id,
            chat_id=sender.chat_id,
            display_name=sender.display_name,
            language=guess_language(text),
            email=sender.email,
        ),
        external_message_id=external_id(parsed),
        text=text,
        attachments=tuple(parsed.attachments),
        sent_at=parsed.sent_at,
        source=CHANNEL,
        extra=extra,
        acknowledge=not parsed.bulk,
    )
