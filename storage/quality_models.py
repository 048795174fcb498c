"""Tables of quality sampling: the weekly sample (timed work, a row with a due time claimed
once per ISO week) and the conversations it picked, each graded once by a head."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class QualityRound(Base):
    """One week's sample: planned ahead, due at the configured weekday and time, sent
    once (the week's key is unique, and the row is locked while it is sent)."""

    __tablename__ = "quality_rounds"
    __table_args__ = (Index("ix_quality_rounds_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # domain.quality.week_key: `2026-W02`.
    week: Mapped[str] = mapped_column(String(16), unique=True)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sampled: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(String(255))


class QualitySample(Base):
    """A closed conversation a head is to grade 1–5, with an optional comment."""

    __tablename__ = "quality_samples"
    __table_args__ = (
        UniqueConstraint("round_id", "lead_id"),
        Index("ix_quality_samples_graded_at", "graded_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("quality_rounds.id"), index=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    # The manager whose conversation it is (who held the lead when it closed).
    manager_id: Mapped[int] = mapped_column(ForeignKey("managers.id"), index=True)
    created_at: Mapped[datetime]
    grade: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    # manager:<id> (a head, in Telegram or on the dashboard) or dashboard (the administrator).
    graded_by: Mapped[str | None] = mapped_column(String(64))
    graded_at: Mapped[datetime | None]
