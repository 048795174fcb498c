"""Telegram Business: the accounts connected to the bot, as Telegram last described them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class BusinessConnection(Base):
    """One business connection; an account that reconnects may get a new id, so its
    history is read by the account (`owner_user_id`)."""

    __tablename__ = "business_connections"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    owner_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    owner_name: Mapped[str] = mapped_column(String(255), default="")
    owner_username: Mapped[str | None] = mapped_column(String(255))
    user_chat_id: Mapped[int] = mapped_column(BigInteger)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    can_reply: Mapped[bool] = mapped_column(Boolean, default=True)
    rights: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # How many times the account's connection was lost: the heads' ping about each loss
    # (and the "back" after it) is sent once, keyed by this count.
    lost_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lost_at: Mapped[datetime | None]
    connected_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
