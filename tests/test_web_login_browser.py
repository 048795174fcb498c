"""Signing in by the bot's link, in a real headless Chromium (Playwright, the system's
Chromium), on SQLite and PostgreSQL, against the real service and bot with the Telegram
emulator: a link works once and only for its lifetime (a reused, an expired and an unknown
one are refused with a page that says why); opening it does not spend it, signing in
does; a forged or replayed session cookie is refused; "log out everywhere" ends every
session of the staff member; a head's session sees the whole team."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from domain.clock import ManualClock
from storage.web_models import WebLoginLink, WebSession
from tests.emulator.telegram import TelegramEmulator
from tests.support.browser import chromium, needs_chromium, new_context
from tests.support.service import TOKEN, make_settings, running_service
from tests.support.web import HEAD, MONDAY_10, SERGEY, login_link, rows, seed, texts_to, web_config

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext

pytestmark = needs_chromium
COOKIE = "lk_session"


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


async def signed_in(browser: Browser, link: str) -> BrowserContext:
    context = await new_context(browser)
    page = await context.new_page()
    await page.goto(link)
    await page.click("#link-sign-in")
    await page.wait_for_url("**/dashboard/board")
    return context


async def sees_board(context: BrowserContext, base: str) -> bool:
    """Whether this browser's session opens the board (else it is sent to sign in)."""
    page = await context.new_page()
    await page.goto(f"{base}/dashboard/board")
    opened = page.url == f"{base}/dashboard/board"
    assert opened or "/dashboard/login?next=" in page.url
    await page.close()
    return opened


async def with_cookie(browser: Browser, value: str) -> BrowserContext:
    context = await new_context(browser)
    await context.add_cookies(
        [{"name": COOKIE, "value": value, "domain": "127.0.0.1", "path": "/dashboard"}]
    )
    return context


async def cookie_of(context: BrowserContext) -> str:
    (value,) = [c["value"] for c in await context.cookies() if c["name"] == COOKIE]
    return value


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


async def test_sign_in_links_and_sessions(database_url: str, emulator: TelegramEmulator) -> None:
    clock = ManualClock(MONDAY_10)
    settings = make_settings(database_url, emulator.base_url, telegram_chat_interval=0)
    async with running_service(settings, web_config(), clock=clock) as service:
        ids = await seed(service, emulator)
        base = f"http://127.0.0.1:{service.port}"
        link = await login_link(emulator, SERGEY)
        message = texts_to(emulator, SERGEY)[-1]
        assert "действует 10 мин" in message and "один раз" in message
        # Only the digest is kept: the token in the link is nowhere in the table.
        token = link.rsplit("/", 1)[1]
        assert all(token not in row.token_hash for row in await rows(service, select(WebLoginLink)))

        async with chromium() as browser:
            first = await new_context(browser)
            page = await first.new_page()
            # Opening the link (as a link preview would) does not spend it.
            for _ in range(2):
                await page.goto(link)
                assert "Сергей" in await page.inner_text("#link-who")
            await page.click("#link-sign-in")
            await page.wait_for_url(f"{base}/dashboard/board")

            # Reused: refused, with a page that says why and what to do.
            reused = await page.goto(link)
            assert reused is not None and reused.status == 410
            refusal = await page.inner_text("#link-refused")
            assert "уже использована" in refusal and "/web" in refusal
            unknown = await page.goto(f"{base}/dashboard/login/{'x' * 43}")
            assert unknown is not None and unknown.status == 404
            assert "недействительна" in await page.inner_text("#link-refused")

            # Expired before it was opened, and opened in time but used too late.
            late = await login_link(emulator, SERGEY)
            slow = await login_link(emulator, SERGEY)
            slow_page = await (await new_context(browser)).new_page()
            await slow_page.goto(slow)
            clock.advance(timedelta(minutes=10, seconds=1))
            expired = await page.goto(late)
            assert expired is not None and expired.status == 410
            assert "истёк" in await page.inner_text("#link-refused")
            await slow_page.click("#link-sign-in")
            assert "истёк" in await slow_page.inner_text("#link-refused")
            assert "/dashboard/login/" in slow_page.url

            # Forged cookies: a changed body, a made-up staff session, a bad signature.
            genuine = await cookie_of(first)
            body, _, signature = genuine.partition(".")
            claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            made_up = b64(json.dumps({**claims, "tok": "A" * 43}).encode())
            admin = b64(json.dumps({**claims, "adm": "guess"}).encode())
            for forged in (
                f"{made_up}.{signature}",
                f"{admin}.{signature}",
                f"{body}.{b64(b'not the signature' * 2)}",
                "garbage",
                b64(json.dumps({"sid": "x", "exp": int(time.time()) + 3600}).encode()) + ".",
            ):
                assert not await sees_board(await with_cookie(browser, forged), base), forged
            assert await sees_board(await with_cookie(browser, genuine), base)

            # Log out everywhere: every browser he signed in with is out, and the old
            # cookie, replayed, opens nothing (the session is revoked server-side).
            second = await signed_in(browser, await login_link(emulator, SERGEY))
            assert await sees_board(second, base)
            await page.goto(f"{base}/dashboard/board")
            await page.click("#logout-everywhere")
            await page.wait_for_url("**/dashboard/login")
            assert not await sees_board(first, base)
            assert not await sees_board(second, base)
            assert not await sees_board(await with_cookie(browser, genuine), base)
            sessions = await rows(
                service, select(WebSession).where(WebSession.manager_id == ids["sergey"])
            )
            assert len(sessions) == 2 and all(s.revoked_at is not None for s in sessions)

            # Plain log out ends this browser's session only.
            third = await signed_in(browser, await login_link(emulator, SERGEY))
            fourth = await signed_in(browser, await login_link(emulator, SERGEY))
            out = await third.new_page()
            await out.goto(f"{base}/dashboard/board")
            await out.click("#logout")
            assert not await sees_board(third, base)
            assert await sees_board(fourth, base)

            # A head's link: the whole team's board and the head's pages.
            head = await signed_in(browser, await login_link(emulator, HEAD))
            head_page = await head.new_page()
            await head_page.goto(f"{base}/dashboard/board")
            cards = await head_page.eval_on_selector_all(
                ".board-card", "cards => cards.map(card => Number(card.dataset.lead))"
            )
            assert sorted(cards) == sorted(ids[k] for k in ("anna", "boris", "vera", "grisha"))
            for path in ("/dashboard/team", "/dashboard/reports", "/dashboard/complaints"):
                answer = await head_page.goto(base + path)
                assert answer is not None and answer.status == 200, path
