"""What the emulator records (calls, webhook deliveries, uploads) and the helpers tests use
to query and wait on those records."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support.env import patient

from .protocol import ApiError, _clone, _normalise_chat
from .state import EmulatorState


@dataclass
class UploadedFile:
    """A file sent as a multipart part."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class Call:
    """One request the emulator answered.

    Calls are recorded on arrival: ``status`` is 0 while the answer is not decided yet (a
    waiting long poll).  ``delivered`` is true when a send created a message server-side;
    ``written`` is true when the answer actually reached the client's socket (false when the
    client had given up).
    """

    method: str
    params: dict[str, Any]
    time: float
    status: int = 0
    response: dict[str, Any] | None = None
    delivered: bool = False
    written: bool = False
    via_webhook: bool = False
    # Telegram adds a human "description" to some successful answers (setWebhook).
    ok_description: str | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def result(self) -> Any:
        return (self.response or {}).get("result")

    @property
    def chat_id(self) -> int | str | None:
        value = self.params.get("chat_id")
        if value is None:
            return None
        try:
            return _normalise_chat(value)
        except ApiError:
            return value  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        chat = f" chat={self.chat_id}" if self.chat_id is not None else ""
        return f"<Call {self.method}{chat} -> {self.status}>"


@dataclass
class WebhookDelivery:
    """The outcome of one POST to the bot's webhook."""

    update_id: int
    status: int
    body: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


Predicate = Callable[[], object]
_Handler = Callable[[dict[str, Any], Call], Awaitable[Any]]


class RecordsMixin(EmulatorState):
    """Inspection: recorded calls, sent messages, pending updates, waiting."""

    def sent_messages(self, chat_id: int | str | None = None) -> list[Call]:
        """Send and copy calls (not sendChatAction) that created a message, in arrival order.

        A send whose answer was lost to a client timeout is included: the customer saw it.
        """
        wanted = None if chat_id is None else _normalise_chat(chat_id)
        return [
            call
            for call in self.calls
            if call.delivered
            and (call.method.startswith("send") or call.method == "copyMessage")
            and call.method != "sendChatAction"
            and (wanted is None or call.chat_id == wanted)
        ]

    def edits(self, chat_id: int | str | None = None) -> list[Call]:
        """Edits of a bot message's text or caption that Telegram accepted, in order."""
        wanted = None if chat_id is None else _normalise_chat(chat_id)
        return [
            call
            for call in self.calls
            if call.ok
            and call.method.lower() in ("editmessagetext", "editmessagecaption")
            and (wanted is None or call.chat_id == wanted)
        ]

    def shown(self, chat_id: int | str | None = None) -> list[Call]:
        """What the chat was shown, in arrival order: the messages sent and the edits of
        them (a card edited in place shows its new text where a new card used to come)."""
        edits = {id(call) for call in self.edits(chat_id)}
        sent = {id(call) for call in self.sent_messages(chat_id)}
        return [call for call in self.calls if id(call) in edits or id(call) in sent]

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method.lower() == method.lower()]

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed (polling) or acknowledged (webhook)."""
        return _clone(self._pending)

    def reset_calls(self) -> None:
        self.calls.clear()
        self.delivered_ok.clear()
        self.delivered_after_timeout.clear()
        self.webhook_deliveries.clear()
        self.rate_limited = 0

    async def wait_for(self, predicate: Predicate, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Poll ``predicate()`` (sync or async, no arguments) until it is truthy."""
        deadline = time.monotonic() + patient(timeout)
        while True:
            outcome = predicate()
            if isinstance(outcome, Awaitable):
                outcome = await outcome
            if outcome:
                return
            if time.monotonic() >= deadline:
                name = getattr(predicate, "__name__", repr(predicate))
                raise AssertionError(
                    f"condition {name} not met within {timeout}s; {self._summary()}"
                )
            await asyncio.sleep(0.01)

    async def wait_for_sent(
        self,
        count: int,
        chat_id: int | str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[Call]:
        """Wait until at least ``count`` messages were sent (to ``chat_id``); return them."""
        deadline = time.monotonic() + patient(timeout)
        while True:
            sent = self.sent_messages(chat_id)
            if len(sent) >= count:
                return sent
            if time.monotonic() >= deadline:
                where = "" if chat_id is None else f" to chat {chat_id}"
                texts = [call.params.get("text", call.params.get("caption")) for call in sent]
                raise AssertionError(
                    f"expected at least {count} sent messages{where} within {timeout}s, "
                    f"got {len(sent)}: {texts!r}; {self._summary()}"
                )
            await asyncio.sleep(0.01)

    def _summary(self, last: int = 15) -> str:
        tail = self.calls[-last:]
        lines = []
        for call in tail:
            chat = f" chat={call.chat_id}" if call.chat_id is not None else ""
            error = ""
            if call.response and not call.response.get("ok"):
                error = f" {call.response.get('description')!r}"
            lines.append(f"{call.method}{chat} -> {call.status}{error}")
        return f"last {len(tail)} of {len(self.calls)} calls: [" + "; ".join(lines) + "]"
