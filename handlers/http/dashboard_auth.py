"""Dashboard sign-in: one password from the environment (kept only as a scrypt hash), a
signed session cookie, a CSRF token bound to the session, and a brake on guessing.

The cookie holds no secret, only a signed {session id, signed in?, expiry}: without
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
    signed_in: bool
    expires: int


class DashboardAuth:
    def __init__(self, password: str, secret: str | None) -> None:
        self._salt = secrets.token_bytes(16)
        self._hash = hashlib.scrypt(password.encode(), salt=self._salt, **_SCRYPT)
        base = secret.encode() if secret else secrets.token_bytes(32)
        # A new password ends every session signed under the old one.
        self._key = hmac.new(base, hashlib.sha256(password.encode()).digest(), "sha256").digest()
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    # -- the password

    def password_matches(self, candidate: str) -> bool:
        given = hashlib.scrypt(candidate.encode(), salt=self._salt, **_SCRYPT)
        return hmac.compare_digest(given, self._hash)

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
        body = _b64(
            json.dumps(
                {"sid": session.sid, "in": session.signed_in, "exp": session.expires}
            ).encode()
        )
        return f"{body}.{self._sign(body)}"

    def decode(self, value: str | None) -> Session | None:
        if not value or "." not in value:
            return None
        body, _, signature = value.partition(".")
        if not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            data = json.loads(_unb64(body))
            session = Session(str(data["sid"]), bool(data["in"]), int(data["exp"]))
        except (ValueError, KeyError, TypeError):
            return None
        return session if session.expires > time.time() else None

    def new_session(self, signed_in: bool) -> Session:
        return Session(secrets.token_urlsafe(18), signed_in, int(time.time()) + SESSION_SECONDS)

    def csrf_token(self, session: Session) -> str:
        return self._sign(f"csrf:{session.sid}")

    def csrf_ok(self, session: Session | None, token: str | None) -> bool:
        if session is None or not token:
            return False
        return hmac.compare_digest(token, self.csrf_token(session))

    def session_of(self, request: web.Request) -> Session | None:
        return self.decode(request.cookies.get(COOKIE))

    def set_cookie(
        self, request: web.Request, response: web.StreamResponse, session: Session
    ) -> None:
        response.set_cookie(
            COOKIE,
            self.encode(session),
            max_age=SESSION_SECONDS,
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
