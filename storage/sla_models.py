"""Columns of the lead's SLA clock kept beside storage/models.py (which is full)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column


class SlaPauseColumns:
    """`sla.pause_in_stages`: since when the lead waits for the customer's reply in a stage
    whose clock stands still meanwhile, and the working time it waited before in it."""

    sla_paused_since: Mapped[datetime | None]
    sla_paused_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
