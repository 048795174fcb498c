"""The dashboard in a real browser: headless Chromium (the system's, Debian's `chromium`)
driven by Playwright, against the real service, signed in with the administrator's
password (DASHBOARD_PASSWORD).

Sign in (a wrong password and a form without its CSRF token are refused first), filter
the leads, open a lead and read its conversation, resolve a complaint, switch to English.
Skipped, with the reason, where Chromium or Playwright is missing (`.ci/run` installs
Chromium)."""

from __future__ import annotations

from config.business import parse_config
from domain.clock import ManualClock
from tests.support.browser import chromium, needs_chromium, new_context
from tests.support.dashboard import PASSWORD, seed
from tests.support.service import make_settings, running_service
from tests.support.team import MONDAY_10, TEAM_CONFIG

pytestmark = needs_chromium


async def test_dashboard_in_a_real_browser(sqlite_url: str, clock: ManualClock) -> None:
    clock.set(MONDAY_10)
    settings = make_settings(sqlite_url, None, dashboard_password=PASSWORD)
    async with running_service(settings, parse_config(TEAM_CONFIG), clock=clock) as service:
        ids = await seed(service, clock)
        base = f"http://127.0.0.1:{service.port}"
        async with chromium() as browser:
            # The browser asks for English, as a headless Chromium does by default.
            context = await new_context(browser, locale="en-US")
            page = await context.new_page()

            def path() -> str:
                return page.url.removeprefix(base)

            # Anonymous: every page sends to the sign-in form, and shows no lead.
            for target in ("/dashboard/leads", f"/dashboard/leads/{ids['maria']}"):
                await page.goto(base + target)
                assert path().startswith("/dashboard/login?next=")
                assert "Мария" not in await page.inner_text("body")

            await page.fill("#password", "not the password")
            await page.click("#sign-in")
            assert "Wrong password" in await page.inner_text("body")

            # The right password in a form stripped of its CSRF token is refused too.
            await page.eval_on_selector("input[name=csrf]", "input => input.remove()")
            await page.fill("#password", PASSWORD)
            await page.click("#sign-in")
            assert "The form is stale" in await page.inner_text("body")
            await page.goto(f"{base}/dashboard/leads")
            assert path().startswith("/dashboard/login")

            await page.fill("#password", PASSWORD)
            await page.click("#sign-in")
            await page.wait_for_url(f"{base}/dashboard/leads")
            await page.click("#lang-ru")
            await page.wait_for_url(f"{base}/dashboard/leads")
            text = await page.inner_text("body")
            assert "Мария Иванова" in text and "Пётр" in text
            assert await page.inner_text("#viewer") == "администратор"
            # The administrator signs in with no staff session: nothing to end elsewhere.
            assert await page.locator("#logout-everywhere").count() == 0

            # Filter by channel, then search by name.
            await page.select_option("#channel", "vk")
            await page.click("#show")
            await page.wait_for_url("**channel=vk**")
            assert await page.locator("tr.lead-row").count() == 1
            assert "Пётр" in await page.inner_text("#leads")
            await page.select_option("#channel", "")
            await page.fill("#q", "иванова")
            await page.click("#show")
            await page.wait_for_url("**q=**")
            text = await page.inner_text("#leads")
            assert "Мария Иванова" in text and "Пётр" not in text

            # The lead: its whole conversation and history.
            await page.click("a.lead-link")
            await page.wait_for_url(f"{base}/dashboard/leads/{ids['maria']}")
            conversation = await page.inner_text("#conversation")
            for line in ("Нужен тендер на окна", "Пришлём расчёт", "Спасибо, ждём"):
                assert line in conversation
            history = await page.inner_text("#history")
            assert "Лид принят" in history and "accepted" not in history

            # Resolve the complaint from the list.
            await page.goto(f"{base}/dashboard/complaints")
            card = f"#complaint-{ids['complaint']}"
            assert "Мне нагрубили" in await page.inner_text("body")
            await page.fill(f"{card} textarea[name=resolution]", "Извинились и дали скидку")
            await page.click(f"{card} form.resolve button")
            await page.wait_for_url("**done=resolved_done**")
            assert f"Жалоба #{ids['complaint']} решена" in await page.inner_text("body")
            assert await page.locator(card).count() == 0

            await page.click("#lang-en")
            await page.wait_for_url("**/dashboard/complaints**")
            assert "Complaints" in await page.inner_text("body")
            await page.click("#logout")
            await page.wait_for_url("**/dashboard/login")
            await page.goto(f"{base}/dashboard/leads")
            assert path().startswith("/dashboard/login?next=")
