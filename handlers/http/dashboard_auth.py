"""Dashboard sign-in: a staff member's own session (opened by a /web link, kept server-
side, usecases.web_logins), or the administrator's password from the environment (kept
only as a scrypt hash); a signed session cookie, a CSRF token bound to the session, and a
brake on guessing the password.

The cookie holds no secret but a staff session's token (whose digest the database keeps):
a signed {session id, expiry, administrator?, staff session token}. Without
DASHBOARD_SECRET every process signs with its own random key, so sessions end with the
process and do not cross processes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web

from domain.tokens import as_bytes, same_token

COOKIE = "lk_session"
SESSION_SECONDS = 12 * 3600
# Guessing brake: this many wrong passwords from one address in the window, then 429.
MAX_FAILURES = 5
FAILURE_WINDOW = 300.0
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Session:
    sid: str
    expires: int
    # Signed in with DASHBOARD_PASSWORD.
    admin: bool = False
    # A staff member's server-side session (web_sessions), checked on every request.
    token: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.admin or self.token is not None


class DashboardAuth:
    def __init__(
        self, password: str | None, secret: str | None, session_seconds: int = SESSION_SECONDS
    ) -> None:
        base = secret.encode() if secret else secrets.token_bytes(32)
        self._key = hmac.new(base, b"leadkeeper dashboard", "sha256").digest()
        self.session_seconds = session_seconds
        self._salt = secrets.token_bytes(16)
        self._hash: bytes | None = None
        # The administrator's cookie names the password it was signed in with: a new
        # password ends every administrator session of the old one.
        self._password_tag: str | None = None
        if password:
            self._hash = hashlib.scrypt(password.encode(), salt=self._salt, **_SCRYPT)
            self._password_tag = self._sign(
                "password:" + hashlib.sha256(password.encode()).hexdigest()
            )[:22]
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    # -- the password

    @property
    def password_on(self) -> bool:
        return self._hash is not None

    def password_matches(self, candidate: str) -> bool:
        if self._hash is None:
            return False
        given = hashlib.scrypt(as_bytes(candidate), salt=self._salt, **_SCRYPT)
        return same_token(given, self._hash)

    def too_many_failures(self, address: str) -> bool:
        window = self._failures[address]
        cutoff = time.monotonic() - FAILURE_WINDOW
        while window and window[0] < cutoff:
            window.popleft()
        return len(window) >= MAX_FAILURES

    def failed(self, address: str) -> None:
        self._failures[address].append(time.monotonic())

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)

    # -- the session cookie

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), "sha256").digest())

    def encode(self, session: Session) -> str:
        data: dict[str, object] = {"sid": session.sid, "exp": session.expires}
        if session.admin:
            data["adm"] = self._password_tag
        if session.token is not None:
            data["tok"] = session.token
        body = _b64(json.dumps(data).encode())
        return f"{body}.{self._sign(body)}"

    def decode(self, value: str | None) -> Session | None:
        if not value or "." not in value:
            return None
        body, _, signature = value.partition(".")
        if not same_token(signature, self._sign(body)):
            return None
        try:
            data = json.loads(_unb64(body))
            sid, expires = str(data["sid"]), int(data["exp"])
            token = data.get("tok")
            admin = data.get("adm")
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        session = Session(
            sid,
            expires,
            admin=self._password_tag is not None and admin == self._password_tag,
            token=token if isinstance(token, str) else None,
        )
        return session if session.expires > time.time() else None

    def new_session(self, *, admin: bool = False, token: str | None = None) -> Session:
        expires = int(time.time()) + self.session_seconds
        return Session(secrets.token_urlsafe(18), expires, admin=admin, token=token)

    def csrf_token(self, session: Session) -> str:
        return self._sign(f"csrf:{session.sid}")

    def csrf_ok(self, session: Session | None, token: str | None) -> bool:
        if session is None or not token:
            return False
        return same_token(token, self.csrf_token(session))

    def session_of(self, request: web.Request) -> Session | None:
        return self.decode(request.cookies.get(COOKIE))

    def set_cookie(
        self, request: web.Request, response: web.StreamResponse, session: Session
    ) -> None:
        response.set_cookie(
            COOKIE,
            self.encode(session),
            max_age=self.session_seconds,
            path="/dashboard",
            httponly=True,
            samesite="Lax",
            secure=request.secure,
        )


def same_origin(request: web.Request) -> bool:
    """A browser's cross-site POST names its origin; ours must match the host it came to.

    Only the host is compared: behind a proxy that ends TLS the page is https while the
    request reaching us is http."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == request.host.lower()
