"""Special terms asked for on leads (domain/special_terms.py): one row per request, with
the rule's answer or the head's."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class TermRequest(Base):
    """A discount, instalments or deferred payment asked for a lead; at most one of each
    kind waits for a head's answer per lead."""

    __tablename__ = "term_requests"
    __table_args__ = (
        Index(
            "uq_term_requests_pending",
            "lead_id",
            "kind",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_term_requests_status_decided", "status", "decided_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    # Who asked (the lead's manager, or a head).
    manager_id: Mapped[int] = mapped_column(ForeignKey("managers.id"))
    kind: Mapped[str] = mapped_column(String(16))  # domain.special_terms.TermKind
    # Percent, months or days, as the kind counts.
    value: Mapped[float] = mapped_column(Float)
    # What the asker could get at once when he asked (told to the head, kept for audits).
    auto_limit: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))  # domain.special_terms.RequestStatus
    # The head who answered; None when the rule granted it at once.
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id"))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
