"""Headless Chromium for the dashboard's browser tests: the system's own (Debian's
`chromium`), driven by Playwright (no browser download). A test module marks itself with
`needs_chromium`, which skips it, with the reason, where either is missing (`.ci/run`
installs Chromium)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

try:
    from playwright.async_api import Browser, BrowserContext, async_playwright
except ImportError:  # pragma: no cover - the dev extras install it
    async_playwright = None

CHROMIUM = os.environ.get("CHROMIUM") or next(
    (path for name in ("chromium", "chromium-browser") if (path := shutil.which(name))), None
)
FLAGS = ("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic")
# Every wait in a page (a load, a selector) gives up after this, in milliseconds.
WAIT_MS = 15_000


def _missing() -> str | None:
    if async_playwright is None:
        return "Playwright not installed: pip install -e '.[dev]'"
    if CHROMIUM is None:
        return "Chromium not found: apt-get install chromium (or set CHROMIUM=/path/to/chromium)"
    return None


needs_chromium = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    assert async_playwright is not None and CHROMIUM is not None
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=list(FLAGS), headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()


async def new_context(browser: Browser, *, locale: str = "ru-RU", **options: Any) -> BrowserContext:
    """A fresh profile (no cookies) that asks for `locale`'s language."""
    context = await browser.new_context(locale=locale, **options)
    context.set_default_timeout(WAIT_MS)
    return context
