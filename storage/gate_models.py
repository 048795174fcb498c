"""Answers to the stage checklists (config `stages:`): one per lead and question, the latest
kept, with who answered and when. The moves they let through, refused or overridden, are
lead events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import BigId


class ChecklistAnswer(Base):
    __tablename__ = "checklist_answers"
    __table_args__ = (UniqueConstraint("lead_id", "question_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    # The question's `key` in the YAML.
    question_key: Mapped[str] = mapped_column(String(32))
    answer: Mapped[str] = mapped_column(Text)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id"))
    answered_at: Mapped[datetime]
