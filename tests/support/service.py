"""Run the real service in-process (against the Telegram emulator, or with no Telegram at
all), for end-to-end tests, and wait a bounded time for what it does."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from app.runtime import Role, Service
from config.business import Config
from config.settings import Settings
from domain.clock import Clock, SystemClock
from tests.support.env import patient

TOKEN = "123456:TEST"
API_TOKEN = "test-api-token"


def make_settings(database_url: str, api_base: str | None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "http_host": "127.0.0.1",
        "http_port": 0,
        "api_token": API_TOKEN,
        "log_level": "INFO",
    }
    if api_base is not None:
        values.update(telegram_bot_token=TOKEN, telegram_api_base=api_base)
    values.update(overrides)
    return Settings(_env_file=None, **values)


@asynccontextmanager
async def running_service(
    settings: Settings,
    config: Config,
    *,
    clock: Clock | None = None,
    role: Role = Role.ALL,
    **options: Any,
) -> AsyncIterator[Service]:
    """`options` go to the Service (e.g. watchdog_interval=0.05)."""
    service = Service(settings, config, role=role, clock=clock or SystemClock(), **options)
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


async def wait_until(
    predicate: Callable[[], Awaitable[bool]],
    timeout: float = 15.0,  # noqa: ASYNC109
) -> None:
    deadline = time.monotonic() + patient(timeout)
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)
