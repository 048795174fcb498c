"""Personal web logins and the board over real HTTP (no browser), on SQLite and PostgreSQL,
with the real bot against the Telegram emulator: the board's moves as plain forms and as
htmx requests, with their refusals; an offer accepted from the board; the administrator's
move (a head's rights, the holder gets the card); a manager's CSV holds only what he may
see; sessions end with their lifetime and when their staff member is deactivated; the
vendored scripts are served from the project itself."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import select

from app.runtime import Service
from domain.clock import ManualClock
from storage.web_models import WebLoginLink
from tests.emulator.telegram import TelegramEmulator
from tests.support.dashboard import PASSWORD, csrf_of, session
from tests.support.service import TOKEN, make_settings, running_service, wait_until
from tests.support.web import (
    HEAD,
    JULIA,
    MONDAY_10,
    SERGEY,
    events_of,
    lead_of,
    login_link,
    rows,
    seed,
    texts_to,
    web_config,
)
from usecases import amounts
from usecases.team import set_active, set_paused

HTMX = {"HX-Request": "true"}


@dataclass
class Web:
    base: str
    ids: dict[str, int]
    service: Service
    emulator: TelegramEmulator
    clock: ManualClock


@pytest.fixture
async def web(database_url: str) -> AsyncIterator[Web]:
    clock = ManualClock(MONDAY_10)
    async with TelegramEmulator(token=TOKEN) as emulator:
        settings = make_settings(
            database_url,
            emulator.base_url,
            telegram_chat_interval=0,
            dashboard_password=PASSWORD,
            dashboard_secret="s" * 32,
        )
        async with running_service(settings, web_config(), clock=clock) as service:
            ids = await seed(service, emulator)
            yield Web(f"http://127.0.0.1:{service.port}", ids, service, emulator, clock)


async def signed_in(web: Web, http: aiohttp.ClientSession, telegram_id: int) -> str:
    """Sign in by the bot's link; the board page's CSRF token."""
    link = await login_link(web.emulator, telegram_id)
    async with http.get(link) as response:
        token = csrf_of(await response.text())
    async with http.post(link, data={"csrf": token}, allow_redirects=False) as response:
        assert response.status == 303 and response.headers["Location"] == "/dashboard/board"
    async with http.get(f"{web.base}/dashboard/board") as response:
        assert response.status == 200
        return csrf_of(await response.text())


async def test_board_moves_as_forms_and_htmx_requests(web: Web) -> None:
    ids, move = web.ids, f"{web.base}/dashboard/board/move"
    async with session() as http:
        csrf = await signed_in(web, http, SERGEY)
        async with http.get(f"{web.base}/dashboard/board") as response:
            csp = response.headers["Content-Security-Policy"]
            assert "script-src 'self'" in csp and "unsafe" not in csp.split("style-src")[0]
        form = {"csrf": csrf, "lead_id": str(ids["anna"]), "stage": "contacted"}
        async with http.post(move, data=form, allow_redirects=False) as response:
            assert response.status == 303
            assert response.headers["Location"] == f"/dashboard/board?done=moved&id={ids['anna']}"
        async with http.get(web.base + response.headers["Location"]) as response:
            assert f"Лид #{ids['anna']} перемещён" in await response.text()
        # Again: already there, so the use case refuses (as Telegram's button would).
        async with http.post(move, data=form) as response:
            assert response.status == 409 and "Лид уже не там" in await response.text()
        # htmx: the new board comes back to be swapped in, refusals with their reason.
        form = {"csrf": csrf, "lead_id": str(ids["boris"]), "stage": "qualified"}
        async with http.post(move, data=form, headers=HTMX) as response:
            page = await response.text()
            assert response.status == 200 and 'id="board"' in page
            assert f"Лид #{ids['boris']} перемещён" in page
        assert (await lead_of(web.service, ids["boris"])).status == "qualified"
        form = {"csrf": csrf, "lead_id": str(ids["vera"]), "stage": "qualified"}
        async with http.post(move, data=form, headers=HTMX) as response:
            page = await response.text()
            assert response.status == 403 and 'id="board-problem"' in page
            assert "нет доступа" in page
        assert (await lead_of(web.service, ids["vera"])).status == "new"
        # Bad input: a 400 with the reason; no token: 403; nothing moved.
        for bad in (
            {"lead_id": str(ids["grisha"]), "stage": "new"},
            {"lead_id": str(ids["grisha"]), "stage": "won"},
            {"lead_id": "abc", "stage": "contacted"},
            {"stage": "contacted"},
        ):
            async with http.post(move, data={"csrf": csrf, **bad}) as response:
                assert response.status == 400, bad
                assert "Неверный запрос" in await response.text()
        async with http.post(move, data={"lead_id": str(ids["anna"]), "stage": "proposal"}) as r:
            assert r.status == 403
        assert (await lead_of(web.service, ids["anna"])).status == "contacted"

        # His CSV has his leads and the queue's, not Юлия's.
        async with http.get(f"{web.base}/dashboard/leads.csv") as response:
            table = list(
                csv.reader(io.StringIO((await response.text()).lstrip("\ufeff")), delimiter=";")
            )
        listed = {int(row[0]) for row in table[1:]}
        assert listed == {ids["anna"], ids["boris"], ids["grisha"]}

    # The scripts come from the project itself, licence headers kept.
    async with aiohttp.ClientSession() as http:
        for name, header in (
            ("htmx.min.js", "/*! htmx 2.0.10"),
            ("Sortable.min.js", "/*! Sortable 1.15.7"),
            ("board.js", "/* The pipeline board"),
        ):
            async with http.get(f"{web.base}/dashboard/static/{name}") as response:
                assert response.status == 200
                assert (await response.text()).startswith(header), name


async def test_offers_and_the_administrator(web: Web) -> None:
    ids = web.ids
    # Юлия is back: the queue's lead is offered to her, and leaves Сергей's queue.
    assert await set_paused(web.service.ctx, JULIA, False)

    async def offered() -> bool:
        return (await lead_of(web.service, ids["grisha"])).offered_manager_id == ids["julia"]

    await wait_until(offered)
    async with session() as sergey:
        await signed_in(web, sergey, SERGEY)
        async with sergey.get(f"{web.base}/dashboard/board") as response:
            assert f'id="card-{ids["grisha"]}"' not in await response.text()
    async with session() as julia:
        csrf = await signed_in(web, julia, JULIA)
        async with julia.get(f"{web.base}/dashboard/board") as response:
            page = await response.text()
            assert "предложен: Юлия" in page and "Принять" in page
        async with julia.post(
            f"{web.base}/dashboard/board/accept",
            data={"csrf": csrf, "lead_id": str(ids["grisha"])},
            allow_redirects=False,
        ) as response:
            assert response.status == 303
        lead = await lead_of(web.service, ids["grisha"])
        assert lead.manager_id == ids["julia"] and lead.offered_manager_id is None
        (accepted,) = await events_of(web.service, ids["grisha"], "accepted")
        assert accepted.actor == f"manager:{ids['julia']}"

    # The administrator moves Юлия's lead: a head's rights; she gets the new card.
    async with session() as admin:
        async with admin.get(f"{web.base}/dashboard/login") as response:
            token = csrf_of(await response.text())
        async with admin.post(
            f"{web.base}/dashboard/login",
            data={"csrf": token, "password": PASSWORD, "next": "/dashboard/board"},
        ) as response:
            csrf = csrf_of(await response.text())
        async with admin.post(
            f"{web.base}/dashboard/board/move",
            data={"csrf": csrf, "lead_id": str(ids["vera"]), "stage": "qualified"},
            allow_redirects=False,
        ) as response:
            assert response.status == 303
    (moved,) = await events_of(web.service, ids["vera"], "stage_changed")
    assert moved.actor == "dashboard" and moved.manager_id is None
    assert moved.data == {"from": "new", "to": "qualified"}

    def carded() -> bool:
        wanted = f"Лид #{ids['vera']}: этап «квалифицирован»"
        return any(wanted in text for text in texts_to(web.emulator, JULIA))

    await web.emulator.wait_for(carded, timeout=10)


async def test_sessions_end_with_their_lifetime_and_their_staff(web: Web) -> None:
    board = f"{web.base}/dashboard/board"
    async with session() as sergey, session() as julia:
        await signed_in(web, sergey, SERGEY)
        await signed_in(web, julia, JULIA)
        assert await set_active(web.service.ctx, HEAD, JULIA, False)
        async with julia.get(board, allow_redirects=False) as response:
            assert response.status == 303
        # The server keeps the session's end by its own clock, whatever the cookie says.
        web.clock.advance(timedelta(hours=12, seconds=1))
        async with sergey.get(board, allow_redirects=False) as response:
            assert response.status == 303
            assert response.headers["Location"].startswith("/dashboard/login?next=")

    # A customer's /web opens nothing: he gets the customer's answer, and no link is made.
    before = len(await rows(web.service, select(WebLoginLink)))
    said = len(texts_to(web.emulator, 5001))
    web.emulator.add_update(web.emulator.make_text_update(5001, "/web", first_name="Анна"))
    await web.emulator.wait_for(lambda: len(texts_to(web.emulator, 5001)) > said, timeout=10)
    assert "только сотрудникам" in texts_to(web.emulator, 5001)[-1]
    assert len(await rows(web.service, select(WebLoginLink))) == before


async def test_the_board_sums_each_columns_deal_amounts(web: Web) -> None:
    ids = web.ids
    await amounts.set_amount(web.service.ctx, ids["anna"], None, 15_000_000)
    await amounts.set_amount(web.service.ctx, ids["boris"], None, 5_050)
    async with session() as http:
        await signed_in(web, http, HEAD)
        async with http.get(f"{web.base}/dashboard/board") as response:
            page = await response.text()
    flat = " ".join(page.replace("\u00a0", " ").replace("\u202f", " ").split())
    # Anna's and Boris's leads wait in one column: its sum, and each card's own amount.
    assert "Сумма: 150 050,50 ₽" in flat, flat
    assert "150 000 ₽" in flat and "50,50 ₽" in flat
