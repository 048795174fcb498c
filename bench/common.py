"""Shared bits of the benchmarks: load generation, percentiles, service subprocesses."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
# A database of the benchmarks' own (created when missing): they empty its schema, which
# must never be the one the test suite or anybody else works in.
PG_URL = os.environ.get(
    "LEADKEEPER_BENCH_DATABASE_URL",
    "postgresql+asyncpg://postgres@127.0.0.1:5432/leadkeeper_bench",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def line(self) -> str:
        return (
            f"{self.rate:8.0f} req/s  p50 {percentile(self.latencies, 0.5) * 1000:6.1f} ms  "
            f"p99 {percentile(self.latencies, 0.99) * 1000:6.1f} ms  errors {self.errors}"
        )


async def post_load(
    urls: list[str], bodies: list[Any], connections: int, headers: dict[str, str] | None = None
) -> LoadResult:
    """POST every body once over `connections` concurrent connections, round-robin over urls."""
    queue: asyncio.Queue[tuple[int, Any]] = asyncio.Queue()
    for index, body in enumerate(bodies):
        queue.put_nowait((index, body))
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=connections)

    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal errors
            while True:
                try:
                    index, body = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                url = urls[index % len(urls)]
                started = time.perf_counter()
                async with session.post(url, json=body, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        seconds = time.perf_counter() - started
    return LoadResult(len(bodies), errors, seconds, latencies)


def start_process(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=handle,
        stderr=subprocess.STDOUT,
    )


async def wait_healthy(url: str, timeout: float = 60.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not become healthy")


def summary(values: list[float], scale: float = 1000.0) -> str:
    return f"p50 {statistics.median(values) * scale:.1f} p95 {percentile(values, 0.95) * scale:.1f}"


Clock = Callable[[], float]


def rss_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process image, from /proc, in MB."""
    # Beside ru_maxrss, which Linux may carry over exec from the parent's high-water mark.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def report(**values: Any) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    values.update(
        peak_mb=rss_mb("VmHWM"),
        maxrss_mb=usage.ru_maxrss / 1024,
        cpu_s=usage.ru_utime + usage.ru_stime,
    )
    print(json.dumps(values), flush=True)
