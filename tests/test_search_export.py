"""Full-text search over what was said (SQLite FTS5, PostgreSQL `russian`), highlighted on
the dashboard; the CSV exports open in Russian Excel: BOM, `;`, local times, catalogue
headers in the reader's language."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from app.runtime import Service
from config.business import parse_config
from domain.clock import ManualClock
from tests.support.capture import inbound
from tests.support.dashboard import PASSWORD, session, sign_in
from tests.support.service import API_TOKEN, make_settings, running_service
from tests.support.team import MONDAY_10, TEAM_CONFIG
from usecases.capture import capture

MOSCOW = "Europe/Moscow"


@pytest.fixture
async def desk(database_url: str, clock: ManualClock) -> AsyncIterator[tuple[str, Service]]:
    clock.set(MONDAY_10)
    config = {**TEAM_CONFIG, "company": {**TEAM_CONFIG["company"], "timezone": MOSCOW}}
    settings = make_settings(
        database_url, None, dashboard_password=PASSWORD, dashboard_secret="k" * 32
    )
    async with running_service(settings, parse_config(config), clock=clock) as service:
        yield f"http://127.0.0.1:{service.port}", service


async def _leads(http: aiohttp.ClientSession, base: str, query: str) -> str:
    async with http.get(f"{base}/dashboard/leads", params={"q": query}) as response:
        assert response.status == 200
        return await response.text()


async def test_search_finds_the_lead_by_what_the_customer_wrote(desk) -> None:  # type: ignore[no-untyped-def]
    base, service = desk
    ctx = service.ctx
    await capture(ctx, inbound(user=1, name="Ольга", text="Нужна доставка оптом"))
    await capture(ctx, inbound(user=2, name="Игорь", text="Сколько стоит одна штука?"))
    await capture(ctx, inbound(user=3, name="John", text="We need wholesale delivery <b>now</b>"))
    await capture(ctx, inbound(user=2, message=2, name="Игорь", text="и доставка в Казань"))
    async with session() as http:
        await sign_in(http, base)
        page = await _leads(http, base, "оптом")
        assert "Ольга" in page and "Игорь" not in page and "John" not in page
        assert "<mark>оптом</mark>" in page
        page = await _leads(http, base, "ОПТОМ")
        assert "Ольга" in page and "Игорь" not in page
        # A word two leads share, asked in another form: both, each with its words marked.
        page = await _leads(http, base, "доставку")
        assert "Ольга" in page and "Игорь" in page and "John" not in page
        assert "в Казань" in page
        # English; the customer's markup stays text.
        page = await _leads(http, base, "Wholesale")
        assert "John" in page and "Ольга" not in page
        assert "<b>" not in page
        # Query syntax is words, never an error: quotes, stars, NEAR, only punctuation.
        for odd in ('"оптом', "опт*", "NEAR(a b)", "!!!", "a AND OR"):
            async with http.get(f"{base}/dashboard/leads", params={"q": odd}) as response:
                assert response.status == 200, odd
        page = await _leads(http, base, "телевизор")
        assert "Ольга" not in page and "Игорь" not in page
        # Names and numbers are still found as before.
        assert "Игорь" in await _leads(http, base, "игорь")


async def test_search_ranks_the_best_match_first(desk) -> None:  # type: ignore[no-untyped-def]
    base, service = desk
    ctx = service.ctx
    await capture(ctx, inbound(user=1, name="Первый", text="окна и ещё много всего другого тут"))
    await capture(ctx, inbound(user=2, name="Второй", text="окна окна окна"))
    await capture(ctx, inbound(user=3, name="Третий", text="двери"))
    async with session() as http:
        await sign_in(http, base)
        page = await _leads(http, base, "окна")
    rows = page[page.index("<tbody>") :]
    assert "Третий" not in rows
    assert rows.index("Второй") < rows.index("Первый")


async def test_csv_exports_open_in_russian_excel(desk, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    base, service = desk
    await capture(service.ctx, inbound(user=1, name="Мария; Иванова", text="Нужна цена"))
    clock.advance(timedelta(minutes=30))
    await capture(service.ctx, inbound(user=2, name="=HYPERLINK()", channel="vk", text="Привет"))
    async with session() as http:
        await sign_in(http, base)
        async with http.get(f"{base}/dashboard/leads") as response:
            page = await response.text()
        async with http.get(f"{base}/dashboard/leads.csv") as response:
            assert response.content_type == "text/csv"
            raw = await response.read()
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
        assert [row["Клиент"] for row in rows] == ["'=HYPERLINK()", "Мария; Иванова"]
        assert rows[1]["Этап"] == "новый" and rows[1]["Открыт"] == "да"
        # 10:00 UTC is 13:00 in Moscow, as the page shows it.
        created = MONDAY_10.astimezone(ZoneInfo(MOSCOW))
        assert rows[1]["Создан"] == f"{created:%Y-%m-%d %H:%M:%S}"
        assert f"{created:%d.%m.%Y %H:%M}" in page
        # The same rows, in the same order, as the page.
        assert [row["Номер"] for row in rows] == re.findall(r'class="lead-link">(\d+)<', page)

        async with http.get(f"{base}/dashboard/lang/en?next=/dashboard/leads") as response:
            assert response.status == 200
        async with http.get(f"{base}/dashboard/leads.csv") as response:
            english = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig"))))
        assert english[0][0].split(";")[:3] == ["Number", "Stage", "Open"]

        async with http.get(f"{base}/dashboard/reports.csv?period=week") as response:
            report = (await response.read()).decode("utf-8-sig")
        table = list(csv.reader(io.StringIO(report), delimiter=";"))
        assert table[0][:4] == ["Scope", "Manager number", "Name", "Leads"]
        assert table[1][0] == "team" and table[1][3] == "2"
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/api/reports.csv?period=week", headers=headers) as response:
            report = (await response.read()).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(report), delimiter=";"))
    assert table[0][:2] == ["Срез", "Номер менеджера"] and table[1][0] == "команда"
