"""Tables for the whole core domain. Only storage/ imports this module."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.sla_models import SlaPauseColumns
from storage.types import BigId, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(255))
    username: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str | None] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    email: Mapped[str | None] = mapped_column(String(255), index=True)
    timezone: Mapped[str | None] = mapped_column(String(64))
    marketing_opt_out_at: Mapped[datetime | None]
    # A /start not yet followed by a question: when, and its deep-link payload. The first
    # real message opens the lead with this source and clears both.
    started_at: Mapped[datetime | None]
    start_source: Mapped[str | None] = mapped_column(String(64))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ChannelIdentity(Base):
    """One contact's address on one channel (a Telegram user, a VK user, a mailbox)."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(255))
    chat_id: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(255))
    username: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str | None] = mapped_column(String(16))
    blocked_at: Mapped[datetime | None]
    last_inbound_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Manager(Base):
    __tablename__ = "managers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="manager")
    level: Mapped[str] = mapped_column(String(16), default="middle")
    capacity: Mapped[int] = mapped_column(Integer, default=20)
    working_hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    language: Mapped[str] = mapped_column(String(8), default="ru", server_default="ru")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    paused_at: Mapped[datetime | None]
    from_config: Mapped[bool] = mapped_column(Boolean, default=False)
    last_offered_at: Mapped[datetime | None]
    # When he first pressed /start in the bot (None: the bot cannot write to him yet).
    started_at: Mapped[datetime | None]
    # Removed from the config: kept for the history, hidden from the team and filters.
    retired_at: Mapped[datetime | None]
    # Telegram refused his chat (never pressed /start, or blocked the bot): set by a failed
    # send, cleared when he writes to the bot. The reason is a delivery_fate.Failure value.
    unreachable_since: Mapped[datetime | None]
    unreachable_reason: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Lead(SlaPauseColumns, Base):
    __tablename__ = "leads"
    __table_args__ = (
        # At most one open lead per contact, even when two captures race.
        Index(
            "uq_leads_open_contact",
            "contact_id",
            unique=True,
            sqlite_where=text("is_open"),
            postgresql_where=text("is_open"),
        ),
        Index("ix_leads_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="new")
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    lead_class: Mapped[str | None] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    channel: Mapped[str] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(String(255))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id"), index=True)
    offered_manager_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id"))
    offer_expires_at: Mapped[datetime | None]
    pass_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    assigned_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    stage_entered_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    last_customer_message_at: Mapped[datetime | None]
    loss_reason: Mapped[str | None] = mapped_column(String(255))
    # The deal's amount in minor units of `currency` (domain/money.py says why integers).
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # When the next SLA timer of this lead is due (None: nothing pending).
    next_timer_at: Mapped[datetime | None] = mapped_column(index=True)
    # Set while the lead waits for a free manager.
    queued_at: Mapped[datetime | None]
    # Nobody took it after the last pass: it waits for the head's decision.
    needs_head: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Failures in a row of its SLA timers, of its offer's expiry and of its distribution:
    # each backs off and is given up after a few (usecases.retry_policy), so one lead
    # cannot hold back the rest.
    timer_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    offer_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    distribution_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Not distributed again before this (a failed attempt's backoff); None: whenever.
    next_distribution_at: Mapped[datetime | None]


class LeadOffer(Base):
    """A lead offered to one manager: accepted, declined, or expired and passed on."""

    __tablename__ = "lead_offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("managers.id"), index=True)
    offered_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(16), default="pending")
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)


class LeadAlert(Base):
    """A reminder or escalation that fired; unique, so each fires once per lead and key."""

    __tablename__ = "lead_alerts"
    __table_args__ = (UniqueConstraint("lead_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    key: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    # Fired during a burst: told to the heads in one summary ping, not on its own.
    held: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Invite(Base):
    """A single-use deep link a head gives to a new manager."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("managers.id"))
    level: Mapped[str] = mapped_column(String(16), default="junior")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_telegram_id: Mapped[int | None] = mapped_column(BigInteger)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    direction: Mapped[str] = mapped_column(String(8))  # in / out
    external_id: Mapped[str | None] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    author_manager_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id"))
    delivery_status: Mapped[str] = mapped_column(String(16), default="received")
    # Why an outgoing message failed (or is being retried): a code of domain/delivery_fate.
    delivery_error: Mapped[str | None] = mapped_column(String(32))
    outbox_id: Mapped[int | None] = mapped_column(BigInteger)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    edited_at: Mapped[datetime | None]


class LeadEvent(Base):
    """Append-only history of a lead: who did what, when."""

    __tablename__ = "lead_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    type: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(64))  # customer / system / manager:<id>
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id"))
    at: Mapped[datetime] = mapped_column(index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OutboxMessage(Base):
    """Everything the service sends goes through here, so a crash never loses it."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        # A manager's native reply names the staff message it answers: find its lead.
        Index("ix_outbox_external", "channel", "external_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(255))
    purpose: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    # The manager who is told this row's fate (delivered, failed, retrying): set on his
    # replies to customers, so no reply fails in silence.
    notify_manager_id: Mapped[int | None] = mapped_column(Integer)
    # Makes "send once per lead and reason" a constraint rather than a hope.
    dedupe_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    # The process holding the claim (workers.id): a dead holder's rows return in seconds.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    # Set just before the platform is called: if the holder dies after this, the message
    # may or may not have gone out, and the row is marked `maybe_sent` when it is rescued.
    attempted_at: Mapped[datetime | None]
    maybe_sent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_error: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(255))
    delivery_status: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class ChannelReceipt(Base):
    """Delivery ids already handled (Telegram update_id, webhook event ids)."""

    __tablename__ = "channel_receipts"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    received_at: Mapped[datetime]


class FollowupStep(Base):
    """One scheduled step of a follow-up sequence: a row with a due time, claimed once."""

    __tablename__ = "followup_steps"
    __table_args__ = (
        UniqueConstraint("lead_id", "sequence", "step", "trigger_key"),
        Index("ix_followup_steps_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sequence: Mapped[str] = mapped_column(String(64))
    step: Mapped[int] = mapped_column(Integer)
    # What started the sequence (e.g. the stage-entered time), so a repeat starts anew.
    trigger_key: Mapped[str] = mapped_column(String(64))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(String(255))


class Survey(Base):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), unique=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id"), index=True)
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]


class Complaint(Base):
    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16))  # command, survey, message, manager
    suspected: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="new")
    deadline_at: Mapped[datetime]
    resolution: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]


class ComplaintEvent(Base):
    __tablename__ = "complaint_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class InboundUpdate(Base):
    """A platform's payload exactly as it arrived, stored before the platform is answered.

    Processing (capture, staff actions) happens after, from this table; a payload that
    cannot be processed stays here as failed, with the error, and is never lost.
    """

    __tablename__ = "inbound_updates"
    __table_args__ = (
        UniqueConstraint("channel", "key"),
        Index("ix_inbound_updates_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(255))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    # A failed payload is retried, with backoff, not before this time.
    next_attempt_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class Worker(Base):
    """A running process that may hold claims on queued rows, with its last heartbeat.
    A row names its holder; when the holder stops beating (or, on its host, its process
    is gone) another process takes the row back at once, not when the lease runs out."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    # The process's start time as the kernel counts it: a reused pid is not the holder.
    pid_started: Mapped[str | None] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime] = mapped_column(index=True)
