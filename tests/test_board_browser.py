"""The pipeline board in a real headless Chromium (Playwright, the system's Chromium), on
SQLite and PostgreSQL, against the real service and bot with the Telegram emulator.

A manager gets his sign-in link from the bot (/web), sees only his leads and the queue,
drags a card to the next stage and moves another with the keyboard alone: the lead's
stage and events change exactly as when a manager presses the stage button in Telegram,
and the new card reaches his Telegram. His session cannot open another manager's lead,
move it, nor reach the head's pages and actions (403)."""

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
    from playwright.async_api import Page

pytestmark = needs_chromium
DOCS = Path(__file__).resolve().parents[1] / "docs"
# Set to write the board's screenshot into docs/ (docs/dashboard.md shows it).
SCREENSHOT_TO_DOCS = os.environ.get("LEADKEEPER_DOCS_SCREENSHOTS") == "1"


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


def stage_change(event: object) -> tuple[str, dict[str, object]]:
    """What a stage change records, whoever made it and wherever."""
    return event.actor.split(":")[0], event.data  # type: ignore[attr-defined]


async def moved_to(service: object, lead_id: int, stage: str) -> None:
    async def there() -> bool:
        return (await lead_of(service, lead_id)).status == stage  # type: ignore[arg-type]

    await wait_until(there)


async def keyboard_move(page: Page, lead_id: int) -> str:
    """Tab (from the top of the page) to the card, Enter, Enter: the stage it went to."""
    await page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(80):
        if await page.evaluate("document.activeElement.id") == f"card-{lead_id}":
            break
        await page.keyboard.press("Tab")
    else:
        raise AssertionError(f"Tab never reached the card of lead {lead_id}")
    await page.keyboard.press("Enter")
    stage = str(await page.evaluate("document.activeElement.dataset.stage"))
    await page.keyboard.press("Enter")
    return stage


