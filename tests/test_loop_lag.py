"""Event-loop lag, measured all the time by the service and exported in /metrics."""

from __future__ import annotations

import asyncio
import re
import time

import aiohttp

from config.business import parse_config
from tests.support.service import make_settings, running_service
from usecases.loop_lag import LoopLag, WindowMax


def test_window_keeps_the_largest_recent_lag_and_forgets_old_ones() -> None:
    window = WindowMax(10.0)
    window.record(0.30, now=100.0)
    window.record(0.01, now=101.0)
    window.record(0.05, now=105.0)
    assert window.max(now=105.0) == 0.30
    assert window.max(now=111.0) == 0.05  # the 0.30 is older than the window now
    window.record(0.02, now=116.0)
    assert window.peaks() == [0.02]


def test_busy_lag_is_the_part_spent_on_our_own_cpu() -> None:
    lag, now = LoopLag(), time.monotonic()
    lag.record(0.40, now=now, busy=0.01)  # descheduled by the OS: the machine was busy
    assert (lag.last, lag.last_busy) == (0.40, 0.01)
    lag.record(0.30, now=now, busy=0.35)  # our own code held the loop
    assert (lag.max(), lag.busy_max(), lag.last_busy) == (0.40, 0.30, 0.30)


def _value(text: str, name: str) -> float:
    match = re.search(rf"^{name} ([0-9.e-]+)$", text, re.MULTILINE)
    assert match, text
    return float(match.group(1))


async def test_a_blocked_loop_shows_in_metrics(sqlite_url: str) -> None:
    settings = make_settings(sqlite_url, None)
    async with running_service(settings, parse_config({})) as service:
        url = f"http://127.0.0.1:{service.port}/metrics"
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as response:
                assert response.status == 200
            # The service shares this test's loop: blocking it here is what a hogging
            # handler would do.
            time.sleep(0.3)  # noqa: ASYNC251
            await asyncio.sleep(0.2)
            async with http.get(url) as response:
                after = await response.text()
    assert _value(after, "leadkeeper_event_loop_lag_max_seconds") >= 0.25
    # A sleep holds the loop without using the CPU: wall lag, not busy lag.
    assert _value(after, "leadkeeper_event_loop_busy_max_seconds") < 0.25
    assert 0 <= _value(after, "leadkeeper_event_loop_lag_seconds") < 0.25


async def test_a_loop_hogged_by_cpu_work_shows_as_busy_lag(sqlite_url: str) -> None:
    settings = make_settings(sqlite_url, None)
    async with running_service(settings, parse_config({})) as service:
        url = f"http://127.0.0.1:{service.port}/metrics"
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as response:  # the monitor is running by now
                assert response.status == 200
            # What a quadratic parse does: 0.3 s of this thread's CPU without yielding.
            spent = time.thread_time()
            while time.thread_time() - spent < 0.3:
                pass
            await asyncio.sleep(0.2)
            async with http.get(url) as response:
                after = await response.text()
    assert _value(after, "leadkeeper_event_loop_busy_max_seconds") >= 0.25
