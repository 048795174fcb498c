"""Working a lead from its page in a real headless Chromium (Playwright, the system's
Chromium), on SQLite and PostgreSQL, against the real service and bot with the Telegram
emulator.

A manager signs in by the bot's link (/web) and opens his lead: the customer's new
message appears on the open page without a reload; his reply reaches the customer in the
emulator and the page shows its delivery state as it changes (waiting for a retry, then
delivered; a blocked customer's is shown as not delivered, with the reason); a comment, a
stage change, won with an amount and lost with a configured reason are made from the page
with the Telegram buttons' events and cards; the history reads as sentences. His session
cannot act on another manager's lead (403) nor pass his own on. A head passes a lead on
from the page and the new manager gets its card in Telegram."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from domain.clock import ManualClock
from tests.emulator.telegram import TelegramEmulator
from tests.support.browser import chromium, needs_chromium, new_context
from tests.support.service import TOKEN, make_settings, running_service, wait_until
from tests.support.web import (
    CUSTOMERS,
    HEAD,
    JULIA,
    MONDAY_10,
    SERGEY,
    events_of,
    lead_of,
    login_link,
    seed,
    texts_to,
    web_config,
)

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page

pytestmark = needs_chromium
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
# Set to write the lead page's screenshot into docs/screenshots (docs/dashboard.md shows it).
SCREENSHOT_TO_DOCS = os.environ.get("LEADKEEPER_DOCS_SCREENSHOTS") == "1"
REASONS = ["Дорого", "Выбрали другого поставщика"]
ANNA, BORIS, VERA = (CUSTOMERS[key][0] for key in ("anna", "boris", "vera"))


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


def config():  # type: ignore[no-untyped-def]
    return web_config().model_copy(update={"loss_reasons": REASONS})


async def signed_in(context: BrowserContext, link: str) -> Page:
    page = await context.new_page()
    await page.goto(link)
    await page.click("#link-sign-in")
    await page.wait_for_url("**/dashboard/board")
    return page


async def state_of(page: Page, text: str) -> str:
    """The delivery state shown under the outgoing message with this text."""
    message = page.locator("#conversation .msg.out", has_text=text).last
    return await message.locator(".delivery").inner_text()


async def shows_state(page: Page, text: str, state: str) -> None:
    """Wait (bounded, by the page's own polling: no reload) for the state under a reply."""
    await page.wait_for_function(
        """([text, state]) => [...document.querySelectorAll('#conversation .msg.out')]
            .some(m => m.innerText.includes(text)
                 && m.querySelector('.delivery').innerText.includes(state))""",
        arg=[text, state],
    )


def small(path: Path) -> None:
    """The docs' copy in 256 colours: a third of the size, the same to the eye."""
    from PIL import Image  # matplotlib's dependency, for the docs' screenshots only

    with Image.open(path) as image:
        image.convert("RGB").quantize(256).save(path, optimize=True)


def by_id(event: object) -> int:
    return event.id  # type: ignore[attr-defined]


async def said(emulator: TelegramEmulator, chat: int, text: str) -> None:
    await emulator.wait_for(lambda: any(text in t for t in texts_to(emulator, chat)), timeout=10)


async def test_a_manager_works_a_lead_from_its_page(
    database_url: str, emulator: TelegramEmulator, tmp_path: Path
) -> None:
    clock = ManualClock(MONDAY_10)
    settings = make_settings(database_url, emulator.base_url, telegram_chat_interval=0)
    async with running_service(settings, config(), clock=clock) as service:
        ids = await seed(service, emulator)
        base = f"http://127.0.0.1:{service.port}"
        anna, boris = ids["anna"], ids["boris"]
        async with chromium() as browser:
            context = await new_context(browser, viewport={"width": 1280, "height": 900})
            page = await signed_in(context, await login_link(emulator, SERGEY))
            await page.goto(f"{base}/dashboard/leads/{anna}")
            assert "Здравствуйте, я Анна" in await page.inner_text("#conversation")
            assert await page.locator("#owner-form").count() == 0  # a head's form

            # The customer writes: the open page shows it without a reload.
            await page.evaluate("window.stayedOpen = true")
            emulator.add_update(emulator.make_text_update(ANNA, "А доставка есть?"))
            await page.wait_for_selector("#conversation .msg.in >> text=А доставка есть?")
            assert await page.evaluate("window.stayedOpen") is True

            # A reply from the page reaches the customer; its state appears on the page.
            await page.fill("#reply-text", "Да, доставим завтра")
            await page.click("#reply-send")
            await page.wait_for_url(f"**/dashboard/leads/{anna}?done=reply_queued*")
            assert "Ответ поставлен в очередь" in await page.inner_text("#notice")
            await said(emulator, ANNA, "Да, доставим завтра")
            await shows_state(page, "Да, доставим завтра", "✓ доставлено")
            (replied,) = await events_of(service, anna, "replied")
            assert replied.actor == f"manager:{ids['sergey']}"

            await said(emulator, SERGEY, f"Ответ по лиду #{anna} доставлен клиенту")

            # Telegram answers 502 once: "will retry" on the page, then delivered.
            emulator.fail_next("sendMessage", status=502)
            await page.fill("#reply-text", "Пришлю счёт сегодня")
            await page.click("#reply-send")
            await page.wait_for_url("**done=reply_queued*")
            await shows_state(page, "Пришлю счёт сегодня", "не доставлено, повторим")
            await page.evaluate("window.stayedOpen = true")
            clock.advance(timedelta(minutes=6))
            service.ctx.wake("outbox")
            await said(emulator, ANNA, "Пришлю счёт сегодня")
            await shows_state(page, "Пришлю счёт сегодня", "✓ доставлено")
            assert await page.evaluate("window.stayedOpen") is True

            # A comment, a stage, won with the amount.
            await page.fill("#comment-text", "Перезвонить после обеда")
            await page.click("#comment-save")
            await page.wait_for_url("**done=comment_saved*")
            history = await page.inner_text("#history")
            assert "Комментарий: «Перезвонить после обеда»" in history
            await page.select_option("#stage-select", "qualified")
            await page.click("#stage-move")
            await page.wait_for_url("**done=stage_moved*")
            assert (await lead_of(service, anna)).status == "qualified"
            assert "Этап: «новый» → «квалифицирован»" in await page.inner_text("#history")
            # The same new card in his Telegram as after the stage button.
            await said(emulator, SERGEY, f"Лид #{anna}: этап «квалифицирован»")
            await page.fill("#won-amount", "150 000")
            await page.click("#won-close")
            await page.wait_for_url("**done=closed_done*")
            won = await lead_of(service, anna)
            assert (won.status, won.amount_minor) == ("won", 15_000_000)
            (closed,) = await events_of(service, anna, "closed")
            assert closed.actor == f"manager:{ids['sergey']}"
            assert closed.data["outcome"] == "won" and closed.data["amount"] == 150000
            history = await page.inner_text("#history")
            assert "Лид выигран, сумма: 150\u00a0000\u00a0₽" in history
            assert "Ответ клиенту" in history and "Сергей" in history
            for code in ("stage_changed", "manager:", "closed", "qualified", "replied"):
                assert code not in history, code
            assert await page.locator("#reply-form").count() == 0  # closed: no more work

            # A blocked customer: the reply is shown as not delivered, with the reason.
            await page.goto(f"{base}/dashboard/leads/{boris}")
            emulator.block_user(BORIS)
            await page.fill("#reply-text", "Борис, ждём вашего решения")
            await page.click("#reply-send")
            await page.wait_for_url("**done=reply_queued*")
            await shows_state(page, "Борис, ждём вашего решения", "✗ не доставлено")
            assert "клиент заблокировал бота" in await state_of(page, "вашего решения")
            await page.reload()
            assert "Ответ не доставлен: клиент заблокировал бота" in await page.inner_text(
                "#history"
            )
            shot = (SCREENSHOTS if SCREENSHOT_TO_DOCS else tmp_path) / "lead-page.png"
            shot.parent.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(shot), full_page=True)
            if SCREENSHOT_TO_DOCS:
                small(shot)

            # His own lead is not his to pass on; another manager's is not his at all.
            csrf = await page.get_attribute("input[name=csrf]", "value") or ""
            own = await page.request.post(
                f"{base}/dashboard/leads/{boris}/owner",
                form={"csrf": csrf, "manager_id": str(ids["julia"])},
            )
            assert own.status == 403 and "только руководитель" in await own.text()
            vera = ids["vera"]
            forms = {
                "reply": {"text": "Чужой ответ"},
                "comment": {"text": "Чужой комментарий"},
                "stage": {"stage": "qualified"},
                "won": {"amount": "1"},
                "lost": {"outcome": "lost", "reason": REASONS[0]},
                "owner": {"manager_id": str(ids["sergey"])},
            }
            for action, form in forms.items():
                answer = await page.request.post(
                    f"{base}/dashboard/leads/{vera}/{action}", form={"csrf": csrf, **form}
                )
                assert answer.status == 403, action
                assert "нет доступа" in await answer.text(), action
            peek = await page.request.get(f"{base}/dashboard/leads/{vera}/conversation")
            assert peek.status == 403
            forged = await page.request.post(
                f"{base}/dashboard/leads/{boris}/comment", form={"csrf": "x", "text": "без"}
            )
            assert forged.status == 403
            lead = await lead_of(service, vera)
            assert (lead.status, lead.manager_id) == ("new", ids["julia"])
            assert not any("Чужой" in text for text in texts_to(emulator, VERA))

            # Lost with a configured reason and details.
            await page.select_option("#lost-reason", REASONS[1])
            await page.fill("#lost-comment", "Нашли дешевле")
            await page.click("#lost-close")
            await page.wait_for_url("**done=closed_done*")
            lost = await lead_of(service, boris)
            assert (lost.status, lost.loss_reason) == ("lost", REASONS[1])
            history = await page.inner_text("#history")
            assert "Лид проигран: Выбрали другого поставщика, Нашли дешевле" in history
            await context.close()


