"""One-time login links and web sessions: random tokens, kept only as their digests, and
how long each lives. A token is shown once (in the link, in the cookie) and never stored."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

TOKEN_BYTES = 32
LINK_LIFETIME = timedelta(minutes=10)
SESSION_LIFETIME = timedelta(hours=12)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


@dataclass(frozen=True)
class WebLogins:
    """Where login links point and how long links and sessions last (from the settings)."""

    base_url: str = "http://127.0.0.1:8080"
    link_lifetime: timedelta = LINK_LIFETIME
    session_lifetime: timedelta = SESSION_LIFETIME

    def link(self, token: str) -> str:
        return f"{self.base_url.rstrip('/')}/dashboard/login/{token}"


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def digest(token: str) -> str:
    """What the database keeps instead of the token: a stolen table opens no session."""
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(value: str) -> bool:
    """A cheap filter before any lookup: the alphabet and length new_token() makes."""
    return _TOKEN.fullmatch(value) is not None


class LinkState(StrEnum):
    VALID = "valid"
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class LinkLike(Protocol):
    expires_at: datetime
    used_at: datetime | None


def link_state(link: LinkLike | None, now: datetime) -> LinkState:
    if link is None:
        return LinkState.UNKNOWN
    if link.used_at is not None:
        return LinkState.USED
    if link.expires_at <= now:
        return LinkState.EXPIRED
    return LinkState.VALID


class SessionLike(Protocol):
    expires_at: datetime
    revoked_at: datetime | None


def session_alive(session: SessionLike | None, now: datetime) -> bool:
    return session is not None and session.revoked_at is None and session.expires_at > now
