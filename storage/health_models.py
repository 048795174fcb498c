"""The channels' health as the watchdog last saw it: one row per channel, shared by every
process (the one that probes, those that poll and send, those that answer /healthz)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class ChannelHealth(Base):
    __tablename__ = "channel_health"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The current problem (None: healthy), in the platform's words, and since when.
    problem: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(500), default="", server_default="")
    failing_since: Mapped[datetime | None]
    # The heads were told about this outage; `outages` keys each alert and its recovery,
    # so that a restart or a second process never tells them again.
    alerted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    outages: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The next probe is claimed by moving this on (one process probes at a time).
    next_probe_at: Mapped[datetime]
    probed_at: Mapped[datetime | None]
    ok_at: Mapped[datetime | None]  # the last probe that found nothing wrong
    repaired: Mapped[str] = mapped_column(String(200), default="", server_default="")
    repaired_at: Mapped[datetime | None]
    # What the polling loops and the outbox saw, whichever process saw it.
    poll_error: Mapped[str | None] = mapped_column(String(500))
    poll_error_at: Mapped[datetime | None]
    poll_ok_at: Mapped[datetime | None]
    send_error: Mapped[str | None] = mapped_column(String(500))
    send_error_at: Mapped[datetime | None]
    send_ok_at: Mapped[datetime | None]
    watched_since: Mapped[datetime]
