"""Start-up as an administrator meets it: a refused token ends the process with a hint and
a non-zero code; a Bot API away at start is waited for while HTTP serves; webhook mode
without its URL or secret fails before anything starts, in one line."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import aiohttp
import pytest

from config.business import Config
from tests.emulator.telegram import TelegramEmulator
from tests.support.service import TOKEN, make_settings, running_service, wait_until

ROOT = Path(__file__).resolve().parents[1]


async def _run_cli(env: dict[str, str], timeout: float = 60.0) -> tuple[int, str]:  # noqa: ASYNC109
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "run",
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError("leadkeeper run did not exit") from None
    assert process.returncode is not None
    return process.returncode, stderr.decode()


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "LEADKEEPER_CONFIG": str(ROOT / "leadkeeper.example.yaml"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/lk.db",
        "HTTP_PORT": "0",
        "TELEGRAM_MODE": "polling",
        **extra,
    }


async def test_refused_token_exits_non_zero_with_a_hint(tmp_path: Path) -> None:
    async with TelegramEmulator(token=TOKEN) as emulator:
        code, stderr = await _run_cli(
            _env(
                tmp_path,
                TELEGRAM_BOT_TOKEN="654321:WRONG-but-well-formed",
                TELEGRAM_API_BASE=emulator.base_url,
            )
        )
    assert code == 2, stderr
    assert "Telegram refused TELEGRAM_BOT_TOKEN" in stderr
    assert "@BotFather" in stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    ("extra", "names"),
    [
        ({"TELEGRAM_WEBHOOK_SECRET": "s3cret"}, "TELEGRAM_WEBHOOK_URL"),
        ({"TELEGRAM_WEBHOOK_URL": "https://crm.example.ru/telegram/webhook"}, "SECRET"),
    ],
)
async def test_webhook_mode_incomplete_fails_first_in_one_line(
    tmp_path: Path, extra: dict[str, str], names: str
) -> None:
    code, stderr = await _run_cli(
        _env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_MODE="webhook", **extra), timeout=30
    )
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert code == 2
    assert len(lines) == 1, stderr
    assert lines[0].startswith("leadkeeper: TELEGRAM_MODE=webhook needs")
    assert names in lines[0]
    # Before anything started: not even the database was created.
    assert not (tmp_path / "lk.db").exists()


async def test_bot_api_away_at_start_is_waited_for_while_http_serves(
    database_url: str, config: Config
) -> None:
    async with TelegramEmulator(token=TOKEN) as emulator:
        # Every call fails as a Bot API behind a broken proxy would, until it comes back.
        emulator.fail_next(None, status=502, times=10_000)
        settings = make_settings(database_url, emulator.base_url)
        async with running_service(settings, config) as service:
            async with aiohttp.ClientSession() as http:
                health = f"http://127.0.0.1:{service.port}/healthz"
                async with http.get(health) as response:
                    assert response.status == 200

            async def retried() -> bool:
                return len(emulator.calls_to("getMe")) >= 2

            await wait_until(retried, timeout=15)
            assert not emulator.calls_to("getUpdates")
            emulator._failures.clear()  # the Bot API is back

            async def polling() -> bool:
                # deleteWebhook is the polling loop's first call once the API answered.
                return any(call.ok for call in emulator.calls_to("deleteWebhook"))

            # Backoff is capped at a few seconds: it reconnects by itself, soon.
            await wait_until(polling, timeout=15)
            assert not service.stopping.is_set()
            emulator.add_update(emulator.make_text_update(4242, "Добрый день, есть вопрос"))

            async def answered() -> bool:
                return bool(emulator.sent_messages(4242))

            await wait_until(answered, timeout=15)
