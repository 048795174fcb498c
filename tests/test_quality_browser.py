"""The quality page in a real headless Chromium (Playwright, the system's Chromium), on
SQLite and PostgreSQL, against the real service and bot with the Telegram emulator: the
head signs in by the bot's link (/web), sees the week's sample waiting for grades with
each conversation, grades one with a comment; the same form sent again from a second
tab changes nothing; the grade shows in the dashboard's report beside the customers'
score; a manager's session gets no quality page (403)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest

from domain.clock import ManualClock
from tests.emulator.telegram import TelegramEmulator
from tests.support.browser import chromium, needs_chromium, new_context
from tests.support.next_steps import said
from tests.support.quality import (
    HEAD,
    SAMPLE_DUE,
    SERGEY,
    TUESDAY_NOON,
    close_a_week,
    quality_config,
    samples,
    tick,
)
from tests.support.service import TOKEN, make_settings, running_service
from tests.support.web import login_link

pytestmark = needs_chromium
SURVEYS = {5001: 5, 5002: 4}


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


async def test_the_head_grades_on_the_quality_page(
    database_url: str, emulator: TelegramEmulator
) -> None:
    clock = ManualClock(TUESDAY_NOON)
    settings = make_settings(database_url, emulator.base_url, telegram_chat_interval=0)
    async with running_service(settings, quality_config(per_manager=1), clock=clock) as service:
        service.ctx.rng = random.Random(5)
        closed = await close_a_week(service, emulator, clock, scores=SURVEYS)
        clock.set(SAMPLE_DUE)
        await tick(service, emulator)
        await said(emulator, HEAD, "Разговор на оценку", times=2)
        first, second = await samples(service)
        base = f"http://127.0.0.1:{service.port}"

        async with chromium() as browser:
            context = await new_context(browser, viewport={"width": 1300, "height": 900})
            page = await context.new_page()
            await page.goto(await login_link(emulator, HEAD))
            await page.click("#link-sign-in")
            await page.wait_for_url(f"{base}/dashboard/board")
            await page.click("#nav-quality")
            await page.wait_for_url(f"{base}/dashboard/quality")
            shown = await page.eval_on_selector_all(
                "section.sample", "items => items.map(item => item.id)"
            )
            assert sorted(shown) == [f"sample-{first.id}", f"sample-{second.id}"]
            card = await page.inner_text(f"#sample-{first.id}")
            assert f"#{first.lead_id}" in card and "выигран" in card
            assert "считаем, ответим" in card and "Клиент" in card

            # A second tab with the same form, sent after the first one: nothing changes.
            other = await context.new_page()
            await other.goto(f"{base}/dashboard/quality")

            form = f"#sample-{first.id} form"
            await page.check(f"{form} input[name=grade][value='5']")
            await page.fill(f"{form} textarea[name=comment]", "Вежливо, быстро, с итогом")
            await page.click(f"{form} button[type=submit]")
            await page.wait_for_url(f"{base}/dashboard/quality?done=quality_saved")
            assert await page.inner_text("#notice") == "Оценка сохранена."
            assert await page.locator(f"#sample-{first.id}").count() == 0
            assert await page.locator(f"#sample-{second.id}").count() == 1

            await other.check(f"{form} input[name=grade][value='1']")
            await other.click(f"{form} button[type=submit]")
            await other.wait_for_url(f"{base}/dashboard/quality?done=quality_already")
            assert await other.inner_text("#notice") == "Этот разговор уже оценён."
            graded = {s.id: s for s in await samples(service)}
            assert (graded[first.id].grade, graded[first.id].comment) == (
                5,
                "Вежливо, быстро, с итогом",
            )
            assert graded[second.id].grade is None

            # Bad input is refused with a reason; an unknown sample is not found; a post
            # without the session's token is refused.
            token = await page.get_attribute("input[name=csrf]", "value")
            target = f"{base}/dashboard/quality/{second.id}"
            bad = await page.request.post(target, form={"csrf": token or "", "grade": "7"})
            assert bad.status == 400 and "от 1 до 5" in await bad.text()
            unknown = f"{base}/dashboard/quality/{second.id + 100}"
            gone = await page.request.post(unknown, form={"csrf": token or "", "grade": "3"})
            assert gone.status == 404
            forged = await page.request.post(target, form={"csrf": "forged", "grade": "3"})
            assert forged.status == 403
            assert (await samples(service))[1].grade is None

            # The report: the head's grade beside the customers' score.
            await page.goto(f"{base}/dashboard/reports?period=month")
            holder = _holder(closed, first.lead_id)
            row = page.locator("#quality tr", has_text="Сергей" if holder == SERGEY else "Юлия")
            assert await row.locator(".grade").inner_text() == "5,0"
            scores = [s for c, s in SURVEYS.items() if _holder_of_customer(closed, c) == holder]
            expected = f"{sum(scores) / len(scores):.1f}".replace(".", ",") if scores else "—"
            assert await row.locator(".score").inner_text() == expected

            # A manager signed in has no quality page.
            manager_context = await new_context(browser)
            manager_page = await manager_context.new_page()
            await manager_page.goto(await login_link(emulator, SERGEY))
            await manager_page.click("#link-sign-in")
            await manager_page.wait_for_url(f"{base}/dashboard/board")
            assert await manager_page.locator("#nav-quality").count() == 0
            response = await manager_page.goto(f"{base}/dashboard/quality")
            assert response is not None and response.status == 403
            assert "только руководителю" in await manager_page.inner_text("main")


def _holder(closed: list, lead_id: int) -> int:  # type: ignore[type-arg]
    return next(c.manager for c in closed if c.lead_id == lead_id)


def _holder_of_customer(closed: list, customer: int) -> int:  # type: ignore[type-arg]
    return next(c.manager for c in closed if c.customer == customer)
