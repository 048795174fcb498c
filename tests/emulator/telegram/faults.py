"""Fault injection and refusals: scripted errors, random chaos (429, 5xx, lost answers),
blocked users (403), users who never started the bot (400) and Telegram's broadcast
rate limits (429 with retry_after)."""

from __future__ import annotations

import math
import random
import time
from collections import deque
from collections.abc import Collection, Iterable
from typing import Any

from .protocol import BLOCKED_DESCRIPTION, ApiError, _normalise_chat
from .state import EmulatorState, _Chaos, _Failure

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: BLOCKED_DESCRIPTION,
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class FaultsMixin(EmulatorState):
    """Errors on demand, blocked users and rate limits."""

    def fail_next(
        self,
        method: str | None,
        *,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | str | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (None: any method) with an error;
        with ``chat_id``, only the calls to that chat.

        A failed send creates no message.  429 without ``retry_after`` gets ``retry_after=1``
        so clients see a proper flood-wait.
        """
        if status < 400:
            raise ValueError("fail_next needs an error status (>= 400)")
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            if status == 429:
                description = f"Too Many Requests: retry after {retry_after}"
            else:
                description = _DEFAULT_DESCRIPTIONS.get(status, "Internal Server Error")
        self._failures.append(
            _Failure(
                method=method.lower() if method else None,
                status=status,
                description=description,
                retry_after=retry_after,
                times=times,
                chat_id=_normalise_chat(chat_id) if chat_id is not None else None,
            )
        )

    def rate_limit_next(
        self,
        n: int = 1,
        *,
        retry_after: int = 1,
        method: str | None = "sendMessage",
        chat_id: int | str | None = None,
    ) -> None:
        """The next ``n`` calls of ``method`` get Telegram's flood wait: HTTP 429 with
        "Too Many Requests: retry after N" and ``parameters.retry_after`` N."""
        self.fail_next(method, status=429, retry_after=retry_after, times=n, chat_id=chat_id)

    def reject_auth(self) -> None:
        """Every call answers 401 Unauthorized, as once the bot's token is revoked."""
        self.auth_rejected = True

    def accept_auth(self) -> None:
        self.auth_rejected = False

    def block_user(self, chat_id: int | str) -> None:
        """Every send to this chat answers 403, as after the user pressed "Block"."""
        self.blocked.add(_normalise_chat(chat_id))

    def unblock_user(self, chat_id: int | str) -> None:
        self.blocked.discard(_normalise_chat(chat_id))

    def never_started(self, chat_id: int | str) -> None:
        """This user has never pressed /start: a bot cannot write to him first, and every
        send answers 400 "chat not found", as Telegram does."""
        self.unstarted.add(_normalise_chat(chat_id))

    def press_start(self, chat_id: int | str) -> None:
        self.unstarted.discard(_normalise_chat(chat_id))

    def set_chaos(
        self,
        rate: float,
        kinds: Iterable[str] = ("429", "5xx", "timeout"),
        seed: int = 0,
        timeout_seconds: float = 2.0,
        methods: Collection[str] | None = None,
    ) -> None:
        """Fail a random share of calls (by default: send* methods) with the given kinds.

        "429" and "5xx" reject the call (no message).  "timeout" delivers the message and
        then holds the answer for ``timeout_seconds`` — set it above the client's timeout to
        reproduce "sent, but the client thinks it failed".  ``rate=0`` switches chaos off.
        """
        chosen = tuple(kinds)
        unknown = set(chosen) - {"429", "5xx", "timeout"}
        if unknown:
            raise ValueError(f"unknown chaos kinds: {sorted(unknown)}")
        if rate <= 0 or not chosen:
            self._chaos = None
            return
        self._chaos = _Chaos(
            rate=rate,
            kinds=chosen,
            rng=random.Random(seed),
            timeout_seconds=timeout_seconds,
            methods=frozenset(m.lower() for m in methods) if methods is not None else None,
        )

    def _take_failure(self, method: str, chat_id: Any = None) -> ApiError | None:
        lowered = method.lower()
        for failure in self._failures:
            if failure.chat_id is not None and not _same_chat(failure.chat_id, chat_id):
                continue
            if failure.method is None or failure.method == lowered:
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                return ApiError(failure.status, failure.description, failure.retry_after)
        return None

    def _roll_chaos(self, method: str) -> str | None:
        chaos = self._chaos
        if chaos is None:
            return None
        if chaos.methods is None:
            eligible = method.startswith("send")
        else:
            eligible = method.lower() in chaos.methods
        if not eligible or chaos.rng.random() >= chaos.rate:
            return None
        kind = chaos.rng.choice(chaos.kinds)
        if kind == "429":
            raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        if kind == "5xx":
            raise ApiError(502, "Bad Gateway")
        return kind

    # -- refusals Telegram makes by itself ------------------------------------------------

    def _check_blocked(self, chat_id: int | str) -> None:
        if chat_id in self.unstarted:
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self.blocked:
            raise ApiError(403, BLOCKED_DESCRIPTION)

    def _check_rate(self, chat_id: int | str) -> None:
        if not self.enforce_limits:
            return
        now = time.monotonic()
        waits: list[float] = []
        sends = self._global_sends
        while sends and sends[0] <= now - 1.0:
            sends.popleft()
        if len(sends) >= self.global_per_second:
            waits.append(sends[0] + 1.0 - now)
        if isinstance(chat_id, int) and chat_id > 0:
            last = self._private_last.get(chat_id)
            if last is not None and now - last < self.private_interval:
                waits.append(last + self.private_interval - now)
        else:
            group = self._group_sends.setdefault(chat_id, deque())
            while group and group[0] <= now - 60.0:
                group.popleft()
            if len(group) >= self.group_per_minute:
                waits.append(group[0] + 60.0 - now)
        if waits:
            retry_after = max(1, math.ceil(max(waits)))
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )

    def _commit_rate(self, chat_id: int | str) -> None:
        if not self.enforce_limits:
            return
        now = time.monotonic()
        self._global_sends.append(now)
        if isinstance(chat_id, int) and chat_id > 0:
            self._private_last[chat_id] = now
        else:
            self._group_sends.setdefault(chat_id, deque()).append(now)


def _same_chat(wanted: int | str, given: Any) -> bool:
    try:
        return given is not None and _normalise_chat(given) == wanted
    except ApiError:
        return False
