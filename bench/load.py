"""Webhook load for the benchmarks: a closed loop of new Telegram updates, from Python or
from wrk (far cheaper in CPU), spread round-robin over the web processes."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import aiohttp

SECRET = "bench-secret"
CHATS = 1_000

WRK_SCRIPT = r"""
-- One new Telegram update per request (run with -t 1: one Lua state, one counter);
-- LK_BENCH_BASE keeps the ids of concurrent wrk instances apart.
local counter = 0
local base = tonumber(os.getenv("LK_BENCH_BASE") or "0")
request = function()
  counter = counter + 1
  local id = base + counter
  local chat = 500000000 + id % 1000
  local body = string.format(
    '{"update_id":%d,"message":{"message_id":%d,"date":1700000000,'
    .. '"chat":{"id":%d,"type":"private","first_name":"Bench"},'
    .. '"from":{"id":%d,"is_bot":false,"first_name":"Bench","language_code":"ru"},'
    .. '"text":"Сколько стоит окно №%d?"}}', id, id, chat, chat, id)
  return wrk.format("POST", "/telegram/webhook",
    {["Content-Type"] = "application/json",
     ["X-Telegram-Bot-Api-Secret-Token"] = "bench-secret"}, body)
end
done = function(summary, latency, requests)
  io.write(string.format("LKRESULT %d %d %d %d %f %f\n",
    summary.requests, summary.errors.status + summary.errors.connect
      + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration, latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def update_body(update_id: int) -> str:
    chat = 500_000_000 + update_id % CHATS
    return json.dumps(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 1_700_000_000,
                "chat": {"id": chat, "type": "private", "first_name": "Bench"},
                "from": {"id": chat, "is_bot": False, "first_name": "Bench"},
                "text": f"Сколько стоит окно №{update_id}?",
            },
        },
        ensure_ascii=False,
    )


async def python_load(
    urls: list[str], connections: int, seconds: float, first_id: int
) -> tuple[int, int, list[float], float]:
    """Closed loop over `connections`; returns (answered, errors, latencies, seconds)."""
    latencies: list[float] = []
    errors = 0
    counter = first_id
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client(index: int) -> None:
            nonlocal errors, counter
            url = urls[index % len(urls)]
            while time.perf_counter() < deadline:
                counter += 1
                body = update_body(counter)
                started = time.perf_counter()
                try:
                    async with session.post(url, data=body.encode(), headers=headers) as r:
                        await r.read()
                        ok = r.status == 200
                except aiohttp.ClientError:
                    ok = False
                if ok:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(client(index) for index in range(connections)))
        elapsed = time.perf_counter() - started
    return len(latencies), errors, latencies, elapsed


async def wrk_load(
    urls: list[str], connections: int, seconds: float, first_id: int, workdir: Path
) -> tuple[int, int, float, float]:
    """One wrk per web process, connections split between them; (answered, errors, p50,
    p99 in seconds). p50 is the request-weighted mean of the medians, p99 the worst."""
    script = workdir / "update.lua"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    per = max(1, connections // len(urls))
    processes = []
    for index, url in enumerate(urls):
        env = {**os.environ, "LK_BENCH_BASE": str(first_id + index * 10_000_000_000)}
        base = url.rsplit("/telegram/webhook", 1)[0]
        processes.append(
            await asyncio.create_subprocess_exec(
                *("wrk", "-t", "1", "-c", str(per), "-d", f"{seconds:.0f}s"),
                *("-s", str(script), "--timeout", "10s", base),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                env=env,
            )
        )
    outputs = await asyncio.gather(*(p.communicate() for p in processes))
    requests = errors = 0
    weighted = 0.0
    p99 = 0.0
    for raw, _ in outputs:
        output = raw.decode()
        line = next((x for x in output.splitlines() if x.startswith("LKRESULT")), None)
        if line is None:
            raise RuntimeError(f"wrk said:\n{output}")
        count, failed, _, median, high, _ = line.split()[1:]
        requests += int(count) - int(failed)
        errors += int(failed)
        weighted += float(median) * int(count)
        p99 = max(p99, float(high))
    p50 = weighted / max(1, requests + errors) / 1e6
    return requests, errors, p50, p99 / 1e6
