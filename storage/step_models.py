"""Tables of next steps: the step a manager agreed on a lead, and the timed work that
watches it (or its absence), rows with a due time claimed once, like follow-up steps."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import BigId


class NextStep(Base):
    """What is to be done next on a lead and when; at most one open step per lead."""

    __tablename__ = "next_steps"
    __table_args__ = (
        Index(
            "uq_next_steps_open_lead",
            "lead_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_next_steps_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    # Who held the lead when the step was set (the one reminded is whoever holds it then).
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id"))
    kind: Mapped[str] = mapped_column(String(16))  # domain.next_steps.StepKind
    note: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="open")
    # manager:<id> or dashboard: who set it.
    set_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class NextStepTimer(Base):
    """One reminder or head ping of next steps, due at a time, claimed once (the same
    lead, kind and trigger never twice)."""

    __tablename__ = "next_step_timers"
    __table_args__ = (
        UniqueConstraint("lead_id", "kind", "trigger_key"),
        Index("ix_next_step_timers_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    step_id: Mapped[int | None] = mapped_column(ForeignKey("next_steps.id"))
    kind: Mapped[str] = mapped_column(String(16))  # domain.next_steps.TimerKind
    # What started it (the acceptance, a done step, the step itself), so a repeat of
    # the same moment adds nothing and a new one starts anew.
    trigger_key: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(String(255))
