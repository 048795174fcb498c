"""Tables of the staff's own web logins: one-time login links sent by the bot (/web), and
the sessions they open. Only digests of the tokens are kept (domain.web_tokens)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import BigId


class WebLoginLink(Base):
    """A link that signs one staff member in, once, within its lifetime."""

    __tablename__ = "web_login_links"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("managers.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class WebSession(Base):
    """A signed-in browser of a staff member; revoked by "log out" (this one) or "log out
    everywhere" (all of his)."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("managers.id"), index=True)
    link_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
