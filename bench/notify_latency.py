"""Latency from a customer's message arriving at the bot (webhook POST) to the manager's
lead card reaching the Bot API emulator, at a steady rate of new leads.

    python -m bench.notify_latency [--rates 20,100] [--seconds 15] [--stores sqlite,postgresql]

The emulator's rate limits are off and TELEGRAM_SEND_RATE is raised: this measures
Leadkeeper's own pipeline (store → process → distribute → outbox → send), not
Telegram's 30 messages a second.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import aiohttp
import yaml

from bench.capture import TOKEN, reset_postgres, stop
from bench.common import PG_URL, free_port, percentile, start_process, wait_healthy
from tests.emulator.telegram import TelegramEmulator

MANAGERS = 40


def team_config(path: Path) -> None:
    always = {"mon-sun": "00:00-00:00"}
    path.write_text(
        yaml.safe_dump(
            {
                "company": {"timezone": "UTC", "working_hours": always},
                "team": {
                    "managers": [
                        {
                            "telegram_id": 900_000 + n,
                            "name": f"M{n}",
                            "level": "senior",
                            "capacity": 10_000,
                            "working_hours": always,
                        }
                        for n in range(MANAGERS)
                    ]
                },
            }
        )
    )


async def run(store: str, rate: int, seconds: float, workdir: Path) -> str:
    port = free_port()
    url = f"sqlite+aiosqlite:///{workdir / f'notify-{rate}.db'}" if store == "sqlite" else PG_URL
    if store != "sqlite":
        await reset_postgres(PG_URL)
    config = workdir / "team.yaml"
    team_config(config)
    async with TelegramEmulator(token=TOKEN) as emulator:
        process = start_process(
            ["-m", "app.cli", "run"],
            {
                "DATABASE_URL": url,
                "LEADKEEPER_CONFIG": str(config),
                "HTTP_PORT": str(port),
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE": emulator.base_url,
                "TELEGRAM_MODE": "webhook",
                "LOG_LEVEL": "WARNING",
                "TELEGRAM_SEND_RATE": "2000",
                "TELEGRAM_CHAT_INTERVAL": "0",
                "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
                "TELEGRAM_WEBHOOK_SECRET": "bench-secret",
            },
            workdir / f"notify-{store}-{rate}.log",
        )
        try:
            await wait_healthy(f"http://127.0.0.1:{port}/healthz")
            webhook = f"http://127.0.0.1:{port}/telegram/webhook"
            posted: dict[str, float] = {}
            total = int(rate * seconds)
            async with aiohttp.ClientSession() as http:
                started = time.perf_counter()

                async def post(index: int) -> None:
                    marker = f"lead-marker-{index}"
                    update = emulator.make_text_update(2_000_000 + index, f"Нужна цена {marker}")
                    posted[marker] = time.monotonic()
                    secret = {"X-Telegram-Bot-Api-Secret-Token": "bench-secret"}
                    async with http.post(webhook, json=update, headers=secret) as response:
                        await response.read()

                tasks = []
                for index in range(total):
                    delay = started + index / rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    tasks.append(asyncio.ensure_future(post(index)))
                await asyncio.gather(*tasks)

            def cards() -> dict[str, float]:
                found = {}
                for call in emulator.sent_messages():
                    chat = int(call.params["chat_id"])
                    text = str(call.params.get("text", ""))
                    if 900_000 <= chat < 900_000 + MANAGERS and "lead-marker-" in text:
                        marker = "lead-marker-" + text.split("lead-marker-")[1].split("»")[0]
                        found.setdefault(marker.strip(), call.time)
                return found

            deadline = time.monotonic() + 120
            while len(cards()) < total and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.2)
            arrived = cards()
            latencies = [arrived[m] - posted[m] for m in posted if m in arrived]
        finally:
            stop(process)
    return (
        f"{store:10} {rate:4d} leads/s: {len(latencies)}/{total} cards, "
        f"p50 {percentile(latencies, 0.5) * 1000:7.1f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1000:7.1f} ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rates", default="20,100")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--stores", default="sqlite,postgresql")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for store in args.stores.split(","):
            for rate in (int(r) for r in args.rates.split(",")):
                print(await run(store, rate, args.seconds, Path(folder)), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
