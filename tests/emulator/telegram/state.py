"""Everything the emulator remembers: the constructor and all server-side state.

The behaviour lives in mixins (one module each) that inherit from ``EmulatorState``, so
every attribute they use is declared here in one place.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import ClientSession, web

if TYPE_CHECKING:
    from .records import Call, WebhookDelivery, _Handler


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    path: str
    data: bytes | None
    file_name: str | None = None
    mime_type: str | None = None


@dataclass
class _Failure:
    method: str | None
    status: int
    description: str
    retry_after: int | None
    times: int
    chat_id: int | str | None = None  # None: a call to any chat (or none)


@dataclass
class _Chaos:
    rate: float
    kinds: tuple[str, ...]
    rng: random.Random
    timeout_seconds: float
    methods: frozenset[str] | None


class EmulatorState:
    """The emulator's state; see ``TelegramEmulator`` for the behaviour."""

    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        enforce_limits: bool = False,
        latency: float = 0.0,
        host: str = "127.0.0.1",
        bot_username: str = "leadkeeper_test_bot",
        bot_first_name: str = "Leadkeeper",
    ) -> None:
        self.token = token
        self.enforce_limits = enforce_limits
        self.latency = latency
        self.host = host
        # Telegram's documented broadcast limits; tests may lower them for speed.
        self.global_per_second = 30
        self.private_interval = 1.0
        self.group_per_minute = 20

        self.bot_user: dict[str, Any] = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

        self.calls: list[Call] = []
        self.delivered_ok: list[Call] = []
        self.delivered_after_timeout: list[Call] = []
        self.rate_limited = 0
        self.webhook_deliveries: list[WebhookDelivery] = []

        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self._webhook_error: tuple[int, str] | None = None
        self._allowed_updates: list[str] | None = None
        self._pending: list[dict[str, Any]] = []
        self._update_ids = itertools.count(100_000)
        self._last_update_id = 99_999
        self._update_event = asyncio.Event()
        self._poll_generation = 0

        self.messages: dict[tuple[int | str, int], dict[str, Any]] = {}
        self._message_ids: dict[int | str, int] = {}
        self._chats: dict[int | str, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self.files: dict[str, _StoredFile] = {}
        self._file_counter = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._media_groups = itertools.count(1)
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        # Telegram Business (business.py): connections by id, each account's connection
        # id, and the (account, customer) chats that had a customer's message.
        self.business_connections: dict[str, dict[str, Any]] = {}
        self._business_by_owner: dict[int, str] = {}
        self._business_ids = itertools.count(1)
        self._business_active: set[tuple[int, Any]] = set()

        self.blocked: set[int | str] = set()
        # Users who never opened a chat with the bot: Telegram answers "chat not found".
        self.unstarted: set[int | str] = set()
        self._failures: list[_Failure] = []
        # Set by reject_auth(): the token is refused whatever it is.
        self.auth_rejected = False
        self._chaos: _Chaos | None = None
        self._global_sends: deque[float] = deque()
        self._private_last: dict[int | str, float] = {}
        self._group_sends: dict[int | str, deque[float]] = {}

        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._http: ClientSession | None = None
        self._handlers = self._build_handlers()

    def _build_handlers(self) -> dict[str, tuple[str, _Handler]]:
        """Method name (lower case) -> (canonical name, handler); see TelegramEmulator."""
        raise NotImplementedError
