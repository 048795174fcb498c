"""The dashboard in a real browser: headless Chromium (Debian's `chromium`), driven over the
Chrome DevTools Protocol with aiohttp's websocket client, against the real service.

Sign in (a wrong password and a form without its CSRF token are refused first), filter
the leads, open a lead and read its conversation, resolve a complaint, switch to English.
Skipped, with the reason, where Chromium is not installed (`.ci/run` installs it).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from config.business import parse_config
from domain.clock import ManualClock
from tests.support.dashboard import PASSWORD, seed
from tests.support.service import make_settings, running_service
from tests.support.team import MONDAY_10, TEAM_CONFIG

CHROMIUM = os.environ.get("CHROMIUM") or next(
    (path for name in ("chromium", "chromium-browser") if (path := shutil.which(name))), None
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium not found: apt-get install chromium (or set CHROMIUM=/path/to/chromium)",
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--remote-debugging-port=0",
)
WAIT = 15.0


class Browser:
    """Just enough of the DevTools Protocol: open a page, run a line of JS, wait."""

    def __init__(self, process: asyncio.subprocess.Process, ws: Any, http: Any) -> None:
        self._process, self._ws, self._http = process, ws, http
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for message in self._ws:
            data = json.loads(message.data)
            future = self._waiting.pop(data.get("id", -1), None)
            if future is not None and not future.done():
                future.set_result(data)

    async def command(self, method: str, **params: Any) -> dict[str, Any]:
        number = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[number] = future
        await self._ws.send_str(json.dumps({"id": number, "method": method, "params": params}))
        answer = await asyncio.wait_for(future, WAIT)
        if "error" in answer:
            raise AssertionError(f"{method}: {answer['error']}")
        return answer["result"]

    async def js(self, expression: str) -> Any:
        result = await self.command("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def _until_new_page(self) -> None:
        deadline = asyncio.get_running_loop().time() + WAIT
        while asyncio.get_running_loop().time() < deadline:
            with contextlib.suppress(AssertionError):
                state = await self.js("[window.__old === true, document.readyState].join()")
                if state == "false,complete":
                    return
            await asyncio.sleep(0.05)
        raise AssertionError("the page did not load")

    async def open(self, url: str) -> None:
        await self.js("window.__old = true")
        await self.command("Page.navigate", url=url)
        await self._until_new_page()

    async def click(self, selector: str) -> None:
        """Click what submits a form or follows a link, and wait for the next page."""
        await self.js("window.__old = true")
        await self.js(f"document.querySelector({json.dumps(selector)}).click()")
        await self._until_new_page()

    async def fill(self, selector: str, value: str) -> None:
        await self.js(f"document.querySelector({json.dumps(selector)}).value = {json.dumps(value)}")

    async def text(self) -> str:
        return str(await self.js("document.body.innerText"))

    async def path(self) -> str:
        return str(await self.js("location.pathname + location.search"))

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.command("Browser.close")
        self._reader.cancel()
        await self._ws.close()
        await self._http.close()
        try:
            await asyncio.wait_for(self._process.wait(), 10)
        except TimeoutError:
            self._process.kill()
            await self._process.wait()


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    assert CHROMIUM is not None
    profile = tempfile.mkdtemp(prefix="lk-chromium-")
    process = await asyncio.create_subprocess_exec(
        CHROMIUM,
        *FLAGS,
        f"--user-data-dir={profile}",
        "about:blank",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    http = aiohttp.ClientSession()
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        for _ in range(int(WAIT / 0.05)):
            if port_file.exists() and port_file.read_text().count("\n") >= 1:
                break
            await asyncio.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        async with http.get(f"http://127.0.0.1:{port}/json/list") as response:
            pages = [t for t in await response.json() if t["type"] == "page"]
        ws = await http.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0)
        browser = Browser(process, ws, http)
        yield browser
        await browser.close()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await http.close()
        shutil.rmtree(profile, ignore_errors=True)


async def test_dashboard_in_a_real_browser(sqlite_url: str, clock: ManualClock) -> None:
    clock.set(MONDAY_10)
    settings = make_settings(sqlite_url, None, dashboard_password=PASSWORD)
    async with running_service(settings, parse_config(TEAM_CONFIG), clock=clock) as service:
        ids = await seed(service, clock)
        base = f"http://127.0.0.1:{service.port}"
        async with chromium() as browser:
            # Anonymous: every page sends to the sign-in form, and shows no lead.
            for page in ("/dashboard/leads", f"/dashboard/leads/{ids['maria']}"):
                await browser.open(base + page)
                assert (await browser.path()).startswith("/dashboard/login?next=")
                assert "Мария" not in await browser.text()

            await browser.fill("#password", "not the password")
            await browser.click("#sign-in")
            # Headless Chromium asks for English.
            assert "Wrong password" in await browser.text()

            # The right password in a form stripped of its CSRF token is refused too.
            await browser.js("document.querySelector('input[name=csrf]').remove()")
            await browser.fill("#password", PASSWORD)
            await browser.click("#sign-in")
            assert "The form is stale" in await browser.text()
            await browser.open(f"{base}/dashboard/leads")
            assert (await browser.path()).startswith("/dashboard/login")

            await browser.fill("#password", PASSWORD)
            await browser.click("#sign-in")
            assert await browser.path() == "/dashboard/leads"
            await browser.click("#lang-ru")
            assert await browser.path() == "/dashboard/leads"
            page = await browser.text()
            assert "Мария Иванова" in page and "Пётр" in page

            # Filter by channel, then search by name.
            await browser.fill("#channel", "vk")
            await browser.click("#show")
            assert "channel=vk" in await browser.path()
            rows = await browser.js("[...document.querySelectorAll('tr.lead-row')].length")
            assert rows == 1 and "Пётр" in await browser.text()
            await browser.fill("#channel", "")
            await browser.fill("#q", "иванова")
            await browser.click("#show")
            page = await browser.text()
            assert "Мария Иванова" in page and "Пётр" not in page

            # The lead: its whole conversation and history.
            await browser.click("a.lead-link")
            assert await browser.path() == f"/dashboard/leads/{ids['maria']}"
            conversation = str(
                await browser.js("document.querySelector('#conversation').innerText")
            )
            for line in ("Нужен тендер на окна", "Пришлём расчёт", "Спасибо, ждём"):
                assert line in conversation
            assert "accepted" in await browser.text()

            # Resolve the complaint from the list.
            await browser.open(f"{base}/dashboard/complaints")
            card = f"#complaint-{ids['complaint']}"
            assert "Мне нагрубили" in await browser.text()
            await browser.fill(f"{card} textarea[name=resolution]", "Извинились и дали скидку")
            await browser.click(f"{card} form.resolve button")
            assert f"Жалоба #{ids['complaint']} решена" in await browser.text()
            assert await browser.js(f"document.querySelector('{card}')") is None

            await browser.click("#lang-en")
            assert "Complaints" in await browser.text()
            await browser.click("#logout")
            assert (await browser.path()).startswith("/dashboard/login")