async def test_a_head_passes_a_lead_on_from_its_page(
    database_url: str, emulator: TelegramEmulator
) -> None:
    clock = ManualClock(MONDAY_10)
    settings = make_settings(database_url, emulator.base_url, telegram_chat_interval=0)
    async with running_service(settings, config(), clock=clock) as service:
        ids = await seed(service, emulator)
        base = f"http://127.0.0.1:{service.port}"
        vera = ids["vera"]
        # The reference: the head's «Передать» → Юлия in Telegram, on Гриша's lead.
        emulator.add_update(
            emulator.make_callback_update(HEAD, f"lead:asg:{ids['grisha']}:{ids['julia']}")
        )

        async def passed() -> bool:
            return (await lead_of(service, ids["grisha"])).manager_id == ids["julia"]

        await wait_until(passed)
        (by_telegram,) = await events_of(service, ids["grisha"], "reassigned")

        async with chromium() as browser:
            context = await new_context(browser, viewport={"width": 1280, "height": 900})
            page = await signed_in(context, await login_link(emulator, HEAD))
            await page.goto(f"{base}/dashboard/leads/{vera}")
            assert "Юлия" in await page.inner_text("#owner-form")
            await page.select_option("#owner-select", str(ids["sergey"]))
            await page.click("#owner-pass")
            await page.wait_for_url("**done=owner_done*")
            assert "Лид передан." in await page.inner_text("#notice")
            assert (await lead_of(service, vera)).manager_id == ids["sergey"]

            # Сергей gets the card in Telegram, Юлия hears it is gone, Вера who is hers now.
            def carded() -> bool:
                return any(
                    "Вам назначен лид" in text and f"Лид #{vera}" in text
                    for text in texts_to(emulator, SERGEY)
                )

            await emulator.wait_for(carded, timeout=10)
            await said(emulator, JULIA, f"Лид #{vera} (Вера) передан другому менеджеру: Сергей")
            await said(emulator, VERA, "Ваше обращение передано менеджеру: Сергей")

            # The seed's hand-out to Юлия first, then the page's.
            first, by_page = sorted(await events_of(service, vera, "reassigned"), key=by_id)
            assert by_page.actor == by_telegram.actor  # the head, in both
            assert first.data["to"] == ids["julia"]
            assert by_page.data == {"from": ids["julia"], "to": ids["sergey"], "by": "head"}
            assert set(by_page.data) == set(by_telegram.data)
            history = await page.inner_text("#history")
            assert "Лид передан: Юлия → Сергей" in history and "Ольга" in history
            await context.close()
