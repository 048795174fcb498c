"""Tables of the non-Telegram channels: where the IMAP poller stands in each mailbox, and
what a reply to an e-mail address needs to land in the customer's thread."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, OutboxMessage


class MailboxState(Base):
    """The last UID taken from one IMAP folder, valid only with its UIDVALIDITY."""

    __tablename__ = "mailbox_states"

    mailbox: Mapped[str] = mapped_column(String(255), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime]


class MailThread(Base):
    """The customer's latest mail from one address: the subject and ids a reply quotes."""

    __tablename__ = "mail_threads"

    address: Mapped[str] = mapped_column(String(255), primary_key=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    last_message_id: Mapped[str | None] = mapped_column(Text)
    # Space-separated Message-IDs, oldest first, as the References header wants them.
    reference_ids: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime]


# WhatsApp statuses and e-mail replies find the outbox row by the platform's message id.
Index("ix_outbox_channel_external_id", OutboxMessage.channel, OutboxMessage.external_id)
