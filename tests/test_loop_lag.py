"""Event-loop lag, measured all the time by the service and exported in /metrics."""

from __future__ import annotations

import asyncio
import re
import time

import aiohttp

from config.business import parse_config
from tests.service import make_settings, running_service
from usecases.loop_lag import LoopLag


def test_window_keeps_the_largest_recent_lag_and_forgets_old_ones() -> None:
    lag = LoopLag(window=10.0)
    lag.record(0.30, now=100.0)
    lag.record(0.01, now=101.0)
    lag.record(0.05, now=105.0)
    assert lag.last == 0.05
    assert lag._peaks[0] == (100.0, 0.30)
    lag._forget(now=111.0)  # the 0.30 is older than the window now
    assert lag._peaks[0] == (105.0, 0.05)
    lag.record(0.02, now=116.0)
    assert [peak for _, peak in lag._peaks] == [0.02]


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
    assert 0 <= _value(after, "leadkeeper_event_loop_lag_seconds") < 0.25
