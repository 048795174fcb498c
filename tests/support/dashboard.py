"""The dashboard's password and the history the dashboard tests (HTTP and browser) look at."""

from __future__ import annotations

import re
from datetime import timedelta

import aiohttp

from app.runtime import Service
from domain.clock import ManualClock
from tests.support.capture import inbound
from tests.support.service import API_TOKEN
from tests.support.team import SENIOR
from usecases import assignment, work
from usecases.capture import capture
from usecases.complaints import open_from_customer

PASSWORD = "correct horse battery staple"
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


async def seed(service: Service, clock: ManualClock) -> dict[str, int]:
    """Three leads: Мария's (answered, then won), Пётр's from VK (open), Анна's complaint."""
    ctx = service.ctx
    # The service hands leads out from its own loop; the history here needs it at once.
    ctx.distribute_after_capture = True
    maria = await capture(ctx, inbound(user=1, name="Мария Иванова", text="Нужен тендер на окна"))
    clock.advance(timedelta(minutes=1))
    assert await assignment.accept(ctx, maria.lead_id, SENIOR) is assignment.Verdict.DONE
    clock.advance(timedelta(minutes=4))
    await work.reply(ctx, maria.lead_id, SENIOR, "Здравствуйте, Мария! Пришлём расчёт.")
    await capture(ctx, inbound(user=1, message=2, name="Мария Иванова", text="Спасибо, ждём"))
    clock.advance(timedelta(minutes=10))
    await work.close(ctx, maria.lead_id, SENIOR, "won")
    petr = await capture(ctx, inbound(user=2, name="Пётр", channel="vk", text="Цена?"))
    anna = await capture(ctx, inbound(user=3, name="Анна <script>", text="Алло"))
    complaint = await open_from_customer(ctx, "telegram", "3", "Мне нагрубили")
    assert complaint is not None
    clock.advance(timedelta(minutes=5))
    return {
        "maria": maria.lead_id,
        "petr": petr.lead_id,
        "anna": anna.lead_id,
        "complaint": complaint,
    }


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def sign_in(http: aiohttp.ClientSession, base: str) -> str:
    async with http.get(f"{base}/dashboard/login") as response:
        token = csrf_of(await response.text())
    async with http.post(
        f"{base}/dashboard/login",
        data={"csrf": token, "password": PASSWORD, "next": "/dashboard/leads"},
        allow_redirects=False,
    ) as response:
        assert response.status == 303 and response.headers["Location"] == "/dashboard/leads"
    async with http.get(f"{base}/dashboard/complaints") as response:
        return csrf_of(await response.text())


def session() -> aiohttp.ClientSession:
    # aiohttp keeps no cookies for bare IP addresses unless told to.
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