async def test_a_manager_works_his_board(
    database_url: str, emulator: TelegramEmulator, tmp_path: Path
) -> None:
    clock = ManualClock(MONDAY_10)
    settings = make_settings(database_url, emulator.base_url, telegram_chat_interval=0)
    async with running_service(settings, web_config(), clock=clock) as service:
        ids = await seed(service, emulator)
        base = f"http://127.0.0.1:{service.port}"

        # The reference: Юлия presses the stage button of her card in Telegram.
        emulator.add_update(
            emulator.make_callback_update(JULIA, f"lead:stg:{ids['vera']}:contacted")
        )
        await moved_to(service, ids["vera"], "contacted")
        (telegram_move,) = await events_of(service, ids["vera"], "stage_changed")

        link = await login_link(emulator, SERGEY)
        async with chromium() as browser:
            context = await new_context(browser, viewport={"width": 1400, "height": 900})
            page = await context.new_page()
            await page.goto(link)
            assert "Войти в панель как Сергей?" in await page.inner_text("#link-who")
            await page.click("#link-sign-in")
            await page.wait_for_url(f"{base}/dashboard/board")
            assert await page.inner_text("#viewer") == "Сергей"

            # His two leads and the queue's one, not Юлия's; the stages in Russian.
            cards = await page.eval_on_selector_all(
                ".board-card", "cards => cards.map(card => Number(card.dataset.lead))"
            )
            assert sorted(cards) == sorted([ids["anna"], ids["boris"], ids["grisha"]])
            assert "Новый" in await page.inner_text("#column-title-new")
            assert "в очереди" in await page.inner_text(f"#card-{ids['grisha']} .owner")
            assert "ведёт Сергей" in await page.inner_text(f"#card-{ids['anna']} .owner")
            anna_card = await page.inner_text(f"#card-{ids['anna']}")
            assert "Здравствуйте, я Анна" in anna_card and "создан" in anna_card
            # Not his to move: the queue's card offers no move.
            assert await page.locator(f"#card-{ids['grisha']} details.move").count() == 0

            # Drag Анна's card to the next column.
            source = await page.locator(f"#card-{ids['anna']} .last").bounding_box()
            target = await page.locator("#column-contacted .cards-list").bounding_box()
            assert source is not None and target is not None
            await page.mouse.move(source["x"] + 20, source["y"] + source["height"] / 2)
            await page.mouse.down()
            await page.mouse.move(source["x"] + 40, source["y"] + 30, steps=5)
            await page.mouse.move(
                target["x"] + target["width"] / 2, target["y"] + target["height"] / 2, steps=20
            )
            await page.mouse.up()
            await moved_to(service, ids["anna"], "contacted")
            await page.wait_for_selector(f"#column-contacted #card-{ids['anna']}")
            assert f"Лид #{ids['anna']} перемещён" in await page.inner_text("#board-notice")

            # Борис's card with the keyboard alone: Tab to it, Enter opens its move menu
            # at the next stage, Enter moves it; the keyboard stays on the card it moved.
            assert await keyboard_move(page, ids["boris"]) == "contacted"
            await moved_to(service, ids["boris"], "contacted")
            await page.wait_for_selector(f"#column-contacted #card-{ids['boris']}")
            await page.wait_for_function(
                f"document.activeElement && document.activeElement.id === 'card-{ids['boris']}'"
            )

            # The same event as Юлия's Telegram press, and the same new card in his chat.
            for lead in ("anna", "boris"):
                (web_move,) = await events_of(service, ids[lead], "stage_changed")
                assert stage_change(web_move) == stage_change(telegram_move)
                assert web_move.actor == f"manager:{ids['sergey']}"
                assert web_move.manager_id == ids["sergey"]

                def carded(lead_id: int = ids[lead]) -> bool:
                    wanted = f"Лид #{lead_id}: этап «связались»"
                    return any(wanted in text for text in texts_to(emulator, SERGEY))

                await emulator.wait_for(carded, timeout=10)

            # From "contacted" the menu opens at "qualified", not back at the first stage.
            assert await keyboard_move(page, ids["anna"]) == "qualified"
            await moved_to(service, ids["anna"], "qualified")
            await page.wait_for_selector(f"#column-qualified #card-{ids['anna']}")

            # Later: the card of the lead nobody has answered is marked overdue, with its age.
            clock.advance(timedelta(minutes=35))
            await page.reload()
            grisha = await page.inner_text(f"#card-{ids['grisha']}")
            assert "просрочен" in grisha and "создан 35 мин назад" in grisha
            assert "просрочен" not in await page.inner_text(f"#card-{ids['anna']}")
            shot = (DOCS if SCREENSHOT_TO_DOCS else tmp_path) / "dashboard-board.png"
            await page.screenshot(path=str(shot), full_page=True)

            # Another manager's lead: not on his list, refused on its page and for a move.
            leads_page = await page.goto(f"{base}/dashboard/leads")
            assert leads_page is not None and leads_page.status == 200
            listed = await page.eval_on_selector_all(
                "a.lead-link", "links => links.map(link => Number(link.textContent))"
            )
            assert ids["vera"] not in listed and ids["anna"] in listed
            csrf = await page.get_attribute("input[name=csrf]", "value")
            refused = await page.goto(f"{base}/dashboard/leads/{ids['vera']}")
            assert refused is not None and refused.status == 403
            assert "нет доступа" in await page.inner_text("#message")
            move = await page.request.post(
                f"{base}/dashboard/board/move",
                form={"csrf": csrf or "", "lead_id": str(ids["vera"]), "stage": "qualified"},
            )
            assert move.status == 403
            assert (await lead_of(service, ids["vera"])).status == "contacted"

            # The head's pages and actions.
            for path in ("/dashboard/team", "/dashboard/reports", "/dashboard/complaints"):
                answer = await page.goto(base + path)
                assert answer is not None and answer.status == 403, path
            assert "только руководителю" in await page.inner_text("#message")
            retry = await page.request.post(
                f"{base}/dashboard/inbox/retry", form={"csrf": csrf or "", "id": "all"}
            )
            assert retry.status == 403
            await context.close()
