"""Tables of the workload norm: the alarm episodes, so that the head hears once when the
queue's expected wait outgrows the first-response SLA, and once more only after it has
come back down (usecases/workload_alarm.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class WorkloadAlarm(Base):
    """One episode of a queue too long for the SLA: from the tick that saw the wait go
    over it to the tick that saw it well back within it (ended_at)."""

    __tablename__ = "workload_alarms"
    __table_args__ = (
        # At most one episode open at a time, even when two processes tick together.
        Index(
            "uq_workload_alarms_open",
            "slot",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Always 1: the column the "one open episode" index is on.
    slot: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    # What the tick that started it saw, for the log and a later look.
    waiting: Mapped[int] = mapped_column(Integer)
    on_shift: Mapped[int] = mapped_column(Integer)
    wait_minutes: Mapped[int] = mapped_column(Integer)
