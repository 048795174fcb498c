"""A small Avito API client (aiohttp): an OAuth token kept fresh, and the Messenger calls
the channel needs.

The token comes from `POST /token` (client_credentials) and is renewed before it runs
out (REFRESH_MARGIN, by the service's clock). A 401 means Avito stopped taking the token
sooner (revoked, rotated): it is fetched anew once and the call repeated; a second 401
raises AvitoApiError with `credentials` set, logged as an error, since only the
administrator can fix it. Errors come as `{"error": {"code", "message"}}` (or OAuth's
`{"error", "error_description"}`) with the HTTP status; a 429 carries its Retry-After.
The client secret and tokens travel in bodies and headers only, never in a URL.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import aiohttp
from aiolimiter import AsyncLimiter

from domain.clock import Clock

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = 15.0
# Avito publishes no exact quota for the Messenger API; calls are paced well below where
# it starts answering 429.
CALLS_PER_SECOND = 10
# A token is renewed this long before it expires (or at nine tenths of a short life).
REFRESH_MARGIN = timedelta(minutes=5)
CREDENTIALS_HINT = (
    "check AVITO_CLIENT_ID and AVITO_CLIENT_SECRET (developers.avito.ru → the application) "
    "and that the application may use the Messenger API"
)
CREDENTIALS_REFUSED = f"Avito refused the access token twice (401): {CREDENTIALS_HINT}"


class AvitoApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        retry_after: float | None = None,
        *,
        credentials: bool = False,
    ) -> None:
        super().__init__(f"Avito {status}: {message}")
        self.status = status
        self.retry_after = retry_after
        # The client id and secret (or the application's rights) are what is wrong.
        self.credentials = credentials


def _retry_after(header: str | None) -> float | None:
    try:
        return max(0.0, float(header)) if header else None
    except ValueError:
        return None


def _reason(answer: Any, raw: bytes) -> str:
    if isinstance(answer, dict):
        error = answer.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:300]
        if isinstance(error, str):
            return f"{error}: {answer.get('error_description') or ''}".strip(": ")[:300]
        for key in ("message", "result"):
            value = answer.get(key)
            if isinstance(value, dict):
                value = value.get("message")
            if value:
                return str(value)[:300]
    return raw[:200].decode("utf-8", "replace") or "no details"


class AvitoApi:
    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        clock: Clock,
        *,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._client = {"client_id": client_id, "client_secret": client_secret}
        self._clock = clock
        self._session = session
        self._limiter = AsyncLimiter(CALLS_PER_SECOND, 1.0)
        self._token: str | None = None
        self._renew_at: datetime | None = None
        self._token_lock = asyncio.Lock()
        self._own_id: int | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def _request(
        self, method: str, path: str, headers: dict[str, str], **kwargs: Any
    ) -> tuple[int, Any, bytes, float | None]:
        await self._limiter.acquire()
        async with self._http().request(
            method,
            f"{self._base}{path}",
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
            **kwargs,
        ) as response:
            raw = await response.read()
            retry_after = _retry_after(response.headers.get("Retry-After"))
            status = response.status
        try:
            answer = json.loads(raw) if raw else {}
        except (json.JSONDecodeError, UnicodeDecodeError):
            answer = None
        return status, answer, raw, retry_after

    # ------------------------------------------------------------------ the token

    async def token(self) -> str:
        """A token that is good for a while yet; fetched when there is none or it is old."""
        async with self._token_lock:
            now = self._clock.now()
            if self._token is None or self._renew_at is None or now >= self._renew_at:
                await self._fetch_token(now)
            assert self._token is not None
            return self._token

    async def _fetch_token(self, now: datetime) -> None:
        form = {"grant_type": "client_credentials", **self._client}
        status, answer, raw, retry_after = await self._request(
            "POST", "/token", {"Accept": "application/json"}, data=form
        )
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if status == 200 and isinstance(token, str) and token:
            lifetime = answer.get("expires_in")
            seconds = float(lifetime) if isinstance(lifetime, int | float) else 3600.0
            margin = min(REFRESH_MARGIN, timedelta(seconds=max(seconds, 0) / 10))
            self._token = token
            self._renew_at = now + timedelta(seconds=max(seconds, 0)) - margin
            log.info("avito: access token received, good for %.0f s", seconds)
            return
        if status in (400, 401, 403) or status == 200:
            problem = (
                f"Avito refused the application's keys at POST /token ({_reason(answer, raw)})"
            )
            log.error("avito: %s: %s", problem, CREDENTIALS_HINT)
            raise AvitoApiError(status, f"{problem}: {CREDENTIALS_HINT}", credentials=True)
        raise AvitoApiError(status, f"POST /token: {_reason(answer, raw)}", retry_after)

    def _forget(self, token: str) -> None:
        if self._token == token:
            self._token = None

    # ------------------------------------------------------------------ calls

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The parsed JSON answer; raises AvitoApiError, aiohttp and timeout errors."""
        for attempt in (1, 2):
            token = await self.token()
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            status, answer, raw, retry_after = await self._request(method, path, headers, **kwargs)
            if status == 401:
                self._forget(token)
                if attempt == 1:
                    log.info("avito: %s %s answered 401; fetching a new token", method, path)
                    continue
                log.error("avito: %s (%s %s)", CREDENTIALS_REFUSED, method, path)
                raise AvitoApiError(401, CREDENTIALS_REFUSED, credentials=True)
            if status != 200:
                raise AvitoApiError(status, _reason(answer, raw), retry_after)
            if answer is None:
                raise AvitoApiError(status, "the answer is not JSON")
            return answer
        raise AssertionError("unreachable")

    async def own_id(self) -> int:
        """Our account's user id (GET /core/v1/accounts/self), asked once."""
        if self._own_id is None:
            answer = await self.call("GET", "/core/v1/accounts/self")
            own = answer.get("id") if isinstance(answer, dict) else None
            if not isinstance(own, int) or isinstance(own, bool):
                raise AvitoApiError(200, "GET /core/v1/accounts/self gave no account id")
            self._own_id = own
        return self._own_id

    @property
    def known_own_id(self) -> int | None:
        return self._own_id

    async def chat(self, chat_id: str) -> dict[str, Any]:
        own = await self.own_id()
        answer = await self.call("GET", f"/messenger/v2/accounts/{own}/chats/{_segment(chat_id)}")
        return answer if isinstance(answer, dict) else {}

    async def send_text(self, chat_id: str, text: str) -> dict[str, Any]:
        own = await self.own_id()
        body = {"message": {"text": text}, "type": "text"}
        path = f"/messenger/v1/accounts/{own}/chats/{_segment(chat_id)}/messages"
        answer = await self.call("POST", path, json=body)
        return answer if isinstance(answer, dict) else {}

    async def upload_image(self, data: bytes, file_name: str, content_type: str) -> str:
        """The image id Avito gives an uploaded picture (POST …/uploadImages)."""
        own = await self.own_id()
        form = aiohttp.FormData()
        form.add_field("uploadfile[]", data, filename=file_name, content_type=content_type)
        answer = await self.call("POST", f"/messenger/v1/accounts/{own}/uploadImages", data=form)
        image_id = next(iter(answer), None) if isinstance(answer, dict) else None
        if not isinstance(image_id, str) or not image_id:
            raise AvitoApiError(200, "uploadImages gave no image id")
        return image_id

    async def send_image(self, chat_id: str, image_id: str) -> dict[str, Any]:
        own = await self.own_id()
        path = f"/messenger/v1/accounts/{own}/chats/{_segment(chat_id)}/messages/image"
        answer = await self.call("POST", path, json={"image_id": image_id})
        return answer if isinstance(answer, dict) else {}

    async def subscribe(self, url: str) -> None:
        answer = await self.call("POST", "/messenger/v3/webhook", json={"url": url})
        if isinstance(answer, dict) and answer.get("ok") is False:
            raise AvitoApiError(200, "POST /messenger/v3/webhook did not subscribe")

    async def subscriptions(self) -> list[str]:
        answer = await self.call("POST", "/messenger/v1/subscriptions")
        found = answer.get("subscriptions") if isinstance(answer, dict) else None
        return [str(s.get("url")) for s in found or [] if isinstance(s, dict) and s.get("url")]

    async def download(self, url: str) -> tuple[bytes, str]:
        """A picture named by a URL (a follow-up step's photo), and its content type."""
        async with self._http().get(
            url, timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
        ) as response:
            if response.status != 200:
                raise AvitoApiError(response.status, f"the picture at {url[:100]} is not there")
            return await response.read(), response.headers.get("Content-Type", "image/jpeg")

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def _segment(value: str) -> str:
    """A chat id as one path segment (Avito's are like u2i-…~…)."""
    return quote(value, safe="-_.~")
